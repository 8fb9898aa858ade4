/* SPDX-License-Identifier: MIT */
/*
 * The one place where exports meet the search language (module search). Until it lands, an
 * export with a filter is refused here. To connect it: compile `filter` in
 * apc__export_filter_open (keeping what the executor needs in apc__export_filter_t) and answer
 * apc__export_filter_match per packet id; the export job calls nothing else.
 */
#include <stdlib.h>

#include "core/error.h"
#include "export/export_int.h"

struct apc__export_filter {
    int unused;
};

int apc__export_filter_open(apc_ctx_t *ctx, int64_t capture_id, const char *filter,
                            apc__export_filter_t **out)
{
    (void)ctx, (void)capture_id;
    *out = NULL;
    if (!filter || !*filter)
        return 0;
    return apc__err(APC_ENOTSUP,
                    "filters are not supported yet: the search language is not in this build; "
                    "export without a filter");
}

int apc__export_filter_match(apc__export_filter_t *f, int64_t packet_id)
{
    (void)packet_id;
    return f == NULL;
}

void apc__export_filter_close(apc__export_filter_t *f)
{
    free(f);
}
