/* SPDX-License-Identifier: MIT */
/*
 * SQLite backend: reads of the statistics tables (schema_stats.c) and their reset. A read is
 * one deferred transaction on one pooled connection; its statements are prepared once per
 * connection (the texts vary only with the capture/store-wide choice and the kind), and each is
 * reset as soon as it is read so that no connection goes back to the pool holding a snapshot.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "store/sql.h"
#include "store/sqlite/sqlite_int.h"

#define WHAT_READ "reading statistics"
#define WHAT_TOPS "reading top statistics"

struct apc__st_stats_rd {
    apc__sqlc_t *c;
};

/* One node: `node`, when given, is this one (the caller checked), so it narrows nothing. */
static int stats_read(void *impl, const char *node, apc__st_stats_read_fn fn, void *payload)
{
    (void)node;
    apc__store_t *s = impl;
    apc__sqlc_t *c = apc__sqlc_get(s);
    if (!c)
        return APC_ESTORE;
    sqlite3 *db = apc__sqlc_db(c);
    apc__st_stats_rd_t rd = {c};
    int r = apc__sql_exec(db, WHAT_READ, "BEGIN", "");
    if (r == 0) {
        r = fn(&rd, payload);
        /* Only read: a failed COMMIT loses nothing, and apc__sqlc_put rolls back what stays. */
        apc__sql_exec(db, WHAT_READ, "COMMIT", "");
    }
    apc__sqlc_put(s, c);
    return r;
}

static int stats_capture_exists(void *impl, apc__st_stats_rd_t *rd, int64_t capture_id)
{
    return apc__sql_capture_exists(apc__sqlc_db(rd->c), capture_id);
}

static int stats_key(void *impl, apc__st_stats_rd_t *rd, int64_t capture_id, int kind, int64_t key,
                     apc__st_stats_key_t *out)
{
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT packets, bytes, first_time, last_time FROM %s WHERE %skind=?2 AND key=?3",
             capture_id ? "stats_keys" : "stats_global_keys",
             capture_id ? "capture_id=?1 AND " : "");
    sqlite3_stmt *st = apc__sqlc_stmt(rd->c, WHAT_READ, sql);
    if (!st)
        return APC_ESTORE;
    if (capture_id)
        sqlite3_bind_int64(st, 1, capture_id);
    sqlite3_bind_int(st, 2, kind);
    sqlite3_bind_int64(st, 3, key);
    int r, rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        out->packets = (uint64_t)sqlite3_column_int64(st, 0);
        out->bytes = (uint64_t)sqlite3_column_int64(st, 1);
        out->first_time = sqlite3_column_int64(st, 2);
        out->last_time = sqlite3_column_int64(st, 3);
        r = 1;
    } else {
        r = rc == SQLITE_DONE ? 0 : apc__db_err(apc__sqlc_db(rd->c), rc, WHAT_READ);
    }
    sqlite3_reset(st);
    return r;
}

static int stats_series(void *impl, apc__st_stats_rd_t *rd, int64_t capture_id, int kind,
                        int64_t key, int level, int64_t from, int64_t to,
                        apc__st_stats_bucket_fn fn, void *payload)
{
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT t, packets, bytes FROM %s WHERE %skind=?2 AND key=?3 AND level=?4 AND t>=?5 "
             "AND t<=?6",
             capture_id ? "stats_series" : "stats_global_series",
             capture_id ? "capture_id=?1 AND " : "");
    sqlite3_stmt *st = apc__sqlc_stmt(rd->c, WHAT_READ, sql);
    if (!st)
        return APC_ESTORE;
    if (capture_id)
        sqlite3_bind_int64(st, 1, capture_id);
    sqlite3_bind_int(st, 2, kind);
    sqlite3_bind_int64(st, 3, key);
    sqlite3_bind_int(st, 4, level);
    sqlite3_bind_int64(st, 5, from);
    sqlite3_bind_int64(st, 6, to);
    int r = 0, rc = SQLITE_DONE;
    while (r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW)
        r = fn(sqlite3_column_int64(st, 0), (uint64_t)sqlite3_column_int64(st, 1),
               (uint64_t)sqlite3_column_int64(st, 2), payload);
    if (r == 0 && rc != SQLITE_DONE)
        r = apc__db_err(apc__sqlc_db(rd->c), rc, WHAT_READ);
    sqlite3_reset(st);
    return r;
}

/* Hands at most n rows (id, packets, bytes, addr, host/name, pid) of st to fn. */
/* Hands at most n rows (id, packets, bytes, addr, host/name, pid) of st to fn; tagged: each
 * row starts with its list's kind. */
