/* SPDX-License-Identifier: MIT */
/*
 * SQLite backend: the searches tables (schema_search.c) as the search API, the search jobs and
 * the readers of results use them: a search's row, its results and their pages, the captures a
 * search covers. What one capture's scan reads is in search_scan.c. Statements are prepared
 * once per pooled connection and reset as soon as read, so that no connection goes back to the
 * pool holding a snapshot. The texts and binds are those module search used when it spoke SQL
 * itself.
 */
#include <stdlib.h>
#include <string.h>

#include <apc/search.h>

#include "core/error.h"
#include "store/sql.h"
#include "store/sqlite/sqlite_int.h"
#include "store/sql_cols.h"

/* Steps st for its first row and reads one integer column: 1 and *out, 0 when no row. */
static int step_int(apc__sqlc_t *c, sqlite3_stmt *st, int col, int64_t *out, const char *what)
{
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *out = sqlite3_column_int64(st, col);
    int r = rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : apc__db_err(apc__sqlc_db(c), rc, what);
    sqlite3_reset(st);
    return r;
}

/* One integer of the statement `sql` with one int64 bound to ?1, on connection c. */
static int one_int(apc__sqlc_t *c, const char *what, const char *sql, int64_t arg, int64_t *out)
{
    sqlite3_stmt *st = apc__sqlc_stmt(c, what, sql);
    if (!st)
        return APC_ESTORE;
    sqlite3_bind_int64(st, 1, arg);
    return step_int(c, st, 0, out, what);
}

static int search_create(void *impl, const apc__st_search_new_t *n, int64_t *out_id)
{
    apc__store_t *s = impl;
    apc__sqlc_t *c = apc__sqlc_get(s);
    if (!c)
        return APC_ESTORE;
    sqlite3 *db = apc__sqlc_db(c);
    int r = n->capture_id ? apc__sql_capture_exists(db, n->capture_id) : 0;
    if (r >= 0)
        r = apc__sqlc_exec(c, "recording a search",
                           "INSERT INTO searches(filter, normalized, capture_id, time_from, "
                           "time_to, state, created, owner) VALUES(?,?,?,?,?,0,?,?)",
                           "ttiiiit", n->filter, n->normalized, n->capture_id, n->time_from,
                           n->time_to, n->created, n->owner ? n->owner : "");
    if (r >= 0)
        *out_id = sqlite3_last_insert_rowid(db);
    apc__sqlc_put(s, c);
    return r < 0 ? r : 0;
}

static int search_exists(void *impl, int64_t id)
{
    apc__store_t *s = impl;
    apc__sqlc_t *c = apc__sqlc_get(s);
    if (!c)
        return APC_ESTORE;
    int64_t one;
    int r = one_int(c, "reading a search", "SELECT 1 FROM searches WHERE id=?", id, &one);
    apc__sqlc_put(s, c);
    return r;
}

#define META_COLS "SELECT " APC__SEARCH_META_COLS " FROM searches"

/* A new apc_search_meta_t of the row; NULL when out of memory. */
static apc_search_meta_t *meta_row(sqlite3_stmt *q)
{
    apc_search_meta_t *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->id = sqlite3_column_int64(q, 0);
    m->filter = apc__sql_text(q, 1);
    m->state = sqlite3_column_int(q, 2);
    m->progress = sqlite3_column_int(q, 3);
    m->scanned = (uint64_t)sqlite3_column_int64(q, 4);
    m->matches = (uint64_t)sqlite3_column_int64(q, 5);
    m->created = sqlite3_column_int64(q, 6);
    m->start_time = sqlite3_column_int64(q, 7);
    m->end_time = sqlite3_column_int64(q, 8);
    m->error = apc__sql_text(q, 9);
    m->capture_id = sqlite3_column_int64(q, 10);
    m->owner = apc__sql_text(q, 11);
    if (!m->filter || !m->error || !m->owner) {
        apc_search_meta_free(m);
        return NULL;
    }
    return m;
}

