/* SPDX-License-Identifier: MIT */
/* Statement helpers: bind from a format string, single-value queries, transactions. */
#include "store/sql.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "store/sqlite/sqlite_int.h"
#include "store/store_int.h"

static int bind_va(sqlite3_stmt *st, const char *fmt, va_list ap)
{
    int idx = 1;
    for (const char *f = fmt ? fmt : ""; *f; f++, idx++) {
        int rc;
        switch (*f) {
        case 'i':
            rc = sqlite3_bind_int64(st, idx, va_arg(ap, int64_t));
            break;
        case 't': {
            const char *t = va_arg(ap, const char *);
            rc = t ? sqlite3_bind_text(st, idx, t, -1, SQLITE_TRANSIENT)
                   : sqlite3_bind_null(st, idx);
            break;
        }
        case 'd':
            rc = sqlite3_bind_double(st, idx, va_arg(ap, double));
            break;
        case 'b': {
            const void *b = va_arg(ap, const void *);
            size_t n = va_arg(ap, size_t);
            rc = n > INT32_MAX ? SQLITE_TOOBIG
                               : sqlite3_bind_blob(st, idx, b, (int)n, SQLITE_TRANSIENT);
            break;
        }
        default:
            return SQLITE_MISUSE;
        }
        if (rc != SQLITE_OK)
            return rc;
    }
    return SQLITE_OK;
}

int apc__sql_prepare(sqlite3 *db, const char *what, const char *sql, sqlite3_stmt **st)
{
    int rc = sqlite3_prepare_v2(db, sql, -1, st, NULL);
    return rc == SQLITE_OK ? 0 : apc__db_err(db, rc, what);
}

int apc__sql_exec(sqlite3 *db, const char *what, const char *sql, const char *fmt, ...)
{
    sqlite3_stmt *st;
    int r = apc__sql_prepare(db, what, sql, &st);
    if (r < 0)
        return r;
    va_list ap;
    va_start(ap, fmt);
    int rc = bind_va(st, fmt, ap);
    va_end(ap);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(st);
        if (rc == SQLITE_DONE || rc == SQLITE_ROW)
            rc = SQLITE_OK;
    }
    r = rc == SQLITE_OK ? 0 : apc__db_err(db, rc, what);
    sqlite3_finalize(st);
    return r;
}

int apc__sql_int(sqlite3 *db, const char *what, int64_t *out, const char *sql, const char *fmt, ...)
{
    sqlite3_stmt *st;
    int r = apc__sql_prepare(db, what, sql, &st);
    if (r < 0)
        return r;
    va_list ap;
    va_start(ap, fmt);
    int rc = bind_va(st, fmt, ap);
    va_end(ap);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *out = sqlite3_column_int64(st, 0);
        r = 1;
    } else if (rc == SQLITE_DONE) {
        r = 0;
    } else {
        r = apc__db_err(db, rc, what);
    }
    sqlite3_finalize(st);
    return r;
}

char *apc__sql_text(sqlite3_stmt *st, int col)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    return strdup(t ? (const char *)t : "");
}

int apc__sql_begin(sqlite3 *db)
{
    int rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    return rc == SQLITE_OK ? 0 : apc__db_err(db, rc, "starting a transaction");
}

int apc__sql_commit(sqlite3 *db, const char *what)
{
    int rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        return 0;
    int r = apc__db_err(db, rc, what);
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return r;
}

void apc__sql_rollback(sqlite3 *db)
{
    if (!sqlite3_get_autocommit(db))
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
}

int apc__sql_capture_exists(sqlite3 *db, int64_t capture_id)
{
    int64_t one;
    int r = apc__sql_int(db, "reading a capture", &one, "SELECT 1 FROM captures WHERE id=?", "i",
                         capture_id);
    if (r == 0)
        return apc__err(APC_ENOTFOUND, "capture %lld not found", (long long)capture_id);
    return r < 0 ? r : 0;
}

