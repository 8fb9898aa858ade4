/* SPDX-License-Identifier: MIT */
/*
 * PostgreSQL backend: reads of the statistics tables and their reset. A read is one
 * REPEATABLE READ, READ ONLY transaction on the store's connection, held (the lock) for the
 * whole read, so totals, buckets and tops read in it agree. The texts vary with the
 * capture/store-wide choice and the kind; values are always parameters (the capture id last:
 * $1.. are numbered as each variant uses them, PostgreSQL wants every parameter used).
 */
#include <stdio.h>
#include <stdlib.h>

#include "core/error.h"
#include "store/pg/pg_int.h"

#define WHAT_READ "reading statistics"
#define WHAT_TOPS "reading top statistics"

struct apc__st_stats_rd {
    apc__pg_t *pg;
};

static int stats_read(void *impl, apc__st_stats_read_fn fn, void *payload)
{
    apc__pg_t *pg = impl;
    apc__st_stats_rd_t rd = {pg};
    apc__pg_lock(pg);
    int64_t r = apc__pg_exec(pg, WHAT_READ, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", "");
    if (r >= 0) {
        r = fn(&rd, payload);
        apc__pg_rollback(pg); /* only read: nothing to keep */
    }
    apc__pg_unlock(pg);
    return (int)r;
}

static int stats_capture_exists(void *impl, apc__st_stats_rd_t *rd, int64_t capture_id)
{
    return apc__pg_capture_exists(rd->pg, capture_id);
}

static int stats_key(void *impl, apc__st_stats_rd_t *rd, int64_t capture_id, int kind, int64_t key,
                     apc__st_stats_key_t *out)
{
    PGresult *r = capture_id
                      ? apc__pg_query(rd->pg, WHAT_READ,
                                      "SELECT packets, bytes, first_time, last_time FROM "
                                      "stats_keys WHERE kind=$1 AND key=$2 AND capture_id=$3",
                                      "iii", (int64_t)kind, key, capture_id)
                      : apc__pg_query(rd->pg, WHAT_READ,
                                      "SELECT packets, bytes, first_time, last_time FROM "
                                      "stats_global_keys WHERE kind=$1 AND key=$2",
                                      "ii", (int64_t)kind, key);
    if (!r)
        return APC_ESTORE;
    int found = PQntuples(r) > 0;
    if (found) {
        out->packets = (uint64_t)apc__pg_i64(r, 0, 0);
        out->bytes = (uint64_t)apc__pg_i64(r, 0, 1);
        out->first_time = apc__pg_i64(r, 0, 2);
        out->last_time = apc__pg_i64(r, 0, 3);
    }
    PQclear(r);
    return found;
}

static int stats_series(void *impl, apc__st_stats_rd_t *rd, int64_t capture_id, int kind,
                        int64_t key, int level, int64_t from, int64_t to,
                        apc__st_stats_bucket_fn fn, void *payload)
{
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT t, packets, bytes FROM %s WHERE kind=$1 AND key=$2 AND level=$3 AND t>=$4 "
             "AND t<=$5%s",
             capture_id ? "stats_series" : "stats_global_series",
             capture_id ? " AND capture_id=$6" : "");
    PGresult *r = apc__pg_query(rd->pg, WHAT_READ, sql, capture_id ? "iiiiii" : "iiiii",
                                (int64_t)kind, key, (int64_t)level, from, to, capture_id);
    if (!r)
        return APC_ESTORE;
    int rc = 0;
    for (int i = 0; rc == 0 && i < PQntuples(r); i++)
        rc = fn(apc__pg_i64(r, i, 0), (uint64_t)apc__pg_i64(r, i, 1),
                (uint64_t)apc__pg_i64(r, i, 2), payload);
    PQclear(r);
    return rc;
}

/* Hands at most n rows (id, packets, bytes, addr, host/name, pid) of r to fn. */
static int read_tops(PGresult *r, unsigned n, apc__st_stats_top_fn fn, void *payload)
{
    if (!r)
        return APC_ESTORE;
    int rc = 0;
    for (int i = 0; rc == 0 && i < PQntuples(r) && (unsigned)i < n; i++) {
        uint8_t addr[16];
        size_t alen = apc__pg_bytes(r, i, 3, addr, sizeof addr);
        apc__st_stats_top_t e = {
            .id = apc__pg_i64(r, i, 0),
            .packets = (uint64_t)apc__pg_i64(r, i, 1),
            .bytes = (uint64_t)apc__pg_i64(r, i, 2),
            .addr = alen ? addr : NULL,
            .alen = (int)alen,
            .name = PQgetisnull(r, i, 4) ? NULL : PQgetvalue(r, i, 4),
            .pid = apc__pg_i64(r, i, 5),
        };
        rc = fn(&e, payload);
    }
    PQclear(r);
    return rc;
}