static int read_tops(apc__sqlc_t *c, sqlite3_stmt *st, int tagged, unsigned n,
                     apc__st_stats_top_fn fn, void *payload)
{
    int r = 0, rc = SQLITE_DONE, o = tagged ? 1 : 0;
    for (unsigned i = 0; r == 0 && i < n && (rc = sqlite3_step(st)) == SQLITE_ROW; i++) {
        apc__st_stats_top_t e = {
            .list = tagged ? sqlite3_column_int(st, 0) : 0,
            .id = sqlite3_column_int64(st, o),
            .packets = (uint64_t)sqlite3_column_int64(st, o + 1),
            .bytes = (uint64_t)sqlite3_column_int64(st, o + 2),
            .addr = sqlite3_column_blob(st, o + 3),
            .alen = sqlite3_column_bytes(st, o + 3),
            .name = (const char *)sqlite3_column_text(st, o + 4),
            .pid = sqlite3_column_int64(st, o + 5),
        };
        r = fn(&e, payload);
    }
    if (r == 0 && rc != SQLITE_ROW && rc != SQLITE_DONE)
        r = apc__db_err(apc__sqlc_db(c), rc, WHAT_TOPS);
    sqlite3_reset(st);
    return r;
}

static int stats_top_keys(void *impl, apc__st_stats_rd_t *rd, int64_t capture_id, int kind,
                          unsigned n, apc__st_stats_top_fn fn, void *payload)
{
    const char *tab = capture_id ? "stats_keys" : "stats_global_keys";
    const char *cap = capture_id ? "k.capture_id=?1 AND " : "";
    char sql[1024];
    /* The (capture_id, kind, packets) index hands rows out in order: no sort of every key. */
    if (kind == APC__ST_SK_IP)
        snprintf(sql, sizeof sql,
                 "SELECT k.key, k.packets, k.bytes, i.addr, i.host_name, 0 FROM %s k "
                 "JOIN ips i ON i.id=k.key WHERE %sk.kind=?2 ORDER BY k.packets DESC LIMIT %u",
                 tab, cap, n);
    else if (kind == APC__ST_SK_PROCESS)
        snprintf(sql, sizeof sql,
                 "SELECT k.key, k.packets, k.bytes, NULL, p.name, p.pid FROM %s k "
                 "LEFT JOIN processes p ON p.id=k.key WHERE %sk.kind=?2 "
                 "ORDER BY k.packets DESC LIMIT %u",
                 tab, cap, n);
    else
        snprintf(sql, sizeof sql,
                 "SELECT k.key, k.packets, k.bytes, NULL, NULL, 0 FROM %s k WHERE %sk.kind=?2 "
                 "ORDER BY k.packets DESC LIMIT %u",
                 tab, cap, n);
    sqlite3_stmt *st = apc__sqlc_stmt(rd->c, WHAT_TOPS, sql);
    if (!st)
        return APC_ESTORE;
    if (capture_id)
        sqlite3_bind_int64(st, 1, capture_id);
    sqlite3_bind_int(st, 2, kind);
    return read_tops(rd->c, st, 0, n, fn, payload);
}

/* The connections under a key, as m(a, b, port, proto, process_id, p, y): a and b the two
 * addresses, port the responder's port, p/y packets/bytes both ways. ?1 = key, ?2 = capture.
 * Each branch uses one index of the stats schema part (or the capture's primary key). */
static void conns_cte(char *sql, size_t n, int64_t capture_id, int kind)
{
    const char *cols = "SELECT src a, dst b, dport port, proto, process_id, "
                       "pkts_out+pkts_in p, bytes_out+bytes_in y FROM connections WHERE ";
    const char *cap = capture_id ? " AND capture_id=?2" : "";
    switch (kind) {
    case APC__ST_SK_IP:
        snprintf(sql, n, "WITH m AS MATERIALIZED (%ssrc=?1%s UNION ALL %sdst=?1 AND src<>?1%s) ",
                 cols, cap, cols, cap);
        break;
    case APC__ST_SK_PORT:
        snprintf(sql, n,
                 "WITH m AS MATERIALIZED (%ssport=?1%s UNION ALL %sdport=?1 AND sport<>?1%s) ",
                 cols, cap, cols, cap);
        break;
    case APC__ST_SK_PROTO:
        snprintf(sql, n, "WITH m AS MATERIALIZED (%s%sproto=?1) ", cols,
                 capture_id ? "capture_id=?2 AND " : "");
        break;
    default:
        snprintf(sql, n, "WITH m AS MATERIALIZED (%sprocess_id=?1%s) ", cols, cap);
        break;
    }
}

/* What each list selects from m, tagged with the list's kind: the IP list reads the other
 * ends for an IP, both ends otherwise, and looks up only its top n addresses' rows. */
