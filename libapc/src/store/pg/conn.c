/* SPDX-License-Identifier: MIT */
/* PostgreSQL backend: the connection, errors, parameterised statements, pipelines. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "store/pg/pg_int.h"
#include "util/array.h"

#define MAX_PARAMS 32
/* Statements queued in a pipeline before their results are read: each result is a few dozen
 * bytes, so this stays well inside the socket buffers of both ends. */
#define PIPE_DRAIN 256

void apc__pg_lock(apc__pg_t *pg)
{
    pthread_mutex_lock(&pg->mu);
}

void apc__pg_unlock(apc__pg_t *pg)
{
    pthread_mutex_unlock(&pg->mu);
}

/* libpq's messages end with a newline; ours do not. */
static void trim(char *s)
{
    size_t n = strlen(s);
    while (n && (s[n - 1] == '\n' || s[n - 1] == ' '))
        s[--n] = 0;
}

int apc__pg_err(apc__pg_t *pg, const PGresult *res, const char *what)
{
    char msg[512];
    const char *m = res ? PQresultErrorMessage(res) : "";
    if (!m || !*m)
        m = pg->conn ? PQerrorMessage(pg->conn) : "no connection";
    snprintf(msg, sizeof msg, "%s", m && *m ? m : "unknown error");
    trim(msg);
    return apc__err(APC_ESTORE, "%s: PostgreSQL store at %s: %s", what, pg->where, msg);
}

/* Notices (a "no transaction in progress" after a failed commit's second ROLLBACK, a
 * CREATE ... IF NOT EXISTS that had nothing to do) are not errors: libpq would print them on
 * stderr, in the middle of a program's own output. */
static void quiet(void *arg, const char *msg)
{
    (void)arg, (void)msg;
}

void apc__pg_quiet(apc__pg_t *pg)
{
    PQsetNoticeProcessor(pg->conn, quiet, NULL);
}

/* Forgets the prepared statements (the server's are gone, or may be). */
static void forget_prepared(apc__pg_t *pg)
{
    for (size_t i = 0; i < pg->n_prepared; i++)
        free(pg->prepared[i]);
    pg->n_prepared = 0;
}

void apc__pg_forget(apc__pg_t *pg)
{
    forget_prepared(pg);
    free(pg->prepared);
    pg->prepared = NULL;
    pg->cap_prepared = 0;
    free(pg->copy_buf);
    pg->copy_buf = NULL;
}

/* A dropped connection (the server restarted) is reset before the next statement, so a node
 * recovers when its database returns. */
static void ensure_conn(apc__pg_t *pg)
{
    if (PQstatus(pg->conn) == CONNECTION_BAD) {
        PQreset(pg->conn);
        forget_prepared(pg);
        pg->temp_ready = 0; /* temporary tables went with the session */
    }
}

typedef struct params {
    const char *val[MAX_PARAMS];
    int len[MAX_PARAMS], fmt[MAX_PARAMS];
    char num[MAX_PARAMS][32];
    int n;
} params_t;

static int bind_params(params_t *p, const char *what, const char *fmt, va_list ap)
{
    p->n = 0;
    for (const char *f = fmt ? fmt : ""; *f; f++) {
        if (p->n == MAX_PARAMS)
            return apc__err(APC_EINVAL, "%s: more than %d parameters", what, MAX_PARAMS);
        int i = p->n++;
        p->len[i] = 0;
        p->fmt[i] = 0;
        switch (*f) {
        case 'i':
            snprintf(p->num[i], sizeof p->num[i], "%lld", (long long)va_arg(ap, int64_t));
            p->val[i] = p->num[i];
            break;
        case 'd':
            snprintf(p->num[i], sizeof p->num[i], "%.17g", va_arg(ap, double));
            p->val[i] = p->num[i];
            break;
        case 't':
            p->val[i] = va_arg(ap, const char *);
            break;
        case 'b': /* binary: the bytes as they are, no escaping */
            p->val[i] = va_arg(ap, const char *);
            p->len[i] = (int)va_arg(ap, size_t);
            p->fmt[i] = 1;
            break;
        default:
            return apc__err(APC_EINVAL, "%s: unknown parameter kind '%c'", what, *f);
        }
    }
    return 0;
}

static PGresult *vquery(apc__pg_t *pg, const char *what, const char *sql, const char *fmt,
                        va_list ap)
{
    params_t p;
    if (bind_params(&p, what, fmt, ap) < 0)
        return NULL;
    apc__pg_lock(pg);
    ensure_conn(pg);
    int idle = PQtransactionStatus(pg->conn) == PQTRANS_IDLE;
    PGresult *r = PQexecParams(pg->conn, sql, p.n, NULL, p.val, p.len, p.fmt, 0);
    ExecStatusType st = PQresultStatus(r);
    /* The server restarted since the last statement: the connection is found dead only now.
     * Outside a transaction nothing is lost with it: connect again and send the statement
     * once more (inside one, the caller's transaction is gone and the error says so). */
    if (st == PGRES_FATAL_ERROR && idle && PQstatus(pg->conn) == CONNECTION_BAD) {
        PQclear(r);
        ensure_conn(pg);
        r = PQexecParams(pg->conn, sql, p.n, NULL, p.val, p.len, p.fmt, 0);
        st = PQresultStatus(r);
    }
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        apc__pg_err(pg, r, what);
        PQclear(r);
        r = NULL;
    }
    apc__pg_unlock(pg);
    return r;
}

