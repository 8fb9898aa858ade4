/* SPDX-License-Identifier: MIT */
/* Top lists of the statistics answers: from per-key totals, or from the connections of a key. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "stats/agg.h"
#include "stats/stats_int.h"
#include "store/sql.h"
#include "store/store.h"

void apc__stats_tops_free(apc_stats_tops_t *t)
{
    for (size_t i = 0; i < t->count; i++) {
        free(t->items[i].value);
        free(t->items[i].name);
    }
    free(t->items);
    t->items = NULL;
    t->count = 0;
}

static char *dup_or_empty(const char *s)
{
    return strdup(s ? s : "");
}

/* Reads rows (id, packets, bytes, addr, host/name, pid) into a list. The value is the address
 * text for blobs, else the id as text; for protocols the name is ours. */
static int read_tops(sqlite3 *db, sqlite3_stmt *st, int kind, apc_stats_tops_t *out)
{
    out->items = calloc(APC__STATS_TOP_N, sizeof *out->items);
    if (!out->items)
        return apc__err(APC_ENOMEM, "out of memory");
    int rc;
    while (out->count < APC__STATS_TOP_N && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        apc_stats_top_t *e = &out->items[out->count];
        char buf[64];
        e->id = sqlite3_column_int64(st, 0);
        e->packets = (uint64_t)sqlite3_column_int64(st, 1);
        e->bytes = (uint64_t)sqlite3_column_int64(st, 2);
        int alen = sqlite3_column_bytes(st, 3);
        const void *a = sqlite3_column_blob(st, 3);
        if (kind == APC__SK_IP && a && (alen == 4 || alen == 16))
            inet_ntop(alen == 4 ? AF_INET : AF_INET6, a, buf, sizeof buf);
        else
            snprintf(buf, sizeof buf, "%lld", (long long)e->id);
        const char *name = kind == APC__SK_PROTO ? apc_stats_protocol_name((int)e->id)
                                                 : (const char *)sqlite3_column_text(st, 4);
        e->pid = kind == APC__SK_PROCESS ? sqlite3_column_int64(st, 5) : 0;
        e->value = strdup(buf);
        e->name = dup_or_empty(name);
        out->count++;
        if (!e->value || !e->name)
            return apc__err(APC_ENOMEM, "out of memory");
    }
    if (out->count < APC__STATS_TOP_N && rc != SQLITE_DONE)
        return apc__db_err(db, rc, "reading top statistics");
    return 0;
}

int apc__stats_tops_keys(sqlite3 *db, int64_t capture_id, int kind, apc_stats_tops_t *out)
{
    memset(out, 0, sizeof *out);
    const char *tab = capture_id ? "stats_keys" : "stats_global_keys";
    const char *cap = capture_id ? "k.capture_id=?1 AND " : "";
    char sql[1024];
    /* The (capture_id, kind, packets) index hands rows out in order: no sort of every key. */
    if (kind == APC__SK_IP)
        snprintf(sql, sizeof sql,
                 "SELECT k.key, k.packets, k.bytes, i.addr, i.host_name, 0 FROM %s k "
                 "JOIN ips i ON i.id=k.key WHERE %sk.kind=?2 ORDER BY k.packets DESC LIMIT %d",
                 tab, cap, APC__STATS_TOP_N);
    else if (kind == APC__SK_PROCESS)
        snprintf(sql, sizeof sql,
                 "SELECT k.key, k.packets, k.bytes, NULL, p.name, p.pid FROM %s k "
                 "LEFT JOIN processes p ON p.id=k.key WHERE %sk.kind=?2 "
                 "ORDER BY k.packets DESC LIMIT %d",
                 tab, cap, APC__STATS_TOP_N);
    else
        snprintf(sql, sizeof sql,
                 "SELECT k.key, k.packets, k.bytes, NULL, NULL, 0 FROM %s k WHERE %sk.kind=?2 "
                 "ORDER BY k.packets DESC LIMIT %d",
                 tab, cap, APC__STATS_TOP_N);
    sqlite3_stmt *st;
    int r = apc__sql_prepare(db, "reading top statistics", sql, &st);
    if (r < 0)
        return r;
    if (capture_id)
        sqlite3_bind_int64(st, 1, capture_id);
    sqlite3_bind_int(st, 2, kind);
    r = read_tops(db, st, kind, out);
    sqlite3_finalize(st);
    return r;
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
    case APC__SK_IP:
        snprintf(sql, n, "WITH m AS (%ssrc=?1%s UNION ALL %sdst=?1 AND src<>?1%s) ", cols, cap,
                 cols, cap);
        break;
    case APC__SK_PORT:
        snprintf(sql, n, "WITH m AS (%ssport=?1%s UNION ALL %sdport=?1 AND sport<>?1%s) ", cols,
                 cap, cols, cap);
        break;
    case APC__SK_PROTO:
        snprintf(sql, n, "WITH m AS (%s%sproto=?1) ", cols, capture_id ? "capture_id=?2 AND " : "");
        break;
    default:
        snprintf(sql, n, "WITH m AS (%sprocess_id=?1%s) ", cols, cap);
        break;
    }
}

