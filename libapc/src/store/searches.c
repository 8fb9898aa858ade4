/* SPDX-License-Identifier: MIT */
/* Dispatch of the searches calls to the store's backend (see searches.h). */
#include <stdlib.h>

#include "store/searches.h"

#include "store/store_int.h"

int apc__searches_create(apc__store_t *s, const apc__st_search_new_t *n, int64_t *out_id)
{
    return s->be->searches->create(s->impl, n, out_id);
}

int apc__searches_exists(apc__store_t *s, int64_t id)
{
    return s->be->searches->exists(s->impl, id);
}

int apc__searches_get(apc__store_t *s, int64_t id, apc_search_meta_t **out)
{
    return s->be->searches->get(s->impl, id, out);
}

int apc__searches_list(apc__store_t *s, apc_search_list_t *l)
{
    return s->be->searches->list(s->impl, l);
}

int apc__searches_fail_stale(apc__store_t *s, int64_t id, const char *error)
{
    return s->be->searches->fail_stale(s->impl, id, error);
}

int apc__searches_remove(apc__store_t *s, int64_t id)
{
    return s->be->searches->remove(s->impl, id);
}

int apc__searches_scope(apc__store_t *s, int64_t capture_id, int64_t time_from, int64_t time_to,
                        apc__st_search_scope_fn fn, void *payload)
{
    return s->be->searches->scope(s->impl, capture_id, time_from, time_to, fn, payload);
}

int apc__searches_started(apc__store_t *s, int64_t id, int state, int64_t started, uint64_t total)
{
    return s->be->searches->started(s->impl, id, state, started, total);
}

int apc__searches_add_results(apc__store_t *s, int64_t id, uint64_t first, const int64_t *pairs,
                              size_t n, uint64_t scanned, uint64_t matches, int progress)
{
    return s->be->searches->add_results(s->impl, id, first, pairs, n, scanned, matches, progress);
}

int apc__searches_finish(apc__store_t *s, int64_t id, const apc__st_search_end_t *e)
{
    return s->be->searches->finish(s->impl, id, e);
}

int apc__searches_result_page(apc__store_t *s, int64_t id, int64_t last_id, unsigned max,
                              apc__st_search_hit_t *hits, size_t *n, int *more, int *state)
{
    return s->be->searches->result_page(s->impl, id, last_id, max, hits, n, more, state);
}

int apc__searches_row(apc__store_t *s, int64_t id, apc__st_search_row_t *out)
{
    return s->be->searches->row(s->impl, id, out);
}

int apc__searches_result_captures(apc__store_t *s, int64_t id, int64_t **captures, size_t *n,
                                  uint64_t *results)
{
    return s->be->searches->result_captures(s->impl, id, captures, n, results);
}

long apc__searches_hits(apc__store_t *s, int64_t id, int64_t last_id, apc__st_search_hit_t *out,
                        size_t max)
{
    return s->be->searches->hits(s->impl, id, last_id, out, max);
}

int apc__searches_capture_notes(apc__store_t *s, const int64_t *ids, size_t n,
                                apc__st_search_notes_fn fn, void *payload)
{
    return s->be->searches->capture_notes(s->impl, ids, n, fn, payload);
}

int apc__searches_capture(apc__store_t *s, int64_t capture_id, apc__st_search_capture_t *out)
{
    return s->be->searches->capture(s->impl, capture_id, out);
}

int apc__searches_linktypes(apc__store_t *s, int64_t capture_id, apc__st_search_link_fn fn,
                            void *payload)
{
    return s->be->searches->linktypes(s->impl, capture_id, fn, payload);
}

int apc__searches_conn_max(apc__store_t *s, int64_t capture_id, int64_t *max)
{
    return s->be->searches->conn_max(s->impl, capture_id, max);
}

int apc__searches_conns(apc__store_t *s, int64_t capture_id, const int64_t *ids, size_t n,
                        apc__st_search_conn_fn fn, void *payload)
{
    return s->be->searches->conns(s->impl, capture_id, ids, n, fn, payload);
}

int apc__searches_spans_covered(apc__store_t *s, int64_t capture_id, int64_t *covered)
{
    return s->be->searches->spans_covered(s->impl, capture_id, covered);
}

int apc__searches_spans(apc__store_t *s, int64_t capture_id, const int64_t *ids, size_t n,
                        apc__st_search_span_fn fn, void *payload)
{
    return s->be->searches->spans(s->impl, capture_id, ids, n, fn, payload);
}

int apc__searches_save_index(apc__store_t *s, int64_t capture_id,
                             const apc__st_search_span_t *spans, size_t n_spans,
                             const apc__st_search_key_t *keys, size_t n_keys, uint64_t packets)
{
    return s->be->searches->save_index(s->impl, capture_id, spans, n_spans, keys, n_keys, packets);
}

int apc__searches_process(apc__store_t *s, int64_t id, apc__st_search_proc_t *out)
{
    return s->be->searches->process(s->impl, id, out);
}

int apc__searches_ids_by_key(apc__store_t *s, int64_t capture_id, const uint8_t *key, size_t len,
                             apc__st_id_fn fn, void *payload)
{
    return s->be->searches->ids_by_key(s->impl, capture_id, key, len, fn, payload);
}

int apc__searches_ids_by_addr(apc__store_t *s, int64_t capture_id, const uint8_t *addr, size_t len,
                              apc__st_id_fn fn, void *payload)
{
    return s->be->searches->ids_by_addr(s->impl, capture_id, addr, len, fn, payload);
}

int apc__searches_ids_by_port(apc__store_t *s, int64_t capture_id, int proto, int port,
                              apc__st_id_fn fn, void *payload)
{
    return s->be->searches->ids_by_port(s->impl, capture_id, proto, port, fn, payload);
}

void apc__searches_proc_clear(apc__st_search_proc_t *p)
{
    free(p->name);
    free(p->path);
    free(p->cmdline);
    free(p->user);
    p->name = p->path = p->cmdline = p->user = NULL;
}
