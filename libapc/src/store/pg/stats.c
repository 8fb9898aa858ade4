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
#include <string.h>

#include "core/error.h"
#include "store/pg/pg_int.h"

#define WHAT_READ "reading statistics"
#define WHAT_TOPS "reading top statistics"

/* node: nodes.id of the one node read, 0 = every node. The since-reset tables hold a row per
 * key and node (schema step 6; rows from before it have node 0 and count for every node only),
 * so their reads sum over the nodes, or read one; a capture's rows are its node's already. */
struct apc__st_stats_rd {
    apc__pg_t *pg;
    int64_t node;
    const char *node_name; /* borrowed for the read; NULL with node 0 */
};

static int stats_read(void *impl, const char *node, apc__st_stats_read_fn fn, void *payload)
{
    apc__pg_t *pg = impl;
    apc__st_stats_rd_t rd = {pg, 0, node};
    apc__pg_lock(pg);
    int64_t r = apc__pg_exec(pg, WHAT_READ, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", "");
    if (r >= 0) {
        if (node) {
            r = apc__pg_int(pg, WHAT_READ, &rd.node, "SELECT id FROM nodes WHERE name=$1", "t",
                            node);
            if (r == 0)
                r = apc__err(APC_ENOTFOUND, "no node named '%s' in the fleet", node);
        }
        if (r >= 0)
            r = fn(&rd, payload);
        apc__pg_rollback(pg); /* only read: nothing to keep */
    }
    apc__pg_unlock(pg);
    return (int)r;
}

static int stats_capture_exists(void *impl, apc__st_stats_rd_t *rd, int64_t capture_id)
{
    int r = apc__pg_capture_exists(rd->pg, capture_id);
    if (r < 0 || !rd->node)
        return r;
    int64_t one;
    r = apc__pg_int(rd->pg, WHAT_READ, &one, "SELECT 1 FROM captures WHERE id=$1 AND node=$2", "ii",
                    capture_id, rd->node);
    if (r < 0)
        return r;
    return r ? 0
             : apc__err(APC_ENOTFOUND, "capture %lld is not a capture of node '%s'",
                        (long long)capture_id, rd->node_name);
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
                                      "SELECT sum(packets)::bigint, sum(bytes)::bigint, "
                                      "min(first_time), max(last_time) FROM stats_global_keys "
                                      "WHERE kind=$1 AND key=$2 AND ($3::bigint=0 OR node=$3) "
                                      "HAVING count(*)>0",
                                      "iii", (int64_t)kind, key, rd->node);
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
    /* A bucket of the since-reset series has a row per node: summed, or one node's. */
    snprintf(sql, sizeof sql,
             "SELECT t, sum(packets)::bigint, sum(bytes)::bigint FROM %s WHERE kind=$1 AND key=$2 "
             "AND level=$3 AND t>=$4 AND t<=$5 AND %s GROUP BY t ORDER BY t",
             capture_id ? "stats_series" : "stats_global_series",
             capture_id ? "capture_id=$6" : "($6::bigint=0 OR node=$6)");
    PGresult *r = apc__pg_query(rd->pg, WHAT_READ, sql, "iiiiii", (int64_t)kind, key,
                                (int64_t)level, from, to, capture_id ? capture_id : rd->node);
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
/* Hands at most n rows (id, packets, bytes, addr, host/name, pid) of r to fn; tagged: each row
 * starts with its list's kind. */
static int read_tops(PGresult *r, int tagged, unsigned n, apc__st_stats_top_fn fn, void *payload)
{
    if (!r)
        return APC_ESTORE;
    int rc = 0, o = tagged ? 1 : 0;
    for (int i = 0; rc == 0 && i < PQntuples(r) && (unsigned)i < n; i++) {
        uint8_t addr[16];
        size_t alen = apc__pg_bytes(r, i, o + 3, addr, sizeof addr);
        apc__st_stats_top_t e = {
            .list = tagged ? (int)apc__pg_i64(r, i, 0) : 0,
            .id = apc__pg_i64(r, i, o),
            .packets = (uint64_t)apc__pg_i64(r, i, o + 1),
            .bytes = (uint64_t)apc__pg_i64(r, i, o + 2),
            .addr = alen ? addr : NULL,
            .alen = (int)alen,
            .name = PQgetisnull(r, i, o + 4) ? NULL : PQgetvalue(r, i, o + 4),
            .pid = apc__pg_i64(r, i, o + 5),
        };
        rc = fn(&e, payload);
    }
    PQclear(r);
    return rc;
}

static int stats_top_keys(void *impl, apc__st_stats_rd_t *rd, int64_t capture_id, int kind,
                          unsigned n, apc__st_stats_top_fn fn, void *payload)
{
    /* The since-reset keys: one row per key, summed over the nodes or of one node ($3). */
    const char *tab = capture_id
                          ? "stats_keys"
                          : "(SELECT kind, key, sum(packets)::bigint packets, "
                            "sum(bytes)::bigint bytes FROM stats_global_keys WHERE $3::bigint=0 OR "
                            "node=$3 GROUP BY kind, key)";
    const char *cap = capture_id ? " AND k.capture_id=$3" : "";
    const char *sel = kind == APC__ST_SK_IP        ? "i.addr, i.host_name, 0"
                      : kind == APC__ST_SK_PROCESS ? "NULL::bytea, p.name, p.pid"
                                                   : "NULL::bytea, NULL, 0";
    const char *join = kind == APC__ST_SK_IP        ? " JOIN ips i ON i.id=k.key"
                       : kind == APC__ST_SK_PROCESS ? " LEFT JOIN processes p ON p.id=k.key"
                                                    : "";
    char sql[800];
    snprintf(sql, sizeof sql,
             "SELECT k.key, k.packets, k.bytes, %s FROM %s k%s WHERE k.kind=$1%s "
             "ORDER BY k.packets DESC, k.key LIMIT $2",
             sel, tab, join, cap);
    return read_tops(apc__pg_query(rd->pg, WHAT_TOPS, sql, "iii", (int64_t)kind, (int64_t)n,
                                   capture_id ? capture_id : rd->node),
                     0, n, fn, payload);
}

/* The connections under a key, as m(a, b, port, proto, process_id, p, y): a and b the two
 * addresses, port the responder's port, p/y packets/bytes both ways. $1 = key, $2 = capture. */
static void conns_cte(char *sql, size_t n, int64_t capture_id, int kind)
{
    const char *cols = "SELECT src a, dst b, dport port, proto, process_id, "
                       "pkts_out+pkts_in p, bytes_out+bytes_in y FROM connections WHERE ";
    /* $2: the capture, or for all captures the node (0 = every node). */
    const char *cap = capture_id ? " AND capture_id=$2" : " AND ($2::bigint=0 OR node=$2)";
    switch (kind) {
    case APC__ST_SK_IP:
        snprintf(sql, n, "WITH m AS MATERIALIZED (%ssrc=$1%s UNION ALL %sdst=$1 AND src<>$1%s) ",
                 cols, cap, cols, cap);
        break;
    case APC__ST_SK_PORT:
        snprintf(sql, n,
                 "WITH m AS MATERIALIZED (%ssport=$1%s UNION ALL %sdport=$1 AND sport<>$1%s) ",
                 cols, cap, cols, cap);
        break;
    case APC__ST_SK_PROTO:
        snprintf(sql, n, "WITH m AS MATERIALIZED (%sproto=$1%s) ", cols, cap);
        break;
    default:
        snprintf(sql, n, "WITH m AS MATERIALIZED (%sprocess_id=$1%s) ", cols, cap);
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
                     "sum(p) p, sum(y) y FROM (SELECT CASE WHEN a=$1 THEN b ELSE a END x, p, y "
                     "FROM m) o GROUP BY x ORDER BY 2 DESC LIMIT $3) t LEFT JOIN ips i ON "
                     "i.addr=t.x"
                   : "SELECT 1, coalesce(i.id, 0), t.p, t.y, t.x, i.host_name, 0 FROM (SELECT x, "
                     "sum(p) p, sum(y) y FROM (SELECT a x, p, y FROM m UNION ALL SELECT b, p, y "
                     "FROM m WHERE b<>a) o GROUP BY x ORDER BY 2 DESC LIMIT $3) t LEFT JOIN ips i "
                     "ON i.addr=t.x";
    case APC__ST_SK_PORT:
        return "SELECT 2, port, sum(p), sum(y), NULL::bytea, NULL, 0 FROM m WHERE proto IN (6, 17) "
               "GROUP BY port ORDER BY 3 DESC LIMIT $3";
    case APC__ST_SK_PROTO:
        return "SELECT 3, proto, sum(p), sum(y), NULL::bytea, NULL, 0 FROM m GROUP BY proto "
               "ORDER BY 3 DESC LIMIT $3";
    default:
        return "SELECT 4, m.process_id, sum(p), sum(y), NULL::bytea, pr.name, pr.pid FROM m "
               "LEFT JOIN processes pr ON pr.id=m.process_id WHERE m.process_id<>0 "
               "GROUP BY m.process_id, pr.name, pr.pid ORDER BY 3 DESC LIMIT $3";
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
    int64_t where = capture_id ? capture_id : rd->node;
    PGresult *r;
    if (u->addr)
        r = apc__pg_query(rd->pg, WHAT_TOPS, sql, "bii", u->addr, (size_t)u->alen, where,
                          (int64_t)n);
    else
        r = apc__pg_query(rd->pg, WHAT_TOPS, sql, "iii", u->key, where, (int64_t)n);
    return read_tops(r, 1, 4 * n, fn, payload);
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
             "WHERE k.kind=%d AND k.key=p.id AND %s) ORDER BY p.id DESC LIMIT 1",
             capture_id ? "stats_keys" : "stats_global_keys", APC__ST_SK_PROCESS,
             capture_id ? "k.capture_id=$2" : "($2::bigint=0 OR k.node=$2)");
    return apc__pg_int(rd->pg, "looking up a process", id, sql, "ii", pid,
                       capture_id ? capture_id : rd->node);
}

static int stats_process_name(void *impl, apc__st_stats_rd_t *rd, int64_t id, char **name)
{
    return apc__pg_text(rd->pg, "looking up a process", name,
                        "SELECT name FROM processes WHERE id=$1", "i", id);
}

static int stats_totals(void *impl, apc__st_stats_rd_t *rd, apc__st_stats_totals_t *t)
{
    /* g: the since-reset rows of the nodes read ($5 = 0: every node); c: their captures
     * started since the reset. */
    PGresult *r = apc__pg_query(
        rd->pg, WHAT_READ,
        "WITH g AS (SELECT * FROM stats_global_keys WHERE $5::bigint=0 OR node=$5),"
        " c AS (SELECT drops, kernel_drops FROM captures, stats_reset s WHERE s.id=1 AND "
        "start_time>=s.since AND ($5::bigint=0 OR node=$5)) "
        "SELECT s.since,"
        " (SELECT coalesce(sum(packets), 0) FROM g WHERE kind=$1 AND key=0),"
        " (SELECT coalesce(sum(bytes), 0) FROM g WHERE kind=$1 AND key=0),"
        " (SELECT coalesce(sum(packets), 0) FROM g WHERE kind=$2 AND key=0),"
        " (SELECT count(DISTINCT key) FROM g WHERE kind=$3),"
        " (SELECT count(DISTINCT key) FROM g WHERE kind=$4),"
        " (SELECT count(*) FROM c),"
        " (SELECT coalesce(sum(drops+kernel_drops), 0) FROM c)"
        " FROM stats_reset s WHERE s.id=1",
        "iiiii", (int64_t)APC__ST_SK_ALL, (int64_t)APC__ST_STAT_KIND_CONNS, (int64_t)APC__ST_SK_IP,
        (int64_t)APC__ST_SK_PROCESS, rd->node);
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
