/* SPDX-License-Identifier: MIT */
/* Live capture sessions of a context (live_session.c), as the context's wiring sees them. */
#ifndef APC_CAPTURE_LIVE_H
#define APC_CAPTURE_LIVE_H

#include <stddef.h>
#include <stdint.h>

#include <apc/ctx.h>

/* Stops every live capture of ctx (each stores what it has first) and the attribution they
 * started. apc_ctx_close (lib/ctx_open.c) calls it first, so no capture outlives its context. */
void apc__live_shutdown(apc_ctx_t *ctx);

/* live_util.c. The integer setting `key`, `def` when unset or outside lo..hi (logged). */
long apc__live_setting(apc_ctx_t *ctx, const char *key, long def, long lo, long hi);
/* Every interface that is up and has a kernel index (at most 64): *out and its names are
 * malloc'ed, the caller frees them. */
int apc__live_adapters(char ***out, size_t *n);
/* Opens one live source per device (the live.* settings; filter NULL = all), the i-th stamped
 * with interface index i, ringing `bell`: src[*nsrc], loopback[*nsrc] filled and *nsrc counted
 * for each opened (the caller closes them, also after an error). At most 64. */
struct apc__livesrc;
struct apc__bell;
int apc__live_open_sources(apc_ctx_t *ctx, const char *const *devices, size_t n, const char *filter,
                           struct apc__bell *bell, struct apc__livesrc **src, uint8_t *loopback,
                           size_t *nsrc);

/* live_resolve.c. CAPTURE_FLAG_RESOLVE_IPS: starts reverse lookups of the addresses writer w
 * sees for the first time, names stored under capture_id; NULL (nothing to stop) when `flags`
 * lacks the flag or the resolver cannot start (logged: a capture without names still captures).
 * `what` (a static string) names the capture kind in the log. */
typedef struct apc__liveres apc__liveres_t;
struct apc__capw;
apc__liveres_t *apc__liveres_start(apc_ctx_t *ctx, int64_t capture_id, uint32_t flags,
                                   struct apc__capw *w, const char *what);
/* Stops them (waits at most 100 ms for a lookup in progress) and logs what they did. Call it
 * after the writer is finished: nothing submits any more. NULL-safe. */
void apc__liveres_stop(apc__liveres_t *lr);

#endif
