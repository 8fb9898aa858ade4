/* SPDX-License-Identifier: MIT */
/*
 * PostgreSQL backend: one capture writer commit (store/capture_batch.h) in one transaction.
 * A commit may hold thousands of connections, addresses and statistics rows: they are COPYed
 * into temporary tables (copy.c; ON COMMIT DELETE ROWS, so each commit starts empty) and
 * merged into the real tables with one set-based upsert each, sent as one pipeline with the
 * counters and the commit record: a handful of round trips whatever the commit's size, as
 * SQLite's commit.c is one transaction. Rows that meet the same key twice in one commit are
 * merged first (the last connection row wins, statistics add up), since one INSERT may not
 * update a row twice.
 */
#include <string.h>

#include "core/error.h"
#include "store/pg/pg_int.h"

#define WHAT "committing packets"

static const char temp_tables[] =
    "SET client_min_messages=warning;"
    "CREATE TEMP TABLE IF NOT EXISTS tmp_conns(ord BIGINT, id BIGINT, proto INTEGER,"
    " ip_ver INTEGER, src BYTEA, dst BYTEA, sport INTEGER, dport INTEGER, first_time BIGINT,"
    " last_time BIGINT, pkts_out BIGINT, bytes_out BIGINT, pkts_in BIGINT, bytes_in BIGINT,"
    " state INTEGER, pid BIGINT, tid BIGINT, process_id BIGINT, first_packet BIGINT,"
    " last_packet BIGINT) ON COMMIT DELETE ROWS;"
    "CREATE TEMP TABLE IF NOT EXISTS tmp_ips(ord BIGINT, addr BYTEA, family INTEGER,"
    " first_seen BIGINT, last_seen BIGINT, packets BIGINT, bytes BIGINT, conns BIGINT,"
    " add_packets BIGINT, add_bytes BIGINT, add_conns BIGINT, host_name TEXT)"
    " ON COMMIT DELETE ROWS;"
    /* level 4 (APC__ST_STAT_TOTAL) rows are keys' totals, the others buckets; addr is set
     * (and key unused) for keys that are addresses */
    "CREATE TEMP TABLE IF NOT EXISTS tmp_stats(kind INTEGER, addr BYTEA, key BIGINT,"
    " level INTEGER, t BIGINT, packets BIGINT, bytes BIGINT, first_time BIGINT,"
    " last_time BIGINT) ON COMMIT DELETE ROWS";

static void copy_conns(apc__pg_copy_t *c, const apc__cbatch_t *b)
{
    for (size_t i = 0; i < b->n_conns; i++) {
        const apc__st_conn_t *k = &b->conns[i];
        size_t alen = k->ip_ver == 4 ? 4 : 16;
        apc__pg_copy_i64(c, (int64_t)i);
        apc__pg_copy_i64(c, k->id);
        apc__pg_copy_i64(c, k->proto);
        apc__pg_copy_i64(c, k->ip_ver);
        apc__pg_copy_bytes(c, k->src, alen);
        apc__pg_copy_bytes(c, k->dst, alen);
        apc__pg_copy_i64(c, k->sport);
        apc__pg_copy_i64(c, k->dport);
        apc__pg_copy_i64(c, k->first_ns);
        apc__pg_copy_i64(c, k->last_ns);
        apc__pg_copy_i64(c, (int64_t)k->pkts_out);
        apc__pg_copy_i64(c, (int64_t)k->bytes_out);
        apc__pg_copy_i64(c, (int64_t)k->pkts_in);
        apc__pg_copy_i64(c, (int64_t)k->bytes_in);
        apc__pg_copy_i64(c, k->state);
        apc__pg_copy_i64(c, k->pid);
        apc__pg_copy_i64(c, k->tid);
        apc__pg_copy_i64(c, k->process_id);
        apc__pg_copy_i64(c, (int64_t)k->first_packet);
        apc__pg_copy_i64(c, (int64_t)k->last_packet);
        apc__pg_copy_row(c);
    }
}

