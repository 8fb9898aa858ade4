/* SPDX-License-Identifier: MIT */
/*
 * A search's stored results as module export reads them for search_export: which captures they
 * lie in, then the results themselves in order. Module export writes the file; the store keeps
 * the results (store/searches.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <apc/search.h>

#include "core/ctx.h"
#include "core/error.h"
#include "search/job.h"
#include "search/search.h"
#include "store/searches.h"

/* "YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ", as the filter language reads and prints a time. */
static void iso_ns(char *buf, size_t n, int64_t ns)
{
    time_t t = (time_t)(ns / 1000000000LL);
    struct tm tm;
    gmtime_r(&t, &tm);
    char day[40] = "";
    strftime(day, sizeof day, "%Y-%m-%dT%H:%M:%S", &tm);
    day[19] = '\0'; /* as long as a 4-digit year; it tells the compiler the bound too */
    snprintf(buf, n, "%s.%09lldZ", day, (long long)(ns % 1000000000LL));
}

char *apc__search_bounded_filter(const apc__search_info_t *info)
{
    const char *f = info->normalized ? info->normalized : "";
    char from[128] = "", to[128] = "";
    if (info->time_from > 0) {
        char t[96];
        iso_ns(t, sizeof t, info->time_from);
        snprintf(from, sizeof from, "frame.time >= \"%s\"", t);
    }
    if (info->time_to > 0) {
        char t[96];
        iso_ns(t, sizeof t, info->time_to);
        snprintf(to, sizeof to, "frame.time <= \"%s\"", t);
    }
    char *out = NULL;
    /* Parentheses around the filter: its own || must not bind the bounds. */
    int n = asprintf(&out, "%s%s%s%s%s%s%s", *f ? "(" : "", f, *f ? ")" : "",
                     *f && *from ? " && " : "", from, (*f || *from) && *to ? " && " : "", to);
    if (n < 0) {
        apc__err(APC_ENOMEM, "out of memory");
        return NULL;
    }
    return out;
}

void apc__search_info_free(apc__search_info_t *info)
{
    if (!info)
        return;
    free(info->normalized);
    free(info->captures);
    memset(info, 0, sizeof *info);
}

int apc__search_info_get(apc_ctx_t *ctx, int64_t id, apc__search_info_t *out)
{
    memset(out, 0, sizeof *out);
    apc__st_search_row_t row = {0};
    int r = apc__searches_row(ctx->store, id, &row);
    if (r == 0)
        return apc__err(APC_ENOTFOUND, "search %lld not found", (long long)id);
    if (r < 0)
        return r;
    out->normalized = row.normalized;
    out->capture_id = row.capture_id;
    out->time_from = row.time_from;
    out->time_to = row.time_to;
    /* A row left queued or running by a process that ended gets no more results. Asked before
     * the results are counted: when it says ended, the count that follows is final. */
    out->active = row.state <= APC_SEARCH_RUNNING && apc__search_is_active(ctx, id);
    r = apc__searches_result_captures(ctx->store, id, &out->captures, &out->n_captures,
                                      &out->results);
    if (r < 0)
        apc__search_info_free(out);
    return r;
}

long apc__search_hits(apc_ctx_t *ctx, int64_t id, int64_t last_id, apc__search_hit_t *out,
                      size_t max)
{
    return apc__searches_hits(ctx->store, id, last_id, out, max);
}
