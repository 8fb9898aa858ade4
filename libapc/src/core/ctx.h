/* SPDX-License-Identifier: MIT */
/* The context's internals, shared by modules that need the data directory, logging, jobs
 * or the store. */
#ifndef APC_CORE_CTX_H
#define APC_CORE_CTX_H

#include <pthread.h>

#include <apc/ctx.h>

#include "core/jobs.h"

struct apc__store;

struct apc_ctx {
    char *data_dir;
    apc_log_cb log_cb;
    void *log_payload;
    int log_level;
    int read_only;
    int lock_fd; /* flock'ed <data>/lock, -1 when read-only */
    apc__jobs_t *jobs;
    struct apc__store *store;
    pthread_mutex_t lock; /* guards the fields below */
    pthread_cond_t cond;  /* signalled when a capture ends (apc_capture_wait) */
};

/* Logs through the context's hook (or stderr). Thread-safe. */
void apc__log(apc_ctx_t *ctx, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Joins data_dir and a relative path into a new string (caller frees with free()). */
char *apc__ctx_path(const apc_ctx_t *ctx, const char *rel);

/* Wakes apc__ctx_wait() callers (capture and command waits) after something changed state. */
void apc__ctx_broadcast(apc_ctx_t *ctx);

/* Waits until check(payload) answers 1 (done) or < 0 (its error is returned), sleeping on the
 * context's condition between checks: woken by apc__ctx_broadcast, and at least every poll_ms
 * (which covers changes made by another process, or between a record's update and the
 * broadcast). timeout_ms < 0 waits for ever. Returns 0 when done, 1 when the time ran out (the
 * caller says what it was waiting for), or the check's error. */
int apc__ctx_wait(apc_ctx_t *ctx, int timeout_ms, int poll_ms, int (*check)(void *payload),
                  void *payload);

#endif
