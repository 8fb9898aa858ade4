/* SPDX-License-Identifier: MIT */
/*
 * A search's stored results (table search_results) as module export reads them for
 * search_export: which captures they lie in, then the results themselves in order. Module
 * export writes the file; this module alone knows where the results are kept.
 */
#include <stdlib.h>
#include <string.h>

#include <apc/search.h>

#include "core/error.h"
#include "search/job.h"
#include "search/search.h"
#include "store/sql.h"
#include "store/store.h"

void apc__search_info_free(apc__search_info_t *info)
{
    if (!info)
        return;
    free(info->normalized);
    free(info->captures);
    memset(info, 0, sizeof *info);
}

/* The captures that still exist among the results, by their first result; and the count. */
static int load_captures(sqlite3 *db, int64_t id, apc__search_info_t *out)
{
    sqlite3_stmt *q;
    int r = apc__sql_prepare(db, "reading search results",
                             "SELECT r.capture_id, min(r.id), count(*) FROM search_results r "
                             "JOIN captures c ON c.id = r.capture_id WHERE r.search_id=? "
                             "GROUP BY r.capture_id ORDER BY 2",
                             &q);
    if (r < 0)
        return r;
    sqlite3_bind_int64(q, 1, id);
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        if (out->n_captures == cap) {
            cap = cap ? cap * 2 : 8;
            int64_t *nc = realloc(out->captures, cap * sizeof *nc);
            if (!nc) {
                sqlite3_finalize(q);
                return apc__err(APC_ENOMEM, "out of memory");
            }
            out->captures = nc;
        }
        out->captures[out->n_captures++] = sqlite3_column_int64(q, 0);
        out->results += (uint64_t)sqlite3_column_int64(q, 2);
    }
    sqlite3_finalize(q);
    return rc == SQLITE_DONE ? 0 : apc__db_err(db, rc, "reading search results");
}

int apc__search_info_get(apc_ctx_t *ctx, sqlite3 *db, int64_t id, apc__search_info_t *out)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *q;
    int r = apc__sql_prepare(db, "reading a search",
                             "SELECT normalized, capture_id, state FROM searches WHERE id=?", &q);
    if (r < 0)
        return r;
    sqlite3_bind_int64(q, 1, id);
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
        out->normalized = apc__sql_text(q, 0);
        out->capture_id = sqlite3_column_int64(q, 1);
        /* A row left queued or running by a process that ended gets no more results. */
        out->active =
            sqlite3_column_int64(q, 2) <= APC_SEARCH_RUNNING && apc__search_is_active(ctx, id);
        r = out->normalized ? 0 : apc__err(APC_ENOMEM, "out of memory");
    } else {
        r = rc == SQLITE_DONE ? apc__err(APC_ENOTFOUND, "search %lld not found", (long long)id)
                              : apc__db_err(db, rc, "reading a search");
    }
    sqlite3_finalize(q);
    if (r == 0)
        r = load_captures(db, id, out);
    if (r < 0)
        apc__search_info_free(out);
    return r;
}

long apc__search_hits(sqlite3 *db, int64_t id, int64_t last_id, apc__search_hit_t *out, size_t max)
{
    sqlite3_stmt *q;
    int r = apc__sql_prepare(db, "reading search results",
                             "SELECT id, capture_id, packet_id FROM search_results "
                             "WHERE search_id=? AND id>? "
                             "AND capture_id IN (SELECT id FROM captures) ORDER BY id LIMIT ?",
                             &q);
    if (r < 0)
        return r;
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
    if (n < max && rc != SQLITE_DONE) {
        r = apc__db_err(db, rc, "reading search results");
        sqlite3_finalize(q);
        return r;
    }
    sqlite3_finalize(q);
    return (long)n;
}
