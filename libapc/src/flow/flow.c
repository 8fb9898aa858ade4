/* SPDX-License-Identifier: MIT */
/*
 * Connection table: a chained hash table over canonical 5-tuples, nodes carved from slabs and
 * recycled through a free list (the only allocation on the packet path is a new slab, at most
 * once per 1024 new connections), and two recency lists (open, and CLOSED/RESET) whose tails
 * are the least recently seen, so timeouts and the max_conns bound evict in O(1).
 */
#include <stdlib.h>
#include <string.h>

#include <apc/capture.h>

#include "flow/flow_int.h"
#include "util/prefault.h"

#define SLAB_NODES 1024
#define MIN_BUCKETS 256

typedef struct node_list {
    apc__flow_node_t *head, *tail;
} node_list_t;

struct apc__flow_table {
    uint64_t next_id;
    size_t max_conns, count, allocated;
    apc__conn_evict_cb cb;
    void *payload;
    apc__flow_node_t **buckets;
    size_t nbuckets; /* power of two */
    apc__flow_node_t *free_nodes;
    apc__flow_node_t **slabs;
    size_t nslabs, slabs_cap;
    node_list_t open, closed;
    apc__flow_frag_map_t *frags;
};

static uint64_t mix64(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

static uint64_t key_hash(const apc__flow_key_t *k)
{
    uint64_t w[5], h = 0x9e3779b97f4a7c15ULL;
    memcpy(w, k, sizeof(w));
    for (int i = 0; i < 5; i++)
        h = (h ^ w[i]) * 0x100000001b3ULL + (h >> 29);
    return mix64(h);
}

_Static_assert(sizeof(apc__flow_key_t) == 40, "flow key must be 5 words, no holes");

static int has_ports(uint8_t proto)
{
    return proto == 6 || proto == 17; /* TCP, UDP: the ports decode.h gives us */
}

/* Builds the canonical key for p; returns 1 if p's sender is the key's lo side. */
static int make_key(apc__flow_key_t *k, const apc__pkt_t *p)
{
    size_t alen = p->ip_ver == 4 ? 4 : 16;
    uint16_t sp = 0, dp = 0;
    memset(k, 0, sizeof(*k));
    if (has_ports(p->ip_proto)) {
        sp = p->sport;
        dp = p->dport;
    }
    int c = memcmp(p->src, p->dst, alen);
    int src_lo = c < 0 || (c == 0 && sp <= dp);
    memcpy(k->lo_addr, src_lo ? p->src : p->dst, alen);
    memcpy(k->hi_addr, src_lo ? p->dst : p->src, alen);
    k->lo_port = src_lo ? sp : dp;
    k->hi_port = src_lo ? dp : sp;
    k->ip_ver = p->ip_ver;
    k->proto = p->ip_proto;
    return src_lo;
}

static void list_unlink(node_list_t *l, apc__flow_node_t *n)
{
    if (n->lprev)
        n->lprev->lnext = n->lnext;
    else
        l->head = n->lnext;
    if (n->lnext)
        n->lnext->lprev = n->lprev;
    else
        l->tail = n->lprev;
    n->lprev = n->lnext = NULL;
}

static void list_push_head(node_list_t *l, apc__flow_node_t *n)
{
    n->lprev = NULL;
    n->lnext = l->head;
    if (l->head)
        l->head->lprev = n;
    else
        l->tail = n;
    l->head = n;
}

static node_list_t *list_of(apc__flow_table_t *t, const apc__flow_node_t *n)
{
    return n->closed_list ? &t->closed : &t->open;
}

static void evict(apc__flow_table_t *t, apc__flow_node_t *n)
{
    if (t->cb)
        t->cb(&n->c, t->payload);
    apc__flow_node_t **pp = &t->buckets[n->hash & (t->nbuckets - 1)];
    while (*pp && *pp != n)
        pp = &(*pp)->hnext;
    if (*pp)
        *pp = n->hnext;
    list_unlink(list_of(t, n), n);
    n->live = 0; /* stale fragment-map entries stop matching */
    n->hnext = t->free_nodes;
    t->free_nodes = n;
    t->count--;
}

/* The least recently seen of the two list tails. */
static apc__flow_node_t *oldest(apc__flow_table_t *t)
{
    apc__flow_node_t *o = t->open.tail, *c = t->closed.tail;
    if (!o)
        return c;
    if (!c)
        return o;
    return c->c.last_ns < o->c.last_ns ? c : o;
}

static void expire(apc__flow_table_t *t, int64_t now)
{
    while (t->open.tail && now - t->open.tail->c.last_ns > APC__FLOW_IDLE_NS)
        evict(t, t->open.tail);
    while (t->closed.tail && now - t->closed.tail->c.last_ns > APC__FLOW_CLOSED_NS)
        evict(t, t->closed.tail);
}

/* At most one connection per two buckets: every node a lookup walks past is a cache miss once
 * tens of thousands of connections are in the table (closed ones stay 2 minutes). */
static void maybe_grow(apc__flow_table_t *t)
{
    if (t->count * 2 <= t->nbuckets)
        return;
    size_t nb = t->nbuckets * 2;
    apc__flow_node_t **b = apc__calloc_mapped(nb, sizeof(*b));
    if (!b)
        return; /* longer chains, still correct */
    for (size_t i = 0; i < t->nbuckets; i++) {
        apc__flow_node_t *n = t->buckets[i], *next;
        for (; n; n = next) {
            next = n->hnext;
            apc__flow_node_t **slot = &b[n->hash & (nb - 1)];
            n->hnext = *slot;
            *slot = n;
        }
    }
    free(t->buckets);
    t->buckets = b;
    t->nbuckets = nb;
}

static apc__flow_node_t *alloc_node(apc__flow_table_t *t)
{
    if (t->count >= t->max_conns)
        evict(t, oldest(t));
    if (!t->free_nodes) {
        size_t want = t->max_conns - t->allocated;
        if (want > SLAB_NODES)
            want = SLAB_NODES;
        if (want == 0)
            return NULL;
        if (t->nslabs == t->slabs_cap) {
            size_t cap = t->slabs_cap ? t->slabs_cap * 2 : 8;
            apc__flow_node_t **s = realloc(t->slabs, cap * sizeof(*s));
            if (!s)
                return NULL;
            t->slabs = s;
            t->slabs_cap = cap;
        }
        apc__flow_node_t *slab = apc__calloc_mapped(want, sizeof(*slab));
        if (!slab)
            return NULL;
        t->slabs[t->nslabs++] = slab;
        t->allocated += want;
        for (size_t i = want; i-- > 0;) {
            slab[i].hnext = t->free_nodes;
            t->free_nodes = &slab[i];
        }
    }
    apc__flow_node_t *n = t->free_nodes;
    t->free_nodes = n->hnext;
    memset(n, 0, sizeof(*n));
    return n;
}

static apc__flow_node_t *create(apc__flow_table_t *t, const apc__flow_key_t *k, uint64_t hash,
                                const apc__pkt_t *p, int src_lo, int64_t ts)
{
    apc__flow_node_t *n = alloc_node(t);
    if (!n)
        return NULL;
    size_t alen = p->ip_ver == 4 ? 4 : 16;
    int rx_init = p->ip_proto == 6 && apc__flow_tcp_receiver_initiates(p);
    n->k = *k;
    n->hash = hash;
    n->live = 1;
    n->a_is_lo = rx_init ? !src_lo : src_lo;
    apc__conn_t *c = &n->c;
    c->id = t->next_id++;
    c->ip_ver = p->ip_ver;
    c->proto = p->ip_proto;
    memcpy(c->a_addr, rx_init ? p->dst : p->src, alen);
    memcpy(c->b_addr, rx_init ? p->src : p->dst, alen);
    if (has_ports(p->ip_proto)) {
        c->a_port = rx_init ? p->dport : p->sport;
        c->b_port = rx_init ? p->sport : p->dport;
    }
    c->first_ns = c->last_ns = ts;
    c->tcp_state = p->ip_proto == 6 ? apc__flow_tcp_initial_state(p) : APC_TCP_NONE;
    apc__flow_node_t **slot = &t->buckets[hash & (t->nbuckets - 1)];
    n->hnext = *slot;
    *slot = n;
    list_push_head(&t->open, n);
    t->count++;
    maybe_grow(t);
    return n;
}

static void account(apc__flow_table_t *t, apc__flow_node_t *n, int d, int64_t ts, uint32_t wirelen)
{
    n->c.pkts[d]++;
    n->c.bytes[d] += wirelen;
    if (ts > n->c.last_ns)
        n->c.last_ns = ts;
    n->c.dirty = 1;
    node_list_t *l = list_of(t, n);
    if (l->head != n) {
        list_unlink(l, n);
        list_push_head(l, n);
    }
}

apc__flow_table_t *apc__flow_new(uint64_t first_id, size_t max_conns, apc__conn_evict_cb cb,
                                 void *payload)
{
    apc__flow_table_t *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    t->next_id = first_id;
    t->max_conns = max_conns ? max_conns : 1;
    t->cb = cb;
    t->payload = payload;
    t->nbuckets = MIN_BUCKETS;
    t->buckets = calloc(t->nbuckets, sizeof(*t->buckets));
    t->frags = apc__flow_frag_new();
    if (!t->buckets || !t->frags) {
        apc__flow_free(t);
        return NULL;
    }
    return t;
}

uint64_t apc__flow_lookup_of(const apc__pkt_t *p, apc__flow_lookup_t *lk)
{
    lk->keyed = 0;
    lk->hash = 0;
    if (!p || (p->ip_ver != 4 && p->ip_ver != 6) || (p->is_fragment && p->frag_offset != 0) ||
        (has_ports(p->ip_proto) && !p->has_l4))
        return 0;
    lk->src_lo = make_key(&lk->k, p);
    lk->hash = key_hash(&lk->k);
    lk->keyed = 1;
    return lk->hash;
}

void apc__flow_hint(const apc__flow_table_t *t, uint64_t key, int stage)
{
    if (!t || !key)
        return;
    apc__flow_node_t *const *b = &t->buckets[key & (t->nbuckets - 1)];
    if (stage == 0) {
        __builtin_prefetch(b);
        return;
    }
    const apc__flow_node_t *n = *b;
    if (n) {
        __builtin_prefetch(&n->hash);   /* the compare, with the key and chain link */
        __builtin_prefetch(&n->c.pkts); /* the counters account() adds to */
    }
}

apc__conn_t *apc__flow_track(apc__flow_table_t *t, const apc__pkt_t *p, int64_t ts_ns,
                             uint32_t wirelen, int *dir)
{
    return apc__flow_track_at(t, p, NULL, ts_ns, wirelen, dir);
}

apc__conn_t *apc__flow_track_at(apc__flow_table_t *t, const apc__pkt_t *p,
                                const apc__flow_lookup_t *lk, int64_t ts_ns, uint32_t wirelen,
                                int *dir)
{
    if (dir)
        *dir = 0;
    if (!t || !p || (p->ip_ver != 4 && p->ip_ver != 6))
        return NULL;
    expire(t, ts_ns);

    if (p->is_fragment && p->frag_offset != 0) {
        /* A later fragment has no transport header: only the first fragment's entry says
         * which connection it belongs to (IPv4 only, see docs/connections.md). */
        apc__flow_node_t *n = p->ip_ver == 4 ? apc__flow_frag_get(t->frags, p, ts_ns) : NULL;
        if (!n)
            return NULL;
        int d = memcmp(p->src, n->c.a_addr, 4) == 0 ? 0 : 1;
        account(t, n, d, ts_ns, wirelen);
        if (dir)
            *dir = d;
        return &n->c;
    }
    if (has_ports(p->ip_proto) && !p->has_l4)
        return NULL; /* truncated transport header: no tuple to file it under */

    apc__flow_lookup_t own;
    if (!lk || !lk->keyed) {
        apc__flow_lookup_of(p, &own);
        lk = &own;
    }
    const apc__flow_key_t *k = &lk->k;
    int src_lo = lk->src_lo;
    uint64_t h = lk->hash;
    apc__flow_node_t *n = t->buckets[h & (t->nbuckets - 1)];
    while (n && (n->hash != h || memcmp(&n->k, k, sizeof(*k)) != 0))
        n = n->hnext;
    int d = 0;
    if (n) {
        d = src_lo == n->a_is_lo ? 0 : 1;
        if (p->ip_proto == 6 && apc__flow_tcp_is_new_syn(n, p, d)) {
            evict(t, n);
            n = NULL;
        }
    }
    if (!n) {
        n = create(t, k, h, p, src_lo, ts_ns);
        if (!n)
            return NULL;
        d = src_lo == n->a_is_lo ? 0 : 1;
    }
    account(t, n, d, ts_ns, wirelen);
    if (p->ip_proto == 6) {
        apc__flow_tcp_update(n, p, d);
        int closed = n->c.tcp_state == APC_TCP_CLOSED || n->c.tcp_state == APC_TCP_RESET;
        if (closed && !n->closed_list) {
            list_unlink(&t->open, n);
            n->closed_list = 1;
            list_push_head(&t->closed, n);
        }
    }
    if (p->is_fragment && p->ip_ver == 4)
        apc__flow_frag_put(t->frags, p, n, ts_ns);
    if (dir)
        *dir = d;
    return &n->c;
}

void apc__flow_foreach(apc__flow_table_t *t, apc__conn_evict_cb cb, void *payload)
{
    if (!t || !cb)
        return;
    for (apc__flow_node_t *n = t->open.head; n; n = n->lnext)
        cb(&n->c, payload);
    for (apc__flow_node_t *n = t->closed.head; n; n = n->lnext)
        cb(&n->c, payload);
}

size_t apc__flow_count(const apc__flow_table_t *t)
{
    return t ? t->count : 0;
}

uint64_t apc__flow_next_id(const apc__flow_table_t *t)
{
    return t ? t->next_id : 0;
}

void apc__flow_free(apc__flow_table_t *t)
{
    if (!t)
        return;
    if (t->buckets) {
        /* Oldest first, so a caller that stores them sees them in the order they went quiet. */
        apc__flow_node_t *n;
        while ((n = oldest(t)) != NULL)
            evict(t, n);
    }
    apc__flow_discard(t);
}

void apc__flow_discard(apc__flow_table_t *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->nslabs; i++)
        free(t->slabs[i]);
    free(t->slabs);
    free(t->buckets);
    apc__flow_frag_free(t->frags);
    free(t);
}
