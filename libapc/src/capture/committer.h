/* SPDX-License-Identifier: MIT */
/*
 * The capture writer's commit thread (issue 15): a commit's SQL (apc__captures_commit: the
 * connections, addresses, statistics and the commit record of one batch, in one transaction)
 * runs on a thread of its own, so that the thread taking packets goes on decoding and writing
 * while the store applies what it handed over. A 2-core host then spends its second core on
 * the store instead of leaving it idle.
 *
 * The handoff is bounded: one batch in flight. Handing over the next waits for the one before,
 * so memory stays at two batches and the store sees commits in order. The packet bytes and
 * the index a batch makes visible are flushed by the writer before it hands the batch over
 * (store/repair.c: bytes first, then the record).
 *
 * A failure is reported by the next wait, in the waiting thread, with the committing thread's
 * message: the writer then breaks exactly as a synchronous failure would.
 */
#ifndef APC_CAPTURE_COMMITTER_H
#define APC_CAPTURE_COMMITTER_H

#include <apc/ctx.h>

#include "store/capture_batch.h"
#include "store/store.h"

typedef struct apc__committer apc__committer_t;

/* Starts a commit thread for batches of capture_id applied to `store`; after each batch it
 * wakes the waiters of `wake` (apc__ctx_broadcast: a reader following the capture, such as
 * file extraction, reads what the commit made visible). Both are borrowed and must outlive the
 * committer; wake may be NULL. *out is the new committer (free it with apc__committer_stop). */
int apc__committer_start(apc__store_t *store, apc_ctx_t *wake, int64_t capture_id,
                         apc__committer_t **out);

/* Waits for the batch in flight, if any. 0 when it was applied (or nothing was in flight);
 * its negative APC_E* with the message set in this thread when it failed. The failure is
 * reported once. */
int apc__committer_wait(apc__committer_t *c);

/* 1 while a batch is in flight (not yet applied), else 0. A writer that finds the thread busy
 * can go on taking packets and commit a little later, instead of waiting. */
int apc__committer_busy(apc__committer_t *c);

/* Hands *b over to be applied, after waiting for the batch before (as apc__committer_wait,
 * whose result it returns: on failure nothing is handed over and *b is left as it was). On
 * success *b is swapped with an empty batch of the same capture (the committer's spare, its
 * memory kept from earlier commits): the caller fills it for the next commit. */
int apc__committer_hand(apc__committer_t *c, apc__cbatch_t *b);

/* Waits for the batch in flight (its result is returned, as apc__committer_wait), stops the
 * thread and frees everything. NULL is accepted (returns 0). */
int apc__committer_stop(apc__committer_t *c);

#endif
