/* SPDX-License-Identifier: MIT */
/*
 * Internal API of module search for other modules (export's capture_export filter and
 * search_export) and for the search jobs: run a compiled filter over one capture and be told
 * each match; read a search's stored results.
 */
#ifndef APC_SEARCH_SEARCH_H
#define APC_SEARCH_SEARCH_H

#include <stdint.h>

#include <apc/ctx.h>

#include "search/filter.h"
#include "store/backend.h"

/* Called for each match in packet order; a negative return stops the scan with that code. */
typedef int (*apc__search_match_fn)(int64_t capture_id, int64_t packet_id, void *payload);

/* The connection span and key index a full scan of a frozen capture collected. */
typedef struct apc__span_index {
    int64_t capture_id;
    uint64_t packets;
    apc__fconn_t *conns; /* by id, first_id/last_id filled */
    size_t n_conns;
    uint64_t nc_first, nc_last;
} apc__span_index_t;

/* Stores ix (search_conn_spans, search_conn_keys) and frees it. Errors are ignored: the
 * index only makes later searches faster. NULL-safe. */
void apc__search_index_save(apc_ctx_t *ctx, apc__span_index_t *ix);

typedef struct apc__scan {
    apc_ctx_t *ctx;
    const apc__filter_t *filter; /* NULL or empty: every packet matches */
    int64_t capture_id;
    int64_t time_from, time_to;           /* ns; 0 = unbounded */
    const volatile int *cancel, *cancel2; /* polled; either nonzero stops with APC_ECANCELED */
    apc__search_match_fn on_match;
    int (*on_progress)(void *payload); /* NULL, or called after each chunk of records */
    void *payload;
    /* out: packets looked at so far (updated as the scan runs, for progress) */
    volatile uint64_t scanned;
    uint64_t bytes_read;   /* packets whose bytes had to be read (planner statistics) */
    uint64_t records_read; /* index records read; the others were skipped by the spans */
    /* 0: a full scan stores the index it collected before returning; 1: it hands it over in
     * pending_index for the caller to store (apc__search_index_save) after its own work */
    int defer_index;
    apc__span_index_t *pending_index;
} apc__scan_t;

/* Scans capture s->capture_id (its committed packets). The filter is evaluated per
 * connection first, then per index record, and the packet bytes are read only when those
 * leave the answer open. 0, APC_ECANCELED, or an error with the message set. */
int apc__search_scan(apc__scan_t *s);

/* Compiles `text` and scans one capture within [time_from, time_to] (ns, 0 = unbounded),
 * calling fn for each match in packet order; *scanned gets the packets looked at. The byte
 * scan another node asks of this one for its search (action search_scan, docs/fleet.md).
 * APC_EINVAL with the checker's message for a bad filter. */
int apc__search_filter_capture(apc_ctx_t *ctx, const char *text, int64_t capture_id,
                               int64_t time_from, int64_t time_to, const volatile int *cancel,
                               apc__search_match_fn fn, void *payload, uint64_t *scanned);

/* job.c: the id of a search of ctx queued or running in this process, 0 when none. Searches
 * that have ended but still store their span index are waited for first, so after 0 no job
 * of ctx writes search tables (apc_flush refuses otherwise). */
int64_t apc__search_any_active(apc_ctx_t *ctx);

/* --- results.c: a search's stored results, for module export's search_export ------------- */

/* A result: id (results are in this order), capture_id, packet_id; the store fills them. */
typedef apc__st_search_hit_t apc__search_hit_t;

typedef struct apc__search_info {
    int active;                 /* queued or running in this process: more results may come */
    int64_t capture_id;         /* the search's scope; 0 = every capture */
    char *normalized;           /* the filter it ran */
    int64_t time_from, time_to; /* and its time bounds (ns, inclusive; 0 open) */
    uint64_t results;           /* results in captures that still exist */
    int64_t *captures;          /* those captures, in the order of their first result */
    size_t n_captures;
} apc__search_info_t;

/* Fills *out for search `id` of ctx's store. APC_ENOTFOUND "search N not found". Free with
 * apc__search_info_free. */
int apc__search_info_get(apc_ctx_t *ctx, int64_t id, apc__search_info_t *out);
void apc__search_info_free(apc__search_info_t *info);
/* A filter that matches in a capture exactly what the search matched there: its filter and its
 * time bounds as frame.time comparisons (docs/filters.md), for the node asked to export them.
 * A new string (the caller frees it); NULL when out of memory, with the message set. */
char *apc__search_bounded_filter(const apc__search_info_t *info);
/* Up to max results of search `id` after result `last_id` (0: from the first), in result
 * order, leaving out those of captures deleted since. Returns how many (0 at the end) or a
 * negative APC_E* with the message set. */
long apc__search_hits(apc_ctx_t *ctx, int64_t id, int64_t last_id, apc__search_hit_t *out,
                      size_t max);

#endif
