/* SPDX-License-Identifier: MIT */
/*
 * PostgreSQL backend: the searches tables (schema.c, step 3) as the search API uses them: a
 * search's row, its results and their pages, the captures a search covers. Same semantics as
 * store/sqlite/searches.c; what one capture's scan reads is in search_scan.c.
 *
 * A search row carries the node that runs it: a search is a job of one process, so only that
 * node may say it was interrupted (fail_stale); another node reading the row while the job
 * runs must not fail it. Results are written with COPY (thousands a batch).
 */
#include <stdlib.h>
#include <string.h>

#include <apc/search.h>

#include "core/error.h"
#include "store/pg/pg_int.h"
#include "store/sql_cols.h"
#include "util/array.h"

static int ok_or(int64_t r)
{
    return r < 0 ? (int)r : 0;
}

static int se_create(void *impl, const apc__st_search_new_t *n, int64_t *out_id)
{
    apc__pg_t *pg = impl;
    int r = n->capture_id ? apc__pg_capture_exists(pg, n->capture_id) : 0;
    if (r < 0)
        return r;
    r = apc__pg_int(pg, "recording a search", out_id,
                    "INSERT INTO searches(node, filter, normalized, capture_id, time_from, "
                    "time_to, state, created, owner) VALUES($1,$2,$3,$4,$5,$6,0,$7,$8) "
                    "RETURNING id",
                    "ittiiiit", pg->node, n->filter, n->normalized, n->capture_id, n->time_from,
                    n->time_to, n->created, n->owner ? n->owner : "");
    return r < 0 ? r : 0;
}

static int se_exists(void *impl, int64_t id)
{
    int64_t one;
    return apc__pg_int(impl, "reading a search", &one, "SELECT 1 FROM searches WHERE id=$1", "i",
                       id);
}

#define META_COLS "SELECT " APC__SEARCH_META_COLS " FROM searches"

/* A new apc_search_meta_t of row i; NULL (error set) when out of memory. */
static apc_search_meta_t *meta_row(const PGresult *q, int i)
{
    apc_search_meta_t *m = calloc(1, sizeof *m);
    if (m) {
        m->id = apc__pg_i64(q, i, 0);
        m->filter = apc__pg_str(q, i, 1);
        m->state = (int)apc__pg_i64(q, i, 2);
        m->progress = (int)apc__pg_i64(q, i, 3);
        m->scanned = (uint64_t)apc__pg_i64(q, i, 4);
        m->matches = (uint64_t)apc__pg_i64(q, i, 5);
        m->created = apc__pg_i64(q, i, 6);
        m->start_time = apc__pg_i64(q, i, 7);
        m->end_time = apc__pg_i64(q, i, 8);
        m->error = apc__pg_str(q, i, 9);
        m->capture_id = apc__pg_i64(q, i, 10);
        m->owner = apc__pg_str(q, i, 11);
    }
    if (!m || !m->filter || !m->error || !m->owner) {
        apc_search_meta_free(m);
        apc__err(APC_ENOMEM, "out of memory");
        return NULL;
    }
    return m;
}

static int se_get(void *impl, int64_t id, apc_search_meta_t **out)
{
    PGresult *q = apc__pg_query(impl, "reading a search", META_COLS " WHERE id=$1", "i", id);
    if (!q)
        return APC_ESTORE;
    int r = PQntuples(q) == 0 ? 0 : (*out = meta_row(q, 0)) ? 1 : APC_ENOMEM;
    PQclear(q);
    return r;
}

static int se_list(void *impl, apc_search_list_t *l)
{
    PGresult *q = apc__pg_query(impl, "listing searches", META_COLS " ORDER BY id", "");
    if (!q)
        return APC_ESTORE;
    int r = 0, n = PQntuples(q);
    size_t cap = l->count;
    for (int i = 0; r == 0 && i < n; i++) {
        apc_search_meta_t *m = NULL;
        if (apc__grow((void **)&l->items, &cap, l->count + 1, sizeof *l->items) < 0)
            r = apc__err(APC_ENOMEM, "out of memory");
        else if (!(m = meta_row(q, i)))
            r = APC_ENOMEM;
        else
            l->items[l->count++] = m;
    }
    PQclear(q);
    return r;
}

static int se_fail_stale(void *impl, int64_t id, const char *error)
{
    apc__pg_t *pg = impl;
    int64_t state = 0;
    /* Only this node's jobs: another node's search may be running right now. */
    int r = apc__pg_int(pg, "marking an interrupted search", &state,
                        "WITH u AS (UPDATE searches SET state=$1, error=$2 WHERE id=$3 AND "
                        "state<=$4 AND node=$5 RETURNING state) "
                        "SELECT coalesce((SELECT state FROM u), "
                        "(SELECT state FROM searches WHERE id=$3))",
                        "itiii", (int64_t)APC_SEARCH_FAILED, error, id, (int64_t)APC_SEARCH_RUNNING,
                        pg->node);
    return r < 0 ? r : r == 1 && state == APC_SEARCH_FAILED;
}

