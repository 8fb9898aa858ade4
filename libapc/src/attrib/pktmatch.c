/* SPDX-License-Identifier: MIT */
/* Packet identity match table and cookie cache (see pktmatch.h). */
#include "attrib/pktmatch.h"

#include <stdlib.h>
#include <string.h>

struct apc__pmtab {
    apc__pmev_t *e; /* sets * APC_PM_WAYS */
    size_t mask;
    uint64_t replaced;
};

typedef struct ccent {
    uint64_t cookie;
    uint32_t pid, tid;
} ccent_t;

struct apc__cookiecache {
    ccent_t *e;
    size_t mask;
};

static size_t pow2(size_t n)
{
    size_t p = 1;
    while (p < n)
        p <<= 1;
    return p;
}

apc__pmtab_t *apc__pm_new(size_t sets)
{
    apc__pmtab_t *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    sets = pow2(sets ? sets : 1);
    t->e = calloc(sets * APC_PM_WAYS, sizeof *t->e);
    if (!t->e) {
        free(t);
        return NULL;
    }
    t->mask = sets - 1;
    return t;
}

void apc__pm_free(apc__pmtab_t *t)
{
    if (t)
        free(t->e);
    free(t);
}

static uint64_t mix(uint64_t h, uint64_t v)
{
    h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    h *= 0xff51afd7ed558ccdULL;
    return h ^ (h >> 33);
}

uint64_t apc__pm_key(int ver, int proto, const uint8_t *src, const uint8_t *dst, uint16_t sport,
                     uint16_t dport, uint16_t ip_id, uint32_t ip_len, uint32_t seq, uint32_t ack,
                     uint8_t tcp_flags)
{
    size_t alen = ver == 4 ? 4 : 16;
    uint64_t h = mix(0x41504343ULL, (uint64_t)ver << 8 | (uint64_t)proto);
    for (size_t i = 0; i < alen; i += 4) {
        uint32_t s, d;
        memcpy(&s, src + i, 4);
        memcpy(&d, dst + i, 4);
        h = mix(h, (uint64_t)s << 32 | d);
    }
    h = mix(h, (uint64_t)sport << 48 | (uint64_t)dport << 32 | (uint64_t)ip_id << 16);
    h = mix(h, (uint64_t)ip_len << 8 | tcp_flags);
    h = mix(h, (uint64_t)seq << 32 | ack);
    return h ? h : 1;
}

uint64_t apc__pm_key_pkt(const apc__pkt_t *d)
{
    if ((d->ip_ver != 4 && d->ip_ver != 6) || !d->has_l4 || d->is_fragment || d->ip_tunnels)
        return 0;
    if (d->ip_proto == 6)
        return apc__pm_key(d->ip_ver, 6, d->src, d->dst, d->sport, d->dport,
                           d->ip_ver == 4 ? d->ip_id : 0, d->ip_total_len, d->tcp_seq, d->tcp_ack,
                           d->tcp_flags);
    if (d->ip_proto == 17)
        return apc__pm_key(d->ip_ver, 17, d->src, d->dst, d->sport, d->dport,
                           d->ip_ver == 4 ? d->ip_id : 0, d->ip_total_len, 0, 0, 0);
    return 0;
}

void apc__pm_add(apc__pmtab_t *t, const apc__pmev_t *e)
{
    apc__pmev_t *set = &t->e[(e->key & t->mask) * APC_PM_WAYS];
    apc__pmev_t *v = &set[0];
    for (int i = 0; i < APC_PM_WAYS; i++) {
        if (!set[i].key) {
            v = &set[i];
            break;
        }
        if (set[i].t_ns < v->t_ns)
            v = &set[i];
    }
    if (v->key && e->t_ns - v->t_ns < APC_PM_TTL_NS)
        t->replaced++;
    *v = *e;
}

size_t apc__pm_find(apc__pmtab_t *t, uint64_t key, int64_t now_ns, apc__pmev_t *out, size_t max)
{
    apc__pmev_t *set = &t->e[(key & t->mask) * APC_PM_WAYS];
    size_t n = 0;
    for (int i = 0; i < APC_PM_WAYS && n < max; i++)
        if (set[i].key == key && now_ns - set[i].t_ns < APC_PM_TTL_NS)
            out[n++] = set[i];
    /* oldest first: the hook order of the packet's copies */
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && out[j].t_ns < out[j - 1].t_ns; j--) {
            apc__pmev_t x = out[j];
            out[j] = out[j - 1];
            out[j - 1] = x;
        }
    return n;
}

uint64_t apc__pm_replaced(const apc__pmtab_t *t)
{
    return t->replaced;
}

apc__cookiecache_t *apc__cc_new(size_t slots)
{
    apc__cookiecache_t *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    slots = pow2(slots ? slots : 1);
    c->e = calloc(slots, sizeof *c->e);
    if (!c->e) {
        free(c);
        return NULL;
    }
    c->mask = slots - 1;
    return c;
}

void apc__cc_free(apc__cookiecache_t *c)
{
    if (c)
        free(c->e);
    free(c);
}

void apc__cc_put(apc__cookiecache_t *c, uint64_t cookie, uint32_t pid, uint32_t tid)
{
    if (!cookie)
        return;
    ccent_t *e = &c->e[mix(0, cookie) & c->mask];
    e->cookie = cookie;
    e->pid = pid;
    e->tid = tid;
}

int apc__cc_get(const apc__cookiecache_t *c, uint64_t cookie, uint32_t *pid, uint32_t *tid)
{
    const ccent_t *e = &c->e[mix(0, cookie) & c->mask];
    if (!cookie || e->cookie != cookie)
        return 0;
    *pid = e->pid;
    *tid = e->tid;
    return 1;
}