static int search_get(void *impl, int64_t id, apc_search_meta_t **out)
{
    apc__store_t *s = impl;
    apc__sqlc_t *c = apc__sqlc_get(s);
    if (!c)
        return APC_ESTORE;
    sqlite3_stmt *q = apc__sqlc_stmt(c, "reading a search", META_COLS " WHERE id=?");
    int r = APC_ESTORE;
    if (q) {
        sqlite3_bind_int64(q, 1, id);
        int rc = sqlite3_step(q);
        if (rc == SQLITE_ROW)
            r = (*out = meta_row(q)) ? 1 : apc__err(APC_ENOMEM, "out of memory");
        else
            r = rc == SQLITE_DONE ? 0 : apc__db_err(apc__sqlc_db(c), rc, "reading a search");
        sqlite3_reset(q);
    }
    apc__sqlc_put(s, c);
    return r;
}

static int search_list(void *impl, apc_search_list_t *l)
{
    apc__store_t *s = impl;
    apc__sqlc_t *c = apc__sqlc_get(s);
    if (!c)
        return APC_ESTORE;
    sqlite3_stmt *q = apc__sqlc_stmt(c, "listing searches", META_COLS " ORDER BY id");
    int r = q ? 0 : APC_ESTORE, rc = SQLITE_DONE;
    while (r == 0 && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        apc_search_meta_t **ni = realloc(l->items, (l->count + 1) * sizeof *ni);
        apc_search_meta_t *m = ni ? meta_row(q) : NULL;
        if (ni)
            l->items = ni;
        if (!m) {
            r = apc__err(APC_ENOMEM, "out of memory");
            break;
        }
        l->items[l->count++] = m;
    }
    if (r == 0 && rc != SQLITE_DONE)
        r = apc__db_err(apc__sqlc_db(c), rc, "listing searches");
    if (q)
        sqlite3_reset(q);
    apc__sqlc_put(s, c);
    return r;
}

static int search_fail_stale(void *impl, int64_t id, const char *error)
{
    apc__store_t *s = impl;
    apc__sqlc_t *c = apc__sqlc_get(s);
    if (!c)
        return APC_ESTORE;
    int r = apc__sqlc_exec(c, "marking an interrupted search",
                           "UPDATE searches SET state=?, error=? WHERE id=? AND state<=?", "itii",
                           (int64_t)APC_SEARCH_FAILED, error, id, (int64_t)APC_SEARCH_RUNNING);
    /* the job may have ended between the caller's check and this: then its row says so */
    int64_t state = 0;
    if (r == 0)
        r = one_int(c, "reading a search", "SELECT state FROM searches WHERE id=?", id, &state);
    apc__sqlc_put(s, c);
    return r < 0 ? r : r == 1 && state == APC_SEARCH_FAILED;
}

static int search_remove(void *impl, int64_t id)
{
    apc__store_t *s = impl;
    apc__sqlc_t *c = apc__sqlc_get(s);
    if (!c)
        return APC_ESTORE;
    sqlite3 *db = apc__sqlc_db(c);
    int r = apc__sql_begin(db);
    if (r == 0)
        r = apc__sqlc_exec(c, "deleting search results",
                           "DELETE FROM search_results WHERE search_id=?", "i", id);
    if (r == 0)
        r = apc__sqlc_exec(c, "deleting a search", "DELETE FROM searches WHERE id=?", "i", id);
    if (r == 0)
        r = apc__sql_commit(db, "deleting a search");
    else
        apc__sql_rollback(db);
    apc__sqlc_put(s, c);
    return r;
}