static int se_remove(void *impl, int64_t id)
{
    /* search_results go with their search (ON DELETE CASCADE), in the statement's transaction */
    return ok_or(
        apc__pg_exec(impl, "deleting a search", "DELETE FROM searches WHERE id=$1", "i", id));
}

static int se_scope(void *impl, int64_t capture_id, int64_t time_from, int64_t time_to,
                    apc__st_search_scope_fn fn, void *payload)
{
    apc__pg_t *pg = impl;
    /* Every capture of every node: the search scans another node's on that node (search/
     * job.c); results are in capture order, so the scope is. The parameters are bigint: from
     * "$2 = 0" alone PostgreSQL would take an integer, and a time in ns is out of its range. */
    PGresult *q = apc__pg_query(pg, "listing captures",
                                "SELECT id, packets FROM captures WHERE "
                                "($1::bigint = 0 OR id = $1) "
                                "AND ($2::bigint = 0 OR last_time = 0 OR last_time >= $2) AND "
                                "($3::bigint = 0 OR first_time <= $3) ORDER BY id",
                                "iii", capture_id, time_from, time_to);
    if (!q)
        return APC_ESTORE;
    int r = 0;
    for (int i = 0; r == 0 && i < PQntuples(q); i++)
        r = fn(apc__pg_i64(q, i, 0), (uint64_t)apc__pg_i64(q, i, 1), payload);
    PQclear(q);
    return r;
}

static int se_started(void *impl, int64_t id, int state, int64_t started, uint64_t total)
{
    return ok_or(apc__pg_exec(impl, "starting a search",
                              "UPDATE searches SET state=$1, started=$2, total=$3 WHERE id=$4",
                              "iiii", (int64_t)state, started, (int64_t)total, id));
}

static int se_add_results(void *impl, int64_t id, uint64_t first, const int64_t *pairs, size_t n,
                          uint64_t scanned, uint64_t matches, int progress)
{
    apc__pg_t *pg = impl;
    const char *what = "storing search results";
    int r = apc__pg_begin(pg, what);
    if (r < 0)
        return r;
    if (n) {
        apc__pg_copy_t c = {0};
        r = apc__pg_copy_begin(&c, pg, what,
                               "COPY search_results(search_id, id, capture_id, packet_id) "
                               "FROM STDIN");
        for (size_t i = 0; r == 0 && i < n; i++) {
            apc__pg_copy_values(&c, "iiii", id, (int64_t)(first + i + 1), pairs[2 * i],
                                pairs[2 * i + 1]);
        }
        if (r == 0)
            r = apc__pg_copy_end(&c);
        free(c.buf);
    }
    if (r == 0)
        r = ok_or(apc__pg_exec(pg, "updating a search",
                               "UPDATE searches SET scanned=$1, matches=$2, progress=$3 WHERE "
                               "id=$4",
                               "iiii", (int64_t)scanned, (int64_t)matches, (int64_t)progress, id));
    return apc__pg_end(pg, what, r);
}

static int se_finish(void *impl, int64_t id, const apc__st_search_end_t *e)
{
    return ok_or(apc__pg_exec(impl, "finishing a search",
                              "UPDATE searches SET state=$1, finished=$2, progress=$3, "
                              "scanned=$4, error=$5 WHERE id=$6",
                              "iiiiti", (int64_t)e->state, e->finished, (int64_t)e->progress,
                              (int64_t)e->scanned, e->error ? e->error : "", id));
}

/* Rows (id, capture_id, packet_id) of q into hits, at most max; how many. */
static size_t hit_rows(const PGresult *q, apc__st_search_hit_t *hits, size_t max)
{
    size_t n = 0;
    for (int i = 0; i < PQntuples(q) && n < max; i++, n++) {
        hits[n].id = apc__pg_i64(q, i, 0);
        hits[n].capture_id = apc__pg_i64(q, i, 1);
        hits[n].packet_id = apc__pg_i64(q, i, 2);
    }
    return n;
}

static int se_result_page(void *impl, int64_t id, int64_t last_id, unsigned max,
                          apc__st_search_hit_t *hits, size_t *n, int *more, int *state)
{
    *n = 0;
    *more = 0;
    *state = 0;
    apc__pg_t *pg = impl;
    PGresult *q = apc__pg_query(pg, "reading search results",
                                "SELECT id, capture_id, packet_id FROM search_results "
                                "WHERE search_id=$1 AND id>$2 ORDER BY id LIMIT $3",
                                "iii", id, last_id, (int64_t)max + 1);
    if (!q)
        return APC_ESTORE;
    *n = hit_rows(q, hits, max);
    *more = (size_t)PQntuples(q) > max;
    PQclear(q);
    int64_t st = 0;
    int r =
        apc__pg_int(pg, "reading a search", &st, "SELECT state FROM searches WHERE id=$1", "i", id);
    *state = (int)st;
    return r;
}

