/* SPDX-License-Identifier: MIT */
/*
 * The body of an export of another node's capture (docs/fleet.md): its packet index and bytes
 * are in that node's data directory, so the owner writes the export (with the filter, which
 * may need packet bytes) and streams it (fleet/peer.h); each block arrives checked and goes
 * into the file unchanged. The file is the owner's export byte for byte.
 */
#include <stdlib.h>
#include <string.h>

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
    if (!s->total)
        return 0; /* a part of a search export: the search export tells the progress */
    int pct = (int)(s->r->written * 100 / s->total);
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

/* A search export's part from another node: the blocks of its capture's filtered export, its
 * section and interfaces left out (the search export has written its own), each packet moved
 * to the search export's numbering of that capture's interfaces. */
typedef struct hits_sink {
    sink_t base;
    uint32_t iface_base, n_ifaces;
    int swap; /* the owner's section is in the other byte order */
    uint8_t *copy;
    size_t cap;
} hits_sink_t;

static int put_hit(const uint8_t *block, size_t len, int is_packet, void *payload)
{
    hits_sink_t *h = payload;
    if (!is_packet) {
        uint32_t type, magic;
        memcpy(&type, block, 4);
        memcpy(&magic, block + 8, 4);
        if (type == 0x0A0D0D0Au) /* the SHB: checked already (fleet/ngcheck.h) */
            h->swap = magic != 0x1A2B3C4Du;
        return 0;
    }
    if (len > h->cap) {
        uint8_t *nb = realloc(h->copy, len);
        if (!nb)
            return apc__err(APC_ENOMEM, "out of memory");
        h->copy = nb;
        h->cap = len;
    }
    memcpy(h->copy, block, len);
    uint32_t iface; /* EPB interface id, at byte 8 (draft-ietf-opsawg-pcapng 4.3) */
    memcpy(&iface, block + 8, 4);
    iface = h->swap ? __builtin_bswap32(iface) : iface;
    if (iface >= h->n_ifaces)
        return apc__err(APC_EFORMAT, "capture %lld: a packet of interface %u of %u",
                        (long long)h->base.r->capture_id, iface, h->n_ifaces);
    iface += h->iface_base;
    iface = h->swap ? __builtin_bswap32(iface) : iface;
    memcpy(h->copy + 8, &iface, 4);
    return put(h->copy, len, 1, &h->base);
}

int apc__export_remote_hits(apc__xrun_t *r, const apc__export_peer_t *p, uint32_t iface_base,
                            uint32_t n_ifaces, const char *uid, const volatile int *cancelled,
                            uint64_t *packets)
{
    hits_sink_t h = {.base = {.r = r, .ctx = r->ctx, .uid = uid, .last = apc__real_ns()},
                     .iface_base = iface_base,
                     .n_ifaces = n_ifaces};
    uint64_t before = r->written;
    r->capture_id = p->capture_id;
    int rc = apc__fleet_fetch_export(r->ctx, p->node, p->url, p->capture_id, p->filter, put_hit, &h,
                                     cancelled);
    free(h.copy);
    *packets = r->written - before;
    return rc;
}
