/* SPDX-License-Identifier: MIT */
/*
 * The PostgreSQL backend's shared state and helpers (the files of store/pg/). Its tables and
 * migrations are in schema.c; docs/storage.md describes them.
 *
 * One connection per store, used under a recursive mutex. Why not a pool: a libpq connection
 * must never be used by two threads at once, the store's calls are short (one statement, or
 * one pipelined commit), and one connection keeps the commit of a capture writer and the
 * reads that follow it in order without a second session's snapshot. The mutex is recursive
 * so a statistics read (one transaction, store/backend.h) may call the helpers inside it.
 * A pool is the next step if a fleet node's readers are measured waiting on writers.
 */
#ifndef APC_STORE_PG_PG_INT_H
#define APC_STORE_PG_PG_INT_H

#include <libpq-fe.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <apc/ctx.h>

#include "store/backend.h"

typedef struct apc__pg {
    pthread_mutex_t mu; /* recursive; guards conn */
    PGconn *conn;
    char *url;    /* the connection string as given: may hold a password, never printed */
    char *where;  /* "host:port/dbname" as libpq reports it, for messages */
    int64_t node; /* nodes.id of this node: the distribution key of its captures' rows */
    /* Statements of pipelines prepared on this connection (the commit's, prepared once: a
     * commit sends thousands of rows of a dozen texts). Named "s<index>"; forgotten when the
     * connection is reset or a pipeline fails (the server may not have them then). */
    char **prepared;
    size_t n_prepared, cap_prepared;
    int temp_ready; /* commit.c's temporary tables exist on this connection */
    char *copy_buf; /* commit.c's COPY buffer, kept from commit to commit */
    size_t copy_cap;
} apc__pg_t;

/* Connects to `url`, migrates the schema (not when read_only: then an old schema is refused)
 * and registers this node, named "<host name>:<data_dir>". *out owns the connection
 * (apc__pg_close). APC_ESTORE naming the server on failure. */
int apc__pg_open(const char *url, const char *node_name, const char *node_url, int read_only,
                 apc__pg_t **out);
/* Crash repair of this node's captures (store/repair.h): each left active by a crash has its
 * packet files cut back to its commit record (captures/<id> under ctx's data directory), then
 * becomes interrupted. Not for read-only opens. */
int apc__pg_repair(apc__pg_t *pg, apc_ctx_t *ctx);
void apc__pg_close(void *impl);
/* Loads libpq (pq_dl.c); APC_ENOTSUP naming the reason when it cannot be. */
int apc__pq_load(void);

/* Drops the server's notices of this connection (they are not errors). */
void apc__pg_quiet(apc__pg_t *pg);
/* Frees the list of prepared statements (apc__pg_close). */
void apc__pg_forget(apc__pg_t *pg);

void apc__pg_lock(apc__pg_t *pg);
void apc__pg_unlock(apc__pg_t *pg);

/* APC_ESTORE with "what: PostgreSQL store at <where>: <libpq's text>". res may be NULL (the
 * connection's message is used). */
int apc__pg_err(apc__pg_t *pg, const PGresult *res, const char *what);

/*
 * Runs one parameterised statement ($1, $2, ...) with parameters described by fmt:
 * 'i' int64_t, 't' const char * (NULL binds NULL), 'b' a bytea (const void *, size_t),
 * 'd' double. Values are always parameters, never text in the statement. Results come back
 * as text. apc__pg_query returns the result (PQclear it) or NULL with the error set;
 * apc__pg_exec returns the rows affected (>= 0) or the error.
 */
PGresult *apc__pg_query(apc__pg_t *pg, const char *what, const char *sql, const char *fmt, ...);
int64_t apc__pg_exec(apc__pg_t *pg, const char *what, const char *sql, const char *fmt, ...);
/* One integer from the first column of the first row: 1 and *out, 0 when no row. */
int apc__pg_int(apc__pg_t *pg, const char *what, int64_t *out, const char *sql, const char *fmt,
                ...);

/* One text from the first column of the first row: 1 and a new string in *out (free()), 0
 * when no row. */
int apc__pg_text(apc__pg_t *pg, const char *what, char **out, const char *sql, const char *fmt,
                 ...);

/* ids[0..n) as a PostgreSQL array literal "{1,2,3}" for a $n::bigint[] parameter (one round
 * trip for many ids): a new string (free()), NULL (error set) when out of memory. */
char *apc__pg_id_array(const int64_t *ids, size_t n);

/* APC_ENOTFOUND ("capture N not found") unless the capture exists. */
int apc__pg_capture_exists(apc__pg_t *pg, int64_t capture_id);

/* One page of a list read by a last_id cursor: `sql` takes $1 the capture id, $2 the last id
 * read and $3 the row limit (max + 1: the extra row only says there are more). row(res, i,
 * payload) is called for rows 0 .. max-1 and returns 0 or < 0 to stop; *count gets the rows
 * handed over, *more 1 when a further row exists. capture_id 0 is not checked. */
typedef int (*apc__pg_row_fn)(const PGresult *res, int i, void *payload);
int apc__pg_page(apc__pg_t *pg, const char *what, const char *sql, int64_t capture_id,
                 int64_t last_id, unsigned max, apc__pg_row_fn row, void *payload, size_t *count,
                 int *more);

/* Pipelined statements: one round trip for many (a commit's rows). Sends are queued and the
 * results read every few hundred statements and at the end, so neither side's buffer fills.
 * The first error is kept and returned by apc__pg_pipe_end, which then rolls the transaction
 * back; statements after it are skipped by the server. Call under apc__pg_lock. */
