/* SPDX-License-Identifier: MIT */
/*
 * search_export: a search's matches are exactly the packets of its capture that satisfy its
 * filter within its time bounds, so the export is module export's capture export with that
 * filter (libapc/src/export/filter.c runs this module's planner over the capture).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <apc/export.h>
#include <apc/search.h>

#include "core/ctx.h"
#include "core/error.h"
#include "store/sql.h"
#include "store/store.h"

static void iso(char *buf, size_t n, int64_t ns)
{
    time_t t = (time_t)(ns / 1000000000LL);
    long frac = (long)(ns % 1000000000LL);
    if (frac < 0) {
        frac += 1000000000L;
        t--;
    }
    struct tm tm;
    gmtime_r(&t, &tm);
    char d[32];
    strftime(d, sizeof d, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf, n, "%s.%09ldZ", d, frac);
}

/* The capture whose packets the search matched: its scope, or the one capture its results
 * lie in. */
static int pick_capture(sqlite3 *db, int64_t id, int64_t scope, int64_t *out)
{
    if (scope) {
        *out = scope;
        return 0;
    }
    sqlite3_stmt *q;
    int r = apc__sql_prepare(db, "reading search results",
                             "SELECT DISTINCT capture_id FROM search_results WHERE search_id=? "
                             "LIMIT 2",
                             &q);
    if (r < 0)
        return r;
    sqlite3_bind_int64(q, 1, id);
    int n = 0;
    while (sqlite3_step(q) == SQLITE_ROW) {
        if (n == 0)
            *out = sqlite3_column_int64(q, 0);
        n++;
    }
    sqlite3_finalize(q);
    if (n == 0)
        return apc__err(APC_ENOTFOUND, "search %lld has no matches to export", (long long)id);
    if (n > 1)
        return apc__err(APC_ENOTSUP,
                        "search %lld matched packets in several captures; one export file holds "
                        "one capture: export each with capture_export and the search's filter",
                        (long long)id);
    return 0;
}

APC_API int apc_search_export(apc_ctx_t *ctx, int64_t id, const char *path, int overwrite,
                              char **out_uid)
{
    if (!ctx || !out_uid)
        return apc__err(APC_EINVAL, "NULL argument");
    *out_uid = NULL;
    sqlite3 *db = apc__db_get(ctx->store);
    if (!db)
        return APC_ESTORE;
    sqlite3_stmt *q;
    int r = apc__sql_prepare(db, "reading a search",
                             "SELECT normalized, capture_id, time_from, time_to FROM searches "
                             "WHERE id=?",
                             &q);
    char *filter = NULL;
    int64_t scope = 0, from = 0, to = 0, cap = 0;
    if (r == 0) {
        sqlite3_bind_int64(q, 1, id);
        if (sqlite3_step(q) == SQLITE_ROW) {
            filter = apc__sql_text(q, 0);
            scope = sqlite3_column_int64(q, 1);
            from = sqlite3_column_int64(q, 2);
            to = sqlite3_column_int64(q, 3);
            if (!filter)
                r = apc__err(APC_ENOMEM, "out of memory");
        } else {
            r = apc__err(APC_ENOTFOUND, "search %lld not found", (long long)id);
        }
        sqlite3_finalize(q);
    }
    if (r == 0)
        r = pick_capture(db, id, scope, &cap);
    apc__db_put(ctx->store, db);
    char *text = NULL;
    if (r == 0) {
        char a[64] = "", b[64] = "";
        if (from)
            iso(a, sizeof a, from);
        if (to)
            iso(b, sizeof b, to);
        size_t n = strlen(filter) + 160;
        text = malloc(n);
        if (!text) {
            r = apc__err(APC_ENOMEM, "out of memory");
        } else {
            snprintf(text, n, "%s%s%s%s%s%s%s%s%s%s", *filter ? "(" : "", filter,
                     *filter ? ")" : "", (*filter && from) ? " && " : "",
                     from ? "frame.time >= \"" : "", a, from ? "\"" : "",
                     ((*filter || from) && to) ? " && " : "", to ? "frame.time <= \"" : "",
                     to ? b : "");
            if (to)
                strcat(text, "\"");
        }
    }
    free(filter);
    if (r == 0)
        r = apc_export_start(ctx, cap, path, text, overwrite, out_uid);
    free(text);
    return r;
}