static void copy_ips(apc__pg_copy_t *c, const apc__cbatch_t *b)
{
    for (size_t i = 0; i < b->n_ips; i++) {
        const apc__st_ip_t *e = &b->ips[i];
        apc__pg_copy_i64(c, (int64_t)i);
        apc__pg_copy_bytes(c, e->addr, e->ver == 4 ? 4 : 16);
        apc__pg_copy_i64(c, e->ver);
        apc__pg_copy_i64(c, e->first_ns);
        apc__pg_copy_i64(c, e->last_ns);
        apc__pg_copy_i64(c, (int64_t)e->packets);
        apc__pg_copy_i64(c, (int64_t)e->bytes);
        apc__pg_copy_i64(c, (int64_t)e->conns);
        apc__pg_copy_i64(c, (int64_t)e->add_packets);
        apc__pg_copy_i64(c, (int64_t)e->add_bytes);
        apc__pg_copy_i64(c, (int64_t)e->add_conns);
        apc__pg_copy_text(c, e->host_name);
        apc__pg_copy_row(c);
    }
}

static void copy_stats(apc__pg_copy_t *c, const apc__cbatch_t *b)
{
    for (size_t i = 0; i < b->n_stats; i++) {
        const apc__st_stat_t *e = &b->stats[i];
        apc__pg_copy_i64(c, e->kind);
        if (e->ver)
            apc__pg_copy_bytes(c, e->addr, e->ver == 4 ? 4 : 16);
        else
            apc__pg_copy_bytes(c, NULL, 0); /* '\x': no address */
        apc__pg_copy_i64(c, e->ver ? 0 : e->key);
        apc__pg_copy_i64(c, e->level);
        apc__pg_copy_i64(c, e->t);
        apc__pg_copy_i64(c, (int64_t)e->packets);
        apc__pg_copy_i64(c, (int64_t)e->bytes);
        apc__pg_copy_i64(c, e->first);
        apc__pg_copy_i64(c, e->last);
        apc__pg_copy_row(c);
    }
}

/* The three COPYs; the rows are in the temporary tables afterwards. */
static int copy_rows(apc__pg_t *pg, const apc__cbatch_t *b)
{
    apc__pg_copy_t c = {.buf = pg->copy_buf, .cap = pg->copy_cap};
    int r = 0;
    if (b->n_conns && (r = apc__pg_copy_begin(&c, pg, WHAT, "COPY tmp_conns FROM STDIN")) == 0) {
        copy_conns(&c, b);
        r = apc__pg_copy_end(&c);
    }
    if (r == 0 && b->n_ips &&
        (r = apc__pg_copy_begin(&c, pg, WHAT, "COPY tmp_ips FROM STDIN")) == 0) {
        copy_ips(&c, b);
        r = apc__pg_copy_end(&c);
    }
    if (r == 0 && b->n_stats &&
        (r = apc__pg_copy_begin(&c, pg, WHAT, "COPY tmp_stats FROM STDIN")) == 0) {
        copy_stats(&c, b);
        r = apc__pg_copy_end(&c);
    }
    pg->copy_buf = c.buf;
    pg->copy_cap = c.cap;
    return r;
}

