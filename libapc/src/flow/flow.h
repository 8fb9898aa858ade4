/* SPDX-License-Identifier: MIT */
/*
 * Connection tracking (module `flow`): bidirectional 5-tuple with the initiator side, first and
 * last time, packets and bytes each way, TCP state. A TCP SYN on a tuple whose connection has
 * ended (FIN both ways or RST) starts a new connection, as Wireshark's tcp.stream does, so our
 * counts compare with `tshark -z conv,tcp`.
 */
#ifndef APC_FLOW_H
#define APC_FLOW_H

#include <stddef.h>
#include <stdint.h>

#include "decode/decode.h"

typedef struct apc__conn {
    uint64_t id;    /* assigned from the table's counter when the connection is created */
    uint8_t ip_ver; /* 4 or 6 */
    uint8_t proto;  /* IP protocol number */
    uint8_t a_addr[16], b_addr[16]; /* a = initiator (sender of the first packet, or of the SYN) */
    uint16_t a_port, b_port;        /* 0 for protocols without ports */
    int64_t first_ns, last_ns;
    uint64_t pkts[2], bytes[2];    /* [0] a->b, [1] b->a; bytes are wire lengths */
    int tcp_state;                 /* enum apc_tcp_state (apc/capture.h) */
    int64_t pid, tid, process_ref; /* owner when known (0 otherwise); process_ref is the store's */
    int dirty;                     /* changed since the caller last cleared it */
    /* Packet ids (1-based, per capture) of its first and last stored packet: kept by the
     * capture writer, not by the flow table (0 until it stores one); the search planner's
     * span index (docs/filters.md "Planner"). */
    uint64_t first_packet, last_packet;
    /* Packets whose port and address statistics the capture writer has yet to add (its
     * pend_stats: one minute bucket at a time, stats/agg.h apc__statsagg_ends); the flow table
     * only zeroes it with the rest of a new connection. */
    struct {
        int64_t t, first, last;
        uint64_t packets, bytes;
    } st_pend;
} apc__conn_t;

typedef struct apc__flow_table apc__flow_table_t;

/* Canonical key: the (address, port) pair that sorts lower comes first, so both directions of
 * a connection hash to the same bucket. 40 bytes, no padding holes: memcmp compares it. */
typedef struct apc__flow_key {
    uint8_t lo_addr[16], hi_addr[16];
    uint16_t lo_port, hi_port;
    uint8_t ip_ver, proto;
    uint8_t pad[2];
} apc__flow_key_t;

/* A packet's lookup key and its hash, computed once by a caller that has its packets decoded
 * ahead (the file ingest) for both the cache hints and the lookup: the key and its hash were a
 * tenth of an ingest of small packets when computed twice. */
typedef struct apc__flow_lookup {
    apc__flow_key_t k;
    uint64_t hash;
    int src_lo; /* the packet's sender is the key's lo side */
    int keyed;  /* 0: the packet is not looked up by its tuple (k and hash unset) */
} apc__flow_lookup_t;

/* Called when a connection leaves the table (evicted or at apc__flow_free); the caller stores
 * it. The pointer is valid only during the call. */
typedef void (*apc__conn_evict_cb)(const apc__conn_t *c, void *payload);

/* New table whose first connection id is first_id. max_conns bounds memory: past it the least
 * recently seen connection is evicted. Returns NULL on out of memory. */
apc__flow_table_t *apc__flow_new(uint64_t first_id, size_t max_conns, apc__conn_evict_cb cb,
                                 void *payload);
/* (Added:) max_conns 0 is taken as 1; cb may be NULL. first_id should be >= 1 (0 is "none" in
 * apc_packet_t.conn_id). TCP port reuse reads apc__pkt_t.tcp_seq and tcp_ack; timeouts and the
 * fragment map are described in docs/connections.md. */

/* Tracks a decoded packet: finds or creates its connection, updates counters and TCP state.
 * *dir is set to 0 (a->b) or 1 (b->a). Returns NULL for packets that belong to no connection
 * (not IP, or a non-first fragment whose first fragment was not seen). IPv4 non-first
 * fragments are mapped through the first fragment (src, dst, proto, ip id). Connections idle
 * for longer than the timeouts (in packet time) are evicted. */
apc__conn_t *apc__flow_track(apc__flow_table_t *t, const apc__pkt_t *p, int64_t ts_ns,
                             uint32_t wirelen, int *dir);
/* The same with p's lookup as apc__flow_lookup_of gave it (lk NULL: computed here). */
apc__conn_t *apc__flow_track_at(apc__flow_table_t *t, const apc__pkt_t *p,
                                const apc__flow_lookup_t *lk, int64_t ts_ns, uint32_t wirelen,
                                int *dir);

/* Cache hints for a caller that has the next packets decoded before it tracks them (the file
 * ingest): with thousands of live connections the lookup's bucket and connection are cache
 * misses, one after the other. apc__flow_lookup_of fills p's lookup and answers its hash (0:
 * p is not looked up by its tuple, or, one in 2^64, a hash of 0 that only loses its hint);
 * stage 0 starts loading its bucket, stage 1 (a packet or two later, once the bucket has
 * arrived) the connection the bucket points to. They read the table, change nothing and may be
 * stale (the table grows, connections go): a hint, never a result. */
uint64_t apc__flow_lookup_of(const apc__pkt_t *p, apc__flow_lookup_t *lk);
void apc__flow_hint(const apc__flow_table_t *t, uint64_t key, int stage);

/* Calls cb for every connection in the table (order unspecified). */
void apc__flow_foreach(apc__flow_table_t *t, apc__conn_evict_cb cb, void *payload);
/* Number of connections in the table now. */
size_t apc__flow_count(const apc__flow_table_t *t);
/* Next id the table would assign. */
uint64_t apc__flow_next_id(const apc__flow_table_t *t);
/* Evicts every connection (calling the evict callback) and frees the table. NULL-safe. */
void apc__flow_free(apc__flow_table_t *t);
/* Frees the table without the evict callback: for a caller that has stored every connection
 * already (the capture writer's final commit). NULL-safe. */
void apc__flow_discard(apc__flow_table_t *t);

#endif
