/* SPDX-License-Identifier: MIT */
/* Helpers of the fleet tests (fleet.h): a fresh database on the test server, a node (a context
 * on its own data directory), an ingest that waits. */
#include <ftw.h>
#include <libpq-fe.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "../unit/corpus_skip.h"
#include "fleet.h"

const char *pg_url_or_skip(void)
{
    const char *u = getenv("APC_PG_URL");
    if (u && *u)
        return u;
    print_message("skipped: APC_PG_URL is not set: run through tests/fleet/pg_server.sh, which "
                  "starts a private PostgreSQL 15 (postgresql-15 not installed?)\n");
    skip();
    return NULL;
}

/* A fresh database `name` on the test server; its URL into url. */
void fresh_db(const char *name, char *url, size_t n)
{
    const char *base = pg_url_or_skip();
    PGconn *c = PQconnectdb(base);
    assert_int_equal(PQstatus(c), CONNECTION_OK);
    char sql[256];
    PQclear(PQexec(c, "SET client_min_messages=warning"));
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s", name);
    PQclear(PQexec(c, sql));
    snprintf(sql, sizeof sql, "CREATE DATABASE %s", name);
    PGresult *r = PQexec(c, sql);
    assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
    PQclear(r);
    PQfinish(c);
    const char *slash = strrchr(base, '/');
    assert_non_null(slash);
    snprintf(url, n, "%.*s/%s", (int)(slash - base), base, name);
}

/* Runs one statement on the database at url. */
void pg_run(const char *url, const char *sql)
{
    PGconn *c = PQconnectdb(url);
    assert_int_equal(PQstatus(c), CONNECTION_OK);
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        fail_msg("%s: %s", sql, PQresultErrorMessage(r));
    PQclear(r);
    PQfinish(c);
}

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(p);
}

void rm_tree(const char *dir)
{
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Opens a context on a new data directory; store NULL = SQLite. Returns apc_ctx_open's code. */
int node_open(node_t *n, const char *store)
{
    if (!n->dir[0]) {
        snprintf(n->dir, sizeof n->dir, "/tmp/apc-fleet-test-XXXXXX");
        assert_non_null(mkdtemp(n->dir));
    }
    apc_ctx_options_t o;
    apc_ctx_options_init(&o, APC_CTX_OPTIONS_VERSION);
    o.data_dir = n->dir;
    o.store = store;
    return apc_ctx_open(&n->ctx, &o);
}

void node_close(node_t *n)
{
    apc_ctx_close(n->ctx);
    n->ctx = NULL;
    rm_tree(n->dir);
    n->dir[0] = 0;
}

double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int64_t ingest(node_t *n, const char *name, double *secs)
{
    char path[4096];
    apc_test_capture(path, sizeof path, name);
    int64_t id = 0;
    double t0 = now_s();
    int r = apc_ingest_file(n->ctx, path, NULL, &id);
    if (r != 0)
        fail_msg("ingest %s: %s", name, apc_last_error_message());
    assert_int_equal(apc_capture_wait(n->ctx, id, 60000), 0);
    if (secs)
        *secs = now_s() - t0;
    return id;
}
