/* SPDX-License-Identifier: MIT */
/* search_read: pages of a search's matches as PACKETs without bytes (SEARCHLIST). */
#include <stdlib.h>
#include <string.h>

#include <apc/search.h>

#include "core/ctx.h"
#include "capture/read_lean.h"
#include "core/error.h"
#include "fleet/peer.h"
#include "search/job.h"
#include "store/searches.h"
#include "util/page.h"

APC_API void apc_search_page_free(apc_search_page_t *pg)
{
    if (!pg)
        return;
    for (size_t i = 0; i < pg->count; i++) {
        free(pg->packets[i].process_name);
        free(pg->packets[i].summary);
        free(pg->packets[i].notes);
        free(pg->packets[i].data);
    }
    free(pg->packets);
    free(pg);
}

typedef apc__st_search_hit_t hit_t;

/* Up to max hits after last_id, whether more follow, and the search's state. */
static int load_hits(apc_ctx_t *ctx, int64_t id, int64_t last_id, unsigned max, hit_t *hits,
                     size_t *n, int *more, int *state)
{
    int r = apc__searches_result_page(ctx->store, id, last_id, max, hits, n, more, state);
    if (r == 0)
        return apc__err(APC_ENOTFOUND, "search %lld not found", (long long)id);
    return r < 0 ? r : 0;
}

/* A match in another node's capture: its packet's fields are in that node's index, so it
 * carries its ids only (apc/search.h); the action search_read asks that node for the rest. */
static int remote_stub(const hit_t *h, apc_packet_t **out)
{
    apc_packet_t *p = calloc(1, sizeof *p);
    if (p) {
        p->id = h->packet_id;
        p->capture_id = h->capture_id;
        p->protocol = p->src_port = p->dst_port = p->tcp_flags = -1;
        p->process_name = strdup("");
        p->summary = strdup("");
        p->notes = strdup("");
    }
    if (!p || !p->process_name || !p->summary || !p->notes) {
        if (p) {
            free(p->process_name);
            free(p->summary);
            free(p->notes);
        }
        free(p);
        return apc__err(APC_ENOMEM, "out of memory");
    }
    *out = p;
    return 0;
}

APC_API int apc_search_read(apc_ctx_t *ctx, int64_t id, int64_t last_id, unsigned max,
                            apc_search_page_t **out)
{
    if (!ctx || !out)
        return apc__err(APC_EINVAL, "NULL argument");
    *out = NULL;
    if (last_id < 0)
        return apc__err(APC_EINVAL, "last_id %lld is negative", (long long)last_id);
    max = apc__page_size(max);
    hit_t *hits = malloc(max * sizeof *hits);
    apc_search_page_t *pg = calloc(1, sizeof *pg);
    if (pg)
        pg->packets = calloc(max, sizeof *pg->packets);
    if (!hits || !pg || !pg->packets) {
        free(hits);
        apc_search_page_free(pg);
        return apc__err(APC_ENOMEM, "out of memory");
    }
    size_t n = 0;
    int more = 0, state = 0;
    /* Asked before the rows are read: a search ends by storing its last matches and its state,
     * and only then leaves the active list. Asked after, a search that ended in between
     * looked "running, not active, no rows": an empty last page (python-clients saw it). */
    int active = apc__search_is_active(ctx, id);
    int r = load_hits(ctx, id, last_id, max, hits, &n, &more, &state);
    pg->search_id = id;
    pg->last_id = last_id;
    int64_t *ids = n ? malloc(n * sizeof *ids) : NULL;
    if (n && !ids)
        r = apc__err(APC_ENOMEM, "out of memory");
    /* Runs of matches in one capture: another node's are stubs (its ids only), this node's
     * are read together (apc__capture_get_many: one capture lookup and cursor per run). */
    for (size_t i = 0, j; r == 0 && i < n; i = j) {
        int64_t cap = hits[i].capture_id;
        for (j = i; j < n && hits[j].capture_id == cap; j++)
            ids[j - i] = hits[j].packet_id;
        pg->last_id = hits[j - 1].id;
        char *node = NULL, *url = NULL;
        int theirs = apc__fleet_owner(ctx, cap, &node, &url) == 1;
        free(node);
        free(url);
        if (theirs) {
            for (size_t k = i; r == 0 && k < j; k++) {
                apc_packet_t *p = NULL;
                r = remote_stub(&hits[k], &p);
                if (r == 0) {
                    pg->packets[pg->count++] = *p;
                    free(p);
                }
            }
            continue;
        }
        size_t got = 0;
        int pr = apc__capture_get_many(ctx, cap, ids, j - i, pg->packets + pg->count, &got);
        if (pr == APC_ENOTFOUND)
            continue; /* its capture was deleted */
        if (pr < 0)
            r = pr;
        pg->count += got;
    }
    free(ids);
    free(hits);
    if (r < 0) {
        apc_search_page_free(pg);
        return r;
    }
    pg->more = more || state <= APC_SEARCH_RUNNING;
    if (pg->more && !more && !active)
        pg->more = 0; /* left running by a stopped process: nothing more will come */
    *out = pg;
    return 0;
}