typedef struct apc__pg_pipe {
    apc__pg_t *pg;
    const char *what;
    int pending; /* statements sent whose results are not read */
    int err;     /* the first error, 0 none */
} apc__pg_pipe_t;
int apc__pg_pipe_begin(apc__pg_pipe_t *p, apc__pg_t *pg, const char *what);
int apc__pg_pipe_send(apc__pg_pipe_t *p, const char *sql, const char *fmt, ...);
int apc__pg_pipe_end(apc__pg_pipe_t *p);

/* COPY ... FROM STDIN (text format) of many rows: begin with the COPY statement, add each
 * row's values in column order then end the row, end. Values are escaped as COPY wants; the
 * first error is kept and returned by apc__pg_copy_end (the COPY is then abandoned). buf and
 * cap are the caller's (kept from COPY to COPY; set them before begin). Call under
 * apc__pg_lock. */
typedef struct apc__pg_copy {
    apc__pg_t *pg;
    const char *what;
    char *buf;
    size_t n, cap;
    int col, err;
} apc__pg_copy_t;
int apc__pg_copy_begin(apc__pg_copy_t *c, apc__pg_t *pg, const char *what, const char *sql);
void apc__pg_copy_i64(apc__pg_copy_t *c, int64_t v);
void apc__pg_copy_text(apc__pg_copy_t *c, const char *s);
void apc__pg_copy_bytes(apc__pg_copy_t *c, const uint8_t *b, size_t n);
void apc__pg_copy_row(apc__pg_copy_t *c);
/* One whole row: values as fmt says ('i' int64_t, 't' const char *, 'b' const uint8_t * then
 * size_t), then the end of the row. */
void apc__pg_copy_values(apc__pg_copy_t *c, const char *fmt, ...);
int apc__pg_copy_end(apc__pg_copy_t *c);

/* A transaction on the store's connection: apc__pg_begin takes the lock and starts it (on
 * failure the lock is given back and the error returned); apc__pg_end commits when r >= 0
 * (returning r, or the COMMIT's error), rolls back otherwise (returning r), and gives the lock
 * back. apc__pg_rollback alone is for code that holds the lock itself. */
int apc__pg_begin(apc__pg_t *pg, const char *what);
int apc__pg_end(apc__pg_t *pg, const char *what, int r);
void apc__pg_rollback(apc__pg_t *pg);

/* Reading text results: an int64 (0 for NULL), a new string ("" for NULL; NULL only when out
 * of memory), a bytea into out (at most max bytes; the length, 0 for NULL or bad input). */
int64_t apc__pg_i64(const PGresult *r, int row, int col);
char *apc__pg_str(const PGresult *r, int row, int col);
size_t apc__pg_bytes(const PGresult *r, int row, int col, uint8_t *out, size_t max);

/* The tables of a capture's rows (columns node, capture_id), NULL-terminated (schema.c). */
extern const char *const apc__pg_capture_tables[];
/* Deletes the rows of every capture table where `column` (node or capture_id) is `value`;
 * under apc__pg_lock in a transaction of the caller's. */
int apc__pg_delete_capture_rows(apc__pg_t *pg, const char *what, const char *column, int64_t value);

/* Ops tables of the files of store/pg/. */
extern const apc__captures_ops_t apc__pg_captures_ops;
extern const apc__processes_ops_t apc__pg_processes_ops;
extern const apc__conns_ops_t apc__pg_conns_ops;
extern const apc__ips_ops_t apc__pg_ips_ops;
extern const apc__stats_ops_t apc__pg_stats_ops;
extern const apc__commands_ops_t apc__pg_commands_ops;
extern const apc__accounts_ops_t apc__pg_accounts_ops;
extern const apc__exports_ops_t apc__pg_exports_ops;
extern const apc__flush_ops_t apc__pg_flush_ops;
extern const apc__settings_ops_t apc__pg_settings_ops;
extern const apc__searches_ops_t apc__pg_searches_ops;
extern const apc__triggers_ops_t apc__pg_triggers_ops;
extern const apc__extracts_ops_t apc__pg_extracts_ops;
/* search_scan.c: what one capture's scan reads (apc__searches_ops_t says what each does). */
int apc__pg_search_capture(void *impl, int64_t capture_id, apc__st_search_capture_t *out);
int apc__pg_search_linktypes(void *impl, int64_t capture_id, apc__st_search_link_fn fn,
                             void *payload);
int apc__pg_search_conn_max(void *impl, int64_t capture_id, int64_t *max);
int apc__pg_search_conns(void *impl, int64_t capture_id, const int64_t *ids, size_t n,
                         apc__st_search_conn_fn fn, void *payload);
int apc__pg_search_spans_covered(void *impl, int64_t capture_id, int64_t *covered);
int apc__pg_search_spans(void *impl, int64_t capture_id, const int64_t *ids, size_t n,
                         apc__st_search_span_fn fn, void *payload);
int apc__pg_search_save_index(void *impl, int64_t capture_id, const apc__st_search_span_t *spans,
                              size_t n_spans, const apc__st_search_key_t *keys, size_t n_keys,
                              uint64_t packets);
int apc__pg_search_process(void *impl, int64_t id, apc__st_search_proc_t *out);
int apc__pg_search_ids_by_key(void *impl, int64_t capture_id, const uint8_t *key, size_t len,
                              apc__st_id_fn fn, void *payload);
int apc__pg_search_ids_by_addr(void *impl, int64_t capture_id, const uint8_t *addr, size_t len,
                               apc__st_id_fn fn, void *payload);
int apc__pg_search_ids_by_port(void *impl, int64_t capture_id, int proto, int port,
                               apc__st_id_fn fn, void *payload);
/* captures.c's commit (commit.c) */
int apc__pg_capture_commit(void *impl, const apc__cbatch_t *b);

#endif
