/* SPDX-License-Identifier: MIT */
/*
 * IPv4 fragment map. A datagram is identified by (source, destination, protocol,
 * identification) (RFC 791 section 3.2); only its first fragment carries the transport
 * header, so we remember which connection that first fragment went to and file the later
 * fragments under it. The map is small and bounded: a fixed array probed over a short window,
 * where the oldest entry of the window makes room. Entries older than the reassembly timeout
 * (30 s, Linux's ipfrag_time default) are ignored.
 */
#include <stdlib.h>
#include <string.h>

#include "flow/flow_int.h"

#define FRAG_SLOTS 1024 /* power of two */
#define FRAG_PROBE 8
#define FRAG_TIMEOUT_NS (30LL * 1000000000LL)

typedef struct frag_entry {
    uint8_t src[4], dst[4];
    uint16_t ip_id;
    uint8_t proto, used;
    uint64_t conn_id;
    apc__flow_node_t *node;
    int64_t ts_ns;
} frag_entry_t;

struct apc__flow_frag_map {
    frag_entry_t e[FRAG_SLOTS];
};

apc__flow_frag_map_t *apc__flow_frag_new(void)
{
    return calloc(1, sizeof(apc__flow_frag_map_t));
}

void apc__flow_frag_free(apc__flow_frag_map_t *m)
{
    free(m);
}

static size_t slot_of(const apc__pkt_t *p)
{
    uint32_t s, d;
    memcpy(&s, p->src, 4);
    memcpy(&d, p->dst, 4);
    uint64_t h = ((uint64_t)s * 0x9e3779b1u) ^ ((uint64_t)d * 0x85ebca77u) ^
                 ((uint64_t)p->ip_id << 8) ^ p->ip_proto;
    h ^= h >> 17;
    h *= 0xed5ad4bbu;
    h ^= h >> 11;
    return (size_t)h & (FRAG_SLOTS - 1);
}

static int same(const frag_entry_t *e, const apc__pkt_t *p)
{
    return e->used && e->ip_id == p->ip_id && e->proto == p->ip_proto &&
           memcmp(e->src, p->src, 4) == 0 && memcmp(e->dst, p->dst, 4) == 0;
}

void apc__flow_frag_put(apc__flow_frag_map_t *m, const apc__pkt_t *p, apc__flow_node_t *n,
                        int64_t ts_ns)
{
    size_t base = slot_of(p);
    frag_entry_t *victim = NULL;
    for (size_t i = 0; i < FRAG_PROBE; i++) {
        frag_entry_t *e = &m->e[(base + i) & (FRAG_SLOTS - 1)];
        if (!e->used || same(e, p)) {
            victim = e;
            break;
        }
        if (!victim || e->ts_ns < victim->ts_ns)
            victim = e;
    }
    memcpy(victim->src, p->src, 4);
    memcpy(victim->dst, p->dst, 4);
    victim->ip_id = p->ip_id;
    victim->proto = p->ip_proto;
    victim->used = 1;
    victim->conn_id = n->c.id;
    victim->node = n;
    victim->ts_ns = ts_ns;
}

apc__flow_node_t *apc__flow_frag_get(apc__flow_frag_map_t *m, const apc__pkt_t *p, int64_t ts_ns)
{
    size_t base = slot_of(p);
    for (size_t i = 0; i < FRAG_PROBE; i++) {
        frag_entry_t *e = &m->e[(base + i) & (FRAG_SLOTS - 1)];
        if (!same(e, p))
            continue;
        if (ts_ns - e->ts_ns > FRAG_TIMEOUT_NS || !e->node->live || e->node->c.id != e->conn_id) {
            e->used = 0; /* timed out, or its connection was evicted */
            return NULL;
        }
        return e->node;
    }
    return NULL;
}
