/* SPDX-License-Identifier: MIT */
/* The public search API (apc/search.h) over the searches tables and the job registry. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <apc/search.h>

#include "core/ctx.h"
#include "core/error.h"
#include "search/filter.h"
#include "search/job.h"
#include "store/sql.h"
#include "store/store.h"
#include "util/clock.h"

APC_API const char *apc_search_state_name(int state)
{
    static const char *const names[] = {"queued", "running", "completed", "failed", "cancelled"};
    return state >= 0 && state <= APC_SEARCH_CANCELLED ? names[state] : "unknown";
}

APC_API int apc_search_options_init(apc_search_options_t *o, unsigned version)
{
    if (!o)
        return apc__err(APC_EINVAL, "NULL options");
    if (version < 1 || version > APC_SEARCH_OPTIONS_VERSION)
        return apc__err(APC_EINVAL, "search options version %u is not 1 to %d", version,
                        APC_SEARCH_OPTIONS_VERSION);
    /* A version 1 caller's struct ends before `owner`: clear only what it has. */
    memset(o, 0, version == 1 ? offsetof(apc_search_options_t, owner) : sizeof *o);
    o->version = version;
    return 0;
}

APC_API void apc_search_syntax_free(apc_search_syntax_t *s)
{
    if (!s)
        return;
    free(s->error);
    free(s->normalized);
    free(s);
}

APC_API int apc_search_verify(const char *filter, apc_search_syntax_t **out)
{
    if (!filter || !out)
        return apc__err(APC_EINVAL, "NULL argument");
    *out = NULL;
    apc_search_syntax_t *s = calloc(1, sizeof *s);
    if (!s)
        return apc__err(APC_ENOMEM, "out of memory");
    apc__filter_t *f = NULL;
    size_t off = 0;
    int rc = apc__flt_compile(filter, strlen(filter), &f, &off);
    if (rc == APC_ENOMEM) {
        free(s);
        return rc;
    }
    s->valid = rc == 0;
    s->error = strdup(rc == 0 ? "" : apc_last_error_message());
    s->error_offset = rc == 0 ? 0 : off;
    s->normalized = strdup(rc == 0 ? f->normalized : "");
    apc__flt_free(f);
    if (!s->error || !s->normalized) {
        apc_search_syntax_free(s);
        return apc__err(APC_ENOMEM, "out of memory");
    }
    *out = s;
    return 0;
}

APC_API int apc_search_start(apc_ctx_t *ctx, const char *filter, const apc_search_options_t *opts,
                             int64_t *out_id)
{
    if (!ctx || !filter || !out_id)
        return apc__err(APC_EINVAL, "NULL argument");
    if (opts && (opts->version < 1 || opts->version > APC_SEARCH_OPTIONS_VERSION))
        return apc__err(APC_EINVAL, "search options version %u is not 1 to %d", opts->version,
                        APC_SEARCH_OPTIONS_VERSION);
    apc_search_options_t o = {0};
    if (opts)
        memcpy(&o, opts, opts->version == 1 ? offsetof(apc_search_options_t, owner) : sizeof o);
    if (o.capture_id < 0 || o.start_time < 0 || o.end_time < 0 ||
        (o.end_time && o.start_time > o.end_time))
        return apc__err(APC_EINVAL, "bad search scope: capture %lld, time %lld to %lld",
                        (long long)o.capture_id, (long long)o.start_time, (long long)o.end_time);
    apc__filter_t *f = NULL;
    size_t off = 0;
    int rc = apc__flt_compile(filter, strlen(filter), &f, &off);
    if (rc < 0) {
        char msg[512];
        apc__err_copy(msg, sizeof msg);
        return apc__err(rc, "%s (at offset %zu)", msg, off);
    }
    sqlite3 *db = apc__db_get(ctx->store);
    if (!db) {
        apc__flt_free(f);
        return APC_ESTORE;
    }
    if (o.capture_id)
        rc = apc__sql_capture_exists(db, o.capture_id);
    if (rc >= 0)
        rc = apc__sql_exec(db, "recording a search",
                           "INSERT INTO searches(filter, normalized, capture_id, time_from, "
                           "time_to, state, created, owner) VALUES(?,?,?,?,?,0,?,?)",
                           "ttiiiit", filter, f->normalized, o.capture_id, o.start_time, o.end_time,
                           apc__real_ns(), o.owner ? o.owner : "");
    int64_t id = rc >= 0 ? sqlite3_last_insert_rowid(db) : 0;
    apc__db_put(ctx->store, db);
    if (rc >= 0)
        rc = apc__search_submit(ctx, id, f->normalized, o.capture_id, o.start_time, o.end_time);
    apc__flt_free(f);
    if (rc < 0)
        return rc;
    *out_id = id;
    return 0;
}

static int exists(apc_ctx_t *ctx, int64_t id)
{
    sqlite3 *db = apc__db_get(ctx->store);
    if (!db)
        return APC_ESTORE;
    int64_t one;
    int r =
        apc__sql_int(db, "reading a search", &one, "SELECT 1 FROM searches WHERE id=?", "i", id);
    apc__db_put(ctx->store, db);
    if (r == 0)
        return apc__err(APC_ENOTFOUND, "search %lld not found", (long long)id);
    return r < 0 ? r : 0;
}

