/* SPDX-License-Identifier: MIT */
/*
 * SQLite backend: one capture writer commit (store/capture_batch.h) in one transaction. The
 * packet bytes and index records it makes visible were flushed by the writer before (bytes
 * first, then the record that points at them: store/repair.c cuts back to this record after a
 * crash). Tables: docs/storage.md.
 */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "store/sql.h"
#include "store/sqlite/sqlite_int.h"

#define WHAT_CONN "storing connections"
#define WHAT_IPS "storing IP counters"
#define WHAT_STATS "storing statistics"

static int step_done(sqlite3 *db, sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : apc__db_err(db, rc, what);
}

/*
 * Rows in primary-key order: the writer hands them over in hash-table or recency order, and
 * with thousands of live connections or keys each row would then land on another B-tree leaf
 * than the row before (a page-cache miss and a seek from the root each). Sorted, a commit walks
 * the leaves once. The upserts add, take min/max or overwrite one row each, so the order does
 * not change what is stored; equal keys keep the batch's order.
 */
typedef struct ord {
    int64_t k[4];
    size_t i;
} ord_t;

static int cmp_ord(const void *x, const void *y)
{
    const ord_t *a = x, *b = y;
    for (int j = 0; j < 4; j++)
        if (a->k[j] != b->k[j])
            return a->k[j] < b->k[j] ? -1 : 1;
    return a->i < b->i ? -1 : a->i > b->i;
}

static int write_conns(apc__sqlc_t *c, const apc__cbatch_t *b)
{
    sqlite3 *db = apc__sqlc_db(c);
    sqlite3_stmt *st =
        apc__sqlc_stmt(c, WHAT_CONN,
                       "INSERT INTO connections(capture_id, id, proto, ip_ver, src, dst, sport, "
                       "dport, first_time, last_time, pkts_out, bytes_out, pkts_in, bytes_in, "
                       "state, pid, tid, process_id, first_packet, last_packet) "
                       "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) "
                       "ON CONFLICT(capture_id, id) DO UPDATE SET last_time=excluded.last_time,"
                       "last_packet=excluded.last_packet,"
                       "pkts_out=excluded.pkts_out, bytes_out=excluded.bytes_out,"
                       "pkts_in=excluded.pkts_in, bytes_in=excluded.bytes_in,"
                       "state=excluded.state, pid=excluded.pid, tid=excluded.tid,"
                       "process_id=excluded.process_id");
    if (!st)
        return APC_ESTORE;
    ord_t *ord = b->n_conns > 1 ? malloc(b->n_conns * sizeof *ord) : NULL;
    if (ord) {
        for (size_t i = 0; i < b->n_conns; i++)
            ord[i] = (ord_t){{b->conns[i].id, 0, 0, 0}, i};
        qsort(ord, b->n_conns, sizeof *ord, cmp_ord);
    }
    for (size_t i = 0; i < b->n_conns; i++) {
        const apc__st_conn_t *k = &b->conns[ord ? ord[i].i : i]; /* batch order without memory */
        int alen = k->ip_ver == 4 ? 4 : 16;
        sqlite3_bind_int64(st, 1, b->capture_id);
        sqlite3_bind_int64(st, 2, k->id);
        sqlite3_bind_int(st, 3, k->proto);
        sqlite3_bind_int(st, 4, k->ip_ver);
        sqlite3_bind_blob(st, 5, k->src, alen, SQLITE_STATIC);
        sqlite3_bind_blob(st, 6, k->dst, alen, SQLITE_STATIC);
        sqlite3_bind_int(st, 7, k->sport);
        sqlite3_bind_int(st, 8, k->dport);
        sqlite3_bind_int64(st, 9, k->first_ns);
        sqlite3_bind_int64(st, 10, k->last_ns);
        sqlite3_bind_int64(st, 11, (int64_t)k->pkts_out);
        sqlite3_bind_int64(st, 12, (int64_t)k->bytes_out);
        sqlite3_bind_int64(st, 13, (int64_t)k->pkts_in);
        sqlite3_bind_int64(st, 14, (int64_t)k->bytes_in);
        sqlite3_bind_int(st, 15, k->state);
        sqlite3_bind_int64(st, 16, k->pid);
        sqlite3_bind_int64(st, 17, k->tid);
        sqlite3_bind_int64(st, 18, k->process_id);
        sqlite3_bind_int64(st, 19, (int64_t)k->first_packet);
        sqlite3_bind_int64(st, 20, (int64_t)k->last_packet);
        int r = step_done(db, st, WHAT_CONN);
        if (r < 0) {
            free(ord);
            return r;
        }
    }
    free(ord);
    return 0;
}

