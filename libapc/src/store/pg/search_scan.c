/* SPDX-License-Identifier: MIT */
/*
 * PostgreSQL backend: what one capture's scan and its planner read (search/scan.c,
 * search/plan.c), as store/sqlite/search_scan.c: the capture's packet count and spans, its
 * link types, its connections, the span and key index a full scan stores (search_conn_spans,
 * search_conn_keys), processes, and connection ids by key, address or port.
 *
 * Calls over many ids send them as one array parameter (one round trip, not one per id);
 * WITH ORDINALITY keeps the order given. The index is written with COPY.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "store/pg/pg_int.h"
#include "store/searches.h"
#include "store/sql_cols.h"
#include "util/array.h"

int apc__pg_search_capture(void *impl, int64_t capture_id, apc__st_search_capture_t *out)
{
    PGresult *q = apc__pg_query(impl, "reading a capture",
                                "SELECT packets, state, packet_spans, nc_first_packet, "
                                "nc_last_packet FROM captures WHERE id=$1",
                                "i", capture_id);
    if (!q)
        return APC_ESTORE;
    int r = PQntuples(q) > 0;
    if (r) {
        out->packets = (uint64_t)apc__pg_i64(q, 0, 0);
        out->state = apc__pg_i64(q, 0, 1);
        out->packet_spans = apc__pg_i64(q, 0, 2) != 0;
        out->nc_first = (uint64_t)apc__pg_i64(q, 0, 3);
        out->nc_last = (uint64_t)apc__pg_i64(q, 0, 4);
    }
    PQclear(q);
    return r;
}

int apc__pg_search_linktypes(void *impl, int64_t capture_id, apc__st_search_link_fn fn,
                             void *payload)
{
    PGresult *q = apc__pg_query(impl, "reading interfaces",
                                "SELECT idx, linktype FROM interfaces WHERE capture_id=$1 "
                                "ORDER BY idx",
                                "i", capture_id);
    if (!q)
        return APC_ESTORE;
    int r = 0;
    for (int i = 0; r == 0 && i < PQntuples(q); i++)
        r = fn(apc__pg_i64(q, i, 0), (uint32_t)apc__pg_i64(q, i, 1), payload);
    PQclear(q);
    return r;
}

int apc__pg_search_conn_max(void *impl, int64_t capture_id, int64_t *max)
{
    int r = apc__pg_int(impl, "reading connections", max,
                        "SELECT coalesce(max(id), 0) FROM connections WHERE capture_id=$1", "i",
                        capture_id);
    return r < 0 ? r : 0;
}

/* Runs `sql` with $1 the capture id and, when ids is not NULL, $2 the array of ids. */
static PGresult *by_ids(apc__pg_t *pg, const char *what, const char *sql, int64_t capture_id,
                        const int64_t *ids, size_t n)
{
    if (!ids)
        return apc__pg_query(pg, what, sql, "i", capture_id);
    char *arr = apc__pg_id_array(ids, n);
    PGresult *q = arr ? apc__pg_query(pg, what, sql, "it", capture_id, arr) : NULL;
    free(arr);
    return q;
}

#define CONN_COLS "SELECT " APC__SEARCH_CONN_COLS("c.") " FROM "
#define BY_IDS(table)                                                                              \
    "unnest($2::bigint[]) WITH ORDINALITY AS u(id, o) JOIN " table                                 \
    " c ON c.capture_id=$1 AND c.id=u.id ORDER BY u.o"

int apc__pg_search_conns(void *impl, int64_t capture_id, const int64_t *ids, size_t n,
                         apc__st_search_conn_fn fn, void *payload)
{
    PGresult *q = by_ids(impl, "reading connections",
                         ids ? CONN_COLS BY_IDS("connections")
                             : CONN_COLS "connections c WHERE c.capture_id=$1",
                         capture_id, ids, n);
    if (!q)
        return APC_ESTORE;
    int r = 0;
    for (int i = 0; r == 0 && i < PQntuples(q); i++) {
        uint8_t src[16], dst[16];
        apc__st_search_conn_t c = {
            .id = apc__pg_i64(q, i, 0),
            .proto = (int)apc__pg_i64(q, i, 1),
            .ip_ver = (int)apc__pg_i64(q, i, 2),
            .src = src,
            .src_len = (int)apc__pg_bytes(q, i, 3, src, sizeof src),
            .dst = dst,
            .dst_len = (int)apc__pg_bytes(q, i, 4, dst, sizeof dst),
            .sport = (int)apc__pg_i64(q, i, 5),
            .dport = (int)apc__pg_i64(q, i, 6),
            .bytes = (uint64_t)apc__pg_i64(q, i, 7),
            .packets = (uint64_t)apc__pg_i64(q, i, 8),
            .first_packet = (uint64_t)apc__pg_i64(q, i, 9),
            .last_packet = (uint64_t)apc__pg_i64(q, i, 10),
        };
        r = fn(&c, payload);
    }
    PQclear(q);
    return r;
}