APC_API int apc_search_wait(apc_ctx_t *ctx, int64_t id, int timeout_ms)
{
    if (!ctx)
        return apc__err(APC_EINVAL, "NULL argument");
    int r = exists(ctx, id);
    if (r < 0)
        return r;
    r = apc__search_wait_end(ctx, id, timeout_ms);
    if (r == APC_ECANCELED)
        return apc__err(r, "interrupted: the context is closing");
    if (r < 0)
        return apc__err(APC_EBUSY, "search %lld still runs after %d ms", (long long)id, timeout_ms);
    return 0;
}

APC_API void apc_search_meta_free(apc_search_meta_t *m)
{
    if (!m)
        return;
    free(m->filter);
    free(m->error);
    free(m->owner);
    free(m);
}

APC_API void apc_search_list_free(apc_search_list_t *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->count; i++)
        apc_search_meta_free(l->items[i]);
    free(l->items);
    free(l);
}

#define META_COLS                                                                                  \
    "SELECT id, normalized, state, progress, scanned, matches, created, started, finished, "       \
    "error, capture_id, owner FROM searches"

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

/* A row left queued/running by a process that is gone: say so, once, in the row. */
static void fix_stale(apc_ctx_t *ctx, sqlite3 *db, apc_search_meta_t *m)
{
    if (m->state > APC_SEARCH_RUNNING || apc__search_is_active(ctx, m->id))
        return;
    const char *why = "interrupted: the process running the search stopped";
    if (apc__sql_exec(db, "marking an interrupted search",
                      "UPDATE searches SET state=?, error=? WHERE id=? AND state<=?", "itii",
                      (int64_t)APC_SEARCH_FAILED, why, m->id, (int64_t)APC_SEARCH_RUNNING) < 0)
        return;
    /* the job may have ended between the two checks: then its row says so */
    int64_t state;
    if (apc__sql_int(db, "reading a search", &state, "SELECT state FROM searches WHERE id=?", "i",
                     m->id) == 1 &&
        state == APC_SEARCH_FAILED) {
        m->state = APC_SEARCH_FAILED;
        char *e = strdup(why);
        if (e) {
            free(m->error);
            m->error = e;
        }
    }
}

APC_API int apc_search_get(apc_ctx_t *ctx, int64_t id, apc_search_meta_t **out)
{
    if (!ctx || !out)
        return apc__err(APC_EINVAL, "NULL argument");
    *out = NULL;
    sqlite3 *db = apc__db_get(ctx->store);
    if (!db)
        return APC_ESTORE;
    sqlite3_stmt *q;
    int r = apc__sql_prepare(db, "reading a search", META_COLS " WHERE id=?", &q);
    apc_search_meta_t *m = NULL;
    if (r == 0) {
        sqlite3_bind_int64(q, 1, id);
        int rc = sqlite3_step(q);
        if (rc == SQLITE_ROW) {
            m = meta_row(q);
            if (!m)
                r = apc__err(APC_ENOMEM, "out of memory");
        } else if (rc == SQLITE_DONE) {
            r = apc__err(APC_ENOTFOUND, "search %lld not found", (long long)id);
        } else {
            r = apc__db_err(db, rc, "reading a search");
        }
        sqlite3_finalize(q);
    }
    if (m)
        fix_stale(ctx, db, m);
    apc__db_put(ctx->store, db);
    if (r < 0)
        return r;
    *out = m;
    return 0;
}

APC_API int apc_search_list(apc_ctx_t *ctx, apc_search_list_t **out)
{
    if (!ctx || !out)
        return apc__err(APC_EINVAL, "NULL argument");
    *out = NULL;
    apc_search_list_t *l = calloc(1, sizeof *l);
    if (!l)
        return apc__err(APC_ENOMEM, "out of memory");
    sqlite3 *db = apc__db_get(ctx->store);
    if (!db) {
        free(l);
        return APC_ESTORE;
    }
    sqlite3_stmt *q;
    int r = apc__sql_prepare(db, "listing searches", META_COLS " ORDER BY id", &q);
    while (r == 0 && sqlite3_step(q) == SQLITE_ROW) {
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
    if (q)
        sqlite3_finalize(q);
    for (size_t i = 0; r == 0 && i < l->count; i++)
        fix_stale(ctx, db, l->items[i]);
    apc__db_put(ctx->store, db);
    if (r < 0) {
        apc_search_list_free(l);
        return r;
    }
    *out = l;
    return 0;
}

APC_API int apc_search_cancel(apc_ctx_t *ctx, int64_t id)
{
    if (!ctx)
        return apc__err(APC_EINVAL, "NULL argument");
    int r = exists(ctx, id);
    if (r < 0)
        return r;
    apc__search_stop(ctx, id, 0);
    return 0;
}

APC_API int apc_search_delete(apc_ctx_t *ctx, int64_t id)
{
    if (!ctx)
        return apc__err(APC_EINVAL, "NULL argument");
    int r = exists(ctx, id);
    if (r < 0)
        return r;
    apc__search_stop(ctx, id, 1);
    sqlite3 *db = apc__db_get(ctx->store);
    if (!db)
        return APC_ESTORE;
    r = apc__sql_begin(db);
    if (r == 0)
        r = apc__sql_exec(db, "deleting search results",
                          "DELETE FROM search_results WHERE search_id=?", "i", id);
    if (r == 0)
        r = apc__sql_exec(db, "deleting a search", "DELETE FROM searches WHERE id=?", "i", id);
    if (r == 0)
        r = apc__sql_commit(db, "deleting a search");
    else
        apc__sql_rollback(db);
    apc__db_put(ctx->store, db);
    return r;
}