PGresult *apc__pg_query(apc__pg_t *pg, const char *what, const char *sql, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    PGresult *r = vquery(pg, what, sql, fmt, ap);
    va_end(ap);
    return r;
}

int64_t apc__pg_exec(apc__pg_t *pg, const char *what, const char *sql, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    PGresult *r = vquery(pg, what, sql, fmt, ap);
    va_end(ap);
    if (!r)
        return APC_ESTORE;
    const char *n = PQcmdTuples(r);
    int64_t rows = n && *n ? strtoll(n, NULL, 10) : 0;
    PQclear(r);
    return rows;
}

/* The result of a query that answers one cell: NULL with the error set, else the result,
 * with *found 1 when it has a row. */
static PGresult *first_row(apc__pg_t *pg, const char *what, const char *sql, const char *fmt,
                           va_list ap, int *found)
{
    PGresult *r = vquery(pg, what, sql, fmt, ap);
    *found = r && PQntuples(r) > 0;
    return r;
}

int apc__pg_int(apc__pg_t *pg, const char *what, int64_t *out, const char *sql, const char *fmt,
                ...)
{
    int found;
    va_list ap;
    va_start(ap, fmt);
    PGresult *r = first_row(pg, what, sql, fmt, ap, &found);
    va_end(ap);
    if (!r)
        return APC_ESTORE;
    if (found)
        *out = apc__pg_i64(r, 0, 0);
    PQclear(r);
    return found;
}

int apc__pg_text(apc__pg_t *pg, const char *what, char **out, const char *sql, const char *fmt, ...)
{
    int found;
    va_list ap;
    va_start(ap, fmt);
    PGresult *r = first_row(pg, what, sql, fmt, ap, &found);
    va_end(ap);
    if (!r)
        return APC_ESTORE;
    if (found && !(*out = apc__pg_str(r, 0, 0)))
        found = apc__err(APC_ENOMEM, "out of memory");
    PQclear(r);
    return found;
}

int apc__pg_begin(apc__pg_t *pg, const char *what)
{
    apc__pg_lock(pg);
    int64_t r = apc__pg_exec(pg, what, "BEGIN", "");
    if (r < 0)
        apc__pg_unlock(pg);
    return r < 0 ? (int)r : 0;
}

int apc__pg_end(apc__pg_t *pg, const char *what, int r)
{
    if (r >= 0) {
        int64_t c = apc__pg_exec(pg, what, "COMMIT", "");
        if (c < 0)
            r = (int)c;
    } else {
        apc__pg_rollback(pg);
    }
    apc__pg_unlock(pg);
    return r;
}

void apc__pg_rollback(apc__pg_t *pg)
{
    PGresult *r = PQexec(pg->conn, "ROLLBACK");
    PQclear(r);
}

/* Reads the results of every statement sent so far, and the sync that ends them. */
static int pipe_drain(apc__pg_pipe_t *p)
{
    PGconn *c = p->pg->conn;
    if (PQpipelineSync(c) != 1) {
        p->pending = 0;
        return p->err ? p->err : (p->err = apc__pg_err(p->pg, NULL, p->what));
    }
    for (;;) {
        PGresult *r = PQgetResult(c);
        if (!r) { /* the end of one statement's results, or of the connection */
            if (PQstatus(c) == CONNECTION_BAD) {
                if (!p->err)
                    p->err = apc__pg_err(p->pg, NULL, p->what);
                break;
            }
            continue;
        }
        ExecStatusType st = PQresultStatus(r);
        if (st == PGRES_PIPELINE_SYNC) {
            PQclear(r);
            break;
        }
        if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && st != PGRES_PIPELINE_ABORTED &&
            !p->err)
            p->err = apc__pg_err(p->pg, r, p->what);
        if (st == PGRES_FATAL_ERROR && PQstatus(c) == CONNECTION_BAD) {
            PQclear(r);
            if (!p->err)
                p->err = apc__pg_err(p->pg, NULL, p->what);
            break;
        }
        PQclear(r);
    }
    p->pending = 0;
    return p->err;
}

int apc__pg_pipe_begin(apc__pg_pipe_t *p, apc__pg_t *pg, const char *what)
{
    *p = (apc__pg_pipe_t){.pg = pg, .what = what};
    ensure_conn(pg);
    if (PQenterPipelineMode(pg->conn) != 1)
        return p->err = apc__pg_err(pg, NULL, what);
    return 0;
}