int apc__pg_search_spans_covered(void *impl, int64_t capture_id, int64_t *covered)
{
    return apc__pg_int(impl, "reading connection spans", covered,
                       "SELECT first_id FROM search_conn_spans WHERE capture_id=$1 AND "
                       "conn_id=-1",
                       "i", capture_id);
}

int apc__pg_search_spans(void *impl, int64_t capture_id, const int64_t *ids, size_t n,
                         apc__st_search_span_fn fn, void *payload)
{
    PGresult *q = by_ids(impl, "reading connection spans",
                         ids ? "SELECT c.conn_id, c.first_id, c.last_id FROM "
                               "unnest($2::bigint[]) WITH ORDINALITY AS u(id, o) JOIN "
                               "search_conn_spans c ON c.capture_id=$1 AND c.conn_id=u.id "
                               "ORDER BY u.o"
                             : "SELECT conn_id, first_id, last_id FROM search_conn_spans "
                               "WHERE capture_id=$1 AND conn_id>=0",
                         capture_id, ids, n);
    if (!q)
        return APC_ESTORE;
    int r = 0;
    for (int i = 0; r == 0 && i < PQntuples(q); i++)
        r = fn(apc__pg_i64(q, i, 0), (uint64_t)apc__pg_i64(q, i, 1), (uint64_t)apc__pg_i64(q, i, 2),
               payload);
    PQclear(q);
    return r;
}

/* COPY of the span rows then the key rows (search_conn_keys has no unique key: a repeated
 * key is a repeated id, which its readers accept). */
static int copy_index(apc__pg_t *pg, int64_t node, int64_t cap, const apc__st_search_span_t *spans,
                      size_t n_spans, const apc__st_search_key_t *keys, size_t n_keys)
{
    apc__pg_copy_t c = {0};
    int r = apc__pg_copy_begin(&c, pg, "storing connection spans",
                               "COPY search_conn_spans(node, capture_id, conn_id, first_id, "
                               "last_id) FROM STDIN");
    for (size_t i = 0; r == 0 && i < n_spans; i++) {
        apc__pg_copy_values(&c, "iiiii", node, cap, spans[i].conn_id, (int64_t)spans[i].first_id,
                            (int64_t)spans[i].last_id);
    }
    if (r == 0)
        r = apc__pg_copy_end(&c);
    if (r == 0)
        r = apc__pg_copy_begin(&c, pg, "storing connection keys",
                               "COPY search_conn_keys(node, capture_id, key, conn_id) FROM "
                               "STDIN");
    for (size_t i = 0; r == 0 && i < n_keys; i++) {
        apc__pg_copy_values(&c, "iibi", node, cap, (const uint8_t *)keys[i].key,
                            (size_t)keys[i].len, keys[i].conn_id);
    }
    if (r == 0)
        r = apc__pg_copy_end(&c);
    free(c.buf);
    return r;
}

