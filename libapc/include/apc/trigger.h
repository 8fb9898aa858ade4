/* SPDX-License-Identifier: MIT */
/*
 * Triggers and actions (module trigger, docs/triggers.md): a trigger starts a process capture
 * when a program (or anything under a directory) is executed; when the process and its
 * descendants have exited, the trigger's actions and the system-wide actions run: EXPORT writes
 * the capture's pcapng into a directory, EXECUTE runs a program the operator allowed.
 *
 * Triggers and actions persist in the store and are armed again when a context opens it. Every
 * function here is thread-safe and may block on the store (a changing call also wakes the
 * watcher). Errors are negative APC_E* codes with apc_last_error_message() set.
 */
#ifndef APC_TRIGGER_H
#define APC_TRIGGER_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"
#include "ctx.h"

#ifdef __cplusplus
extern "C" {
#endif

#define APC_TRIGGER_TYPE_ON_START 1
#define APC_ACTION_TYPE_EXECUTE 1
#define APC_ACTION_TYPE_EXPORT 2

typedef struct apc_trigger {
    int64_t id;
    char *name;
    int type;            /* APC_TRIGGER_TYPE_ON_START */
    char *path;          /* as given: a program, or a directory (anything beneath it matches) */
    char *filter;        /* pcap-filter(7) of the captures it starts; "" = everything */
    uint32_t flags;      /* APC_CAPTURE_FLAG_*; APC_CAPTURE_FLAG_DESCENDANTS is always added */
    int enabled;         /* 1 while armed; 0 when the watcher cannot run (see watcher below) */
    int64_t *action_ids; /* actions attached, by id */
    size_t n_actions;
    uint64_t times_fired;
    apc_time_t last_fired;   /* 0 = never */
    int64_t last_capture_id; /* capture started by the last firing; 0 = none */
    char *last_error;        /* why the last firing could not start its capture; "" = none */
    char *watcher;           /* "armed", "idle" or "unavailable: <why>" (not stored) */
    /* Packets its captures lost: the sum of their drops and kernel drops (a packet lost while
     * two of its captures ran counts in each). Not stored: read from the captures. */
    uint64_t drops;
    uint64_t missed; /* firings that started no capture (a limit, the process gone; LastError) */
} apc_trigger_t;

typedef struct apc_trigger_list {
    size_t count;
    apc_trigger_t *items; /* by id */
} apc_trigger_list_t;

typedef struct apc_action {
    int64_t id;
    char *name;
    int type;             /* APC_ACTION_TYPE_* */
    char *path;           /* EXECUTE: the program; EXPORT: the directory */
    char *params;         /* EXECUTE: argument template (docs/triggers.md, placeholders) */
    int system_wide;      /* 1: runs after every trigger's capture */
    int64_t *trigger_ids; /* triggers it is attached to, by id */
    size_t n_triggers;
    apc_time_t last_run;     /* 0 = never ran */
    int64_t last_capture_id; /* capture it last ran for */
    int last_status;   /* EXECUTE: exit status, 128+N when killed by signal N; -1 none or failed */
    char *last_error;  /* "" when the last run went well */
    char *last_output; /* EXECUTE: last 4 KiB of stdout and stderr */
    char *last_file;   /* EXPORT: the file written; "" = none */
} apc_action_t;

typedef struct apc_action_list {
    size_t count;
    apc_action_t *items; /* by id */
} apc_action_list_t;

/* Adds a trigger; its id in *out_id (may be NULL). `path` must be absolute and exist; `filter`
 * (NULL = none) must compile as a capture filter; flags within RESOLVE_IPS and DESCENDANTS
 * (NO_EBPF is refused: the shared source's attribution routes every firing, docs/triggers.md).
 * APC_EINVAL/APC_ENOTFOUND with a message otherwise; nothing is stored then. Arms the
 * watcher; a watcher that cannot run (no proc connector, not root) does not fail the call:
 * trigger_list says why (`watcher`). */
APC_API int apc_trigger_add(apc_ctx_t *ctx, const char *name, int type, const char *path,
                            const char *filter, uint32_t flags, int64_t *out_id);
/* Replaces a trigger's filter (NULL or "" clears it) and flags, for its next firings. */
APC_API int apc_trigger_mod(apc_ctx_t *ctx, int64_t id, const char *filter, uint32_t flags);
/* Deletes a trigger and its links to actions; a capture it started is stopped and the
 * system-wide actions run for it (its own went with it). APC_ENOTFOUND for an unknown id. */
APC_API int apc_trigger_remove(apc_ctx_t *ctx, int64_t id);
/* Every trigger; *out belongs to the caller (apc_trigger_list_free). */
APC_API int apc_trigger_list(apc_ctx_t *ctx, apc_trigger_list_t **out);
/* One trigger; *out belongs to the caller (apc_trigger_free). */
APC_API int apc_trigger_get(apc_ctx_t *ctx, int64_t id, apc_trigger_t **out);
/* The actions attached to a trigger (not the system-wide ones); apc_action_list_free. */
APC_API int apc_trigger_get_actions(apc_ctx_t *ctx, int64_t id, apc_action_list_t **out);
/* Attaches an action to a trigger (the action stops being system wide). */
APC_API int apc_trigger_set_action(apc_ctx_t *ctx, int64_t trigger_id, int64_t action_id);
/* Detaches every action of a trigger. */
APC_API int apc_trigger_clear_actions(apc_ctx_t *ctx, int64_t id);
APC_API void apc_trigger_free(apc_trigger_t *t);
APC_API void apc_trigger_list_free(apc_trigger_list_t *l);

/* Adds an action; its id in *out_id (may be NULL). trigger_id 0 makes it system wide.
 * EXPORT: `path` an existing, writable directory inside the export roots. EXECUTE: `path` an
 * absolute executable under the operator's execute roots (apc_ctx_options_t.execute_roots;
 * none set refuses every EXECUTE action with APC_EPERM naming the option); `params` the argv
 * template. Nothing is stored when a check fails. */
APC_API int apc_action_add(apc_ctx_t *ctx, const char *name, int type, const char *path,
                           const char *params, int64_t trigger_id, int64_t *out_id);
/* Changes an action's name, path or params (NULL keeps the current value), checked as by
 * apc_action_add. */
APC_API int apc_action_mod(apc_ctx_t *ctx, int64_t id, const char *name, const char *path,
                           const char *params);
APC_API int apc_action_remove(apc_ctx_t *ctx, int64_t id);
APC_API int apc_action_list(apc_ctx_t *ctx, apc_action_list_t **out);
APC_API int apc_action_get(apc_ctx_t *ctx, int64_t id, apc_action_t **out);
/* Attaches the action to trigger_id; 0 detaches it from every trigger and makes it system
 * wide. */
APC_API int apc_action_set_trigger(apc_ctx_t *ctx, int64_t action_id, int64_t trigger_id);
/* Detaches the action from every trigger; it becomes system wide (spec: action_clear_triggers). */
APC_API int apc_action_clear_triggers(apc_ctx_t *ctx, int64_t id);
APC_API void apc_action_free(apc_action_t *a);
APC_API void apc_action_list_free(apc_action_list_t *l);

#ifdef __cplusplus
}
#endif
#endif
