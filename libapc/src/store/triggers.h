/* SPDX-License-Identifier: MIT */
/* Triggers and actions as module trigger stores them (tables of store/sqlite/schema_trigger.c).
 * Records are the public apc_trigger_t / apc_action_t; the store fills the stored fields (not
 * `watcher`). Every call returns 0 or a negative APC_E* with the message set; an unknown id is
 * APC_ENOTFOUND ("trigger 7 not found"). Thread-safe (pooled connections). */
#ifndef APC_STORE_TRIGGERS_H
#define APC_STORE_TRIGGERS_H

#include <apc/trigger.h>

#include "store/store.h"

int apc__st_trigger_add(apc__store_t *s, const apc_trigger_t *t, int64_t *out_id);
int apc__st_trigger_mod(apc__store_t *s, int64_t id, const char *filter, uint32_t flags);
int apc__st_trigger_remove(apc__store_t *s, int64_t id);
/* Triggers with their action ids; id 0 = all (l->items by id), else that one. */
int apc__st_trigger_list(apc__store_t *s, int64_t id, apc_trigger_list_t *l);
/* A firing: times_fired+1, last_fired, last_capture_id and last_error (capture_id 0 and an
 * error when the capture could not start); the capture's record (trigger_captures). */
int apc__st_trigger_fired(apc__store_t *s, int64_t id, apc_time_t when, int64_t capture_id,
                          int64_t pid, const char *program, const char *error);
/* The trigger that started capture_id (0 when none) in *out. */
int apc__st_trigger_of_capture(apc__store_t *s, int64_t capture_id, int64_t *out);
/* Attaches (the action stops being system wide) or detaches every action of a trigger. */
int apc__st_trigger_link(apc__store_t *s, int64_t trigger_id, int64_t action_id);
int apc__st_trigger_unlink_all(apc__store_t *s, int64_t trigger_id);

int apc__st_action_add(apc__store_t *s, const apc_action_t *a, int64_t trigger_id, int64_t *out_id);
/* NULL keeps a field. */
int apc__st_action_mod(apc__store_t *s, int64_t id, const char *name, const char *path,
                       const char *params);
int apc__st_action_remove(apc__store_t *s, int64_t id);
/* Detaches from every trigger and makes the action system wide. */
int apc__st_action_system(apc__store_t *s, int64_t id);

enum { APC__ACT_ALL, APC__ACT_ONE, APC__ACT_OF_TRIGGER, APC__ACT_TO_RUN };
/* Actions with their trigger ids, by id. ALL; ONE: the action `id`; OF_TRIGGER: attached to
 * trigger `id`; TO_RUN: attached to trigger `id`, then the system-wide ones (the order they
 * run in). */
int apc__st_action_list(apc__store_t *s, int mode, int64_t id, apc_action_list_t *l);
/* Records a run: a->id and its last_* fields. */
int apc__st_action_ran(apc__store_t *s, const apc_action_t *a);

#endif