int apc__pg_search_save_index(void *impl, int64_t capture_id, const apc__st_search_span_t *spans,
                              size_t n_spans, const apc__st_search_key_t *keys, size_t n_keys,
                              uint64_t packets)
{
    apc__pg_t *pg = impl;
    const char *what = "storing connection spans";
    int r = apc__pg_begin(pg, what);
    if (r < 0)
        return r;
    /* The rows are the capture's node's (its distribution key), whoever scans it. */
    int64_t node = 0;
    r = apc__pg_int(pg, what, &node, "SELECT node FROM captures WHERE id=$1", "i", capture_id);
    if (r == 0)
        r = apc__err(APC_ENOTFOUND, "capture %lld not found", (long long)capture_id);
    if (r > 0)
        r = (int)apc__pg_exec(pg, what, "DELETE FROM search_conn_spans WHERE capture_id=$1", "i",
                              capture_id);
    if (r >= 0)
        r = (int)apc__pg_exec(pg, what, "DELETE FROM search_conn_keys WHERE capture_id=$1", "i",
                              capture_id);
    if (r >= 0)
        r = copy_index(pg, node, capture_id, spans, n_spans, keys, n_keys);
    /* Last, so that an index is used only when it is whole: it covers `packets`. */
    if (r >= 0)
        r = (int)apc__pg_exec(pg, what,
                              "INSERT INTO search_conn_spans(node, capture_id, conn_id, "
                              "first_id, last_id) VALUES($1,$2,-1,$3,$3)",
                              "iii", node, capture_id, (int64_t)packets);
    return apc__pg_end(pg, what, r < 0 ? r : 0);
}

int apc__pg_search_process(void *impl, int64_t id, apc__st_search_proc_t *out)
{
    memset(out, 0, sizeof *out);
    PGresult *q = apc__pg_query(impl, "reading a process",
                                "SELECT pid, ppid, name, path, cmdline, \"user\" FROM processes "
                                "WHERE id=$1",
                                "i", id);
    if (!q)
        return APC_ESTORE;
    int r = 0;
    if (PQntuples(q) > 0) {
        out->pid = apc__pg_i64(q, 0, 0);
        out->ppid = apc__pg_i64(q, 0, 1);
        out->name = apc__pg_str(q, 0, 2);
        out->path = apc__pg_str(q, 0, 3);
        out->cmdline = apc__pg_str(q, 0, 4);
        out->user = apc__pg_str(q, 0, 5);
        r = 1;
        if (!out->name || !out->path || !out->cmdline || !out->user) {
            apc__searches_proc_clear(out);
            r = apc__err(APC_ENOMEM, "out of memory");
        }
    }
    PQclear(q);
    return r;
}

/* The first column of every row of q to fn; q is cleared. */
static int each_id(PGresult *q, apc__st_id_fn fn, void *payload)
{
    if (!q)
        return APC_ESTORE;
    int r = 0;
    for (int i = 0; r == 0 && i < PQntuples(q); i++)
        r = fn(apc__pg_i64(q, i, 0), payload);
    PQclear(q);
    return r;
}

int apc__pg_search_ids_by_key(void *impl, int64_t capture_id, const uint8_t *key, size_t len,
                              apc__st_id_fn fn, void *payload)
{
    return each_id(apc__pg_query(impl, "reading the connection keys",
                                 "SELECT conn_id FROM search_conn_keys WHERE capture_id=$1 AND "
                                 "key=$2",
                                 "ib", capture_id, (const void *)key, len),
                   fn, payload);
}

/* The indexes on connections(capture_id, src), (capture_id, dst), (capture_id, proto, sport)
 * and (capture_id, proto, dport) (schema.c, step 3) answer these. */
int apc__pg_search_ids_by_addr(void *impl, int64_t capture_id, const uint8_t *addr, size_t len,
                               apc__st_id_fn fn, void *payload)
{
    return each_id(apc__pg_query(impl, "reading connections by address",
                                 "SELECT id FROM connections WHERE capture_id=$1 AND src=$2 "
                                 "UNION ALL SELECT id FROM connections WHERE capture_id=$1 AND "
                                 "dst=$2",
                                 "ib", capture_id, (const void *)addr, len),
                   fn, payload);
}

int apc__pg_search_ids_by_port(void *impl, int64_t capture_id, int proto, int port,
                               apc__st_id_fn fn, void *payload)
{
    return each_id(apc__pg_query(impl, "reading connections by port",
                                 "SELECT id FROM connections WHERE capture_id=$1 AND proto=$2 "
                                 "AND sport=$3 UNION ALL SELECT id FROM connections WHERE "
                                 "capture_id=$1 AND proto=$2 AND dport=$3",
                                 "iii", capture_id, (int64_t)proto, (int64_t)port),
                   fn, payload);
}
