/* SPDX-License-Identifier: MIT */
/* What module extract offers the wiring of lib/ctx_open.c. */
#ifndef APC_EXTRACT_INT_H
#define APC_EXTRACT_INT_H

#include <stdint.h>

#include <apc/ctx.h>

/* apc_ctx_t.on_capture_ended: with extraction on, starts examining the capture that ended (a
 * command, as extract_query would); off, does nothing. Errors are logged: the capture that
 * ended has nobody to return them to, and a later extract_query tries again. */
void apc__extract_capture_ended(apc_ctx_t *ctx, int64_t capture_id);

/* apc_ctx_t.on_capture_started: with extraction on and a capture (an ingest, a live capture)
 * starting, starts its examination at once, on a thread of its own, following the capture as
 * it is committed (the capture's end then finds it under way). 1 when it did (each commit then
 * wakes it), 0 when not; errors are logged, and the capture's end tries again. */
int apc__extract_capture_started(apc_ctx_t *ctx, int64_t capture_id);

#endif
