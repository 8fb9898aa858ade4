/* SPDX-License-Identifier: MIT */
/*
 * The statistics aggregator of one capture writer: counts every stored packet under each key
 * (all, source/destination IP, ports, IP protocol, process) in 1-second buckets in memory, and
 * at each commit rolls them up to 1 min / 1 h / 1 day buckets and adds them to the stats tables
 * (per capture and since the last reset). Memory holds only what arrived since the last
 * commit. docs/stats.md describes the tables and the precision a user gets.
 */
#ifndef APC_STATS_AGG_H
#define APC_STATS_AGG_H

#include <stdint.h>

#include "decode/decode.h"
#include "store/capture_batch.h"

typedef struct apc__statsagg apc__statsagg_t;

/* NULL when out of memory. */
apc__statsagg_t *apc__statsagg_new(int64_t capture_id);

/* Counts one stored packet: `d` its decoding, `wirelen` its length on the wire, `process_id`
 * ours (0 unknown), `new_conn` 1 when the packet opened a connection. `ends` 1 counts it under
 * its ports and addresses too; 0 leaves those to the caller, who adds them per connection with
 * apc__statsagg_ends. No allocation unless the table of this commit's buckets must grow; that
 * failure is reported by the next commit. */
void apc__statsagg_packet(apc__statsagg_t *a, const apc__pkt_t *d, int64_t ts_ns, uint32_t wirelen,
                          int64_t process_id, int new_conn, int ends);

/*
 * The port and address keys of some packets of one TCP or UDP connection, all in one key bucket
 * (apc__statsagg_key_bucket), counted by the caller: a packet touches its connection anyway, so
 * the table of keys (megabytes with thousands of live flows: a cache miss per probe) is probed
 * once per connection and minute instead of four times per packet. The result is the same as
 * apc__statsagg_packet with `ends` 1 for each of these packets. Must be added before the
 * commit that covers the packets.
 */
typedef struct apc__stats_ends {
    int ip_ver;                   /* 4 or 6 */
    const uint8_t *addr1, *addr2; /* the two ends' addresses (4 or 16 bytes) */
    uint16_t port1, port2;        /* the two ends' ports */
    int64_t t;                    /* key bucket start, ns */
    int64_t first, last;          /* first and last packet time, ns */
    uint64_t packets, bytes;      /* bytes: wire lengths */
} apc__stats_ends_t;
void apc__statsagg_ends(apc__statsagg_t *a, const apc__stats_ends_t *e);
/* Start of the key bucket (1 min, APC__STATS_KEY_LEVEL) of a packet at ts_ns. */
int64_t apc__statsagg_key_bucket(int64_t ts_ns);

/* Adds what was counted since the last commit to the writer's commit batch, as statistics
 * rows (IP keys by address: the store maps them to its ids). 0 or < 0 (message set). */
int apc__statsagg_commit(apc__statsagg_t *a, apc__cbatch_t *b);

/* At the end of a capture: writes the held-back series of keys that never reached
 * APC__STATS_SERIES_MIN packets, the APC__STATS_HELD_MAX largest of them per capture (so a
 * scan of many thousands of addresses or ports keeps exact totals without a row per key and
 * minute), into the last commit's batch, after apc__statsagg_commit. */
int apc__statsagg_finish(apc__statsagg_t *a, apc__cbatch_t *b);
#define APC__STATS_HELD_MAX 256

void apc__statsagg_free(apc__statsagg_t *a);

/* Bucket levels and their widths in ns (shared with the queries). */
enum { APC__STATS_LEVELS = 4 };
extern const int64_t apc__stats_level_ns[APC__STATS_LEVELS];

enum apc__stats_kind {
    APC__SK_ALL = 0,
    APC__SK_IP = 1,
    APC__SK_PORT = 2,
    APC__SK_PROTO = 3,
    APC__SK_PROCESS = 4,
    APC__SK_CONNS = 5, /* stats_global_keys only: connections opened */
};

/* Ports at or above this have totals but no time series: they are the ephemeral (client) side
 * of connections, one per connection, and a series each would outgrow the packets' metadata. */
#define APC__STATS_SERIES_PORT_MAX 32768
/* Keys (addresses, ports, protocols, processes) are counted in buckets of this level (1 min). */
#define APC__STATS_KEY_LEVEL 1
/* A key gets series rows once it has this many packets and 1/SHARE of the capture's. */
#define APC__STATS_SERIES_MIN 8
#define APC__STATS_SERIES_SHARE 1000

#endif
