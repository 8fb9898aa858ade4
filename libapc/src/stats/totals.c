/* SPDX-License-Identifier: MIT */
/* STATSQUERY: everything stored since the last reset (apc/stats.h), and the reset itself. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <apc/stats.h>

#include "core/ctx.h"
#include "core/error.h"
#include "stats/agg.h"
#include "stats/stats_int.h"
#include "store/captures.h"
#include "store/stats.h"
#include "util/clock.h"

int apc__stats_node(apc_ctx_t *ctx, const char **node)
{
    if (!*node || !**node) {
        *node = NULL;
        return 0;
    }
    char *url = NULL;
    int r = apc__captures_node_url(ctx->store, *node, &url);
    free(url);
    if (r < 0)
        return r;
    /* A store of one node (SQLite) registers none: its only node is this one. */
    if (r == 0 && strcmp(*node, ctx->node_name ? ctx->node_name : ""))
        return apc__err(APC_ENOTFOUND, "no node named '%s' (this node is '%s')", *node,
                        ctx->node_name ? ctx->node_name : "");
    return 0;
}

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
    return apc_stats_totals_node(ctx, NULL, out);
}

APC_API int apc_stats_totals_node(apc_ctx_t *ctx, const char *node, apc_stats_totals_t **out)
{
    *out = NULL;
    int r = apc__stats_node(ctx, &node);
    if (r < 0)
        return r;
    apc_stats_totals_t *t = calloc(1, sizeof *t);
    if (!t)
        return apc__err(APC_ENOMEM, "out of memory");
    /* One read transaction: the counts and the tops agree with each other. */
    struct totals_arg a = {ctx->store, t};
    r = apc__st_stats_read(ctx->store, node, read_totals, &a);
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
