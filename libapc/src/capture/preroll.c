/* SPDX-License-Identifier: MIT */
/*
 * The pre-roll ring (preroll.h). Entries are contiguous: one that does not fit before the end
 * of the buffer starts again at 0 and the bytes left at the end (from `end`) are skipped, so a
 * packet is always one memcpy in and one pointer out.
 */
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#include "capture/preroll.h"
#include "core/error.h"

#define ALIGN(n) (((n) + alignof(apc__held_t) - 1) & ~(alignof(apc__held_t) - 1))

int apc__preroll_init(apc__preroll_t *p, size_t bytes, int64_t max_age_ns)
{
    memset(p, 0, sizeof *p);
    p->cap = bytes < 4096 ? 4096 : bytes;
    p->log_cap = p->cap / 256 < 4096 ? 4096 : p->cap / 256;
    p->buf = malloc(p->cap);
    p->log = malloc(p->log_cap * sizeof *p->log);
    p->max_age_ns = max_age_ns;
    if (!p->buf || !p->log) {
        apc__preroll_free(p);
        return apc__err(APC_ENOMEM, "out of memory for the pre-roll");
    }
    return 0;
}

void apc__preroll_free(apc__preroll_t *p)
{
    free(p->buf);
    free(p->log);
    memset(p, 0, sizeof *p);
}

static void log_gone(apc__preroll_t *p, int64_t ts_ns, const apc__attr_t *a)
{
    if (!a->pid && !a->peer.pid)
        return; /* nobody owns it: no route could have wanted it */
    if (p->log_n == p->log_cap) {
        /* The oldest record is overwritten: keep it as a count for its second. */
        const apc__gone_t *o = &p->log[p->log_next];
        int64_t sec = o->ts_ns / 1000000000;
        size_t b = (size_t)(sec % APC__GONE_BUCKETS);
        if (p->lost_sec[b] != sec) {
            p->lost_sec[b] = sec;
            p->lost_n[b] = 0;
        }
        p->lost_n[b]++;
    } else {
        p->log_n++;
    }
    p->log[p->log_next] = (apc__gone_t){ts_ns, a->pid, a->peer.pid};
    p->log_next = (p->log_next + 1) % p->log_cap;
}

static void drop_oldest(apc__preroll_t *p)
{
    const apc__held_t *h = (const apc__held_t *)(p->buf + p->head);
    log_gone(p, h->ts_ns, &h->a);
    p->head += h->size;
    p->count--;
    if (p->count == 0) {
        p->head = p->tail = p->end = 0;
        p->wrapped = 0;
    } else if (p->wrapped && p->head >= p->end) {
        p->head = 0;
        p->wrapped = 0;
    }
}

/* Where an entry of n bytes can go now, or (size_t)-1 when the oldest must leave first. */
static size_t room(apc__preroll_t *p, size_t n)
{
    if (p->count == 0)
        return 0;
    if (p->wrapped)
        return p->tail + n <= p->head ? p->tail : (size_t)-1;
    if (p->tail + n <= p->cap)
        return p->tail;
    if (n <= p->head) { /* start again at 0; [tail, cap) is skipped */
        p->end = p->tail;
        p->tail = 0;
        p->wrapped = 1;
        return 0;
    }
    return (size_t)-1;
}

void apc__preroll_push(apc__preroll_t *p, const apc__attr_t *a, uint32_t iface, int64_t ts_ns,
                       const uint8_t *data, uint32_t caplen, uint32_t wirelen)
{
    while (p->count && ((const apc__held_t *)(p->buf + p->head))->ts_ns < ts_ns - p->max_age_ns)
        drop_oldest(p);
    size_t n = ALIGN(sizeof(apc__held_t) + caplen);
    if (n > p->cap) {
        p->evicted++;
        log_gone(p, ts_ns, a);
        return;
    }
    size_t at;
    while ((at = room(p, n)) == (size_t)-1) {
        p->evicted++;
        drop_oldest(p);
    }
    apc__held_t *h = (apc__held_t *)(p->buf + at);
    h->ts_ns = ts_ns;
    h->a = *a;
    h->iface = iface;
    h->caplen = caplen;
    h->wirelen = wirelen;
    h->size = (uint32_t)n;
    memcpy(h->data, data, caplen);
    p->tail = at + n;
    p->count++;
}

const apc__held_t *apc__preroll_first(const apc__preroll_t *p, apc__preroll_cur_t *c)
{
    c->off = p->head;
    c->left = p->count;
    return c->left ? (const apc__held_t *)(p->buf + c->off) : NULL;
}

const apc__held_t *apc__preroll_next(const apc__preroll_t *p, apc__preroll_cur_t *c)
{
    if (c->left <= 1) {
        c->left = 0;
        return NULL;
    }
    c->off += ((const apc__held_t *)(p->buf + c->off))->size;
    if (p->wrapped && c->off >= p->end) /* only in [head, end): [0, tail) lies below it */
        c->off = 0;
    c->left--;
    return (const apc__held_t *)(p->buf + c->off);
}

uint64_t apc__preroll_lost_for(const apc__preroll_t *p, int64_t since_ns,
                               int (*mine)(void *arg, int64_t pid), void *arg)
{
    uint64_t n = 0;
    for (size_t i = 0; i < p->log_n; i++) {
        const apc__gone_t *g = &p->log[i];
        if (g->ts_ns >= since_ns &&
            ((g->pid && mine(arg, g->pid)) || (g->peer && mine(arg, g->peer))))
            n++;
    }
    int64_t since_sec = since_ns / 1000000000;
    for (size_t b = 0; b < APC__GONE_BUCKETS; b++)
        if (p->lost_n[b] && p->lost_sec[b] >= since_sec)
            n += p->lost_n[b];
    return n;
}