/* ips.id of the addresses of this commit, for the statistics rows keyed by address. */
typedef struct ipmap {
    struct ipslot {
        int ver;
        const uint8_t *addr;
        int64_t id;
    } * slots;
    size_t cap; /* a power of two, 0 = no map (out of memory: the rows are looked up) */
} ipmap_t;

static size_t addr_slot(const ipmap_t *m, int ver, const uint8_t *addr)
{
    uint64_t h = 1469598103934665603ULL ^ (uint64_t)ver;
    for (int i = 0; i < (ver == 4 ? 4 : 16); i++)
        h = (h ^ addr[i]) * 1099511628211ULL;
    return (size_t)(h ^ (h >> 29)) & (m->cap - 1);
}

static void ipmap_put(ipmap_t *m, int ver, const uint8_t *addr, int64_t id)
{
    if (!m->cap)
        return;
    size_t j = addr_slot(m, ver, addr);
    while (m->slots[j].ver)
        j = (j + 1) & (m->cap - 1);
    m->slots[j] = (struct ipslot){ver, addr, id};
}

static int64_t ipmap_get(const ipmap_t *m, int ver, const uint8_t *addr)
{
    if (!m->cap)
        return 0;
    for (size_t j = addr_slot(m, ver, addr); m->slots[j].ver; j = (j + 1) & (m->cap - 1))
        if (m->slots[j].ver == ver && memcmp(m->slots[j].addr, addr, ver == 4 ? 4 : 16) == 0)
            return m->slots[j].id;
    return 0;
}

