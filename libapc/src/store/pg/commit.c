/* SPDX-License-Identifier: MIT */
/*
 * PostgreSQL backend: one capture writer commit (store/capture_batch.h) in one transaction,
 * sent as one pipeline (apc__pg_pipe_*): every row is its own parameterised statement, but
 * they travel together and the server answers them together, so a commit costs a round trip
 * or two whatever its size, as SQLite's commit.c costs one transaction. Per-row statements
 * rather than multi-row INSERTs because the upserts may meet the same key twice in a batch
 * (a multi-row ON CONFLICT DO UPDATE refuses that). Statistics rows keyed by an address find
 * its ips.id with a sub-select: the address was upserted earlier in the same pipeline.
 */
#include "core/error.h"
#include "store/pg/pg_int.h"

static void send_conns(apc__pg_pipe_t *p, const apc__cbatch_t *b, int64_t node)
{
    for (size_t i = 0; i < b->n_conns; i++) {
        const apc__st_conn_t *k = &b->conns[i];
        size_t alen = k->ip_ver == 4 ? 4 : 16;
        apc__pg_pipe_send(
            p,
            "INSERT INTO connections(node, capture_id, id, proto, ip_ver, src, dst, sport, dport, "
            "first_time, last_time, pkts_out, bytes_out, pkts_in, bytes_in, state, pid, tid, "
            "process_id, first_packet, last_packet) VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,"
            "$12,$13,$14,$15,$16,$17,$18,$19,$20,$21) ON CONFLICT(capture_id, id) DO UPDATE SET "
            "last_time=excluded.last_time, last_packet=excluded.last_packet,"
            "pkts_out=excluded.pkts_out, bytes_out=excluded.bytes_out,"
            "pkts_in=excluded.pkts_in, bytes_in=excluded.bytes_in, state=excluded.state,"
            "pid=excluded.pid, tid=excluded.tid, process_id=excluded.process_id",
            "iiiiibbiiiiiiiiiiiiii", node, b->capture_id, k->id, (int64_t)k->proto,
            (int64_t)k->ip_ver, k->src, alen, k->dst, alen, (int64_t)k->sport, (int64_t)k->dport,
            k->first_ns, k->last_ns, (int64_t)k->pkts_out, (int64_t)k->bytes_out,
            (int64_t)k->pkts_in, (int64_t)k->bytes_in, (int64_t)k->state, k->pid, k->tid,
            k->process_id, (int64_t)k->first_packet, (int64_t)k->last_packet);
    }
}

static void send_ips(apc__pg_pipe_t *p, const apc__cbatch_t *b, int64_t node)
{
    for (size_t i = 0; i < b->n_ips; i++) {
        const apc__st_ip_t *e = &b->ips[i];
        const char *hn = e->host_name ? e->host_name : "";
        size_t alen = e->ver == 4 ? 4 : 16;
        apc__pg_pipe_send(
            p,
            "INSERT INTO ips(addr, family, first_seen, last_seen, packets, bytes, connections, "
            "host_name) VALUES($1,$2,$3,$4,$5,$6,$7,$8) ON CONFLICT(addr) DO UPDATE SET "
            "first_seen=CASE WHEN ips.first_seen=0 OR excluded.first_seen<ips.first_seen "
            "THEN excluded.first_seen ELSE ips.first_seen END,"
            "last_seen=greatest(ips.last_seen, excluded.last_seen),"
            "packets=ips.packets+excluded.packets, bytes=ips.bytes+excluded.bytes,"
            "connections=ips.connections+excluded.connections,"
            "host_name=CASE WHEN excluded.host_name<>'' THEN excluded.host_name "
            "ELSE ips.host_name END",
            "biiiiiit", e->addr, alen, (int64_t)e->ver, e->first_ns, e->last_ns,
            (int64_t)e->add_packets, (int64_t)e->add_bytes, (int64_t)e->add_conns, hn);
        apc__pg_pipe_send(
            p,
            "INSERT INTO capture_ips(node, capture_id, ip_id, host_name, first_seen, last_seen, "
            "packets, bytes, connections) VALUES($1,$2,(SELECT id FROM ips WHERE addr=$3),$4,$5,"
            "$6,$7,$8,$9) ON CONFLICT(capture_id, ip_id) DO UPDATE SET "
            "host_name=CASE WHEN excluded.host_name<>'' THEN excluded.host_name "
            "ELSE capture_ips.host_name END, first_seen=excluded.first_seen,"
            "last_seen=excluded.last_seen, packets=excluded.packets, bytes=excluded.bytes,"
            "connections=excluded.connections",
            "iibtiiiii", node, b->capture_id, e->addr, alen, hn, e->first_ns, e->last_ns,
            (int64_t)e->packets, (int64_t)e->bytes, (int64_t)e->conns);
    }
}