/* Set-based merges of the temporary tables ($1 node, $2 capture where used). */
static void send_merges(apc__pg_pipe_t *p, const apc__cbatch_t *b, int64_t node)
{
    if (b->n_conns)
        apc__pg_pipe_send(
            p,
            "INSERT INTO connections(node, capture_id, id, proto, ip_ver, src, dst, sport, dport, "
            "first_time, last_time, pkts_out, bytes_out, pkts_in, bytes_in, state, pid, tid, "
            "process_id, first_packet, last_packet) SELECT DISTINCT ON (id) $1::bigint, "
            "$2::bigint, id, proto, ip_ver, src, dst, sport, dport, first_time, last_time, "
            "pkts_out, bytes_out, pkts_in, bytes_in, state, pid, tid, process_id, first_packet, "
            "last_packet FROM tmp_conns ORDER BY id, ord DESC "
            "ON CONFLICT(capture_id, id) DO UPDATE SET last_time=excluded.last_time,"
            "last_packet=excluded.last_packet, pkts_out=excluded.pkts_out,"
            "bytes_out=excluded.bytes_out, pkts_in=excluded.pkts_in, bytes_in=excluded.bytes_in,"
            "state=excluded.state, pid=excluded.pid, tid=excluded.tid,"
            "process_id=excluded.process_id",
            "ii", node, b->capture_id);
    if (b->n_ips) {
        /* New addresses get ids in the order the commit lists them, as SQLite gives them. */
        apc__pg_pipe_send(
            p,
            "INSERT INTO ips(addr, family, first_seen, last_seen, packets, bytes, connections, "
            "host_name) SELECT addr, max(family), min(first_seen), max(last_seen), "
            "sum(add_packets), sum(add_bytes), sum(add_conns), coalesce(max(host_name) FILTER "
            "(WHERE host_name<>''), '') FROM tmp_ips GROUP BY addr ORDER BY min(ord) "
            "ON CONFLICT(addr) DO UPDATE SET "
            "first_seen=CASE WHEN ips.first_seen=0 OR excluded.first_seen<ips.first_seen "
            "THEN excluded.first_seen ELSE ips.first_seen END,"
            "last_seen=greatest(ips.last_seen, excluded.last_seen),"
            "packets=ips.packets+excluded.packets, bytes=ips.bytes+excluded.bytes,"
            "connections=ips.connections+excluded.connections,"
            "host_name=CASE WHEN excluded.host_name<>'' THEN excluded.host_name "
            "ELSE ips.host_name END",
            "");
        apc__pg_pipe_send(
            p,
            "INSERT INTO capture_ips(node, capture_id, ip_id, host_name, first_seen, last_seen, "
            "packets, bytes, connections) SELECT DISTINCT ON (i.id) $1::bigint, $2::bigint, "
            "i.id, t.host_name, t.first_seen, t.last_seen, t.packets, t.bytes, t.conns "
            "FROM tmp_ips t JOIN ips i ON i.addr=t.addr ORDER BY i.id, t.ord DESC "
            "ON CONFLICT(capture_id, ip_id) DO UPDATE SET "
            "host_name=CASE WHEN excluded.host_name<>'' THEN excluded.host_name "
            "ELSE capture_ips.host_name END, first_seen=excluded.first_seen,"
            "last_seen=excluded.last_seen, packets=excluded.packets, bytes=excluded.bytes,"
            "connections=excluded.connections",
            "ii", node, b->capture_id);
    }
    if (!b->n_stats)
        return;
    /* Keys that are addresses become their ips.id (upserted just before). */
    apc__pg_pipe_send(p,
                      "UPDATE tmp_stats s SET key=i.id FROM ips i WHERE length(s.addr)>0 AND "
                      "i.addr=s.addr",
                      "");
    apc__pg_pipe_send(p,
                      "INSERT INTO stats_keys(node, capture_id, kind, key, packets, bytes, "
                      "first_time, last_time) SELECT $1::bigint, $2::bigint, kind, key, "
                      "sum(packets), sum(bytes), min(first_time), max(last_time) FROM tmp_stats "
                      "WHERE level=$3 GROUP BY kind, key "
                      "ON CONFLICT(capture_id, kind, key) DO UPDATE SET "
                      "packets=stats_keys.packets+excluded.packets,"
                      "bytes=stats_keys.bytes+excluded.bytes,"
                      "first_time=least(stats_keys.first_time, excluded.first_time),"
                      "last_time=greatest(stats_keys.last_time, excluded.last_time)",
                      "iii", node, b->capture_id, (int64_t)APC__ST_STAT_TOTAL);
    apc__pg_pipe_send(p,
                      "INSERT INTO stats_global_keys(kind, key, node, packets, bytes, first_time, "
                      "last_time) SELECT kind, key, $2::bigint, sum(packets), sum(bytes), "
                      "min(first_time), max(last_time) FROM tmp_stats WHERE level=$1 "
                      "GROUP BY kind, key ON CONFLICT(kind, key, node) DO UPDATE SET "
                      "packets=stats_global_keys.packets+excluded.packets,"
                      "bytes=stats_global_keys.bytes+excluded.bytes,"
                      "first_time=least(stats_global_keys.first_time, excluded.first_time),"
                      "last_time=greatest(stats_global_keys.last_time, excluded.last_time)",
                      "ii", (int64_t)APC__ST_STAT_TOTAL, node);
    apc__pg_pipe_send(p,
                      "INSERT INTO stats_series(node, capture_id, kind, key, level, t, packets, "
                      "bytes) SELECT $1::bigint, $2::bigint, kind, key, level, t, sum(packets), "
                      "sum(bytes) FROM tmp_stats WHERE level<>$3 GROUP BY kind, key, level, t "
                      "ON CONFLICT(capture_id, kind, key, level, t) DO UPDATE SET "
                      "packets=stats_series.packets+excluded.packets,"
                      "bytes=stats_series.bytes+excluded.bytes",
                      "iii", node, b->capture_id, (int64_t)APC__ST_STAT_TOTAL);
    apc__pg_pipe_send(p,
                      "INSERT INTO stats_global_series(kind, key, level, t, node, packets, bytes) "
                      "SELECT kind, key, level, t, $2::bigint, sum(packets), sum(bytes) FROM "
                      "tmp_stats WHERE level<>$1 GROUP BY kind, key, level, t "
                      "ON CONFLICT(kind, key, level, t, node) DO UPDATE SET "
                      "packets=stats_global_series.packets+excluded.packets,"
                      "bytes=stats_global_series.bytes+excluded.bytes",
                      "ii", (int64_t)APC__ST_STAT_TOTAL, node);
}