static const char *conns_body(int kind, int list)
{
    switch (list) {
    case APC__ST_SK_IP:
        return kind == APC__ST_SK_IP
                   ? "SELECT 1, coalesce(i.id, 0), t.p, t.y, t.x, i.host_name, 0 FROM (SELECT x, "
                     "sum(p) p, sum(y) y FROM (SELECT CASE WHEN a=?1 THEN b ELSE a END x, p, y "
                     "FROM m) GROUP BY x ORDER BY 2 DESC LIMIT ?3) t LEFT JOIN ips i ON i.addr=t.x"
                   : "SELECT 1, coalesce(i.id, 0), t.p, t.y, t.x, i.host_name, 0 FROM (SELECT x, "
                     "sum(p) p, sum(y) y FROM (SELECT a x, p, y FROM m UNION ALL SELECT b, p, y "
                     "FROM m WHERE b<>a) GROUP BY x ORDER BY 2 DESC LIMIT ?3) t LEFT JOIN ips i "
                     "ON i.addr=t.x";
    case APC__ST_SK_PORT:
        return "SELECT 2, port, sum(p), sum(y), NULL, NULL, 0 FROM m WHERE proto IN (6, 17) "
               "GROUP BY port ORDER BY 3 DESC LIMIT ?3";
    case APC__ST_SK_PROTO:
        return "SELECT 3, proto, sum(p), sum(y), NULL, NULL, 0 FROM m GROUP BY proto "
               "ORDER BY 3 DESC LIMIT ?3";
    default:
        return "SELECT 4, m.process_id, sum(p), sum(y), NULL, pr.name, pr.pid FROM m "
               "LEFT JOIN processes pr ON pr.id=m.process_id WHERE m.process_id<>0 "
               "GROUP BY m.process_id ORDER BY 3 DESC LIMIT ?3";
    }
}

/* m is MATERIALIZED: read once for all the lists, each a subquery of one UNION ALL, sorted
 * by list then packets (a sort of at most 40 rows). */
static int stats_top_conns(void *impl, apc__st_stats_rd_t *rd, int64_t capture_id,
                           const apc__st_stats_under_t *u, unsigned lists, unsigned n,
                           apc__st_stats_top_fn fn, void *payload)
{
    char sql[4096];
    conns_cte(sql, sizeof sql, capture_id, u->kind);
    apc__st_stats_tops_union(sql, sizeof sql, lists, u->kind, conns_body);
    sqlite3_stmt *st = apc__sqlc_stmt(rd->c, WHAT_TOPS, sql);
    if (!st)
        return APC_ESTORE;
    if (u->addr)
        sqlite3_bind_blob(st, 1, u->addr, u->alen, SQLITE_STATIC);
    else
        sqlite3_bind_int64(st, 1, u->key);
    if (capture_id)
        sqlite3_bind_int64(st, 2, capture_id);
    sqlite3_bind_int64(st, 3, n);
    return read_tops(rd->c, st, 1, 4 * n, fn, payload);
}

/* Reads one text column of the first row of st into *out: 1, 0 when there is no row. */
static int step_text(apc__sqlc_t *c, sqlite3_stmt *st, int col, char **out, const char *what)
{
    int r, rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        r = (*out = apc__sql_text(st, col)) ? 1 : apc__err(APC_ENOMEM, "out of memory");
    else
        r = rc == SQLITE_DONE ? 0 : apc__db_err(apc__sqlc_db(c), rc, what);
    return r;
}

static int stats_ip_find(void *impl, apc__st_stats_rd_t *rd, const uint8_t *addr, int alen,
                         int64_t *id, char **host)
{
    const char *what = "looking up an address";
    sqlite3_stmt *st = apc__sqlc_stmt(rd->c, what, "SELECT id, host_name FROM ips WHERE addr=?");
    if (!st)
        return APC_ESTORE;
    sqlite3_bind_blob(st, 1, addr, alen, SQLITE_STATIC);
    int r = step_text(rd->c, st, 1, host, what);
    if (r > 0)
        *id = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return r;
}

static int stats_process_find(void *impl, apc__st_stats_rd_t *rd, int64_t capture_id, int64_t pid,
                              int64_t *id)
{
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT p.id FROM processes p WHERE p.pid=?1 AND EXISTS(SELECT 1 FROM %s k "
             "WHERE %sk.kind=%d AND k.key=p.id) ORDER BY p.id DESC LIMIT 1",
             capture_id ? "stats_keys" : "stats_global_keys",
             capture_id ? "k.capture_id=?2 AND " : "", APC__ST_SK_PROCESS);
    sqlite3_stmt *st = apc__sqlc_stmt(rd->c, "looking up a process", sql);
    if (!st)
        return APC_ESTORE;
    sqlite3_bind_int64(st, 1, pid);
    if (capture_id)
        sqlite3_bind_int64(st, 2, capture_id);
    int r, rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *id = sqlite3_column_int64(st, 0);
        r = 1;
    } else {
        r = rc == SQLITE_DONE ? 0 : apc__db_err(apc__sqlc_db(rd->c), rc, "looking up a process");
    }
    sqlite3_reset(st);
    return r;
}