int apc__sql_page(sqlite3 *db, const char *what, const char *sql, int64_t capture_id,
                  int64_t last_id, unsigned max, apc__sql_row_fn row, void *payload, size_t *count,
                  int *more)
{
    *count = 0;
    *more = 0;
    sqlite3_stmt *st;
    int r = apc__sql_prepare(db, what, sql, &st);
    if (r < 0)
        return r;
    sqlite3_bind_int64(st, 1, capture_id);
    sqlite3_bind_int64(st, 2, last_id);
    sqlite3_bind_int64(st, 3, (int64_t)max + 1); /* one more row tells whether there are more */
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*count == max) {
            *more = 1;
            break;
        }
        r = row(st, (*count)++, payload);
        if (r < 0)
            break;
    }
    if (r == 0 && rc != SQLITE_ROW && rc != SQLITE_DONE)
        r = apc__db_err(db, rc, what);
    sqlite3_finalize(st);
    return r;
}

int apc__sqlc_vexec(apc__sqlc_t *c, const char *what, const char *sql, const char *fmt, va_list ap)
{
    sqlite3_stmt *st = apc__sqlc_stmt(c, what, sql);
    if (!st)
        return APC_ESTORE;
    int rc = bind_va(st, fmt, ap);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(st);
        if (rc == SQLITE_DONE || rc == SQLITE_ROW)
            rc = SQLITE_OK;
    }
    int r = rc == SQLITE_OK ? 0 : apc__db_err(apc__sqlc_db(c), rc, what);
    sqlite3_reset(st);
    return r;
}

int apc__sqlc_exec(apc__sqlc_t *c, const char *what, const char *sql, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = apc__sqlc_vexec(c, what, sql, fmt, ap);
    va_end(ap);
    return r;
}

int apc__sqlite_exec(apc__store_t *s, const char *what, const char *sql, const char *fmt, ...)
{
    apc__sqlc_t *c = apc__sqlc_get(s);
    if (!c)
        return APC_ESTORE;
    va_list ap;
    va_start(ap, fmt);
    int r = apc__sqlc_vexec(c, what, sql, fmt, ap);
    va_end(ap);
    apc__sqlc_put(s, c);
    return r;
}

int apc__sqlite_rows(apc__store_t *s, const char *what, const char *sql, apc__sqlite_row_fn row,
                     void *payload, const char *fmt, ...)
{
    apc__sqlc_t *c = apc__sqlc_get(s);
    if (!c)
        return APC_ESTORE;
    sqlite3_stmt *st = apc__sqlc_stmt(c, what, sql);
    int r = st ? 0 : APC_ESTORE;
    if (st) {
        va_list ap;
        va_start(ap, fmt);
        int rc = bind_va(st, fmt, ap);
        va_end(ap);
        if (rc == SQLITE_OK)
            while (r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW)
                r = row(st, payload);
        if (r == 0 && rc != SQLITE_DONE)
            r = apc__db_err(apc__sqlc_db(c), rc, what);
        sqlite3_reset(st);
    }
    apc__sqlc_put(s, c);
    return r;
}

int apc__sqlite_insert(apc__store_t *s, int64_t *out_id, const char *what, const char *sql,
                       const char *fmt, ...)
{
    apc__sqlc_t *c = apc__sqlc_get(s);
    if (!c)
        return APC_ESTORE;
    va_list ap;
    va_start(ap, fmt);
    int r = apc__sqlc_vexec(c, what, sql, fmt, ap);
    va_end(ap);
    if (r == 0)
        *out_id = sqlite3_last_insert_rowid(apc__sqlc_db(c));
    apc__sqlc_put(s, c);
    return r;
}

int apc__sqlite_capture_page(apc__store_t *s, const char *what, const char *sql, int64_t capture_id,
                             int64_t last_id, unsigned max, apc__sql_row_fn row, void *payload,
                             size_t *count, int *more)
{
    apc__sqlc_t *c = apc__sqlc_get(s);
    if (!c)
        return APC_ESTORE;
    sqlite3 *db = apc__sqlc_db(c);
    int r = capture_id ? apc__sql_capture_exists(db, capture_id) : 0;
    if (r == 0)
        r = apc__sql_page(db, what, sql, capture_id, last_id, max, row, payload, count, more);
    apc__sqlc_put(s, c);
    return r;
}
