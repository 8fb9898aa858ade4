/* SPDX-License-Identifier: MIT */
/* Small helpers over sqlite3 statements used across the store and capture modules. */
#ifndef APC_STORE_SQL_H
#define APC_STORE_SQL_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

/* A SQLite connection of store s for the calling thread's use until apc__db_put (the SQLite
 * backend's own code, and white-box tests). Connections are pooled; each has busy_timeout set,
 * foreign keys on. Returns NULL with the error set on failure. */
sqlite3 *apc__db_get(apc__store_t *s);
void apc__db_put(apc__store_t *s, sqlite3 *db);

/* Maps a SQLite result code to APC_ESTORE (or -ENOSPC / APC_EBUSY) with a message that
 * includes `what` and sqlite3_errmsg(db). */
int apc__db_err(sqlite3 *db, int rc, const char *what);

/* Runs one statement (no result rows) with positional int64/text binds described by `fmt`:
 * 'i' int64_t, 't' const char * (NULL binds NULL), 'd' double, 'b' a blob (const void *,
 * size_t). Returns 0 or an error set via apc__db_err naming `what`. */
int apc__sql_exec(sqlite3 *db, const char *what, const char *sql, const char *fmt, ...);
/* Runs a query returning one int64 in the first column of the first row into *out.
 * Returns 1 if a row was found, 0 if none, < 0 on error. */
int apc__sql_int(sqlite3 *db, const char *what, int64_t *out, const char *sql, const char *fmt,
                 ...);
/* Prepares `sql` or sets the error. */
int apc__sql_prepare(sqlite3 *db, const char *what, const char *sql, sqlite3_stmt **st);
/* strdup of a text column ("" for NULL); NULL only when out of memory. */
char *apc__sql_text(sqlite3_stmt *st, int col);
/* APC_ENOTFOUND ("capture N not found") unless a capture with this id exists. */
int apc__sql_capture_exists(sqlite3 *db, int64_t capture_id);

/* One page of a list read by a last_id cursor: runs `sql`, whose parameters are ?1 the capture
 * id, ?2 the last id read and ?3 the row limit, and calls row(st, i, payload) for rows
 * i = 0 .. at most max-1. *count gets the rows read, *more is 1 when a further row exists.
 * row() returns 0, or < 0 to stop with that error. */
typedef int (*apc__sql_row_fn)(sqlite3_stmt *st, size_t i, void *payload);
int apc__sql_page(sqlite3 *db, const char *what, const char *sql, int64_t capture_id,
                  int64_t last_id, unsigned max, apc__sql_row_fn row, void *payload, size_t *count,
                  int *more);

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK with errors set. */
int apc__sql_begin(sqlite3 *db);
int apc__sql_commit(sqlite3 *db, const char *what);
void apc__sql_rollback(sqlite3 *db);

#endif