static int search_scope(void *impl, int64_t capture_id, int64_t time_from, int64_t time_to,
                        apc__st_search_scope_fn fn, void *payload)
{
    apc__store_t *s = impl;
    apc__sqlc_t *c = apc__sqlc_get(s);
    if (!c)
        return APC_ESTORE;
    sqlite3_stmt *q = apc__sqlc_stmt(c, "listing captures",
                                     "SELECT id, packets FROM captures WHERE (?1 = 0 OR id = ?1) "
                                     "AND (?2 = 0 OR last_time = 0 OR last_time >= ?2) AND "
                                     "(?3 = 0 OR first_time <= ?3) ORDER BY id");
    int r = APC_ESTORE;
    if (q) {
        sqlite3_bind_int64(q, 1, capture_id);
        sqlite3_bind_int64(q, 2, time_from);
        sqlite3_bind_int64(q, 3, time_to);
        int rc = SQLITE_DONE;
        r = 0;
        while (r == 0 && (rc = sqlite3_step(q)) == SQLITE_ROW)
            r = fn(sqlite3_column_int64(q, 0), (uint64_t)sqlite3_column_int64(q, 1), payload);
        if (r == 0 && rc != SQLITE_DONE)
            r = apc__db_err(apc__sqlc_db(c), rc, "listing captures");
        sqlite3_reset(q);
    }
    apc__sqlc_put(s, c);
    return r;
}

static int search_started(void *impl, int64_t id, int state, int64_t started, uint64_t total)
{
    return apc__sqlite_exec(impl, "starting a search",
                            "UPDATE searches SET state=?, started=?, total=? WHERE id=?", "iiii",
                            (int64_t)state, started, (int64_t)total, id);
}

static int search_add_results(void *impl, int64_t id, uint64_t first, const int64_t *pairs,
                              size_t n, uint64_t scanned, uint64_t matches, int progress)
{
    apc__store_t *s = impl;
    apc__sqlc_t *c = apc__sqlc_get(s);
    if (!c)
        return APC_ESTORE;
    sqlite3 *db = apc__sqlc_db(c);
    int r = apc__sql_begin(db);
    sqlite3_stmt *q = NULL;
    if (r == 0) {
        q = apc__sqlc_stmt(c, "storing search results",
                           "INSERT INTO search_results(search_id, id, capture_id, packet_id) "
                           "VALUES(?,?,?,?)");
        if (!q)
            r = APC_ESTORE;
    }
    for (size_t i = 0; r == 0 && i < n; i++) {
        sqlite3_bind_int64(q, 1, id);
        sqlite3_bind_int64(q, 2, (int64_t)(first + i + 1));
        sqlite3_bind_int64(q, 3, pairs[2 * i]);
        sqlite3_bind_int64(q, 4, pairs[2 * i + 1]);
        int rc = sqlite3_step(q);
        if (rc != SQLITE_DONE)
            r = apc__db_err(db, rc, "storing search results");
        sqlite3_reset(q);
    }
    if (r == 0)
        r = apc__sqlc_exec(c, "updating a search",
                           "UPDATE searches SET scanned=?, matches=?, progress=? WHERE id=?",
                           "iiii", (int64_t)scanned, (int64_t)matches, (int64_t)progress, id);
    if (r == 0)
        r = apc__sql_commit(db, "storing search results");
    else if (!sqlite3_get_autocommit(db))
        apc__sql_rollback(db);
    apc__sqlc_put(s, c);
    return r;
}

static int search_finish(void *impl, int64_t id, const apc__st_search_end_t *e)
{
    return apc__sqlite_exec(impl, "finishing a search",
                            "UPDATE searches SET state=?, finished=?, progress=?, scanned=?, "
                            "error=? WHERE id=?",
                            "iiiiti", (int64_t)e->state, e->finished, (int64_t)e->progress,
                            (int64_t)e->scanned, e->error ? e->error : "", id);
}

