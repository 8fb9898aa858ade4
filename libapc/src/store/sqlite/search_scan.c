/* SPDX-License-Identifier: MIT */
/*
 * SQLite backend: what one capture's scan and its planner read (search/scan.c, search/plan.c):
 * the capture's packet count and spans, its link types, its connections, the span and key
 * index a full scan stores (search_conn_spans, search_conn_keys), processes, and connection
 * ids by key, address or port. Calls over many ids run one statement, prepared once per
 * connection, for each id on one pooled connection; every statement is reset once read.
 */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "store/sql.h"
#include "store/sqlite/sqlite_int.h"
#include "store/sql_cols.h"

int apc__sqlite_search_capture(void *impl, int64_t capture_id, apc__st_search_capture_t *out)
{
    apc__store_t *s = impl;
    apc__sqlc_t *c = apc__sqlc_get(s);
    if (!c)
        return APC_ESTORE;
    sqlite3_stmt *q = apc__sqlc_stmt(c, "reading a capture",
                                     "SELECT packets, state, packet_spans, nc_first_packet, "
                                     "nc_last_packet FROM captures WHERE id=?");
    int r = APC_ESTORE;
    if (q) {
        sqlite3_bind_int64(q, 1, capture_id);
        int rc = sqlite3_step(q);
        if (rc == SQLITE_ROW) {
            out->packets = (uint64_t)sqlite3_column_int64(q, 0);
            out->state = sqlite3_column_int64(q, 1);
            out->packet_spans = sqlite3_column_int64(q, 2) != 0;
            out->nc_first = (uint64_t)sqlite3_column_int64(q, 3);
            out->nc_last = (uint64_t)sqlite3_column_int64(q, 4);
        }
        r = rc == SQLITE_ROW    ? 1
            : rc == SQLITE_DONE ? 0
                                : apc__db_err(apc__sqlc_db(c), rc, "reading a capture");
        sqlite3_reset(q);
    }
    apc__sqlc_put(s, c);
    return r;
}

int apc__sqlite_search_linktypes(void *impl, int64_t capture_id, apc__st_search_link_fn fn,
                                 void *payload)
{
    apc__store_t *s = impl;
    apc__sqlc_t *c = apc__sqlc_get(s);
    if (!c)
        return APC_ESTORE;
    sqlite3_stmt *q =
        apc__sqlc_stmt(c, "reading interfaces",
                       "SELECT idx, linktype FROM interfaces WHERE capture_id=? ORDER BY idx");
    int r = APC_ESTORE;
    if (q) {
        sqlite3_bind_int64(q, 1, capture_id);
        int rc = SQLITE_DONE;
        r = 0;
        while (r == 0 && (rc = sqlite3_step(q)) == SQLITE_ROW)
            r = fn(sqlite3_column_int64(q, 0), (uint32_t)sqlite3_column_int64(q, 1), payload);
        if (r == 0 && rc != SQLITE_DONE)
            r = apc__db_err(apc__sqlc_db(c), rc, "reading interfaces");
        sqlite3_reset(q);
    }
    apc__sqlc_put(s, c);
    return r;
}

int apc__sqlite_search_conn_max(void *impl, int64_t capture_id, int64_t *max)
{
    apc__store_t *s = impl;
    apc__sqlc_t *c = apc__sqlc_get(s);
    if (!c)
        return APC_ESTORE;
    sqlite3_stmt *q =
        apc__sqlc_stmt(c, "reading connections",
                       "SELECT coalesce(max(id), 0) FROM connections WHERE capture_id=?");
    int r = APC_ESTORE;
    if (q) {
        sqlite3_bind_int64(q, 1, capture_id);
        int rc = sqlite3_step(q);
        if (rc == SQLITE_ROW)
            *max = sqlite3_column_int64(q, 0);
        r = rc == SQLITE_ROW || rc == SQLITE_DONE
                ? 0
                : apc__db_err(apc__sqlc_db(c), rc, "reading connections");
        sqlite3_reset(q);
    }
    apc__sqlc_put(s, c);
    return r;
}

#define CONN_COLS "SELECT " APC__SEARCH_CONN_COLS("") " FROM connections "

