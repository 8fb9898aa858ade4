/* SPDX-License-Identifier: MIT */
/*
 * Matching what the eBPF cgroup_skb programs saw with what libpcap captured. libpcap delivers a
 * packet a little after the hook fired (egress) or a little before (ingress, handled by the
 * drain-and-retry of the caller), so hook events wait here keyed by the packet's identity: the
 * 5-tuple, IPv4 id, IP length, TCP seq/ack/flags — the same header bytes on both sides.
 * Bounded (set-associative, 4 ways, oldest way replaced) and time-limited (entries older than
 * APC_PM_TTL_NS are ignored). Not thread-safe: the caller locks.
 * Also a small cookie cache: socket cookie -> owner learnt by userspace (sock_diag + /proc).
 */
#ifndef APC_ATTRIB_PKTMATCH_H
#define APC_ATTRIB_PKTMATCH_H

#include <stddef.h>
#include <stdint.h>

#include "decode/decode.h"

#define APC_PM_TTL_NS 10000000000LL /* 10 s */
#define APC_PM_WAYS 4

typedef struct apc__pmev {
    uint64_t key; /* apc__pm_key; 0 = empty slot */
    uint64_t cookie, netns;
    int64_t t_ns; /* when it was added (CLOCK_MONOTONIC) */
    uint32_t owner_pid, owner_tid, cur_pid, cur_tid;
    uint8_t dir; /* APC_EV_IN / APC_EV_OUT */
    uint8_t proto, owner_src, pad;
} apc__pmev_t;

typedef struct apc__pmtab apc__pmtab_t;

/* sets = power of two (rounded up). NULL when out of memory. */
apc__pmtab_t *apc__pm_new(size_t sets);
void apc__pm_free(apc__pmtab_t *t);

/* Identity of a packet from its header fields (addresses: 4 or 16 bytes by ver). Never 0. */
uint64_t apc__pm_key(int ver, int proto, const uint8_t *src, const uint8_t *dst, uint16_t sport,
                     uint16_t dport, uint16_t ip_id, uint32_t ip_len, uint32_t seq, uint32_t ack,
                     uint8_t tcp_flags);
/* The same from a decoded packet; 0 when it is not a first-fragment TCP/UDP packet over IP. */
uint64_t apc__pm_key_pkt(const apc__pkt_t *d);

void apc__pm_add(apc__pmtab_t *t, const apc__pmev_t *e);
/* Copies up to `max` live events with this key into out (oldest first); returns the count. */
size_t apc__pm_find(apc__pmtab_t *t, uint64_t key, int64_t now_ns, apc__pmev_t *out, size_t max);
uint64_t apc__pm_replaced(const apc__pmtab_t *t); /* live entries pushed out before use */

/* Cookie cache (direct-mapped; a newer cookie replaces an older one in its slot). */
typedef struct apc__cookiecache apc__cookiecache_t;
apc__cookiecache_t *apc__cc_new(size_t slots);
void apc__cc_free(apc__cookiecache_t *c);
void apc__cc_put(apc__cookiecache_t *c, uint64_t cookie, uint32_t pid, uint32_t tid);
int apc__cc_get(const apc__cookiecache_t *c, uint64_t cookie, uint32_t *pid, uint32_t *tid);

#endif