static int search_result_page(void *impl, int64_t id, int64_t last_id, unsigned max,
                              apc__st_search_hit_t *hits, size_t *n, int *more, int *state)
{
    apc__store_t *s = impl;
    apc__sqlc_t *c = apc__sqlc_get(s);
    if (!c)
        return APC_ESTORE;
    sqlite3_stmt *q = apc__sqlc_stmt(c, "reading search results",
                                     "SELECT id, capture_id, packet_id FROM search_results "
                                     "WHERE search_id=? AND id>? ORDER BY id LIMIT ?");
    *n = 0;
    *more = 0;
    int r = q ? 0 : APC_ESTORE;
    if (q) {
        sqlite3_bind_int64(q, 1, id);
        sqlite3_bind_int64(q, 2, last_id);
        sqlite3_bind_int64(q, 3, (int64_t)max + 1);
        int rc;
        while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
            if (*n == max) {
                *more = 1;
                break;
            }
            hits[*n].id = sqlite3_column_int64(q, 0);
            hits[*n].capture_id = sqlite3_column_int64(q, 1);
            hits[*n].packet_id = sqlite3_column_int64(q, 2);
            (*n)++;
        }
        if (rc != SQLITE_ROW && rc != SQLITE_DONE)
            r = apc__db_err(apc__sqlc_db(c), rc, "reading search results");
        sqlite3_reset(q);
    }
    int64_t st = 0;
    if (r == 0)
        r = one_int(c, "reading a search", "SELECT state FROM searches WHERE id=?", id, &st);
    apc__sqlc_put(s, c);
    *state = (int)st;
    return r;
}

static int search_row(void *impl, int64_t id, apc__st_search_row_t *out)
{
    apc__store_t *s = impl;
    apc__sqlc_t *c = apc__sqlc_get(s);
    if (!c)
        return APC_ESTORE;
    sqlite3_stmt *q = apc__sqlc_stmt(
        c, "reading a search",
        "SELECT normalized, capture_id, state, time_from, time_to FROM searches WHERE id=?");
    int r = APC_ESTORE;
    if (q) {
        sqlite3_bind_int64(q, 1, id);
        int rc = sqlite3_step(q);
        if (rc == SQLITE_ROW) {
            out->normalized = apc__sql_text(q, 0);
            out->capture_id = sqlite3_column_int64(q, 1);
            out->state = (int)sqlite3_column_int64(q, 2);
            out->time_from = sqlite3_column_int64(q, 3);
            out->time_to = sqlite3_column_int64(q, 4);
            r = out->normalized ? 1 : apc__err(APC_ENOMEM, "out of memory");
        } else {
            r = rc == SQLITE_DONE ? 0 : apc__db_err(apc__sqlc_db(c), rc, "reading a search");
        }
        sqlite3_reset(q);
    }
    apc__sqlc_put(s, c);
    return r;
}

static int search_result_captures(void *impl, int64_t id, int64_t **captures, size_t *n,
                                  uint64_t *results)
{
    *captures = NULL;
    *n = 0;
    *results = 0;
    apc__store_t *s = impl;
    apc__sqlc_t *c = apc__sqlc_get(s);
    if (!c)
        return APC_ESTORE;
    sqlite3_stmt *q = apc__sqlc_stmt(c, "reading search results",
                                     "SELECT r.capture_id, min(r.id), count(*) FROM "
                                     "search_results r JOIN captures c ON c.id = r.capture_id "
                                     "WHERE r.search_id=? GROUP BY r.capture_id ORDER BY 2");
    int r = q ? 0 : APC_ESTORE;
    if (q) {
        sqlite3_bind_int64(q, 1, id);
        size_t cap = 0;
        int rc;
        while (r == 0 && (rc = sqlite3_step(q)) == SQLITE_ROW) {
            if (*n == cap) {
                cap = cap ? cap * 2 : 8;
                int64_t *nc = realloc(*captures, cap * sizeof *nc);
                if (!nc) {
                    r = apc__err(APC_ENOMEM, "out of memory");
                    break;
                }
                *captures = nc;
            }
            (*captures)[(*n)++] = sqlite3_column_int64(q, 0);
            *results += (uint64_t)sqlite3_column_int64(q, 2);
        }
        if (r == 0 && rc != SQLITE_DONE)
            r = apc__db_err(apc__sqlc_db(c), rc, "reading search results");
        sqlite3_reset(q);
    }
    apc__sqlc_put(s, c);
    if (r < 0) {
        free(*captures);
        *captures = NULL;
        *n = 0;
    }
    return r;
}