/* Hands the current row of q (CONN_COLS) to fn. */
static int conn_row(sqlite3_stmt *q, apc__st_search_conn_fn fn, void *payload)
{
    apc__st_search_conn_t r = {
        .id = sqlite3_column_int64(q, 0),
        .proto = sqlite3_column_int(q, 1),
        .ip_ver = sqlite3_column_int(q, 2),
        .src = sqlite3_column_blob(q, 3),
        .src_len = sqlite3_column_bytes(q, 3),
        .dst = sqlite3_column_blob(q, 4),
        .dst_len = sqlite3_column_bytes(q, 4),
        .sport = sqlite3_column_int(q, 5),
        .dport = sqlite3_column_int(q, 6),
        .bytes = (uint64_t)sqlite3_column_int64(q, 7),
        .packets = (uint64_t)sqlite3_column_int64(q, 8),
        .first_packet = (uint64_t)sqlite3_column_int64(q, 9),
        .last_packet = (uint64_t)sqlite3_column_int64(q, 10),
    };
    return fn(&r, payload);
}

int apc__sqlite_search_conns(void *impl, int64_t capture_id, const int64_t *ids, size_t n,
                             apc__st_search_conn_fn fn, void *payload)
{
    apc__store_t *s = impl;
    apc__sqlc_t *c = apc__sqlc_get(s);
    if (!c)
        return APC_ESTORE;
    const char *what = "reading connections";
    sqlite3_stmt *q = apc__sqlc_stmt(
        c, what, ids ? CONN_COLS "WHERE capture_id=? AND id=?" : CONN_COLS "WHERE capture_id=?");
    int r = q ? 0 : APC_ESTORE, rc = SQLITE_DONE;
    if (q && !ids) {
        sqlite3_bind_int64(q, 1, capture_id);
        while (r == 0 && (rc = sqlite3_step(q)) == SQLITE_ROW)
            r = conn_row(q, fn, payload);
        if (r == 0 && rc != SQLITE_DONE)
            r = apc__db_err(apc__sqlc_db(c), rc, what);
        sqlite3_reset(q);
    }
    for (size_t i = 0; q && ids && r == 0 && i < n; i++) {
        sqlite3_bind_int64(q, 1, capture_id);
        sqlite3_bind_int64(q, 2, ids[i]);
        rc = sqlite3_step(q);
        if (rc == SQLITE_ROW)
            r = conn_row(q, fn, payload);
        else if (rc != SQLITE_DONE)
            r = apc__db_err(apc__sqlc_db(c), rc, what);
        sqlite3_reset(q);
    }
    apc__sqlc_put(s, c);
    return r;
}

int apc__sqlite_search_spans_covered(void *impl, int64_t capture_id, int64_t *covered)
{
    apc__store_t *s = impl;
    apc__sqlc_t *c = apc__sqlc_get(s);
    if (!c)
        return APC_ESTORE;
    const char *what = "reading connection spans";
    sqlite3_stmt *q = apc__sqlc_stmt(c, what,
                                     "SELECT first_id FROM search_conn_spans WHERE capture_id=? "
                                     "AND conn_id=-1");
    int r = APC_ESTORE;
    if (q) {
        sqlite3_bind_int64(q, 1, capture_id);
        int rc = sqlite3_step(q);
        if (rc == SQLITE_ROW)
            *covered = sqlite3_column_int64(q, 0);
        r = rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : apc__db_err(apc__sqlc_db(c), rc, what);
        sqlite3_reset(q);
    }
    apc__sqlc_put(s, c);
    return r;
}

