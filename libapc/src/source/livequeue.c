/* SPDX-License-Identifier: MIT */
/* Bounded SPSC packet queue (see livequeue.h). Positions grow without bound; the ring offset is
 * position & mask. A record that would straddle the end leaves a wrap marker and starts again at
 * offset 0, so every record is contiguous for the consumer. */
#include "source/livequeue.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <apc/common.h>

#include "core/error.h"

#define WRAP UINT32_MAX
#define ALIGN8(x) (((x) + 7u) & ~(size_t)7u)

struct apc__lq {
    uint8_t *buf;
    size_t size, mask;
    _Alignas(64) _Atomic uint64_t head; /* written by the producer */
    _Atomic uint64_t drops, pushed;     /* written by the producer only */
    _Alignas(64) _Atomic uint64_t tail; /* written by the consumer */
    size_t populated;                   /* the consumer's: bytes of buf mapped (populate_ahead) */
};

/* The ring's pages are mapped ahead of the producer, from the consumer's thread: left to the
 * producer, its first pass through the ring was a page fault every 4 KiB (16,384 for 64 MiB),
 * which on a virtual machine slowed the capture thread enough for the kernel's ring to overflow
 * in the first second at 90 MB/s (process mode, 1500 B frames). Mapped all at once, an idle
 * adapter's queue would hold its 64 MiB from the start: a system capture opens one per
 * adapter. So they are mapped as the traffic comes, 16 MiB ahead of it (an idle adapter's
 * queue holds those 16). */
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux 5.14; an older kernel answers EINVAL (below) */
#endif
#define POPULATE_CHUNK (4u << 20)
#define POPULATE_AHEAD (16u << 20)

static void populate_ahead(apc__lq_t *q, uint64_t head)
{
    uint64_t want = head + POPULATE_AHEAD;
    while (q->populated < q->size && q->populated < want) {
        size_t left = q->size - q->populated;
        size_t n = left < POPULATE_CHUNK ? left : POPULATE_CHUNK;
        if (madvise(q->buf + q->populated, n, MADV_POPULATE_WRITE) != 0) {
            q->populated = q->size; /* a kernel before 5.14: the producer maps them, as it did */
            return;
        }
        q->populated += n;
    }
}

int apc__lq_new(apc__lq_t **out, size_t bytes)
{
    size_t size = 65536;
    while (size < bytes && size < ((size_t)1 << 40))
        size <<= 1;
    apc__lq_t *q = calloc(1, sizeof *q);
    /* page-aligned for madvise (populate_ahead) */
    void *b = q ? mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
                : MAP_FAILED;
    if (!q || b == MAP_FAILED) {
        free(q);
        return apc__err(APC_ENOMEM, "out of memory for a %zu byte packet queue", size);
    }
    q->buf = b;
    q->size = size;
    q->mask = size - 1;
    populate_ahead(q, 0);
    *out = q;
    return 0;
}

void apc__lq_free(apc__lq_t *q)
{
    if (!q)
        return;
    munmap(q->buf, q->size);
    free(q);
}

/* +1 to a counter only the producer writes: a load and a store, not a locked add (readers on
 * other threads see either value). */
static inline void bump(_Atomic uint64_t *c)
{
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + 1,
                          memory_order_relaxed);
}

int apc__lq_push(apc__lq_t *q, const apc__lqhdr_t *h, const uint8_t *data)
{
    size_t need = sizeof *h + ALIGN8(h->caplen);
    if (need > q->size / 2) {
        bump(&q->drops);
        return APC_ELIMIT;
    }
    uint64_t head = atomic_load_explicit(&q->head, memory_order_relaxed);
    uint64_t tail = atomic_load_explicit(&q->tail, memory_order_acquire);
    size_t off = head & q->mask;
    size_t pad = off + need > q->size ? q->size - off : 0;
    if (head + pad + need - tail > q->size) {
        bump(&q->drops);
        return APC_ELIMIT;
    }
    if (pad) {
        /* Fewer bytes than a header before the end is an implicit wrap (see peek). */
        if (pad >= sizeof *h) {
            apc__lqhdr_t mark = {.caplen = WRAP};
            memcpy(q->buf + off, &mark, sizeof mark);
        }
        off = 0;
    }
    memcpy(q->buf + off, h, sizeof *h);
    if (h->caplen)
        memcpy(q->buf + off + sizeof *h, data, h->caplen);
    bump(&q->pushed);
    atomic_store_explicit(&q->head, head + pad + need, memory_order_release);
    return 0;
}

const apc__lqhdr_t *apc__lq_peek(apc__lq_t *q, const uint8_t **data)
{
    uint64_t tail = atomic_load_explicit(&q->tail, memory_order_relaxed);
    uint64_t head = atomic_load_explicit(&q->head, memory_order_acquire);
    if (q->populated < q->size)
        populate_ahead(q, head);
    if (tail == head)
        return NULL;
    size_t off = tail & q->mask;
    const apc__lqhdr_t *h = (const apc__lqhdr_t *)(q->buf + off);
    if (q->size - off < sizeof *h || h->caplen == WRAP) {
        tail += q->size - off;
        atomic_store_explicit(&q->tail, tail, memory_order_release);
        if (tail == head)
            return NULL;
        h = (const apc__lqhdr_t *)q->buf;
    }
    *data = (const uint8_t *)(h + 1);
    return h;
}

void apc__lq_pop(apc__lq_t *q)
{
    uint64_t tail = atomic_load_explicit(&q->tail, memory_order_relaxed);
    const apc__lqhdr_t *h = (const apc__lqhdr_t *)(q->buf + (tail & q->mask));
    atomic_store_explicit(&q->tail, tail + sizeof *h + ALIGN8(h->caplen), memory_order_release);
}

uint64_t apc__lq_pushed(const apc__lq_t *q)
{
    return atomic_load_explicit(&((apc__lq_t *)q)->pushed, memory_order_relaxed);
}

uint64_t apc__lq_drops(const apc__lq_t *q)
{
    return atomic_load_explicit(&((apc__lq_t *)q)->drops, memory_order_relaxed);
}

size_t apc__lq_capacity(const apc__lq_t *q)
{
    return q->size;
}
