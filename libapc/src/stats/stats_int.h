/* SPDX-License-Identifier: MIT */
/* Internals shared by the statistics queries (query.c, totals.c) and their top lists (top.c). */
#ifndef APC_STATS_INT_H
#define APC_STATS_INT_H

#include <stdint.h>

#include <apc/stats.h>

#include "store/stats.h"

/* Entries in each top list. */
#define APC__STATS_TOP_N 10

void apc__stats_tops_free(apc_stats_tops_t *t);

/* Checks a node name asked for (ours, docs/fleet.md): *node NULL or "" becomes NULL (every
 * node); a name the store does not know, other than this node's, is APC_ENOTFOUND. */
int apc__stats_node(apc_ctx_t *ctx, const char **node);

/* Top entries of `kind` (agg.h: APC__SK_*) over a whole capture (0 = since the last reset),
 * from the per-key totals, most packets first; read in rd (apc__st_stats_read). */
int apc__stats_tops_keys(apc__store_t *s, apc__st_stats_rd_t *rd, int64_t capture_id, int kind,
                         apc_stats_tops_t *out);

/* Top IPs, ports, protocols and processes among the connections under one key (kind IP: addr
 * of alen bytes; else `key`) of a capture (0 = all), filling q's lists except the one of the
 * key's own kind. */
int apc__stats_tops_conns(apc__store_t *s, apc__st_stats_rd_t *rd, int64_t capture_id, int kind,
                          int64_t key, const uint8_t *addr, int alen, apc_stats_query_t *q);

#endif
