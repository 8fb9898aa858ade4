/* SPDX-License-Identifier: MIT */
/* The searches tables as module search (and export's search output) use them: typed calls to
 * the store's backend (records and what each call does in store/backend.h,
 * apc__searches_ops_t). The filter, the planner and the jobs stay in module search; only
 * where rows are kept and how they are read lives here. */
#ifndef APC_STORE_SEARCHES_H
#define APC_STORE_SEARCHES_H

#include "store/backend.h"
#include "store/store.h"

int apc__searches_create(apc__store_t *s, const apc__st_search_new_t *n, int64_t *out_id);
int apc__searches_exists(apc__store_t *s, int64_t id);
/* *out belongs to the caller (apc_search_meta_free). */
int apc__searches_get(apc__store_t *s, int64_t id, apc_search_meta_t **out);
int apc__searches_list(apc__store_t *s, apc_search_list_t *l);
int apc__searches_fail_stale(apc__store_t *s, int64_t id, const char *error);
int apc__searches_remove(apc__store_t *s, int64_t id);
int apc__searches_scope(apc__store_t *s, int64_t capture_id, int64_t time_from, int64_t time_to,
                        apc__st_search_scope_fn fn, void *payload);
int apc__searches_started(apc__store_t *s, int64_t id, int state, int64_t started, uint64_t total);
int apc__searches_add_results(apc__store_t *s, int64_t id, uint64_t first, const int64_t *pairs,
                              size_t n, uint64_t scanned, uint64_t matches, int progress);
int apc__searches_finish(apc__store_t *s, int64_t id, const apc__st_search_end_t *e);
int apc__searches_result_page(apc__store_t *s, int64_t id, int64_t last_id, unsigned max,
                              apc__st_search_hit_t *hits, size_t *n, int *more, int *state);
/* out->normalized belongs to the caller (free). */
int apc__searches_row(apc__store_t *s, int64_t id, apc__st_search_row_t *out);
/* *captures belongs to the caller (free). */
int apc__searches_result_captures(apc__store_t *s, int64_t id, int64_t **captures, size_t *n,
                                  uint64_t *results);
long apc__searches_hits(apc__store_t *s, int64_t id, int64_t last_id, apc__st_search_hit_t *out,
                        size_t max);
int apc__searches_capture_notes(apc__store_t *s, const int64_t *ids, size_t n,
                                apc__st_search_notes_fn fn, void *payload);

/* One capture's scan and its planner. */
int apc__searches_capture(apc__store_t *s, int64_t capture_id, apc__st_search_capture_t *out);
int apc__searches_linktypes(apc__store_t *s, int64_t capture_id, apc__st_search_link_fn fn,
                            void *payload);
int apc__searches_conn_max(apc__store_t *s, int64_t capture_id, int64_t *max);
int apc__searches_conns(apc__store_t *s, int64_t capture_id, const int64_t *ids, size_t n,
                        apc__st_search_conn_fn fn, void *payload);
int apc__searches_spans_covered(apc__store_t *s, int64_t capture_id, int64_t *covered);
int apc__searches_spans(apc__store_t *s, int64_t capture_id, const int64_t *ids, size_t n,
                        apc__st_search_span_fn fn, void *payload);
int apc__searches_save_index(apc__store_t *s, int64_t capture_id,
                             const apc__st_search_span_t *spans, size_t n_spans,
                             const apc__st_search_key_t *keys, size_t n_keys, uint64_t packets);
/* out's strings belong to the caller (apc__searches_proc_clear). */
int apc__searches_process(apc__store_t *s, int64_t id, apc__st_search_proc_t *out);
void apc__searches_proc_clear(apc__st_search_proc_t *p);
int apc__searches_ids_by_key(apc__store_t *s, int64_t capture_id, const uint8_t *key, size_t len,
                             apc__st_id_fn fn, void *payload);
int apc__searches_ids_by_addr(apc__store_t *s, int64_t capture_id, const uint8_t *addr, size_t len,
                              apc__st_id_fn fn, void *payload);
int apc__searches_ids_by_port(apc__store_t *s, int64_t capture_id, int proto, int port,
                              apc__st_id_fn fn, void *payload);

#endif
