/* SPDX-License-Identifier: MIT */
/* TCP stream reassembly of one direction; the policy is in reasm.h. */
#include "flow/reasm.h"

#include <stdlib.h>
#include <string.h>

#include "apc/common.h"

struct apc__reasm_seg {
    apc__reasm_seg_t *next;
    uint64_t off;
    size_t len;
    uint8_t data[];
};

void apc__reasm_init(apc__reasm_t *r, apc__reasm_pool_t *pool, size_t cap,
                     const apc__reasm_sink_t *sink)
{
    memset(r, 0, sizeof(*r));
    r->pool = pool;
    r->cap = cap;
    if (sink)
        r->sink = *sink;
}

static void deliver(apc__reasm_t *r, const uint8_t *data, size_t len)
{
    if (len == 0)
        return;
    if (r->sink.data)
        r->sink.data(r->sink.payload, r->next, data, len);
    r->next += len;
    r->delivered += len;
}

static void gap(apc__reasm_t *r, uint64_t to, enum apc__reasm_gap_reason why)
{
    if (to <= r->next)
        return;
    if (r->sink.gap)
        r->sink.gap(r->sink.payload, r->next, to - r->next, why);
    r->gap_bytes += to - r->next;
    r->next = to;
}

static void release(apc__reasm_t *r, apc__reasm_seg_t *s)
{
    size_t cost = s->len + APC__REASM_SEG_OVERHEAD;
    r->used -= cost;
    if (r->pool)
        r->pool->used -= cost;
    free(s);
}

/* Delivers the buffered segments that start at the next expected byte. */
static void drain(apc__reasm_t *r)
{
    while (r->segs && r->segs->off == r->next) {
        apc__reasm_seg_t *s = r->segs;
        r->segs = s->next;
        deliver(r, s->data, s->len);
        release(r, s);
    }
}

static int fits(const apc__reasm_t *r, size_t cost)
{
    if (r->cap && (cost > r->cap || r->used > r->cap - cost))
        return 0;
    if (r->pool && r->pool->cap && (cost > r->pool->cap || r->pool->used > r->pool->cap - cost))
        return 0;
    return 1;
}

/* Stream offset of sequence number seq, unwrapped around the next expected byte. */
static int64_t offset_of(const apc__reasm_t *r, uint32_t seq)
{
    uint32_t d = seq - (uint32_t)(r->isn + (uint32_t)r->next);
    int64_t delta = d < 0x80000000u ? (int64_t)d : (int64_t)d - 0x100000000LL;
    return (int64_t)r->next + delta;
}

int apc__reasm_add(apc__reasm_t *r, uint32_t seq, int syn, const uint8_t *data, size_t len)
{
    uint32_t dseq = syn ? seq + 1 : seq;
    if (!r->started) {
        if (!syn && len == 0)
            return 0; /* a bare ACK says nothing about where the data starts */
        r->started = 1;
        r->isn = dseq;
    }
    if (len == 0)
        return 0;
    /* Segments are at most 64 KiB (more with jumbo offloads); anything near 2 GiB cannot be
     * placed by a 32-bit sequence number. */
    if (len > 0x40000000u)
        len = 0x40000000u;
    int64_t start = offset_of(r, dseq);
    int64_t end = start + (int64_t)len;
    int rc = 0;

    for (;;) {
        /* First wins against what was delivered. */
        if (end <= (int64_t)r->next) {
            r->dup_bytes += (uint64_t)(end - start);
            break;
        }
        if (start < (int64_t)r->next) {
            size_t skip = (size_t)((int64_t)r->next - start);
            r->dup_bytes += skip;
            data += skip;
            start = (int64_t)r->next;
        }
        apc__reasm_seg_t *s = r->segs;
        if (s && s->off == r->next) {
            drain(r);
            continue;
        }
        if (start == (int64_t)r->next) {
            /* In order: deliver up to the first buffered segment, which wins where they
             * overlap (it arrived first). */
            int64_t lim = s ? (int64_t)s->off : end;
            if (lim > end)
                lim = end;
            size_t n = (size_t)(lim - start);
            deliver(r, data, n);
            data += n;
            start = lim;
            continue;
        }
        /* Ahead of a hole: buffer the first part not already buffered. */
        apc__reasm_seg_t **link = &r->segs;
        while (*link && (int64_t)((*link)->off + (*link)->len) <= start)
            link = &(*link)->next;
        if (*link && (int64_t)(*link)->off <= start) {
            /* start lies inside a buffered segment: those bytes are duplicates. */
            int64_t send = (int64_t)((*link)->off + (*link)->len);
            if (send > end)
                send = end;
            r->dup_bytes += (uint64_t)(send - start);
            data += send - start;
            start = send;
            if (start >= end)
                break;
            continue;
        }
        int64_t pend = *link ? (int64_t)(*link)->off : end;
        if (pend > end)
            pend = end;
        size_t n = (size_t)(pend - start);
        size_t cost = n + APC__REASM_SEG_OVERHEAD;
        if (!fits(r, cost)) {
            /* Give up on the first hole rather than grow past a cap. */
            uint64_t to = (uint64_t)start;
            if (r->segs && r->segs->off < to)
                to = r->segs->off;
            gap(r, to, APC__REASM_GAP_CAP);
            continue;
        }
        apc__reasm_seg_t *ns = malloc(sizeof(*ns) + n);
        if (!ns) {
            rc = APC_ENOMEM;
            break;
        }
        ns->off = (uint64_t)start;
        ns->len = n;
        memcpy(ns->data, data, n);
        ns->next = *link;
        *link = ns;
        r->used += cost;
        if (r->pool)
            r->pool->used += cost;
        data += n;
        start = pend;
        if (start >= end)
            break;
    }
    /* The segment may have filled the hole before buffered data. */
    drain(r);
    return rc;
}

void apc__reasm_finish(apc__reasm_t *r)
{
    while (r->segs) {
        gap(r, r->segs->off, APC__REASM_GAP_LOST);
        drain(r);
    }
}

void apc__reasm_free(apc__reasm_t *r)
{
    if (!r)
        return;
    while (r->segs) {
        apc__reasm_seg_t *s = r->segs;
        r->segs = s->next;
        release(r, s);
    }
}
