/* SPDX-License-Identifier: MIT */
/*
 * The body of a search export: the results of a search, which may lie in several captures,
 * in one pcapng section. Each capture's interfaces get their own IDBs (named "capture <id>:
 * <name>", so a reader tells the captures apart), and every packet goes out through the same
 * writer as a capture export (packets.c): comments, epb_processid_threadid, notes. Which
 * packets and in what order is the search module's answer (search/search.h); this file only
 * reads them back from the store.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ctx.h"
#include "core/error.h"
#include "export/export_int.h"
#include "fleet/peer.h"
#include "search/search.h"
#include "store/searches.h"
#include "store/store.h"
#include "util/clock.h"

#define HITS 4096
#define PROGRESS_NS 250000000LL

typedef struct capmap {
    int64_t capture_id;
    uint32_t base, n; /* its interfaces are IDBs base..base+n-1 */
    /* another node's capture (fleet): its node and URL; its matches are streamed from there
     * once (`expect` packets), then its results are only counted (`seen`) */
    char *node, *url;
    int streamed;
    uint64_t expect, seen;
} capmap_t;

/* The search's results in another node's capture c, from its node: the capture's export with
 * the search's filter and its time bounds (as frame.time comparisons), which holds every packet
 * of the results and, when as many as the results, exactly those (remote_counts checks it: the
 * capture may have changed since the search ran). */
static int remote_part(apc__xrun_t *r, capmap_t *c, const apc__search_info_t *info, const char *uid,
                       const volatile int *cancelled)
{
    char *filter = apc__search_bounded_filter(info);
    if (!filter)
        return APC_ENOMEM;
    apc__export_peer_t p = {c->capture_id, c->node, c->url, filter};
    c->streamed = 1;
    int rc = apc__export_remote_hits(r, &p, c->base, c->n, uid, cancelled, &c->expect);
    free(filter);
    return rc;
}

static int remote_counts(const capmap_t *map, size_t n, int64_t search_id)
{
    for (size_t i = 0; i < n; i++)
        if (map[i].node && map[i].seen != map[i].expect)
            return apc__err(APC_ENOTSUP,
                            "search %lld: its %llu results in capture %lld (node '%s') are not "
                            "the %llu packets its filter matches there now: the export would "
                            "not hold the search's packets (search again)",
                            (long long)search_id, (unsigned long long)map[i].seen,
                            (long long)map[i].capture_id, map[i].node,
                            (unsigned long long)map[i].expect);
    return 0;
}

/* Store callback: a capture's notes line, when it has notes. */
static int note_line(int64_t capture_id, const char *notes, void *payload)
{
    if (*notes)
        fprintf(payload, "\ncapture %lld: %s", (long long)capture_id, notes);
    return 0;
}

/* "search <id>: <filter>", then "capture <id>: <notes>" for each capture with notes. */
static int shb_comment(apc__xrun_t *r, int64_t search_id, const apc__search_info_t *info,
                       char **out)
{
    size_t len = 0;
    FILE *f = open_memstream(out, &len);
    if (!f)
        return apc__err(APC_ENOMEM, "out of memory");
    fprintf(f, "search %lld: %s", (long long)search_id,
            *info->normalized ? info->normalized : "every packet");
    int rc =
        apc__searches_capture_notes(r->ctx->store, info->captures, info->n_captures, note_line, f);
    if (fclose(f) != 0 && rc == 0)
        rc = apc__err(APC_ENOMEM, "out of memory");
    if (rc < 0) {
        free(*out);
        *out = NULL;
    }
    return rc;
}

static int write_head(apc__xrun_t *r, int64_t search_id, const apc__search_info_t *info,
                      capmap_t *map)
{
    char *comment = NULL;
    int rc = shb_comment(r, search_id, info, &comment);
    if (rc == 0)
        rc = apc__ngw_shb(r->out, comment, apc__export_userappl());
    free(comment);
    uint32_t base = 0;
    for (size_t i = 0; rc == 0 && i < info->n_captures; i++) {
        map[i].capture_id = info->captures[i];
        map[i].base = base;
        rc = apc__xrun_idbs(r, info->captures[i], 1, &map[i].n);
        int theirs =
            rc == 0 ? apc__fleet_owner(r->ctx, info->captures[i], &map[i].node, &map[i].url) : 0;
        rc = theirs < 0 ? theirs : rc;
        base += map[i].n;
    }
    return rc;
}

