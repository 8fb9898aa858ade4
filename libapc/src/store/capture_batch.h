/* SPDX-License-Identifier: MIT */
/*
 * One commit of a capture writer, as plain records: everything that changed since the last
 * commit (connections, addresses, processes, threads, counters, statistics rows) and the
 * commit record that makes the packets stored so far visible. The writer fills a batch and
 * hands it to the store in one call (apc__captures_commit, store/captures.h), which a SQL
 * backend applies in one transaction. Nothing here knows a backend: a test can read a batch
 * as it is.
 *
 * A batch is reused from commit to commit (apc__cbatch_clear keeps its memory), so a commit
 * allocates nothing once the arrays have grown to the writer's working set.
 */
#ifndef APC_STORE_CAPTURE_BATCH_H
#define APC_STORE_CAPTURE_BATCH_H

#include <stddef.h>
#include <stdint.h>

/* A connection's row: inserted the first time, its counters and state replaced after. */
typedef struct apc__st_conn {
    int64_t id; /* per capture, from 1 */
    int proto, ip_ver;
    uint8_t src[16], dst[16]; /* initiator, responder; 4 or 16 bytes used */
    int sport, dport;
    int64_t first_ns, last_ns;
    uint64_t pkts_out, bytes_out, pkts_in, bytes_in; /* out = initiator -> responder */
    int state;                                       /* enum apc_tcp_state */
    int64_t pid, tid, process_id;                    /* 0 unknown */
    uint64_t first_packet, last_packet;              /* packet ids, the search span index */
} apc__st_conn_t;

/* An address seen by the capture: its totals in this capture, and what to add to the
 * store-wide row since the last commit. */
typedef struct apc__st_ip {
    int ver; /* 4 or 6 */
    uint8_t addr[16];
    int64_t first_ns, last_ns;
    uint64_t packets, bytes, conns;             /* the capture's totals */
    uint64_t add_packets, add_bytes, add_conns; /* since the last commit */
    const char *host_name; /* a new name from DNS, or "" to keep the one stored */
} apc__st_ip_t;

/* A counter of the capture keyed by a number (process id, IP protocol or -1 for non-IP,
 * interface index): its totals, replacing the stored ones. */
typedef struct apc__st_count {
    int64_t key;
    uint64_t packets, bytes;
} apc__st_count_t;

typedef struct apc__st_thread {
    int64_t process_id, tid;
} apc__st_thread_t;

/* A statistics row to add (stats/agg.h has the kinds and levels). `level` is a bucket level
 * (0..APC__STATS_LEVELS-1) with `t` its start, or APC__ST_STAT_TOTAL for a key's totals with
 * first/last times. IP keys are given by address (ver, addr); the store turns them into its
 * ids. Each row is added both to the capture's tables and to the store-wide ones. */
#define APC__ST_STAT_TOTAL 4
/* The kind under which new_conns is added to the store-wide keys (APC__SK_CONNS of
 * stats/agg.h, which checks they agree). */
#define APC__ST_STAT_KIND_CONNS 5
typedef struct apc__st_stat {
    int kind, level, ver;
    uint8_t addr[16];
    int64_t key, t;
    uint64_t packets, bytes;
    int64_t first, last;
} apc__st_stat_t;

/* The commit record: what readers may see after this commit. */
typedef struct apc__st_progress {
    uint64_t packets, bytes;
    uint64_t seg_count, seg_bytes; /* durable extent of the packet segments */
    uint64_t progress_bytes;       /* ingests: bytes of the input consumed */
    int64_t first_ts, last_ts;
    uint64_t connections;
    uint64_t nc_first, nc_last; /* first and last packet id without a connection */
} apc__st_progress_t;

#define APC__CBATCH_ARRAY(type, name)                                                              \
    type *name;                                                                                    \
    size_t n_##name, cap_##name

typedef struct apc__cbatch {
    int64_t capture_id;
    APC__CBATCH_ARRAY(apc__st_conn_t, conns);
    APC__CBATCH_ARRAY(apc__st_ip_t, ips);
    APC__CBATCH_ARRAY(apc__st_count_t, procs);  /* capture_processes */
    APC__CBATCH_ARRAY(apc__st_count_t, protos); /* capture_protocols */
    APC__CBATCH_ARRAY(apc__st_count_t, ifaces); /* interfaces (packets; bytes unused) */
    APC__CBATCH_ARRAY(apc__st_thread_t, threads);
    APC__CBATCH_ARRAY(apc__st_stat_t, stats);
    uint64_t new_conns; /* connections opened since the last commit (store-wide statistic) */
    apc__st_progress_t progress;
    /* Set on the last commit: the capture's end state (enum apc_capture_state), its error
     * text and offset; 0 for an ordinary commit. */
    int final_state;
    const char *error;
    uint64_t error_offset;
    int64_t end_time;
    int oom; /* an append failed: the commit reports it instead of storing a partial batch */
} apc__cbatch_t;

/* Appends a record (copied, an IP's host_name too). Returns 0, or
 * -ENOMEM after which the batch is marked (oom) and the commit fails with the message. */
int apc__cbatch_conn(apc__cbatch_t *b, const apc__st_conn_t *c);
int apc__cbatch_ip(apc__cbatch_t *b, const apc__st_ip_t *ip);
int apc__cbatch_proc(apc__cbatch_t *b, int64_t process_id, uint64_t packets, uint64_t bytes);
int apc__cbatch_proto(apc__cbatch_t *b, int64_t proto, uint64_t packets, uint64_t bytes);
int apc__cbatch_iface(apc__cbatch_t *b, int64_t idx, uint64_t packets);
int apc__cbatch_thread(apc__cbatch_t *b, int64_t process_id, int64_t tid);
int apc__cbatch_stat(apc__cbatch_t *b, const apc__st_stat_t *s);

/* Empties the batch for the next commit, keeping its memory and capture id. */
void apc__cbatch_clear(apc__cbatch_t *b);
/* Frees the arrays (not b itself). */
void apc__cbatch_free(apc__cbatch_t *b);

#endif