static int write_ips(apc__sqlc_t *c, const apc__cbatch_t *b, ipmap_t *map)
{
    sqlite3 *db = apc__sqlc_db(c);
    sqlite3_stmt *g = apc__sqlc_stmt(
        c, WHAT_IPS,
        "INSERT INTO ips(addr, family, first_seen, last_seen, packets, bytes, connections, "
        "host_name) VALUES(?1,?2,?3,?4,?5,?6,?7,?8) ON CONFLICT(addr) DO UPDATE SET "
        "first_seen=CASE WHEN first_seen=0 OR excluded.first_seen<first_seen "
        "THEN excluded.first_seen ELSE first_seen END,"
        "last_seen=max(last_seen, excluded.last_seen), packets=packets+excluded.packets,"
        "bytes=bytes+excluded.bytes, connections=connections+excluded.connections,"
        "host_name=CASE WHEN excluded.host_name<>'' THEN excluded.host_name ELSE host_name END "
        "RETURNING id");
    sqlite3_stmt *cap =
        g ? apc__sqlc_stmt(c, WHAT_IPS,
                           "INSERT INTO capture_ips(capture_id, ip_id, host_name, first_seen, "
                           "last_seen, packets, bytes, connections) VALUES(?,?,?,?,?,?,?,?) "
                           "ON CONFLICT(capture_id, ip_id) DO UPDATE SET "
                           "host_name=CASE WHEN excluded.host_name<>'' THEN excluded.host_name "
                           "ELSE host_name END, first_seen=excluded.first_seen, "
                           "last_seen=excluded.last_seen, packets=excluded.packets, "
                           "bytes=excluded.bytes, connections=excluded.connections")
          : NULL;
    if (!cap)
        return APC_ESTORE;
    for (size_t i = 0; i < b->n_ips; i++) {
        const apc__st_ip_t *e = &b->ips[i];
        const char *hn = e->host_name ? e->host_name : "";
        sqlite3_bind_blob(g, 1, e->addr, e->ver == 4 ? 4 : 16, SQLITE_STATIC);
        sqlite3_bind_int(g, 2, e->ver);
        sqlite3_bind_int64(g, 3, e->first_ns);
        sqlite3_bind_int64(g, 4, e->last_ns);
        sqlite3_bind_int64(g, 5, (int64_t)e->add_packets);
        sqlite3_bind_int64(g, 6, (int64_t)e->add_bytes);
        sqlite3_bind_int64(g, 7, (int64_t)e->add_conns);
        sqlite3_bind_text(g, 8, hn, -1, SQLITE_STATIC);
        int rc = sqlite3_step(g);
        if (rc != SQLITE_ROW) {
            sqlite3_reset(g);
            return apc__db_err(db, rc, WHAT_IPS);
        }
        int64_t ip_id = sqlite3_column_int64(g, 0);
        sqlite3_reset(g);
        ipmap_put(map, e->ver, e->addr, ip_id);
        sqlite3_bind_int64(cap, 1, b->capture_id);
        sqlite3_bind_int64(cap, 2, ip_id);
        sqlite3_bind_text(cap, 3, hn, -1, SQLITE_STATIC);
        sqlite3_bind_int64(cap, 4, e->first_ns);
        sqlite3_bind_int64(cap, 5, e->last_ns);
        sqlite3_bind_int64(cap, 6, (int64_t)e->packets);
        sqlite3_bind_int64(cap, 7, (int64_t)e->bytes);
        sqlite3_bind_int64(cap, 8, (int64_t)e->conns);
        int r = step_done(db, cap, WHAT_IPS);
        if (r < 0)
            return r;
    }
    return 0;
}

/* Rows of a capture counter table: (capture_id, key, packets, bytes), replaced. */
static int write_count_rows(apc__sqlc_t *c, const char *what, const char *sql, int64_t capture_id,
                            const apc__st_count_t *rows, size_t n)
{
    int r = 0;
    for (size_t i = 0; r == 0 && i < n; i++)
        r = apc__sqlc_exec(c, what, sql, "iiii", capture_id, rows[i].key, (int64_t)rows[i].packets,
                           (int64_t)rows[i].bytes);
    return r;
}

static int write_counts(apc__sqlc_t *c, const apc__cbatch_t *b)
{
    int r = write_count_rows(c, "storing process counters",
                             "INSERT INTO capture_processes(capture_id, process_id, packets, "
                             "bytes) VALUES(?,?,?,?) ON CONFLICT(capture_id, process_id) DO "
                             "UPDATE SET packets=excluded.packets, bytes=excluded.bytes",
                             b->capture_id, b->procs, b->n_procs);
    if (r == 0)
        r = write_count_rows(c, "storing protocol counters",
                             "INSERT INTO capture_protocols(capture_id, proto, packets, bytes) "
                             "VALUES(?,?,?,?) ON CONFLICT(capture_id, proto) DO UPDATE SET "
                             "packets=excluded.packets, bytes=excluded.bytes",
                             b->capture_id, b->protos, b->n_protos);
    for (size_t i = 0; r == 0 && i < b->n_ifaces; i++)
        r = apc__sqlc_exec(c, "storing interface counters",
                           "UPDATE interfaces SET packets=? WHERE capture_id=? AND idx=?", "iii",
                           (int64_t)b->ifaces[i].packets, b->capture_id, b->ifaces[i].key);
    for (size_t i = 0; r == 0 && i < b->n_threads; i++)
        r = apc__sqlc_exec(c, "recording a thread",
                           "INSERT OR IGNORE INTO threads(process_id, tid) VALUES(?,?)", "ii",
                           b->threads[i].process_id, b->threads[i].tid);
    return r;
}

#define SERIES_UPSERT                                                                              \
    " ON CONFLICT DO UPDATE SET packets=packets+excluded.packets, bytes=bytes+excluded.bytes"