static int conn_top(sqlite3 *db, const char *cte, const char *body, int kind, int64_t capture_id,
                    int64_t key, const uint8_t *addr, int alen, apc_stats_tops_t *out)
{
    char sql[2048];
    snprintf(sql, sizeof sql, "%s%s LIMIT %d", cte, body, APC__STATS_TOP_N);
    sqlite3_stmt *st;
    int r = apc__sql_prepare(db, "reading top statistics", sql, &st);
    if (r < 0)
        return r;
    if (addr)
        sqlite3_bind_blob(st, 1, addr, alen, SQLITE_STATIC);
    else
        sqlite3_bind_int64(st, 1, key);
    if (capture_id)
        sqlite3_bind_int64(st, 2, capture_id);
    r = read_tops(db, st, kind, out);
    sqlite3_finalize(st);
    return r;
}

int apc__stats_tops_conns(sqlite3 *db, int64_t capture_id, int kind, int64_t key,
                          const uint8_t *addr, int alen, apc_stats_query_t *q)
{
    char cte[1024];
    conns_cte(cte, sizeof cte, capture_id, kind);
    int r = 0;
    /* The other ends for an IP; both ends otherwise. */
    const char *ips_body =
        kind == APC__SK_IP
            ? "SELECT coalesce(i.id, 0), sum(p), sum(y), x, i.host_name, 0 FROM "
              "(SELECT CASE WHEN a=?1 THEN b ELSE a END x, p, y FROM m) LEFT JOIN ips i ON "
              "i.addr=x GROUP BY x ORDER BY 2 DESC"
            : "SELECT coalesce(i.id, 0), sum(p), sum(y), x, i.host_name, 0 FROM "
              "(SELECT a x, p, y FROM m UNION ALL SELECT b, p, y FROM m WHERE b<>a) LEFT JOIN "
              "ips i ON i.addr=x GROUP BY x ORDER BY 2 DESC";
    r = conn_top(db, cte, ips_body, APC__SK_IP, capture_id, key, addr, alen, &q->ips);
    if (r == 0 && kind != APC__SK_PORT)
        r = conn_top(db, cte,
                     "SELECT port, sum(p), sum(y), NULL, NULL, 0 FROM m WHERE proto IN (6, 17) "
                     "GROUP BY port ORDER BY 2 DESC",
                     APC__SK_PORT, capture_id, key, addr, alen, &q->ports);
    if (r == 0 && kind != APC__SK_PROTO)
        r = conn_top(db, cte,
                     "SELECT proto, sum(p), sum(y), NULL, NULL, 0 FROM m GROUP BY proto "
                     "ORDER BY 2 DESC",
                     APC__SK_PROTO, capture_id, key, addr, alen, &q->protocols);
    if (r == 0 && kind != APC__SK_PROCESS)
        r = conn_top(db, cte,
                     "SELECT m.process_id, sum(p), sum(y), NULL, pr.name, pr.pid FROM m "
                     "LEFT JOIN processes pr ON pr.id=m.process_id WHERE m.process_id<>0 "
                     "GROUP BY m.process_id ORDER BY 2 DESC",
                     APC__SK_PROCESS, capture_id, key, addr, alen, &q->processes);
    return r;
}