static long search_hits(void *impl, int64_t id, int64_t last_id, apc__st_search_hit_t *out,
                        size_t max)
{
    apc__store_t *s = impl;
    apc__sqlc_t *c = apc__sqlc_get(s);
    if (!c)
        return APC_ESTORE;
    sqlite3_stmt *q =
        apc__sqlc_stmt(c, "reading search results",
                       "SELECT id, capture_id, packet_id FROM search_results "
                       "WHERE search_id=? AND id>? "
                       "AND capture_id IN (SELECT id FROM captures) ORDER BY id LIMIT ?");
    long r = APC_ESTORE;
    if (q) {
        sqlite3_bind_int64(q, 1, id);
        sqlite3_bind_int64(q, 2, last_id);
        sqlite3_bind_int64(q, 3, (int64_t)max);
        size_t n = 0;
        int rc = SQLITE_DONE;
        while (n < max && (rc = sqlite3_step(q)) == SQLITE_ROW) {
            out[n].id = sqlite3_column_int64(q, 0);
            out[n].capture_id = sqlite3_column_int64(q, 1);
            out[n].packet_id = sqlite3_column_int64(q, 2);
            n++;
        }
        r = n < max && rc != SQLITE_DONE
                ? apc__db_err(apc__sqlc_db(c), rc, "reading search results")
                : (long)n;
        sqlite3_reset(q);
    }
    apc__sqlc_put(s, c);
    return r;
}

static int search_capture_notes(void *impl, const int64_t *ids, size_t n,
                                apc__st_search_notes_fn fn, void *payload)
{
    apc__store_t *s = impl;
    apc__sqlc_t *c = apc__sqlc_get(s);
    if (!c)
        return APC_ESTORE;
    sqlite3_stmt *q =
        apc__sqlc_stmt(c, "reading a capture", "SELECT notes FROM captures WHERE id=?");
    int r = q ? 0 : APC_ESTORE;
    for (size_t i = 0; r == 0 && i < n; i++) {
        sqlite3_bind_int64(q, 1, ids[i]);
        int rc = sqlite3_step(q);
        if (rc == SQLITE_ROW) {
            const char *notes = (const char *)sqlite3_column_text(q, 0);
            r = fn(ids[i], notes ? notes : "", payload);
        } else if (rc != SQLITE_DONE) {
            r = apc__db_err(apc__sqlc_db(c), rc, "reading a capture");
        }
        sqlite3_reset(q);
    }
    apc__sqlc_put(s, c);
    return r;
}

const apc__searches_ops_t apc__sqlite_searches_ops = {
    .create = search_create,
    .exists = search_exists,
    .get = search_get,
    .list = search_list,
    .fail_stale = search_fail_stale,
    .remove = search_remove,
    .scope = search_scope,
    .started = search_started,
    .add_results = search_add_results,
    .finish = search_finish,
    .result_page = search_result_page,
    .row = search_row,
    .result_captures = search_result_captures,
    .hits = search_hits,
    .capture_notes = search_capture_notes,
    .capture = apc__sqlite_search_capture,
    .linktypes = apc__sqlite_search_linktypes,
    .conn_max = apc__sqlite_search_conn_max,
    .conns = apc__sqlite_search_conns,
    .spans_covered = apc__sqlite_search_spans_covered,
    .spans = apc__sqlite_search_spans,
    .save_index = apc__sqlite_search_save_index,
    .process = apc__sqlite_search_process,
    .ids_by_key = apc__sqlite_search_ids_by_key,
    .ids_by_addr = apc__sqlite_search_ids_by_addr,
    .ids_by_port = apc__sqlite_search_ids_by_port,
};
