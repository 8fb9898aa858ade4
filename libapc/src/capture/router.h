/* SPDX-License-Identifier: MIT */
/*
 * The trigger router (router.c, docs/triggers.md "How a firing gets its first packet"): one
 * attributed live source on every adapter while triggers are armed, that stores nothing of its
 * own. Each firing is a route: its own process capture (a capture row and a capture writer,
 * on the router's writer thread), fed the packets whose owner is in the firing's process tree.
 * Packets whose owner no route follows yet wait in a bounded pre-roll buffer, so a route gets
 * the packets its process sent after its exec and before the route existed, first, in order.
 * A route costs no pcap handle and no thread.
 */
#ifndef APC_CAPTURE_ROUTER_H
#define APC_CAPTURE_ROUTER_H

#include <stdint.h>

#include <apc/ctx.h>

#define APC__PREROLL_NS 3000000000LL    /* pre-roll keeps packets at most 3 s ... */
#define APC__PREROLL_BYTES (16u << 20)  /* ... and at most 16 MiB of them */
#define APC__ROUTE_GRACE_NS 200000000LL /* a route ends 200 ms after it was asked to */

typedef struct apc__route_opts {
    int64_t pid;        /* the process that exec'd; its descendants are followed too */
    int64_t exec_ns;    /* when it exec'd (Unix epoch ns): pre-roll packets before are not its */
    const char *filter; /* pcap-filter(7), NULL or "" = all */
    uint32_t flags;     /* stored with the capture (CAPTURE_FLAG_*) */
} apc__route_opts_t;

/* Starts the context's router if it does not run (all adapters up, attribution). */
int apc__router_start(apc_ctx_t *ctx);
/* Ends every route (each stores what it has) and stops the router. NULL-safe, idempotent. */
void apc__router_stop(apc_ctx_t *ctx);
/* 1 when the router runs. */
int apc__router_running(apc_ctx_t *ctx);
/* A new route: creates the process capture (*out_id) and hands it to the writer thread;
 * returns at once (never waits for the capture path). APC_ENOTSUP when no router runs. */
int apc__router_add(apc_ctx_t *ctx, const apc__route_opts_t *o, int64_t *out_id);
/* Ends route `capture_id`: waits until the writer has stored its packets and finished the
 * capture. APC_ENOTFOUND when it is not a route. */
int apc__router_end(apc_ctx_t *ctx, int64_t capture_id);
/* Asks route `capture_id` to end and returns at once (the watcher, when its tree exited): its
 * grace runs while the firing waits for the runner. */
void apc__router_request_end(apc_ctx_t *ctx, int64_t capture_id);
/* 1 when capture_id is a running route. */
int apc__router_has(apc_ctx_t *ctx, int64_t capture_id);

#endif
