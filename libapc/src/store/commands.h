/* SPDX-License-Identifier: MIT */
/* Commands (background work such as exports) as module export stores them: typed calls to the
 * store's backend (records and their meaning in store/backend.h, apc__commands_ops_t). */
#ifndef APC_STORE_COMMANDS_H
#define APC_STORE_COMMANDS_H

#include "store/backend.h"
#include "store/store.h"

int apc__commands_add(apc__store_t *s, const apc__st_command_t *c);
int apc__commands_remove(apc__store_t *s, const char *uid);
int apc__commands_running(apc__store_t *s, const char *uid, int state, int64_t started);
int apc__commands_progress(apc__store_t *s, const char *uid, int progress, uint64_t packets);
int apc__commands_finish(apc__store_t *s, const apc__st_command_end_t *e);
int apc__commands_interrupted(apc__store_t *s, const char *uid, int state, int64_t finished,
                              const char *error);
int apc__commands_get(apc__store_t *s, const char *uid, apc_command_t **out);
int apc__commands_list(apc__store_t *s, apc_command_list_t *l);

#endif
