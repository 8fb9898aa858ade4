/* SPDX-License-Identifier: MIT */
/*
 * The scans of a search's captures that other nodes hold (docs/fleet.md "Searches over every
 * node"): asked of their nodes at once, by a few threads, while the search scans its own
 * captures; their matches are handed to the search in capture order as it reaches each.
 */
#ifndef APC_SEARCH_REMOTE_H
#define APC_SEARCH_REMOTE_H

#include <stddef.h>
#include <stdint.h>

#include <apc/ctx.h>

#include "search/search.h"

typedef struct apc__search_remote apc__search_remote_t;

/* Starts asking the owners of the captures of `pairs` (capture id, packets; n of them) that are
 * another node's, for the matches of `filter` within [time_from, time_to] (ns, 0 = none).
 * *out NULL when none is (always with SQLite). Stops early once *cancel is set. */
int apc__search_remote_start(apc_ctx_t *ctx, const char *filter, int64_t time_from, int64_t time_to,
                             const int64_t *pairs, size_t n, const volatile int *cancel,
                             apc__search_remote_t **out);
/* Capture capture_id's matches, once its node answered: fn for each, in packet order, and
 * *scanned. 1 when done so, 0 when the capture is not another node's (nothing done), or an
 * error (the node's, naming it; APC_ECANCELED once *cancel2 or the start's cancel is set). */
int apc__search_remote_take(apc__search_remote_t *r, int64_t capture_id,
                            const volatile int *cancel2, apc__search_match_fn fn, void *payload,
                            uint64_t *scanned);
/* Stops what is still being asked, waits for the threads, frees r (NULL: nothing). */
void apc__search_remote_end(apc__search_remote_t *r);

#endif
