/* SPDX-License-Identifier: MIT */
/* Internals of module `flow` shared by its .c files; nothing outside libapc/src/flow uses it. */
#ifndef APC_FLOW_INT_H
#define APC_FLOW_INT_H

#include <stdint.h>

#include "flow/flow.h"

/* TCP flag bits (RFC 9293 section 3.1). */
#define APC__TH_FIN 0x01
#define APC__TH_SYN 0x02
#define APC__TH_RST 0x04
#define APC__TH_ACK 0x10

/* Timeouts in packet time (docs/connections.md). */
#define APC__FLOW_IDLE_NS (600LL * 1000000000LL) /* any connection idle 10 minutes */
/* 60 s after FIN both ways or RST: Linux keeps TIME_WAIT that long (2 MSL); a late
 * retransmission still finds its connection, and a busy capture holds a minute of closed
 * connections, not two (the table reaches its steady state sooner: docs/connections.md). */
#define APC__FLOW_CLOSED_NS (60LL * 1000000000LL)

typedef struct apc__flow_node {
    apc__conn_t c; /* first: callers get &node->c */
    apc__flow_key_t k;
    uint64_t hash;
    struct apc__flow_node *hnext;         /* hash chain, or free list when unused */
    struct apc__flow_node *lprev, *lnext; /* recency list: head is the most recently seen */
    uint8_t a_is_lo;                      /* initiator is the key's lo side */
    uint8_t closed_list;                  /* on the closed list (CLOSED/RESET) */
    uint8_t live;                         /* in the table (not on the free list) */
    /* TCP: per direction (0 a->b, 1 b->a) what Wireshark calls the base sequence number, used
     * to tell a new SYN (port reuse) from a retransmitted one. */
    uint8_t base_set[2];
    uint8_t fin_seen[2];
    uint32_t base_seq[2];
} apc__flow_node_t;

/* TCP (flow_tcp.c). */
/* Initial state and initiator of a connection created by packet p: returns 1 when the
 * receiver of p is the initiator (p is a SYN-ACK), 0 when its sender is. */
int apc__flow_tcp_receiver_initiates(const apc__pkt_t *p);
int apc__flow_tcp_initial_state(const apc__pkt_t *p);
/* 1 if p (sent in direction dir of n) is a SYN that starts a new connection on n's tuple. */
int apc__flow_tcp_is_new_syn(const apc__flow_node_t *n, const apc__pkt_t *p, int dir);
/* Applies p (direction dir) to n's TCP state and base sequence numbers. */
void apc__flow_tcp_update(apc__flow_node_t *n, const apc__pkt_t *p, int dir);

/* IPv4 fragment map (flow_frag.c): first fragment (src, dst, proto, ip id) -> connection. */
typedef struct apc__flow_frag_map apc__flow_frag_map_t;
apc__flow_frag_map_t *apc__flow_frag_new(void);
void apc__flow_frag_free(apc__flow_frag_map_t *m);
void apc__flow_frag_put(apc__flow_frag_map_t *m, const apc__pkt_t *p, apc__flow_node_t *n,
                        int64_t ts_ns);
/* The live connection the fragment's datagram belongs to, or NULL. An entry remembers the
 * node and its connection id; a node evicted since (id 0 or reused with another id) no longer
 * matches, so eviction needs no walk of the map. */
apc__flow_node_t *apc__flow_frag_get(apc__flow_frag_map_t *m, const apc__pkt_t *p, int64_t ts_ns);

#endif