static int stats_process_name(void *impl, apc__st_stats_rd_t *rd, int64_t id, char **name)
{
    const char *what = "looking up a process";
    sqlite3_stmt *st = apc__sqlc_stmt(rd->c, what, "SELECT name FROM processes WHERE id=?");
    if (!st)
        return APC_ESTORE;
    sqlite3_bind_int64(st, 1, id);
    int r = step_text(rd->c, st, 0, name, what);
    sqlite3_reset(st);
    return r;
}

/* One integer: 1 and *out, 0 when there is no row (*out kept). `arg` binds ?1 when has_arg. */
static int one_int(apc__sqlc_t *c, const char *sql, int has_arg, int64_t arg, int64_t *out)
{
    sqlite3_stmt *st = apc__sqlc_stmt(c, WHAT_READ, sql);
    if (!st)
        return APC_ESTORE;
    if (has_arg)
        sqlite3_bind_int64(st, 1, arg);
    int r, rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *out = sqlite3_column_int64(st, 0);
        r = 1;
    } else {
        r = rc == SQLITE_DONE ? 0 : apc__db_err(apc__sqlc_db(c), rc, WHAT_READ);
    }
    sqlite3_reset(st);
    return r;
}

static int stats_totals(void *impl, apc__st_stats_rd_t *rd, apc__st_stats_totals_t *t)
{
    apc__sqlc_t *c = rd->c;
    int64_t v = 0;
    int r = one_int(c, "SELECT since FROM stats_reset WHERE id=1", 0, 0, &t->since);
    if (r >= 0)
        r = one_int(c, "SELECT packets FROM stats_global_keys WHERE kind=? AND key=0", 1,
                    APC__ST_SK_ALL, &v);
    t->packets = (uint64_t)(r > 0 ? v : 0);
    if (r >= 0)
        r = one_int(c, "SELECT bytes FROM stats_global_keys WHERE kind=? AND key=0", 1,
                    APC__ST_SK_ALL, &v);
    t->bytes = (uint64_t)(r > 0 ? v : 0);
    if (r >= 0)
        r = one_int(c, "SELECT packets FROM stats_global_keys WHERE kind=? AND key=0", 1,
                    APC__ST_STAT_KIND_CONNS, &v);
    t->connections = (uint64_t)(r > 0 ? v : 0);
    if (r >= 0)
        r = one_int(c, "SELECT count(*) FROM stats_global_keys WHERE kind=?", 1, APC__ST_SK_IP, &v);
    t->ips = (uint64_t)(r > 0 ? v : 0);
    if (r >= 0)
        r = one_int(c, "SELECT count(*) FROM stats_global_keys WHERE kind=?", 1, APC__ST_SK_PROCESS,
                    &v);
    t->processes = (uint64_t)(r > 0 ? v : 0);
    if (r >= 0)
        r = one_int(c, "SELECT count(*) FROM captures WHERE start_time>=?", 1, t->since, &v);
    t->captures = (uint64_t)(r > 0 ? v : 0);
    if (r >= 0)
        r = one_int(c,
                    "SELECT coalesce(sum(drops+kernel_drops), 0) FROM captures "
                    "WHERE start_time>=?",
                    1, t->since, &v);
    t->drops = (uint64_t)(r > 0 ? v : 0);
    return r < 0 ? r : 0;
}

static int stats_reset(void *impl, int64_t since)
{
    apc__store_t *s = impl;
    apc__sqlc_t *c = apc__sqlc_get(s);
    if (!c)
        return APC_ESTORE;
    sqlite3 *db = apc__sqlc_db(c);
    const char *what = "resetting statistics";
    int r = apc__sql_begin(db);
    if (r == 0)
        r = apc__sqlc_exec(c, what, "DELETE FROM stats_global_keys", "");
    if (r == 0)
        r = apc__sqlc_exec(c, what, "DELETE FROM stats_global_series", "");
    if (r == 0)
        r = apc__sqlc_exec(c, what, "UPDATE stats_reset SET since=? WHERE id=1", "i", since);
    if (r == 0)
        r = apc__sql_commit(db, what);
    else
        apc__sql_rollback(db);
    apc__sqlc_put(s, c);
    return r;
}

const apc__stats_ops_t apc__sqlite_stats_ops = {
    .read = stats_read,
    .capture_exists = stats_capture_exists,
    .key = stats_key,
    .series = stats_series,
    .top_keys = stats_top_keys,
    .top_conns = stats_top_conns,
    .ip_find = stats_ip_find,
    .process_find = stats_process_find,
    .process_name = stats_process_name,
    .totals = stats_totals,
    .reset = stats_reset,
};
