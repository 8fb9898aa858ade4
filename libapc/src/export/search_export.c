/* SPDX-License-Identifier: MIT */
/*
 * search_export: this module writes the file (export.c); it reads which packets from module
 * search's results (search/search.h), so the file holds exactly what search_read pages
 * through, across every capture the search covered. It lives here, not in search, so the
 * dependency runs one way (export -> search).
 */
#include <apc/search.h>

#include "core/error.h"
#include "export/export.h"

APC_API int apc_search_export(apc_ctx_t *ctx, int64_t id, const char *path, int overwrite,
                              char **out_uid)
{
    if (!ctx || !out_uid)
        return apc__err(APC_EINVAL, "NULL argument");
    return apc__export_start_search(ctx, id, path, overwrite, out_uid);
}