int apc__sqlite_search_spans(void *impl, int64_t capture_id, const int64_t *ids, size_t n,
                             apc__st_search_span_fn fn, void *payload)
{
    apc__store_t *s = impl;
    apc__sqlc_t *c = apc__sqlc_get(s);
    if (!c)
        return APC_ESTORE;
    const char *what = "reading connection spans";
    sqlite3_stmt *q = apc__sqlc_stmt(c, what,
                                     ids ? "SELECT first_id, last_id FROM search_conn_spans WHERE "
                                           "capture_id=? AND conn_id=?"
                                         : "SELECT conn_id, first_id, last_id FROM "
                                           "search_conn_spans WHERE capture_id=? AND conn_id>=0");
    int r = q ? 0 : APC_ESTORE, rc = SQLITE_DONE;
    if (q && !ids) {
        sqlite3_bind_int64(q, 1, capture_id);
        while (r == 0 && (rc = sqlite3_step(q)) == SQLITE_ROW)
            r = fn(sqlite3_column_int64(q, 0), (uint64_t)sqlite3_column_int64(q, 1),
                   (uint64_t)sqlite3_column_int64(q, 2), payload);
        if (r == 0 && rc != SQLITE_DONE)
            r = apc__db_err(apc__sqlc_db(c), rc, what);
        sqlite3_reset(q);
    }
    for (size_t i = 0; q && ids && r == 0 && i < n; i++) {
        sqlite3_bind_int64(q, 1, capture_id);
        sqlite3_bind_int64(q, 2, ids[i]);
        rc = sqlite3_step(q);
        if (rc == SQLITE_ROW)
            r = fn(ids[i], (uint64_t)sqlite3_column_int64(q, 0),
                   (uint64_t)sqlite3_column_int64(q, 1), payload);
        else if (rc != SQLITE_DONE)
            r = apc__db_err(apc__sqlc_db(c), rc, what);
        sqlite3_reset(q);
    }
    apc__sqlc_put(s, c);
    return r;
}

/* The span rows, in the order given; 0 or the error set. */
static int insert_spans(apc__sqlc_t *c, int64_t cap, const apc__st_search_span_t *spans, size_t n)
{
    const char *what = "storing connection spans";
    sqlite3_stmt *q = apc__sqlc_stmt(c, what,
                                     "INSERT INTO search_conn_spans(capture_id, conn_id, "
                                     "first_id, last_id) VALUES(?,?,?,?)");
    if (!q)
        return APC_ESTORE;
    int r = 0;
    for (size_t i = 0; r == 0 && i < n; i++) {
        sqlite3_bind_int64(q, 1, cap);
        sqlite3_bind_int64(q, 2, spans[i].conn_id);
        sqlite3_bind_int64(q, 3, (int64_t)spans[i].first_id);
        sqlite3_bind_int64(q, 4, (int64_t)spans[i].last_id);
        int rc = sqlite3_step(q);
        if (rc != SQLITE_DONE)
            r = apc__db_err(apc__sqlc_db(c), rc, what);
        sqlite3_reset(q);
    }
    return r;
}

static int insert_keys(apc__sqlc_t *c, int64_t cap, const apc__st_search_key_t *keys, size_t n)
{
    const char *what = "storing connection keys";
    int r = apc__sqlc_exec(c, what, "DELETE FROM search_conn_keys WHERE capture_id=?", "i", cap);
    if (r < 0)
        return r;
    sqlite3_stmt *q = apc__sqlc_stmt(c, what,
                                     "INSERT OR IGNORE INTO search_conn_keys(capture_id, key, "
                                     "conn_id) VALUES(?,?,?)");
    if (!q)
        return APC_ESTORE;
    for (size_t i = 0; r == 0 && i < n; i++) {
        sqlite3_bind_int64(q, 1, cap);
        sqlite3_bind_blob(q, 2, keys[i].key, keys[i].len, SQLITE_STATIC);
        sqlite3_bind_int64(q, 3, keys[i].conn_id);
        int rc = sqlite3_step(q);
        sqlite3_reset(q);
        if (rc != SQLITE_DONE)
            r = apc__db_err(apc__sqlc_db(c), rc, what);
    }
    return r;
}

int apc__sqlite_search_save_index(void *impl, int64_t capture_id,
                                  const apc__st_search_span_t *spans, size_t n_spans,
                                  const apc__st_search_key_t *keys, size_t n_keys, uint64_t packets)
{
    apc__store_t *s = impl;
    apc__sqlc_t *c = apc__sqlc_get(s);
    if (!c)
        return APC_ESTORE;
    sqlite3 *db = apc__sqlc_db(c);
    const char *what = "storing connection spans";
    int r = apc__sql_begin(db);
    if (r < 0) {
        apc__sqlc_put(s, c);
        return r;
    }
    r = apc__sqlc_exec(c, what, "DELETE FROM search_conn_spans WHERE capture_id=?", "i",
                       capture_id);
    if (r == 0)
        r = insert_spans(c, capture_id, spans, n_spans);
    if (r == 0)
        r = insert_keys(c, capture_id, keys, n_keys);
    /* Last, so that an index is used only when it is whole: it covers `packets`. */
    if (r == 0)
        r = apc__sqlc_exec(c, what,
                           "INSERT INTO search_conn_spans(capture_id, conn_id, first_id, last_id) "
                           "VALUES(?,-1,?,?)",
                           "iii", capture_id, (int64_t)packets, (int64_t)packets);
    if (r == 0)
        r = apc__sql_commit(db, what);
    else
        apc__sql_rollback(db);
    apc__sqlc_put(s, c);
    return r;
}

