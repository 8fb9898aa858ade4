/* SPDX-License-Identifier: MIT */
/* Export files as module export records them: typed calls to the store's backend (records and
 * their meaning in store/backend.h, apc__exports_ops_t). */
#ifndef APC_STORE_EXPORTS_H
#define APC_STORE_EXPORTS_H

#include "store/backend.h"
#include "store/store.h"

int apc__exports_record(apc__store_t *s, const apc__st_export_file_t *f);
/* 1 and out filled (out->command_uid is the caller's to free), 0 when never recorded. */
int apc__exports_origin(apc__store_t *s, const char *path, apc__st_export_origin_t *out);
int apc__exports_paths(apc__store_t *s, apc__st_path_fn fn, void *payload);
int apc__exports_forget(apc__store_t *s, const char *path);

#endif