static int se_row(void *impl, int64_t id, apc__st_search_row_t *out)
{
    PGresult *q =
        apc__pg_query(impl, "reading a search",
                      "SELECT normalized, capture_id, state, time_from, time_to FROM searches "
                      "WHERE id=$1",
                      "i", id);
    if (!q)
        return APC_ESTORE;
    int r = 0;
    if (PQntuples(q) > 0) {
        out->normalized = apc__pg_str(q, 0, 0);
        out->capture_id = apc__pg_i64(q, 0, 1);
        out->state = (int)apc__pg_i64(q, 0, 2);
        out->time_from = apc__pg_i64(q, 0, 3);
        out->time_to = apc__pg_i64(q, 0, 4);
        r = out->normalized ? 1 : apc__err(APC_ENOMEM, "out of memory");
    }
    PQclear(q);
    return r;
}

static int se_result_captures(void *impl, int64_t id, int64_t **captures, size_t *n,
                              uint64_t *results)
{
    *captures = NULL;
    *n = 0;
    *results = 0;
    PGresult *q = apc__pg_query(impl, "reading search results",
                                "SELECT r.capture_id, min(r.id), count(*) FROM "
                                "search_results r JOIN captures c ON c.id = r.capture_id "
                                "WHERE r.search_id=$1 GROUP BY r.capture_id ORDER BY 2",
                                "i", id);
    if (!q)
        return APC_ESTORE;
    int rows = PQntuples(q), r = 0;
    if (rows > 0 && !(*captures = malloc((size_t)rows * sizeof **captures)))
        r = apc__err(APC_ENOMEM, "out of memory");
    for (int i = 0; r == 0 && i < rows; i++) {
        (*captures)[(*n)++] = apc__pg_i64(q, i, 0);
        *results += (uint64_t)apc__pg_i64(q, i, 2);
    }
    PQclear(q);
    return r;
}

static long se_hits(void *impl, int64_t id, int64_t last_id, apc__st_search_hit_t *out, size_t max)
{
    PGresult *q = apc__pg_query(impl, "reading search results",
                                "SELECT r.id, r.capture_id, r.packet_id FROM search_results r "
                                "WHERE r.search_id=$1 AND r.id>$2 AND EXISTS (SELECT 1 FROM "
                                "captures c WHERE c.id = r.capture_id) ORDER BY r.id LIMIT $3",
                                "iii", id, last_id, (int64_t)max);
    if (!q)
        return APC_ESTORE;
    long n = (long)hit_rows(q, out, max);
    PQclear(q);
    return n;
}

static int se_notes(void *impl, const int64_t *ids, size_t n, apc__st_search_notes_fn fn,
                    void *payload)
{
    char *arr = apc__pg_id_array(ids, n);
    if (!arr)
        return APC_ENOMEM;
    PGresult *q = apc__pg_query(impl, "reading captures",
                                "SELECT c.id, c.notes FROM unnest($1::bigint[]) WITH "
                                "ORDINALITY AS u(id, o) JOIN captures c ON c.id = u.id "
                                "ORDER BY u.o",
                                "t", arr);
    free(arr);
    if (!q)
        return APC_ESTORE;
    int r = 0;
    for (int i = 0; r == 0 && i < PQntuples(q); i++)
        r = fn(apc__pg_i64(q, i, 0), PQgetvalue(q, i, 1), payload);
    PQclear(q);
    return r;
}

const apc__searches_ops_t apc__pg_searches_ops = {
    .create = se_create,
    .exists = se_exists,
    .get = se_get,
    .list = se_list,
    .fail_stale = se_fail_stale,
    .remove = se_remove,
    .scope = se_scope,
    .started = se_started,
    .add_results = se_add_results,
    .finish = se_finish,
    .result_page = se_result_page,
    .row = se_row,
    .result_captures = se_result_captures,
    .hits = se_hits,
    .capture_notes = se_notes,
    .capture = apc__pg_search_capture,
    .linktypes = apc__pg_search_linktypes,
    .conn_max = apc__pg_search_conn_max,
    .conns = apc__pg_search_conns,
    .spans_covered = apc__pg_search_spans_covered,
    .spans = apc__pg_search_spans,
    .save_index = apc__pg_search_save_index,
    .process = apc__pg_search_process,
    .ids_by_key = apc__pg_search_ids_by_key,
    .ids_by_addr = apc__pg_search_ids_by_addr,
    .ids_by_port = apc__pg_search_ids_by_port,
};