static int stats_top_keys(void *impl, apc__st_stats_rd_t *rd, int64_t capture_id, int kind,
                          unsigned n, apc__st_stats_top_fn fn, void *payload)
{
    const char *tab = capture_id ? "stats_keys" : "stats_global_keys";
    const char *cap = capture_id ? " AND k.capture_id=$3" : "";
    const char *sel = kind == APC__ST_SK_IP        ? "i.addr, i.host_name, 0"
                      : kind == APC__ST_SK_PROCESS ? "NULL::bytea, p.name, p.pid"
                                                   : "NULL::bytea, NULL, 0";
    const char *join = kind == APC__ST_SK_IP        ? " JOIN ips i ON i.id=k.key"
                       : kind == APC__ST_SK_PROCESS ? " LEFT JOIN processes p ON p.id=k.key"
                                                    : "";
    char sql[640];
    snprintf(sql, sizeof sql,
             "SELECT k.key, k.packets, k.bytes, %s FROM %s k%s WHERE k.kind=$1%s "
             "ORDER BY k.packets DESC LIMIT $2",
             sel, tab, join, cap);
    return read_tops(apc__pg_query(rd->pg, WHAT_TOPS, sql, capture_id ? "iii" : "ii", (int64_t)kind,
                                   (int64_t)n, capture_id),
                     n, fn, payload);
}

/* The connections under a key, as m(a, b, port, proto, process_id, p, y): a and b the two
 * addresses, port the responder's port, p/y packets/bytes both ways. $1 = key, $2 = capture. */
static void conns_cte(char *sql, size_t n, int64_t capture_id, int kind)
{
    const char *cols = "SELECT src a, dst b, dport port, proto, process_id, "
                       "pkts_out+pkts_in p, bytes_out+bytes_in y FROM connections WHERE ";
    const char *cap = capture_id ? " AND capture_id=$2" : "";
    switch (kind) {
    case APC__ST_SK_IP:
        snprintf(sql, n, "WITH m AS (%ssrc=$1%s UNION ALL %sdst=$1 AND src<>$1%s) ", cols, cap,
                 cols, cap);
        break;
    case APC__ST_SK_PORT:
        snprintf(sql, n, "WITH m AS (%ssport=$1%s UNION ALL %sdport=$1 AND sport<>$1%s) ", cols,
                 cap, cols, cap);
        break;
    case APC__ST_SK_PROTO:
        snprintf(sql, n, "WITH m AS (%sproto=$1%s) ", cols, cap);
        break;
    default:
        snprintf(sql, n, "WITH m AS (%sprocess_id=$1%s) ", cols, cap);
        break;
    }
}

static const char *conns_body(int kind, int list)
{
    switch (list) {
    case APC__ST_SK_IP:
        return kind == APC__ST_SK_IP
                   ? "SELECT coalesce(i.id, 0), sum(p), sum(y), x, i.host_name, 0 FROM "
                     "(SELECT CASE WHEN a=$1 THEN b ELSE a END x, p, y FROM m) o LEFT JOIN ips i "
                     "ON i.addr=x GROUP BY x, i.id, i.host_name ORDER BY 2 DESC"
                   : "SELECT coalesce(i.id, 0), sum(p), sum(y), x, i.host_name, 0 FROM "
                     "(SELECT a x, p, y FROM m UNION ALL SELECT b, p, y FROM m WHERE b<>a) o "
                     "LEFT JOIN ips i ON i.addr=x GROUP BY x, i.id, i.host_name ORDER BY 2 DESC";
    case APC__ST_SK_PORT:
        return "SELECT port, sum(p), sum(y), NULL::bytea, NULL, 0 FROM m WHERE proto IN (6, 17) "
               "GROUP BY port ORDER BY 2 DESC";
    case APC__ST_SK_PROTO:
        return "SELECT proto, sum(p), sum(y), NULL::bytea, NULL, 0 FROM m GROUP BY proto "
               "ORDER BY 2 DESC";
    default:
        return "SELECT m.process_id, sum(p), sum(y), NULL::bytea, pr.name, pr.pid FROM m "
               "LEFT JOIN processes pr ON pr.id=m.process_id WHERE m.process_id<>0 "
               "GROUP BY m.process_id, pr.name, pr.pid ORDER BY 2 DESC";
    }
}