static void send_counts(apc__pg_pipe_t *p, const apc__cbatch_t *b, int64_t node)
{
    for (size_t i = 0; i < b->n_procs; i++)
        apc__pg_pipe_send(p,
                          "INSERT INTO capture_processes(node, capture_id, process_id, packets, "
                          "bytes) VALUES($1,$2,$3,$4,$5) ON CONFLICT(capture_id, process_id) DO "
                          "UPDATE SET packets=excluded.packets, bytes=excluded.bytes",
                          "iiiii", node, b->capture_id, b->procs[i].key,
                          (int64_t)b->procs[i].packets, (int64_t)b->procs[i].bytes);
    for (size_t i = 0; i < b->n_protos; i++)
        apc__pg_pipe_send(p,
                          "INSERT INTO capture_protocols(node, capture_id, proto, packets, bytes) "
                          "VALUES($1,$2,$3,$4,$5) ON CONFLICT(capture_id, proto) DO UPDATE SET "
                          "packets=excluded.packets, bytes=excluded.bytes",
                          "iiiii", node, b->capture_id, b->protos[i].key,
                          (int64_t)b->protos[i].packets, (int64_t)b->protos[i].bytes);
    for (size_t i = 0; i < b->n_ifaces; i++)
        apc__pg_pipe_send(p, "UPDATE interfaces SET packets=$1 WHERE capture_id=$2 AND idx=$3",
                          "iii", (int64_t)b->ifaces[i].packets, b->capture_id, b->ifaces[i].key);
    for (size_t i = 0; i < b->n_threads; i++)
        apc__pg_pipe_send(p,
                          "INSERT INTO threads(process_id, tid) VALUES($1,$2) "
                          "ON CONFLICT DO NOTHING",
                          "ii", b->threads[i].process_id, b->threads[i].tid);
}

#define SERIES_UPSERT(t, k)                                                                        \
    " ON CONFLICT(" k ") DO UPDATE SET packets=" t ".packets+excluded.packets,"                    \
    " bytes=" t ".bytes+excluded.bytes"
#define KEYS_UPSERT(t, k)                                                                          \
    SERIES_UPSERT(t, k)                                                                            \
    ", first_time=least(" t ".first_time, excluded.first_time),"                                   \
    " last_time=greatest(" t ".last_time, excluded.last_time)"

/* A statistics row into the capture's table and the store-wide one. The key is a parameter,
 * or for IP keys the address's ips.id found by the statement. */
static void send_stat(apc__pg_pipe_t *p, const apc__cbatch_t *b, int64_t node,
                      const apc__st_stat_t *e)
{
    size_t alen = e->ver == 4 ? 4 : 16;
    int ip = e->ver != 0;
    if (e->level == APC__ST_STAT_TOTAL) {
        static const char *const cap[2] = {
            "INSERT INTO stats_keys(node, capture_id, kind, key, packets, bytes, first_time, "
            "last_time) VALUES($1,$2,$3,$4,$5,$6,$7,$8)" KEYS_UPSERT("stats_keys",
                                                                     "capture_id, kind, key"),
            "INSERT INTO stats_keys(node, capture_id, kind, key, packets, bytes, first_time, "
            "last_time) VALUES($1,$2,$3,(SELECT id FROM ips WHERE "
            "addr=$4),$5,$6,$7,$8)" KEYS_UPSERT("stats_keys", "capture_id, kind, key"),
        };
        static const char *const glob[2] = {
            "INSERT INTO stats_global_keys(kind, key, packets, bytes, first_time, last_time) "
            "VALUES($1,$2,$3,$4,$5,$6)" KEYS_UPSERT("stats_global_keys", "kind, key"),
            "INSERT INTO stats_global_keys(kind, key, packets, bytes, first_time, last_time) "
            "VALUES($1,(SELECT id FROM ips WHERE addr=$2),$3,$4,$5,$6)" KEYS_UPSERT(
                "stats_global_keys", "kind, key"),
        };
        if (ip) {
            apc__pg_pipe_send(p, cap[1], "iiibiiii", node, b->capture_id, (int64_t)e->kind, e->addr,
                              alen, (int64_t)e->packets, (int64_t)e->bytes, e->first, e->last);
            apc__pg_pipe_send(p, glob[1], "ibiiii", (int64_t)e->kind, e->addr, alen,
                              (int64_t)e->packets, (int64_t)e->bytes, e->first, e->last);
        } else {
            apc__pg_pipe_send(p, cap[0], "iiiiiiii", node, b->capture_id, (int64_t)e->kind, e->key,
                              (int64_t)e->packets, (int64_t)e->bytes, e->first, e->last);
            apc__pg_pipe_send(p, glob[0], "iiiiii", (int64_t)e->kind, e->key, (int64_t)e->packets,
                              (int64_t)e->bytes, e->first, e->last);
        }
        return;
    }
    static const char *const cap[2] = {
        "INSERT INTO stats_series(node, capture_id, kind, key, level, t, packets, bytes) "
        "VALUES($1,$2,$3,$4,$5,$6,$7,$8)" SERIES_UPSERT("stats_series",
                                                        "capture_id, kind, key, level, t"),
        "INSERT INTO stats_series(node, capture_id, kind, key, level, t, packets, bytes) "
        "VALUES($1,$2,$3,(SELECT id FROM ips WHERE addr=$4),$5,$6,$7,$8)" SERIES_UPSERT(
            "stats_series", "capture_id, kind, key, level, t"),
    };
    static const char *const glob[2] = {
        "INSERT INTO stats_global_series(kind, key, level, t, packets, bytes) "
        "VALUES($1,$2,$3,$4,$5,$6)" SERIES_UPSERT("stats_global_series", "kind, key, level, t"),
        "INSERT INTO stats_global_series(kind, key, level, t, packets, bytes) "
        "VALUES($1,(SELECT id FROM ips WHERE addr=$2),$3,$4,$5,$6)" SERIES_UPSERT(
            "stats_global_series", "kind, key, level, t"),
    };
    if (ip) {
        apc__pg_pipe_send(p, cap[1], "iiibiiii", node, b->capture_id, (int64_t)e->kind, e->addr,
                          alen, (int64_t)e->level, e->t, (int64_t)e->packets, (int64_t)e->bytes);
        apc__pg_pipe_send(p, glob[1], "ibiiii", (int64_t)e->kind, e->addr, alen, (int64_t)e->level,
                          e->t, (int64_t)e->packets, (int64_t)e->bytes);
    } else {
        apc__pg_pipe_send(p, cap[0], "iiiiiiii", node, b->capture_id, (int64_t)e->kind, e->key,
                          (int64_t)e->level, e->t, (int64_t)e->packets, (int64_t)e->bytes);
        apc__pg_pipe_send(p, glob[0], "iiiiii", (int64_t)e->kind, e->key, (int64_t)e->level, e->t,
                          (int64_t)e->packets, (int64_t)e->bytes);
    }
}