static capmap_t *find_cap(capmap_t *map, size_t n, int64_t capture_id)
{
    for (size_t i = 0; i < n; i++)
        if (map[i].capture_id == capture_id)
            return &map[i];
    return NULL;
}

/* Writes hits[0..n): runs of one capture with rising packet ids within HITS of each other
 * are one range of the capture's cursor. */
static int write_hits(apc__xrun_t *r, const apc__search_info_t *info, int64_t search_id,
                      capmap_t *map, const apc__search_hit_t *hits, long n, const char *uid,
                      const volatile int *cancelled)
{
    int rc = 0;
    for (long i = 0, k; rc == 0 && i < n; i = k) {
        if (hits[i].packet_id < 1)
            return apc__err(APC_EFORMAT, "search %lld result %lld: packet id %lld",
                            (long long)search_id, (long long)hits[i].id,
                            (long long)hits[i].packet_id);
        capmap_t *c = find_cap(map, info->n_captures, hits[i].capture_id);
        if (!c)
            return apc__err(APC_ENOTFOUND,
                            "search %lld result %lld: capture %lld had no results when the "
                            "export started",
                            (long long)search_id, (long long)hits[i].id,
                            (long long)hits[i].capture_id);
        if (c->node) { /* another node's capture: its part once, then its results counted */
            rc = c->streamed ? 0 : remote_part(r, c, info, uid, cancelled);
            for (k = i + 1; k < n && hits[k].capture_id == hits[i].capture_id; k++)
                ;
            c->seen += (uint64_t)(k - i);
            continue;
        }
        if (hits[i].capture_id != r->capture_id || !r->cur) {
            rc = apc__xrun_capture(r, c->capture_id, c->base, c->n);
            if (rc < 0)
                return rc;
        }
        for (k = i + 1; k < n && hits[k].capture_id == hits[i].capture_id &&
                        hits[k].packet_id > hits[k - 1].packet_id &&
                        hits[k].packet_id - hits[i].packet_id < HITS;
             k++)
            ;
        apc__cursor_seek(r->cur, (uint64_t)hits[i].packet_id - 1, (uint64_t)hits[k - 1].packet_id);
        int64_t id;
        const apc__idxrec_t *rec;
        long m = i;
        while (rc == 0 && m < k && (rc = apc__cursor_next(r->cur, &id, &rec)) == 1) {
            rc = 0;
            if (id == hits[m].packet_id) {
                rc = apc__xrun_packet(r, id, rec);
                m++;
            }
        }
        if (rc == 0 && m < k)
            return apc__err(
                APC_EIO, "capture %lld: its index ends before packet %lld of search %lld",
                (long long)r->capture_id, (long long)hits[m].packet_id, (long long)search_id);
    }
    return rc;
}

int apc__export_search_packets(apc__xrun_t *r, int64_t search_id, const char *uid,
                               const volatile int *cancelled)
{
    apc__search_info_t info;
    int rc = apc__search_info_get(r->ctx, search_id, &info);
    if (rc < 0)
        return rc;
    capmap_t *map = calloc(info.n_captures ? info.n_captures : 1, sizeof *map);
    apc__search_hit_t *hits = malloc(HITS * sizeof *hits);
    if (!map || !hits)
        rc = apc__err(APC_ENOMEM, "out of memory");
    if (rc == 0)
        rc = write_head(r, search_id, &info, map);
    apc_time_t last = apc__real_ns();
    int last_pct = 0;
    uint64_t done = 0;
    for (int64_t last_id = 0; rc == 0;) {
        if (*cancelled) {
            rc = APC_ECANCELED;
            break;
        }
        long n = apc__search_hits(r->ctx, search_id, last_id, hits, HITS);
        if (n <= 0) {
            rc = (int)n;
            break;
        }
        rc = write_hits(r, &info, search_id, map, hits, n, uid, cancelled);
        last_id = hits[n - 1].id;
        done += (uint64_t)n;
        int pct = info.results ? (int)(done * 100 / info.results) : 0;
        apc_time_t now = apc__real_ns();
        if (rc == 0 && pct != last_pct && now - last >= PROGRESS_NS) {
            apc__cmd_progress(r->ctx, uid, pct >= 100 ? 99 : pct, r->written);
            last = now;
            last_pct = pct;
        }
    }
    if (rc == 0 && map)
        rc = remote_counts(map, info.n_captures, search_id);
    for (size_t i = 0; map && i < info.n_captures; i++) {
        free(map[i].node);
        free(map[i].url);
    }
    free(hits);
    free(map);
    apc__search_info_free(&info);
    return rc;
}
