/* SPDX-License-Identifier: MIT */
/*
 * PostgreSQL backend: COPY ... FROM STDIN in text format, the fastest way to hand the server
 * many rows (a commit's connections, addresses and statistics go into temporary tables this
 * way, then into the real ones with one set-based statement each: commit.c). Values are
 * written in COPY's text format, escaped as its documentation says ("COPY", File Formats,
 * Text Format): backslash, tab, newline and carriage return are escaped; bytea values are
 * hex ("\\x..."). The data is values, never SQL.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/error.h"
#include "store/pg/pg_int.h"
#include "util/array.h"

/* Bytes buffered before they are handed to libpq. */
#define FLUSH_AT 65536

static void put(apc__pg_copy_t *c, const char *s, size_t n)
{
    if (c->err)
        return;
    if (apc__grow((void **)&c->buf, &c->cap, c->n + n, 1) < 0) {
        c->err = apc__err(APC_ENOMEM, "%s: out of memory", c->what);
        return;
    }
    memcpy(c->buf + c->n, s, n);
    c->n += n;
}

static void flush(apc__pg_copy_t *c)
{
    if (!c->err && c->n && PQputCopyData(c->pg->conn, c->buf, (int)c->n) != 1)
        c->err = apc__pg_err(c->pg, NULL, c->what);
    c->n = 0;
}

static void sep(apc__pg_copy_t *c)
{
    if (c->col++)
        put(c, "\t", 1);
}

int apc__pg_copy_begin(apc__pg_copy_t *c, apc__pg_t *pg, const char *what, const char *sql)
{
    c->pg = pg;
    c->what = what;
    c->n = 0;
    c->col = 0;
    c->err = 0;
    PGresult *r = PQexec(pg->conn, sql);
    if (PQresultStatus(r) != PGRES_COPY_IN)
        c->err = apc__pg_err(pg, r, what);
    PQclear(r);
    return c->err;
}

void apc__pg_copy_i64(apc__pg_copy_t *c, int64_t v)
{
    char num[24];
    int n = snprintf(num, sizeof num, "%lld", (long long)v);
    sep(c);
    put(c, num, (size_t)n);
}

void apc__pg_copy_text(apc__pg_copy_t *c, const char *s)
{
    sep(c);
    for (const char *p = s ? s : ""; *p; p++) {
        const char *e = *p == '\\'   ? "\\\\"
                        : *p == '\t' ? "\\t"
                        : *p == '\n' ? "\\n"
                        : *p == '\r' ? "\\r"
                                     : NULL;
        if (e)
            put(c, e, 2);
        else
            put(c, p, 1);
    }
}

void apc__pg_copy_bytes(apc__pg_copy_t *c, const uint8_t *b, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    sep(c);
    put(c, "\\\\x", 3);
    for (size_t i = 0; i < n; i++) {
        char h[2] = {hex[b[i] >> 4], hex[b[i] & 15]};
        put(c, h, 2);
    }
}

void apc__pg_copy_values(apc__pg_copy_t *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    for (const char *f = fmt; *f; f++) {
        if (*f == 'i') {
            apc__pg_copy_i64(c, va_arg(ap, int64_t));
        } else if (*f == 't') {
            apc__pg_copy_text(c, va_arg(ap, const char *));
        } else {
            const uint8_t *b = va_arg(ap, const uint8_t *);
            apc__pg_copy_bytes(c, b, va_arg(ap, size_t));
        }
    }
    va_end(ap);
    apc__pg_copy_row(c);
}

void apc__pg_copy_row(apc__pg_copy_t *c)
{
    put(c, "\n", 1);
    c->col = 0;
    if (c->n >= FLUSH_AT)
        flush(c);
}

int apc__pg_copy_end(apc__pg_copy_t *c)
{
    flush(c);
    /* Ending with an error message makes the server abandon the COPY (and the transaction). */
    if (PQputCopyEnd(c->pg->conn, c->err ? "abandoned by the client" : NULL) != 1 && !c->err)
        c->err = apc__pg_err(c->pg, NULL, c->what);
    PGresult *r;
    while ((r = PQgetResult(c->pg->conn)) != NULL) {
        if (PQresultStatus(r) != PGRES_COMMAND_OK && !c->err)
            c->err = apc__pg_err(c->pg, r, c->what);
        PQclear(r);
    }
    return c->err;
}
