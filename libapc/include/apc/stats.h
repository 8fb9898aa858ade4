/* SPDX-License-Identifier: MIT */
/*
 * Statistics: totals since the last reset, and per capture (or over all captures) the totals,
 * a time series and the top entries under one key (the capture, a time range, an IP address, a
 * port, an IP protocol, a process). The numbers are kept up to date as packets are stored, so
 * an answer costs time in proportion to its size, not to the packets stored. docs/stats.md
 * says what each number counts and the time precision.
 *
 * Ownership: what comes back through an out-parameter belongs to the caller and is freed with
 * the matching apc_stats_*_free (NULL-safe). All functions are thread-safe and may block on the
 * store.
 */
#ifndef APC_STATS_H
#define APC_STATS_H

#include "ctx.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The key a STATSCAPTUREQUERY was asked for. */
enum apc_stats_key {
    APC_STATS_KEY_CAPTURE = 1,
    APC_STATS_KEY_DATE = 2,
    APC_STATS_KEY_IP = 3,
    APC_STATS_KEY_PORT = 4,
    APC_STATS_KEY_PROTOCOL = 5,
    APC_STATS_KEY_PROCESS = 6,
};

/* "capture", "date", "ip", "port", "protocol", "process"; static, never NULL. */
APC_API const char *apc_stats_key_name(int key);
/* "TCP", "UDP", "ICMP"...; "non-IP" for -1; "" when we have no name. Static. */
APC_API const char *apc_stats_protocol_name(int proto);

/* One top entry: an IP address, a port, a protocol or a process, with what it carried. */
typedef struct apc_stats_top {
    int64_t id;  /* IP: IpId; port; protocol number (-1 non-IP); process: ProcessId */
    char *value; /* the entry as text: "10.0.0.1", "443", "6", "1234" (ProcessId) */
    char *name;  /* host name, protocol name, process name; "" when unknown */
    int64_t pid; /* processes: the system pid; else 0 */
    uint64_t packets, bytes;
} apc_stats_top_t;

typedef struct apc_stats_tops {
    size_t count;
    apc_stats_top_t *items; /* most packets first */
} apc_stats_tops_t;

typedef struct apc_stats_bucket {
    apc_time_t time; /* start of the bucket */
    uint64_t packets, bytes;
} apc_stats_bucket_t;

/* STATSQUERY: everything stored since the last reset, over all captures. */
typedef struct apc_stats_totals {
    uint64_t packets, bytes;
    uint64_t captures;    /* captures started since the reset */
    uint64_t connections; /* connections opened since the reset */
    uint64_t ips;         /* distinct addresses seen since the reset */
    uint64_t processes;   /* distinct processes with attributed packets since the reset */
    uint64_t drops;       /* drops (ours and the kernel's) of captures since the reset */
    apc_time_t since;     /* the last reset; 0 = never reset */
    apc_stats_tops_t protocols, ports, ips_top, processes_top;
} apc_stats_totals_t;

APC_API int apc_stats_totals(apc_ctx_t *ctx, apc_stats_totals_t **out);
/* The same, of one node of a fleet (ours, docs/fleet.md): node NULL or "" = every node, as
 * apc_stats_totals. A name no node has is APC_ENOTFOUND; with a store of one node (SQLite) the
 * only name is this node's. Captures from before schema version 6 of a PostgreSQL store count
 * for every node but for no one node. */
APC_API int apc_stats_totals_node(apc_ctx_t *ctx, const char *node, apc_stats_totals_t **out);
APC_API void apc_stats_totals_free(apc_stats_totals_t *t);

/* Sets "since" to now and zeroes the since-reset counters; captures and their own statistics
 * stay. */
APC_API int apc_stats_reset(apc_ctx_t *ctx);

/* STATSCAPTUREQUERY. */
typedef struct apc_stats_query {
    int64_t capture_id; /* 0 = all captures since the last reset */
    int key;            /* enum apc_stats_key */
    char *value;        /* the key as text: capture id, IP address, port, protocol, process id */
    char *name;         /* host name, protocol name, process name; "" when none */
    uint64_t packets, bytes;
    apc_time_t first_time, last_time; /* first and last packet under the key */
    apc_time_t start_time, end_time;  /* span the buckets cover */
    int64_t bucket_ns;                /* width of one bucket */
    size_t nbuckets;
    apc_stats_bucket_t *buckets; /* oldest first, empty buckets included */
    apc_stats_tops_t ips, ports, protocols, processes;
    /* 1 when the buckets add up to every packet under the key. Keys that never carried a
     * share of their capture keep exact totals but no (or partial) buckets: docs/stats.md. */
    int series_complete;
} apc_stats_query_t;

APC_API void apc_stats_query_free(apc_stats_query_t *q);

/* capture_id must name a capture (APC_ENOTFOUND otherwise) or be 0: all captures since the last
 * reset. */
APC_API int apc_stats_by_capture(apc_ctx_t *ctx, int64_t capture_id, apc_stats_query_t **out);
/* [start, end] in ns since the Unix epoch; end 0 = now. APC_EINVAL if end < start. */
APC_API int apc_stats_by_date(apc_ctx_t *ctx, int64_t capture_id, apc_time_t start, apc_time_t end,
                              apc_stats_query_t **out);
/* ip: IPv4 or IPv6 text. An address never seen is APC_ENOTFOUND. */
APC_API int apc_stats_by_ip(apc_ctx_t *ctx, int64_t capture_id, const char *ip,
                            apc_stats_query_t **out);
APC_API int apc_stats_by_port(apc_ctx_t *ctx, int64_t capture_id, int port,
                              apc_stats_query_t **out);
/* proto: IP protocol number, or -1 for packets that are not IP. */
APC_API int apc_stats_by_protocol(apc_ctx_t *ctx, int64_t capture_id, int proto,
                                  apc_stats_query_t **out);
/* One process by our process_id, or (process_id 0) by system pid: the newest process with that
 * pid that has packets in the capture. */
APC_API int apc_stats_by_process(apc_ctx_t *ctx, int64_t capture_id, int64_t process_id,
                                 int64_t pid, apc_stats_query_t **out);

/* Any of the queries above, scoped to one node of a fleet (ours, docs/fleet.md). The caller owns
 * `ask` and its strings; *out is the caller's, freed with apc_stats_query_free. */
typedef struct apc_stats_ask {
    int key;            /* enum apc_stats_key: which of the queries above */
    int64_t capture_id; /* 0 = all captures since the last reset */
    /* NULL or "" = every node. Else only that node's captures (capture_id 0), or a check that
     * capture_id is that node's (APC_ENOTFOUND if not); an unknown name is APC_ENOTFOUND. */
    const char *node;
    apc_time_t start, end;   /* APC_STATS_KEY_DATE, as apc_stats_by_date */
    const char *ip;          /* APC_STATS_KEY_IP */
    int port;                /* APC_STATS_KEY_PORT */
    int proto;               /* APC_STATS_KEY_PROTOCOL */
    int64_t process_id, pid; /* APC_STATS_KEY_PROCESS, as apc_stats_by_process */
} apc_stats_ask_t;

APC_API int apc_stats_ask(apc_ctx_t *ctx, const apc_stats_ask_t *ask, apc_stats_query_t **out);

#ifdef __cplusplus
}
#endif

#endif
