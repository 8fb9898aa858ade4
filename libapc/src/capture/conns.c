/* SPDX-License-Identifier: MIT */
/* Connections and processes of a capture, read by pages (the store reads the rows). */
#include <stdlib.h>
#include <string.h>

#include <apc/capture.h>

#include "capture/read_lean.h"
#include "core/ctx.h"
#include "core/error.h"
#include "store/captures.h"
#include "util/page.h"

APC_API void apc_conn_page_free(apc_conn_page_t *pg)
{
    if (!pg)
        return;
    for (size_t i = 0; i < pg->count; i++) {
        free(pg->conns[i].process_name);
        free(pg->conns[i].host_name);
    }
    free(pg->conns);
    free(pg);
}

static int list_conns(apc_ctx_t *ctx, int64_t capture_id, int64_t last_id, unsigned max, int lean,
                      apc_conn_page_t **out)
{
    if (!ctx || !out)
        return apc__err(APC_EINVAL, "NULL argument");
    *out = NULL;
    max = apc__page_size(max);
    apc_conn_page_t *pg = calloc(1, sizeof *pg);
    if (!pg || !(pg->conns = calloc(max, sizeof *pg->conns))) {
        free(pg);
        return apc__err(APC_ENOMEM, "out of memory");
    }
    pg->last_id = last_id;
    int r = apc__conns_page(ctx->store, capture_id, last_id, max, lean, pg);
    for (size_t i = 0; i < pg->count; i++)
        pg->conns[i].capture_id = capture_id;
    if (r < 0) {
        apc_conn_page_free(pg);
        return r;
    }
    *out = pg;
    return 0;
}

APC_API int apc_capture_list_conns(apc_ctx_t *ctx, int64_t capture_id, int64_t last_id,
                                   unsigned max, apc_conn_page_t **out)
{
    return list_conns(ctx, capture_id, last_id, max, 0, out);
}

int apc__capture_list_conns_lean(apc_ctx_t *ctx, int64_t capture_id, int64_t last_id, unsigned max,
                                 apc_conn_page_t **out)
{
    return list_conns(ctx, capture_id, last_id, max, 1, out);
}

APC_API void apc_process_page_free(apc_process_page_t *pg)
{
    if (!pg)
        return;
    for (size_t i = 0; i < pg->count; i++) {
        free(pg->procs[i].name);
        free(pg->procs[i].path);
        free(pg->procs[i].cmdline);
        free(pg->procs[i].user);
    }
    free(pg->procs);
    free(pg);
}

APC_API int apc_capture_get_processes(apc_ctx_t *ctx, int64_t capture_id, int64_t last_id,
                                      unsigned max, apc_process_page_t **out)
{
    if (!ctx || !out)
        return apc__err(APC_EINVAL, "NULL argument");
    *out = NULL;
    max = apc__page_size(max);
    apc_process_page_t *pg = calloc(1, sizeof *pg);
    if (!pg || !(pg->procs = calloc(max, sizeof *pg->procs))) {
        free(pg);
        return apc__err(APC_ENOMEM, "out of memory");
    }
    pg->last_id = last_id;
    int r = apc__processes_capture_page(ctx->store, capture_id, last_id, max, pg);
    if (r < 0) {
        apc_process_page_free(pg);
        return r;
    }
    *out = pg;
    return 0;
}
