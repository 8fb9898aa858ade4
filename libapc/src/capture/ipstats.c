/* SPDX-License-Identifier: MIT */
/* Open-addressing hash of IP addresses (linear probing, grows at 50% load). */
#include "capture/ipstats.h"

#include <stdlib.h>
#include <string.h>

#include "core/error.h"

static uint64_t hash_addr(int ver, const uint8_t *a)
{
    /* FNV-1a over the address bytes: cheap and good enough for a table we size ourselves. */
    uint64_t h = 1469598103934665603ULL ^ (uint64_t)ver;
    int n = ver == 4 ? 4 : 16;
    for (int i = 0; i < n; i++) {
        h ^= a[i];
        h *= 1099511628211ULL;
    }
    return h;
}

int apc__ipstats_init(apc__ipstats_t *s)
{
    s->cap = 1024;
    s->count = 0;
    s->slots = calloc(s->cap, sizeof *s->slots);
    return s->slots ? 0 : apc__err(APC_ENOMEM, "out of memory");
}

void apc__ipstats_free(apc__ipstats_t *s)
{
    if (!s->slots)
        return;
    for (size_t i = 0; i < s->cap; i++)
        free(s->slots[i].host_name);
    free(s->slots);
    s->slots = NULL;
}

static apc__ipent_t *probe(apc__ipent_t *slots, size_t cap, int ver, const uint8_t *addr)
{
    size_t n = ver == 4 ? 4 : 16;
    size_t i = hash_addr(ver, addr) & (cap - 1);
    for (;;) {
        apc__ipent_t *e = &slots[i];
        if (e->ver == 0 || (e->ver == ver && memcmp(e->addr, addr, n) == 0))
            return e;
        i = (i + 1) & (cap - 1);
    }
}

void apc__ipstats_hint(const apc__ipstats_t *s, int ver, const uint8_t *addr)
{
    if (s->slots)
        __builtin_prefetch(&s->slots[hash_addr(ver, addr) & (s->cap - 1)]);
}

static int grow(apc__ipstats_t *s)
{
    size_t ncap = s->cap * 2;
    apc__ipent_t *ns = calloc(ncap, sizeof *ns);
    if (!ns)
        return -1;
    for (size_t i = 0; i < s->cap; i++) {
        if (s->slots[i].ver == 0)
            continue;
        *probe(ns, ncap, s->slots[i].ver, s->slots[i].addr) = s->slots[i];
    }
    free(s->slots);
    s->slots = ns;
    s->cap = ncap;
    return 0;
}

apc__ipent_t *apc__ipstats_get(apc__ipstats_t *s, int ver, const uint8_t *addr)
{
    apc__ipent_t *e = probe(s->slots, s->cap, ver, addr);
    if (e->ver)
        return e;
    if ((s->count + 1) * 2 > s->cap) {
        if (grow(s) < 0)
            return NULL;
        e = probe(s->slots, s->cap, ver, addr);
    }
    memset(e, 0, sizeof *e);
    e->ver = (uint8_t)ver;
    memcpy(e->addr, addr, ver == 4 ? 4 : 16);
    s->count++;
    return e;
}
