/* SPDX-License-Identifier: MIT */
/* STATSQUERY: everything stored since the last reset (apc/stats.h), and the reset itself. */
#include <stdlib.h>
#include <time.h>

#include <apc/stats.h>

#include "core/ctx.h"
#include "core/error.h"
#include "stats/agg.h"
#include "stats/stats_int.h"
#include "store/stats.h"
#include "util/clock.h"

struct totals_arg {
    apc__store_t *s;
    apc_stats_totals_t *t;
};

static int read_totals(apc__st_stats_rd_t *rd, void *payload)
{
    struct totals_arg *a = payload;
    apc_stats_totals_t *t = a->t;
    apc__st_stats_totals_t st = {0};
    int r = apc__st_stats_totals(a->s, rd, &st);
    t->since = st.since;
    t->packets = st.packets;
    t->bytes = st.bytes;
    t->connections = st.connections;
    t->ips = st.ips;
    t->processes = st.processes;
    t->captures = st.captures;
    t->drops = st.drops;
    if (r >= 0)
        r = apc__stats_tops_keys(a->s, rd, 0, APC__SK_PROTO, &t->protocols);
    if (r >= 0)
        r = apc__stats_tops_keys(a->s, rd, 0, APC__SK_PORT, &t->ports);
    if (r >= 0)
        r = apc__stats_tops_keys(a->s, rd, 0, APC__SK_IP, &t->ips_top);
    if (r >= 0)
        r = apc__stats_tops_keys(a->s, rd, 0, APC__SK_PROCESS, &t->processes_top);
    return r < 0 ? r : 0;
}

APC_API int apc_stats_totals(apc_ctx_t *ctx, apc_stats_totals_t **out)
{
    *out = NULL;
    apc_stats_totals_t *t = calloc(1, sizeof *t);
    if (!t)
        return apc__err(APC_ENOMEM, "out of memory");
    /* One read transaction: the counts and the tops agree with each other. */
    struct totals_arg a = {ctx->store, t};
    int r = apc__st_stats_read(ctx->store, read_totals, &a);
    if (r < 0) {
        apc_stats_totals_free(t);
        return r;
    }
    *out = t;
    return 0;
}

APC_API int apc_stats_reset(apc_ctx_t *ctx)
{
    return apc__st_stats_reset(ctx->store, apc__real_ns());
}
