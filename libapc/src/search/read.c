/* SPDX-License-Identifier: MIT */
/* search_read: pages of a search's matches as PACKETs without bytes (SEARCHLIST). */
#include <stdlib.h>
#include <string.h>

#include <apc/search.h>

#include "core/ctx.h"
#include "core/error.h"
#include "search/job.h"
#include "store/sql.h"
#include "store/store.h"

#define DEFAULT_PAGE 100

APC_API void apc_search_page_free(apc_search_page_t *pg)
{
    if (!pg)
        return;
    for (size_t i = 0; i < pg->count; i++) {
        free(pg->packets[i].process_name);
        free(pg->packets[i].summary);
        free(pg->packets[i].notes);
        free(pg->packets[i].data);
    }
    free(pg->packets);
    free(pg);
}

typedef struct hit {
    int64_t id, capture_id, packet_id;
} hit_t;

static int load_hits(sqlite3 *db, int64_t id, int64_t last_id, unsigned max, hit_t *hits, size_t *n,
                     int *more, int64_t *state)
{
    sqlite3_stmt *q;
    int r = apc__sql_prepare(db, "reading search results",
                             "SELECT id, capture_id, packet_id FROM search_results "
                             "WHERE search_id=? AND id>? ORDER BY id LIMIT ?",
                             &q);
    if (r < 0)
        return r;
    sqlite3_bind_int64(q, 1, id);
    sqlite3_bind_int64(q, 2, last_id);
    sqlite3_bind_int64(q, 3, (int64_t)max + 1);
    *n = 0;
    *more = 0;
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
    sqlite3_finalize(q);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return apc__db_err(db, rc, "reading search results");
    r = apc__sql_int(db, "reading a search", state, "SELECT state FROM searches WHERE id=?", "i",
                     id);
    if (r == 0)
        return apc__err(APC_ENOTFOUND, "search %lld not found", (long long)id);
    return r < 0 ? r : 0;
}

APC_API int apc_search_read(apc_ctx_t *ctx, int64_t id, int64_t last_id, unsigned max,
                            apc_search_page_t **out)
{
    if (!ctx || !out)
        return apc__err(APC_EINVAL, "NULL argument");
    *out = NULL;
    if (last_id < 0)
        return apc__err(APC_EINVAL, "last_id %lld is negative", (long long)last_id);
    if (max == 0)
        max = DEFAULT_PAGE;
    if (max > APC_PAGE_MAX)
        max = APC_PAGE_MAX;
    hit_t *hits = malloc(max * sizeof *hits);
    apc_search_page_t *pg = calloc(1, sizeof *pg);
    if (pg)
        pg->packets = calloc(max, sizeof *pg->packets);
    if (!hits || !pg || !pg->packets) {
        free(hits);
        apc_search_page_free(pg);
        return apc__err(APC_ENOMEM, "out of memory");
    }
    sqlite3 *db = apc__db_get(ctx->store);
    int r = db ? 0 : APC_ESTORE;
    size_t n = 0;
    int more = 0;
    int64_t state = 0;
    if (db) {
        r = load_hits(db, id, last_id, max, hits, &n, &more, &state);
        apc__db_put(ctx->store, db);
    }
    pg->search_id = id;
    pg->last_id = last_id;
    for (size_t i = 0; r == 0 && i < n; i++) {
        apc_packet_t *p = NULL;
        int pr = apc_capture_get_packet(ctx, hits[i].capture_id, hits[i].packet_id, &p);
        pg->last_id = hits[i].id;
        if (pr == APC_ENOTFOUND)
            continue; /* its capture was deleted */
        if (pr < 0) {
            r = pr;
            break;
        }
        free(p->data);
        p->data = NULL;
        pg->packets[pg->count++] = *p;
        free(p);
    }
    free(hits);
    if (r < 0) {
        apc_search_page_free(pg);
        return r;
    }
    pg->more = more || state <= APC_SEARCH_RUNNING;
    if (pg->more && !more && !apc__search_is_active(ctx, id))
        pg->more = 0; /* left running by a stopped process: nothing more will come */
    *out = pg;
    return 0;
}