int apc__sqlite_search_process(void *impl, int64_t id, apc__st_search_proc_t *out)
{
    memset(out, 0, sizeof *out);
    apc__store_t *s = impl;
    apc__sqlc_t *c = apc__sqlc_get(s);
    if (!c)
        return APC_ESTORE;
    sqlite3_stmt *q =
        apc__sqlc_stmt(c, "reading a process",
                       "SELECT pid, ppid, name, path, cmdline, user FROM processes WHERE id=?");
    int r = APC_ESTORE;
    if (q) {
        sqlite3_bind_int64(q, 1, id);
        int rc = sqlite3_step(q);
        if (rc == SQLITE_ROW) {
            out->pid = sqlite3_column_int64(q, 0);
            out->ppid = sqlite3_column_int64(q, 1);
            out->name = apc__sql_text(q, 2);
            out->path = apc__sql_text(q, 3);
            out->cmdline = apc__sql_text(q, 4);
            out->user = apc__sql_text(q, 5);
            r = 1;
            if (!out->name || !out->path || !out->cmdline || !out->user) {
                free(out->name);
                free(out->path);
                free(out->cmdline);
                free(out->user);
                memset(out, 0, sizeof *out);
                r = apc__err(APC_ENOMEM, "out of memory");
            }
        } else {
            r = rc == SQLITE_DONE ? 0 : apc__db_err(apc__sqlc_db(c), rc, "reading a process");
        }
        sqlite3_reset(q);
    }
    apc__sqlc_put(s, c);
    return r;
}

/* Hands the first column of every row of q (binds set) to fn, then resets q. */
typedef struct id_walk {
    apc__st_id_fn fn;
    void *payload;
} id_walk_t;

static int id_row(sqlite3_stmt *q, void *payload)
{
    id_walk_t *w = payload;
    return w->fn(sqlite3_column_int64(q, 0), w->payload);
}

int apc__sqlite_search_ids_by_key(void *impl, int64_t capture_id, const uint8_t *key, size_t len,
                                  apc__st_id_fn fn, void *payload)
{
    id_walk_t w = {fn, payload};
    return apc__sqlite_rows(impl, "reading the connection keys",
                            "SELECT conn_id FROM search_conn_keys WHERE capture_id=? AND key=?",
                            id_row, &w, "ib", capture_id, (const void *)key, len);
}

/* The connections table answers by address and port through the indexes on connections(src),
 * (dst), (sport) and (dport) (schema_stats.c): each entry holds the primary key (capture_id,
 * id), so the capture is filtered inside the index. */
int apc__sqlite_search_ids_by_addr(void *impl, int64_t capture_id, const uint8_t *addr, size_t len,
                                   apc__st_id_fn fn, void *payload)
{
    id_walk_t w = {fn, payload};
    return apc__sqlite_rows(impl, "reading connections by address",
                            "SELECT id FROM connections WHERE src=?2 AND capture_id=?1 "
                            "UNION ALL SELECT id FROM connections WHERE dst=?2 AND "
                            "capture_id=?1",
                            id_row, &w, "ib", capture_id, (const void *)addr, len);
}

int apc__sqlite_search_ids_by_port(void *impl, int64_t capture_id, int proto, int port,
                                   apc__st_id_fn fn, void *payload)
{
    id_walk_t w = {fn, payload};
    return apc__sqlite_rows(impl, "reading connections by port",
                            "SELECT id FROM connections WHERE sport=?3 AND "
                            "capture_id=?1 AND proto=?2 UNION ALL SELECT id FROM "
                            "connections WHERE dport=?3 AND capture_id=?1 AND "
                            "proto=?2",
                            id_row, &w, "iii", capture_id, (int64_t)proto, (int64_t)port);
}
