/* SPDX-License-Identifier: MIT */
/* Search jobs and their registry (job.c), used by the public API (api.c). */
#ifndef APC_SEARCH_JOB_H
#define APC_SEARCH_JOB_H

#include <stdint.h>

#include <apc/ctx.h>

typedef struct apc__search_active {
    apc_ctx_t *ctx;
    int64_t id;
    volatile int cancel;
    int ended; /* its final state is stored (it may still be writing the span index) */
    struct apc__search_active *next;
} apc__search_active_t;

/* Queues the job of search `id` (its row exists, state queued). */
int apc__search_submit(apc_ctx_t *ctx, int64_t id, const char *normalized, int64_t capture_id,
                       int64_t time_from, int64_t time_to);
/* Nonzero while search `id` of ctx is queued or running in this process. */
int apc__search_is_active(apc_ctx_t *ctx, int64_t id);
/* Sets the cancel flag of a queued or running search; with `wait`, blocks until its job has
 * ended. Returns 1 if it was active. */
int apc__search_stop(apc_ctx_t *ctx, int64_t id, int wait);

/* Blocks until search `id` is no longer queued or running here (timeout_ms < 0: forever).
 * 0, APC_EBUSY on timeout, APC_ECANCELED once the context is interrupted. */
int apc__search_wait_end(apc_ctx_t *ctx, int64_t id, int timeout_ms);

#endif
