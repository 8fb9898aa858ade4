/* SPDX-License-Identifier: MIT */
/* The SQLite backend's shared helpers (the files of store/sqlite/, and store/sql.c). */
#ifndef APC_STORE_SQLITE_INT_H
#define APC_STORE_SQLITE_INT_H

#include <stdarg.h>

#include "store/sql.h"
#include "store/store_int.h"

/* Runs one statement on connection c with binds described by fmt (as apc__sql_exec), the
 * statement prepared once per connection. 0 or the error set, naming `what`. */
int apc__sqlc_exec(apc__sqlc_t *c, const char *what, const char *sql, const char *fmt, ...);
int apc__sqlc_vexec(apc__sqlc_t *c, const char *what, const char *sql, const char *fmt, va_list ap);
/* The same on a pooled connection of store s, for one-statement calls. */
int apc__sqlite_exec(apc__store_t *s, const char *what, const char *sql, const char *fmt, ...);

/* Runs a query (prepared once per connection) on a pooled connection of s, with binds as
 * apc__sql_exec plus 'b' (const void *, size_t: a blob), and calls row(st, payload) for each
 * row; a non-zero return stops the walk and is returned (1: "found", for a one-row lookup).
 * 0 when every row was seen, or < 0 with the error naming `what`. */
typedef int (*apc__sqlite_row_fn)(sqlite3_stmt *st, void *payload);
int apc__sqlite_rows(apc__store_t *s, const char *what, const char *sql, apc__sqlite_row_fn row,
                     void *payload, const char *fmt, ...);

/* The same for an INSERT: *out_id gets the new row's id on success. */
int apc__sqlite_insert(apc__store_t *s, int64_t *out_id, const char *what, const char *sql,
                       const char *fmt, ...);

/* One page of a list by last_id cursor (apc__sql_page, store/sql.h) on a pooled connection,
 * after checking that capture_id exists (0: a list over all captures, not checked). */
int apc__sqlite_capture_page(apc__store_t *s, const char *what, const char *sql, int64_t capture_id,
                             int64_t last_id, unsigned max, apc__sql_row_fn row, void *payload,
                             size_t *count, int *more);

/* captures ops: applies a writer's commit batch in one transaction (commit.c). */
int apc__sqlite_capture_commit(void *impl, const apc__cbatch_t *b);

/* capture_rows.c */
int apc__sqlite_capture_get(void *impl, int64_t id, apc_capture_t **out);
int apc__sqlite_capture_list(void *impl, int which, apc_capture_list_t *l);
int apc__sqlite_capture_remove(void *impl, int64_t id);
int apc__sqlite_capture_set_notes(void *impl, int64_t capture_id, int64_t packet_id,
                                  const char *notes);
/* meta.c */
int apc__sqlite_capture_meta(void *impl, apc_capture_meta_t *m);
/* capture_reads.c */
int apc__sqlite_capture_set_options(void *impl, int64_t capture_id,
                                    const apc__st_capture_opts_t *o);
int apc__sqlite_capture_packets(void *impl, int64_t capture_id, uint64_t *packets);
int apc__sqlite_capture_ifaces(void *impl, int64_t capture_id, apc__st_iface_fn fn, void *payload);
int apc__sqlite_capture_notes(void *impl, int64_t capture_id, int64_t first, int64_t last,
                              apc__st_note_fn fn, void *payload);
int apc__sqlite_process_name_of(void *impl, int64_t id, char **name);
int apc__sqlite_process_export_meta(void *impl, int64_t id, apc__st_proc_meta_t *out);
int apc__sqlite_process_thread_name(void *impl, int64_t process_id, int64_t tid, char **name);
/* conns.c: pages of connections and of a capture's processes. */
int apc__sqlite_conn_page(void *impl, int64_t capture_id, int64_t last_id, unsigned max, int lean,
                          apc_conn_page_t *pg);
int apc__sqlite_process_page(void *impl, int64_t capture_id, int64_t last_id, unsigned max,
                             apc_process_page_t *pg);

/* commands.c */
extern const apc__commands_ops_t apc__sqlite_commands_ops;
/* ips.c */
extern const apc__ips_ops_t apc__sqlite_ips_ops;
/* stats.c */
extern const apc__stats_ops_t apc__sqlite_stats_ops;
/* exports.c: export files, and apc_flush's kinds */
extern const apc__exports_ops_t apc__sqlite_exports_ops;
extern const apc__flush_ops_t apc__sqlite_flush_ops;
/* accounts.c */
extern const apc__accounts_ops_t apc__sqlite_accounts_ops;
/* searches.c; what a capture's scan reads is in search_scan.c */
extern const apc__searches_ops_t apc__sqlite_searches_ops;
int apc__sqlite_search_capture(void *impl, int64_t capture_id, apc__st_search_capture_t *out);
int apc__sqlite_search_linktypes(void *impl, int64_t capture_id, apc__st_search_link_fn fn,
                                 void *payload);
int apc__sqlite_search_conn_max(void *impl, int64_t capture_id, int64_t *max);
int apc__sqlite_search_conns(void *impl, int64_t capture_id, const int64_t *ids, size_t n,
                             apc__st_search_conn_fn fn, void *payload);
int apc__sqlite_search_spans_covered(void *impl, int64_t capture_id, int64_t *covered);
int apc__sqlite_search_spans(void *impl, int64_t capture_id, const int64_t *ids, size_t n,
                             apc__st_search_span_fn fn, void *payload);
int apc__sqlite_search_save_index(void *impl, int64_t capture_id,
                                  const apc__st_search_span_t *spans, size_t n_spans,
                                  const apc__st_search_key_t *keys, size_t n_keys,
                                  uint64_t packets);
int apc__sqlite_search_process(void *impl, int64_t id, apc__st_search_proc_t *out);
int apc__sqlite_search_ids_by_key(void *impl, int64_t capture_id, const uint8_t *key, size_t len,
                                  apc__st_id_fn fn, void *payload);
int apc__sqlite_search_ids_by_addr(void *impl, int64_t capture_id, const uint8_t *addr, size_t len,
                                   apc__st_id_fn fn, void *payload);
int apc__sqlite_search_ids_by_port(void *impl, int64_t capture_id, int proto, int port,
                                   apc__st_id_fn fn, void *payload);

/* triggers.c, extracts.c */
extern const apc__triggers_ops_t apc__sqlite_triggers_ops;
extern const apc__extracts_ops_t apc__sqlite_extracts_ops;
/* settings.c */
extern const apc__settings_ops_t apc__sqlite_settings_ops;

#endif
