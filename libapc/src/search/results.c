/* SPDX-License-Identifier: MIT */
/*
 * A search's stored results as module export reads them for search_export: which captures they
 * lie in, then the results themselves in order. Module export writes the file; the store keeps
 * the results (store/searches.h).
 */
#include <stdlib.h>
#include <string.h>

#include <apc/search.h>

#include "core/ctx.h"
#include "core/error.h"
#include "search/job.h"
#include "search/search.h"
#include "store/searches.h"

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
