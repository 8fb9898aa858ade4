/* SPDX-License-Identifier: MIT */
/* Helpers shared by the fleet tests (fleet_util.c). Include after <cmocka.h>. */
#ifndef APC_TEST_FLEET_H
#define APC_TEST_FLEET_H

#include <stddef.h>
#include <stdint.h>

#include <apc/apc.h>

/* $APC_PG_URL, or the calling test is skipped, saying why. */
const char *pg_url_or_skip(void);
/* A fresh database `name` on the test server; its URL into url. */
void fresh_db(const char *name, char *url, size_t n);
/* Runs one statement on the database at url (the test fails when it does). */
void pg_run(const char *url, const char *sql);

typedef struct node {
    char dir[64];
    apc_ctx_t *ctx;
} node_t;
/* Opens a context on a new data directory (kept when n->dir is set); store NULL = SQLite.
 * Returns apc_ctx_open's code. */
int node_open(node_t *n, const char *store);
/* Closes the context and removes its data directory. */
void node_close(node_t *n);
double now_s(void);
/* Removes a folder and what it holds. */
void rm_tree(const char *dir);
/* Ingests a generated capture (tests/captures/) and waits for it; its id. secs may be NULL. */
int64_t ingest(node_t *n, const char *name, double *secs);

/* fleet_search.c */
void test_search_same_as_sqlite(void **state);
void test_stale_search(void **state);
void test_migrate_v2(void **state);

#endif