static int stats_top_conns(void *impl, apc__st_stats_rd_t *rd, int64_t capture_id,
                           const apc__st_stats_under_t *u, int list, unsigned n,
                           apc__st_stats_top_fn fn, void *payload)
{
    char cte[1024], sql[2048];
    conns_cte(cte, sizeof cte, capture_id, u->kind);
    snprintf(sql, sizeof sql, "%s%s LIMIT $%d", cte, conns_body(u->kind, list), capture_id ? 3 : 2);
    PGresult *r;
    if (u->addr && capture_id)
        r = apc__pg_query(rd->pg, WHAT_TOPS, sql, "bii", u->addr, (size_t)u->alen, capture_id,
                          (int64_t)n);
    else if (u->addr)
        r = apc__pg_query(rd->pg, WHAT_TOPS, sql, "bi", u->addr, (size_t)u->alen, (int64_t)n);
    else if (capture_id)
        r = apc__pg_query(rd->pg, WHAT_TOPS, sql, "iii", u->key, capture_id, (int64_t)n);
    else
        r = apc__pg_query(rd->pg, WHAT_TOPS, sql, "ii", u->key, (int64_t)n);
    return read_tops(r, n, fn, payload);
}

static int stats_ip_find(void *impl, apc__st_stats_rd_t *rd, const uint8_t *addr, int alen,
                         int64_t *id, char **host)
{
    PGresult *r =
        apc__pg_query(rd->pg, "looking up an address",
                      "SELECT id, host_name FROM ips WHERE addr=$1", "b", addr, (size_t)alen);
    if (!r)
        return APC_ESTORE;
    int rc = 0;
    if (PQntuples(r) > 0) {
        *id = apc__pg_i64(r, 0, 0);
        rc = (*host = apc__pg_str(r, 0, 1)) ? 1 : apc__err(APC_ENOMEM, "out of memory");
    }
    PQclear(r);
    return rc;
}

static int stats_process_find(void *impl, apc__st_stats_rd_t *rd, int64_t capture_id, int64_t pid,
                              int64_t *id)
{
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT p.id FROM processes p WHERE p.pid=$1 AND EXISTS(SELECT 1 FROM %s k "
             "WHERE k.kind=%d AND k.key=p.id%s) ORDER BY p.id DESC LIMIT 1",
             capture_id ? "stats_keys" : "stats_global_keys", APC__ST_SK_PROCESS,
             capture_id ? " AND k.capture_id=$2" : "");
    return apc__pg_int(rd->pg, "looking up a process", id, sql, capture_id ? "ii" : "i", pid,
                       capture_id);
}

static int stats_process_name(void *impl, apc__st_stats_rd_t *rd, int64_t id, char **name)
{
    return apc__pg_text(rd->pg, "looking up a process", name,
                        "SELECT name FROM processes WHERE id=$1", "i", id);
}

static int stats_totals(void *impl, apc__st_stats_rd_t *rd, apc__st_stats_totals_t *t)
{
    PGresult *r = apc__pg_query(
        rd->pg, WHAT_READ,
        "SELECT s.since,"
        " (SELECT packets FROM stats_global_keys WHERE kind=$1 AND key=0),"
        " (SELECT bytes FROM stats_global_keys WHERE kind=$1 AND key=0),"
        " (SELECT packets FROM stats_global_keys WHERE kind=$2 AND key=0),"
        " (SELECT count(*) FROM stats_global_keys WHERE kind=$3),"
        " (SELECT count(*) FROM stats_global_keys WHERE kind=$4),"
        " (SELECT count(*) FROM captures WHERE start_time>=s.since),"
        " (SELECT coalesce(sum(drops+kernel_drops), 0) FROM captures WHERE start_time>=s.since)"
        " FROM stats_reset s WHERE s.id=1",
        "iiii", (int64_t)APC__ST_SK_ALL, (int64_t)APC__ST_STAT_KIND_CONNS, (int64_t)APC__ST_SK_IP,
        (int64_t)APC__ST_SK_PROCESS);
    if (!r)
        return APC_ESTORE;
    if (PQntuples(r) > 0) {
        t->since = apc__pg_i64(r, 0, 0);
        t->packets = (uint64_t)apc__pg_i64(r, 0, 1);
        t->bytes = (uint64_t)apc__pg_i64(r, 0, 2);
        t->connections = (uint64_t)apc__pg_i64(r, 0, 3);
        t->ips = (uint64_t)apc__pg_i64(r, 0, 4);
        t->processes = (uint64_t)apc__pg_i64(r, 0, 5);
        t->captures = (uint64_t)apc__pg_i64(r, 0, 6);
        t->drops = (uint64_t)apc__pg_i64(r, 0, 7);
    }
    PQclear(r);
    return 0;
}

static int stats_reset(void *impl, int64_t since)
{
    apc__pg_t *pg = impl;
    const char *what = "resetting statistics";
    int r = apc__pg_begin(pg, what);
    if (r < 0)
        return r;
    if ((apc__pg_exec(pg, what, "DELETE FROM stats_global_keys", "") < 0 ||
         apc__pg_exec(pg, what, "DELETE FROM stats_global_series", "") < 0 ||
         apc__pg_exec(pg, what, "UPDATE stats_reset SET since=$1 WHERE id=1", "i", since) < 0))
        r = APC_ESTORE;
    return apc__pg_end(pg, what, r);
}

const apc__stats_ops_t apc__pg_stats_ops = {
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