#define KEYS_UPSERT                                                                                \
    " ON CONFLICT DO UPDATE SET packets=packets+excluded.packets, bytes=bytes+excluded.bytes,"     \
    " first_time=min(first_time, excluded.first_time),"                                            \
    " last_time=max(last_time, excluded.last_time)"

/* The key of a statistics row: IP keys are ips.id (this commit's, or one stored before). */
static int stat_key(apc__sqlc_t *c, const ipmap_t *map, const apc__st_stat_t *e, int64_t *key)
{
    *key = e->key;
    if (!e->ver)
        return 0;
    if ((*key = ipmap_get(map, e->ver, e->addr)) != 0)
        return 0;
    sqlite3_stmt *q = apc__sqlc_stmt(c, WHAT_STATS, "SELECT id FROM ips WHERE addr=?");
    if (!q)
        return APC_ESTORE;
    sqlite3_bind_blob(q, 1, e->addr, e->ver == 4 ? 4 : 16, SQLITE_STATIC);
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW)
        *key = sqlite3_column_int64(q, 0);
    sqlite3_reset(q);
    if (rc == SQLITE_ROW)
        return 0;
    return rc == SQLITE_DONE ? apc__err(APC_ENOTFOUND, "statistics: address not in ips")
                             : apc__db_err(apc__sqlc_db(c), rc, "reading an IP id for statistics");
}

static int write_stats(apc__sqlc_t *c, const apc__cbatch_t *b, const ipmap_t *map)
{
    sqlite3_stmt *ser[2], *keys[2];
    ser[0] = apc__sqlc_stmt(c, WHAT_STATS,
                            "INSERT INTO stats_series(capture_id, kind, key, level, t, packets, "
                            "bytes) VALUES(?,?,?,?,?,?,?)" SERIES_UPSERT);
    ser[1] = apc__sqlc_stmt(c, WHAT_STATS,
                            "INSERT INTO stats_global_series(kind, key, level, t, packets, "
                            "bytes) VALUES(?,?,?,?,?,?)" SERIES_UPSERT);
    keys[0] = apc__sqlc_stmt(c, WHAT_STATS,
                             "INSERT INTO stats_keys(capture_id, kind, key, packets, bytes, "
                             "first_time, last_time) VALUES(?,?,?,?,?,?,?)" KEYS_UPSERT);
    keys[1] = apc__sqlc_stmt(c, WHAT_STATS,
                             "INSERT INTO stats_global_keys(kind, key, packets, bytes, "
                             "first_time, last_time) VALUES(?,?,?,?,?,?)" KEYS_UPSERT);
    if (!ser[0] || !ser[1] || !keys[0] || !keys[1])
        return APC_ESTORE;
    sqlite3 *db = apc__sqlc_db(c);
    /* Keys first (IP keys are looked up), then the rows in key order (see ord_t). */
    ord_t *ord = b->n_stats ? malloc(b->n_stats * sizeof *ord) : NULL;
    if (b->n_stats && !ord)
        return apc__err(APC_ENOMEM, "out of memory while storing statistics");
    int r = 0;
    for (size_t n = 0; r == 0 && n < b->n_stats; n++) {
        const apc__st_stat_t *e = &b->stats[n];
        ord[n] = (ord_t){{e->kind, 0, e->level, e->t}, n};
        r = stat_key(c, map, e, &ord[n].k[1]);
    }
    if (r == 0 && b->n_stats > 1)
        qsort(ord, b->n_stats, sizeof *ord, cmp_ord);
    for (size_t n = 0; r == 0 && n < b->n_stats; n++) {
        const apc__st_stat_t *e = &b->stats[ord[n].i];
        int64_t key = ord[n].k[1];
        for (int i = 0; r == 0 && i < 2; i++) {
            int total = e->level == APC__ST_STAT_TOTAL;
            sqlite3_stmt *st = total ? keys[i] : ser[i];
            int col = 1;
            if (i == 0)
                sqlite3_bind_int64(st, col++, b->capture_id);
            sqlite3_bind_int(st, col++, e->kind);
            sqlite3_bind_int64(st, col++, key);
            if (!total) {
                sqlite3_bind_int(st, col++, e->level);
                sqlite3_bind_int64(st, col++, e->t);
            }
            sqlite3_bind_int64(st, col++, (int64_t)e->packets);
            sqlite3_bind_int64(st, col++, (int64_t)e->bytes);
            if (total) {
                sqlite3_bind_int64(st, col++, e->first);
                sqlite3_bind_int64(st, col++, e->last);
            }
            r = step_done(db, st, WHAT_STATS);
        }
    }
    free(ord);
    return r;
}

