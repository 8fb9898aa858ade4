/* SPDX-License-Identifier: MIT */
/*
 * The body of an export of another node's capture (docs/fleet.md): its packet index and bytes
 * are in that node's data directory, so the owner writes the export (with the filter, which
 * may need packet bytes) and streams it (fleet/peer.h); each block arrives checked and goes
 * into the file unchanged. The file is the owner's export byte for byte.
 */
#include "core/ctx.h"
#include "core/error.h"
#include "export/export_int.h"
#include "fleet/peer.h"
#include "store/captures.h"
#include "util/clock.h"

#define PROGRESS_NS 250000000LL

typedef struct sink {
    apc__xrun_t *r;
    apc_ctx_t *ctx;
    const char *uid;
    uint64_t total; /* the capture's packets: the progress is of those */
    apc_time_t last;
    int last_pct;
} sink_t;

static int put(const uint8_t *block, size_t len, int is_packet, void *payload)
{
    sink_t *s = payload;
    int rc = apc__ngw_raw(s->r->out, block, len);
    if (rc < 0 || !is_packet)
        return rc;
    s->r->written++;
    int pct = s->total ? (int)(s->r->written * 100 / s->total) : 100;
    apc_time_t now = apc__real_ns();
    if (pct != s->last_pct && now - s->last >= PROGRESS_NS) {
        apc__cmd_progress(s->ctx, s->uid, pct >= 100 ? 99 : pct, s->r->written);
        s->last = now;
        s->last_pct = pct;
    }
    return 0;
}

int apc__export_remote(apc__xrun_t *r, const apc__export_peer_t *p, const char *uid,
                       const volatile int *cancelled)
{
    sink_t s = {.r = r, .ctx = r->ctx, .uid = uid, .last = apc__real_ns()};
    if (apc__captures_packets(r->ctx->store, p->capture_id, &s.total) <= 0)
        s.total = 0; /* progress only */
    return apc__fleet_fetch_export(r->ctx, p->node, p->url, p->capture_id, p->filter, put, &s,
                                   cancelled);
}