/* The few per-commit counters: a row each. */
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

static void send_record(apc__pg_pipe_t *p, const apc__cbatch_t *b, int64_t node)
{
    if (b->new_conns)
        apc__pg_pipe_send(p,
                          "INSERT INTO stats_global_keys(kind, key, node, packets) "
                          "VALUES($1,0,$3,$2) ON CONFLICT(kind, key, node) DO UPDATE SET "
                          "packets=stats_global_keys.packets+excluded.packets",
                          "iii", (int64_t)APC__ST_STAT_KIND_CONNS, (int64_t)b->new_conns, node);
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
    int r = apc__pg_begin(pg, WHAT); /* takes the lock; resets a dropped connection first */
    if (r < 0)
        return r;
    if (!pg->temp_ready) {
        PGresult *res = PQexec(pg->conn, temp_tables);
        if (PQresultStatus(res) == PGRES_COMMAND_OK)
            pg->temp_ready = 1;
        else
            r = apc__pg_err(pg, res, WHAT);
        PQclear(res);
    }
    if (r == 0)
        r = copy_rows(pg, b);
    apc__pg_pipe_t p;
    if (r == 0 && (r = apc__pg_pipe_begin(&p, pg, WHAT)) == 0) {
        send_merges(&p, b, pg->node); /* ips before the statistics: IP keys are ips.id */
        send_counts(&p, b, pg->node);
        send_record(&p, b, pg->node);
        apc__pg_pipe_send(&p, "COMMIT", "");
        r = apc__pg_pipe_end(&p);
    }
    if (r < 0) {
        apc__pg_rollback(pg);
        pg->temp_ready = 0; /* created in a rolled-back transaction, perhaps */
    }
    apc__pg_unlock(pg);
    return r;
}