static int write_record(apc__sqlc_t *c, const apc__cbatch_t *b)
{
    int r = 0;
    if (b->new_conns)
        r = apc__sqlc_exec(c, WHAT_STATS,
                           "INSERT INTO stats_global_keys(kind, key, packets) VALUES(?,0,?)"
                           " ON CONFLICT DO UPDATE SET packets=packets+excluded.packets",
                           "ii", (int64_t)APC__ST_STAT_KIND_CONNS, (int64_t)b->new_conns);
    if (r == 0 && b->final_state)
        r = apc__sqlc_exec(c, "ending a capture",
                           "UPDATE captures SET state=?, error=?, error_offset=?, end_time=? "
                           "WHERE id=?",
                           "itiii", (int64_t)b->final_state, b->error ? b->error : "",
                           (int64_t)b->error_offset, b->end_time, b->capture_id);
    const apc__st_progress_t *p = &b->progress;
    if (r == 0)
        r = apc__sqlc_exec(c, "committing packets",
                           "UPDATE captures SET packets=?, bytes=?, seg_count=?, seg_bytes=?, "
                           "progress_bytes=?, first_time=?, last_time=?, connections=?, "
                           "nc_first_packet=?, nc_last_packet=?, packet_spans=1 WHERE id=?",
                           "iiiiiiiiiii", (int64_t)p->packets, (int64_t)p->bytes,
                           (int64_t)p->seg_count, (int64_t)p->seg_bytes, (int64_t)p->progress_bytes,
                           p->first_ts, p->last_ts, (int64_t)p->connections, (int64_t)p->nc_first,
                           (int64_t)p->nc_last, b->capture_id);
    return r;
}

int apc__sqlite_capture_commit(void *impl, const apc__cbatch_t *b)
{
    apc__store_t *s = impl;
    apc__sqlc_t *c = apc__sqlc_get(s);
    if (!c)
        return APC_ESTORE;
    sqlite3 *db = apc__sqlc_db(c);
    ipmap_t map = {0};
    size_t want = 16;
    while (want < b->n_ips * 2)
        want *= 2;
    if ((map.slots = calloc(want, sizeof *map.slots)) != NULL)
        map.cap = want;
    /* A commit rewrites rows all over the connection and statistics indexes (35 MB of them
     * after 1,000,000 packets of 5,000 live flows): in SQLite's default 2 MiB page cache it
     * spilled dirty pages to the WAL mid-transaction and read them back (5,000-flow ingest: CPU
     * 1.2-1.7 s -> 0.8-0.9 s). The connection keeps at most 32 MiB; a failure here only costs
     * speed. */
    sqlite3_exec(db, "PRAGMA cache_size=-32768", NULL, NULL, NULL);
    int r = apc__sql_begin(db);
    if (r == 0)
        r = write_conns(c, b);
    if (r == 0)
        r = write_ips(c, b, &map); /* before the statistics: IP keys are ips.id */
    if (r == 0)
        r = write_counts(c, b);
    if (r == 0)
        r = write_stats(c, b, &map);
    if (r == 0)
        r = write_record(c, b);
    if (r == 0)
        r = apc__sql_commit(db, "committing packets");
    if (r < 0)
        apc__sql_rollback(db);
    free(map.slots);
    apc__sqlc_put(s, c);
    return r;
}
