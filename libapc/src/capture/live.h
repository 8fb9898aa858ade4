/* SPDX-License-Identifier: MIT */
/* Live capture sessions of a context (live_session.c), as the context's wiring sees them. */
#ifndef APC_CAPTURE_LIVE_H
#define APC_CAPTURE_LIVE_H

#include <apc/ctx.h>

/* Stops every live capture of ctx (each stores what it has first) and the attribution they
 * started. apc_ctx_close (lib/ctx_open.c) calls it first, so no capture outlives its context. */
void apc__live_shutdown(apc_ctx_t *ctx);

#endif
