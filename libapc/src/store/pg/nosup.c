/* SPDX-License-Identifier: MIT */
/*
 * PostgreSQL backend: what it does not store yet (issue 14's later phases): searches and
 * file extraction. Every call answers APC_ENOTSUP with a message naming
 * what, never an empty answer that would read as "there is none". docs/storage.md lists what
 * the PostgreSQL store does.
 */
#include "core/error.h"
#include "store/pg/pg_int.h"

#define SEARCHES "searches"
#define EXTRACTS "file extraction"

/* One stub per op: its signature is the op's, its body the message. */
#define NS(what, name, ...)                                                                        \
    static int name(__VA_ARGS__)                                                                   \
    {                                                                                              \
        return apc__pg_nosup(what);                                                                \
    }

NS(SEARCHES, se_create, void *i, const apc__st_search_new_t *n, int64_t *id)
NS(SEARCHES, se_exists, void *i, int64_t id)
NS(SEARCHES, se_get, void *i, int64_t id, apc_search_meta_t **out)
NS(SEARCHES, se_list, void *i, apc_search_list_t *l)
NS(SEARCHES, se_fail_stale, void *i, int64_t id, const char *e)
NS(SEARCHES, se_remove, void *i, int64_t id)
NS(SEARCHES, se_scope, void *i, int64_t c, int64_t f, int64_t t, apc__st_search_scope_fn fn,
   void *p)
NS(SEARCHES, se_started, void *i, int64_t id, int s, int64_t t, uint64_t n)
NS(SEARCHES, se_add_results, void *i, int64_t id, uint64_t f, const int64_t *p, size_t n,
   uint64_t s, uint64_t m, int g)
NS(SEARCHES, se_finish, void *i, int64_t id, const apc__st_search_end_t *e)
NS(SEARCHES, se_result_page, void *i, int64_t id, int64_t l, unsigned m, apc__st_search_hit_t *h,
   size_t *n, int *more, int *st)
NS(SEARCHES, se_row, void *i, int64_t id, apc__st_search_row_t *o)
NS(SEARCHES, se_result_captures, void *i, int64_t id, int64_t **c, size_t *n, uint64_t *r)
NS(SEARCHES, se_notes, void *i, const int64_t *ids, size_t n, apc__st_search_notes_fn fn, void *p)
NS(SEARCHES, se_capture, void *i, int64_t c, apc__st_search_capture_t *o)
NS(SEARCHES, se_linktypes, void *i, int64_t c, apc__st_search_link_fn fn, void *p)
NS(SEARCHES, se_conn_max, void *i, int64_t c, int64_t *m)
NS(SEARCHES, se_conns, void *i, int64_t c, const int64_t *ids, size_t n, apc__st_search_conn_fn fn,
   void *p)
NS(SEARCHES, se_spans_covered, void *i, int64_t c, int64_t *v)
NS(SEARCHES, se_spans, void *i, int64_t c, const int64_t *ids, size_t n, apc__st_search_span_fn fn,
   void *p)
NS(SEARCHES, se_save_index, void *i, int64_t c, const apc__st_search_span_t *s, size_t ns,
   const apc__st_search_key_t *k, size_t nk, uint64_t p)
NS(SEARCHES, se_process, void *i, int64_t id, apc__st_search_proc_t *o)
NS(SEARCHES, se_ids_by_key, void *i, int64_t c, const uint8_t *k, size_t n, apc__st_id_fn fn,
   void *p)
NS(SEARCHES, se_ids_by_addr, void *i, int64_t c, const uint8_t *a, size_t n, apc__st_id_fn fn,
   void *p)
NS(SEARCHES, se_ids_by_port, void *i, int64_t c, int proto, int port, apc__st_id_fn fn, void *p)

static long se_hits(void *i, int64_t id, int64_t l, apc__st_search_hit_t *o, size_t m)
{
    return apc__pg_nosup(SEARCHES);
}

const apc__searches_ops_t apc__pg_searches_ops = {
    .create = se_create,
    .exists = se_exists,
    .get = se_get,
    .list = se_list,
    .fail_stale = se_fail_stale,
    .remove = se_remove,
    .scope = se_scope,
    .started = se_started,
    .add_results = se_add_results,
    .finish = se_finish,
    .result_page = se_result_page,
    .row = se_row,
    .result_captures = se_result_captures,
    .hits = se_hits,
    .capture_notes = se_notes,
    .capture = se_capture,
    .linktypes = se_linktypes,
    .conn_max = se_conn_max,
    .conns = se_conns,
    .spans_covered = se_spans_covered,
    .spans = se_spans,
    .save_index = se_save_index,
    .process = se_process,
    .ids_by_key = se_ids_by_key,
    .ids_by_addr = se_ids_by_addr,
    .ids_by_port = se_ids_by_port,
};

NS(EXTRACTS, ex_enabled, void *i, int *on)
NS(EXTRACTS, ex_set_enabled, void *i, int on)
NS(EXTRACTS, ex_run, void *i, int64_t c, int *s, char **u, char **e)
NS(EXTRACTS, ex_run_begin, void *i, int64_t c, const char *u, char **b)
NS(EXTRACTS, ex_run_end, void *i, int64_t c, const apc_extract_stream_t *v, size_t n, const char *e)
NS(EXTRACTS, ex_runs_reset, void *i)
NS(EXTRACTS, ex_streams, void *i, int64_t c, int64_t l, unsigned m, apc_extract_page_t *pg)
NS(EXTRACTS, ex_stream, void *i, int64_t c, int64_t id, apc_extract_stream_t *o)
NS(EXTRACTS, ex_file_add, void *i, apc_extract_file_t *f)
NS(EXTRACTS, ex_files, void *i, int64_t c, int64_t f, apc_extract_file_list_t *l)
NS(EXTRACTS, ex_file_remove, void *i, int64_t id)
NS(EXTRACTS, ex_spans, void *i, int64_t c, apc__st_xspan_fn fn, void *p)

const apc__extracts_ops_t apc__pg_extracts_ops = {
    .extract_enabled = ex_enabled,
    .extract_set_enabled = ex_set_enabled,
    .extract_run = ex_run,
    .extract_run_begin = ex_run_begin,
    .extract_run_end = ex_run_end,
    .extract_runs_reset = ex_runs_reset,
    .extract_streams = ex_streams,
    .extract_stream = ex_stream,
    .extract_file_add = ex_file_add,
    .extract_file_remove = ex_file_remove,
    .extract_files = ex_files,
    .extract_spans = ex_spans,
};

const apc__store_backend_t apc__pg_backend = {
    .name = "postgresql",
    .close = apc__pg_close,
    .captures = &apc__pg_captures_ops,
    .processes = &apc__pg_processes_ops,
    .conns = &apc__pg_conns_ops,
    .ips = &apc__pg_ips_ops,
    .commands = &apc__pg_commands_ops,
    .stats = &apc__pg_stats_ops,
    .exports = &apc__pg_exports_ops,
    .flush = &apc__pg_flush_ops,
    .accounts = &apc__pg_accounts_ops,
    .searches = &apc__pg_searches_ops,
    .triggers = &apc__pg_triggers_ops,
    .extracts = &apc__pg_extracts_ops,
    .settings = &apc__pg_settings_ops,
};