static void send_record(apc__pg_pipe_t *p, const apc__cbatch_t *b)
{
    if (b->new_conns)
        apc__pg_pipe_send(p,
                          "INSERT INTO stats_global_keys(kind, key, packets) VALUES($1,0,$2) "
                          "ON CONFLICT(kind, key) DO UPDATE SET "
                          "packets=stats_global_keys.packets+excluded.packets",
                          "ii", (int64_t)APC__ST_STAT_KIND_CONNS, (int64_t)b->new_conns);
    if (b->final_state)
        apc__pg_pipe_send(p,
                          "UPDATE captures SET state=$1, error=$2, error_offset=$3, end_time=$4 "
                          "WHERE id=$5",
                          "itiii", (int64_t)b->final_state, b->error ? b->error : "",
                          (int64_t)b->error_offset, b->end_time, b->capture_id);
    const apc__st_progress_t *g = &b->progress;
    apc__pg_pipe_send(p,
                      "UPDATE captures SET packets=$1, bytes=$2, seg_count=$3, seg_bytes=$4, "
                      "progress_bytes=$5, first_time=$6, last_time=$7, connections=$8, "
                      "nc_first_packet=$9, nc_last_packet=$10, packet_spans=1 WHERE id=$11",
                      "iiiiiiiiiii", (int64_t)g->packets, (int64_t)g->bytes, (int64_t)g->seg_count,
                      (int64_t)g->seg_bytes, (int64_t)g->progress_bytes, g->first_ts, g->last_ts,
                      (int64_t)g->connections, (int64_t)g->nc_first, (int64_t)g->nc_last,
                      b->capture_id);
}

int apc__pg_capture_commit(void *impl, const apc__cbatch_t *b)
{
    apc__pg_t *pg = impl;
    if (b->oom)
        return apc__err(APC_ENOMEM, "committing packets: out of memory");
    apc__pg_pipe_t p;
    apc__pg_lock(pg);
    int r = apc__pg_pipe_begin(&p, pg, "committing packets");
    if (r == 0) {
        apc__pg_pipe_send(&p, "BEGIN", "");
        send_conns(&p, b, pg->node);
        send_ips(&p, b, pg->node); /* before the statistics: IP keys are ips.id */
        send_counts(&p, b, pg->node);
        for (size_t i = 0; i < b->n_stats; i++)
            send_stat(&p, b, pg->node, &b->stats[i]);
        send_record(&p, b);
        apc__pg_pipe_send(&p, "COMMIT", "");
        r = apc__pg_pipe_end(&p);
    }
    if (r < 0)
        apc__pg_rollback(pg);
    apc__pg_unlock(pg);
    return r;
}