int apc__pg_pipe_send(apc__pg_pipe_t *p, const char *sql, const char *fmt, ...)
{
    if (p->err)
        return p->err;
    params_t q;
    va_list ap;
    va_start(ap, fmt);
    int r = bind_params(&q, p->what, fmt, ap);
    va_end(ap);
    if (r < 0)
        return p->err = r;
    apc__pg_t *pg = p->pg;
    size_t k = 0;
    while (k < pg->n_prepared && strcmp(pg->prepared[k], sql) != 0)
        k++;
    char name[24];
    snprintf(name, sizeof name, "s%zu", k);
    if (k == pg->n_prepared) {
        char *copy = strdup(sql);
        if (!copy ||
            apc__grow((void **)&pg->prepared, &pg->cap_prepared, k + 1, sizeof *pg->prepared) < 0) {
            free(copy);
            return p->err = apc__err(APC_ENOMEM, "%s: out of memory", p->what);
        }
        pg->prepared[pg->n_prepared++] = copy;
        if (PQsendPrepare(pg->conn, name, sql, q.n, NULL) != 1)
            return p->err = apc__pg_err(pg, NULL, p->what);
        p->pending++;
    }
    if (PQsendQueryPrepared(pg->conn, name, q.n, q.val, q.len, q.fmt, 0) != 1)
        return p->err = apc__pg_err(pg, NULL, p->what);
    if (++p->pending >= PIPE_DRAIN)
        return pipe_drain(p);
    return 0;
}

int apc__pg_pipe_end(apc__pg_pipe_t *p)
{
    if (p->pending || !p->err)
        pipe_drain(p);
    if (PQpipelineStatus(p->pg->conn) != PQ_PIPELINE_OFF && PQexitPipelineMode(p->pg->conn) != 1 &&
        !p->err)
        p->err = apc__pg_err(p->pg, NULL, p->what);
    if (p->err) {
        /* A statement prepared in a failed pipeline may not exist: prepare them all again,
         * after the rollback (an aborted transaction refuses even DEALLOCATE). */
        forget_prepared(p->pg);
        apc__pg_rollback(p->pg);
        PQclear(PQexec(p->pg->conn, "DEALLOCATE ALL"));
    }
    return p->err;
}

int64_t apc__pg_i64(const PGresult *r, int row, int col)
{
    if (PQgetisnull(r, row, col))
        return 0;
    return strtoll(PQgetvalue(r, row, col), NULL, 10);
}

char *apc__pg_str(const PGresult *r, int row, int col)
{
    return strdup(PQgetisnull(r, row, col) ? "" : PQgetvalue(r, row, col));
}

size_t apc__pg_bytes(const PGresult *r, int row, int col, uint8_t *out, size_t max)
{
    if (PQgetisnull(r, row, col))
        return 0;
    size_t n = 0;
    unsigned char *b = PQunescapeBytea((const unsigned char *)PQgetvalue(r, row, col), &n);
    if (!b)
        return 0;
    if (n > max)
        n = max;
    memcpy(out, b, n);
    PQfreemem(b);
    return n;
}

/* ids[0..n) as a PostgreSQL array literal "{1,2,3}" (a new string), NULL when out of memory. */
char *apc__pg_id_array(const int64_t *ids, size_t n)
{
    size_t cap = 24 * n + 3, len = 0;
    char *s = malloc(cap);
    if (!s) {
        apc__err(APC_ENOMEM, "out of memory");
        return NULL;
    }
    s[len++] = '{';
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(s + len, cap - len, i ? ",%lld" : "%lld", (long long)ids[i]);
    s[len++] = '}';
    s[len] = 0;
    return s;
}

int apc__pg_capture_exists(apc__pg_t *pg, int64_t capture_id)
{
    int64_t one;
    int r = apc__pg_int(pg, "finding a capture", &one, "SELECT 1 FROM captures WHERE id=$1", "i",
                        capture_id);
    if (r < 0)
        return r;
    return r ? 0 : apc__err(APC_ENOTFOUND, "capture %lld not found", (long long)capture_id);
}

int apc__pg_page(apc__pg_t *pg, const char *what, const char *sql, int64_t capture_id,
                 int64_t last_id, unsigned max, apc__pg_row_fn row, void *payload, size_t *count,
                 int *more)
{
    *count = 0;
    *more = 0;
    int r = capture_id ? apc__pg_capture_exists(pg, capture_id) : 0;
    if (r < 0)
        return r;
    PGresult *res = apc__pg_query(pg, what, sql, "iii", capture_id, last_id, (int64_t)max + 1);
    if (!res)
        return APC_ESTORE;
    int n = PQntuples(res);
    for (int i = 0; r == 0 && i < n && (unsigned)i < max; i++) {
        r = row(res, i, payload);
        if (r == 0)
            *count = (size_t)i + 1;
    }
    if (r == 0)
        *more = (unsigned)n > max;
    PQclear(res);
    return r;
}
