/* SPDX-License-Identifier: MIT */
/*
 * The store (module `store`): SQLite metadata (WAL) in <data>/apc.db, packet bytes in
 * append-only pcapng segments under <data>/captures/<id>/, and a compact per-packet index.
 * docs/storage.md describes the format. Domain modules see no SQLite here: they call the
 * typed functions of store/<entity>.h (SQLite's own connection calls are in store/sql.h, for
 * the SQLite backend and white-box tests).
 */
#ifndef APC_STORE_H
#define APC_STORE_H

#include <stdint.h>

#include <apc/ctx.h>

typedef struct apc__store apc__store_t;

/* Opens or creates the store of ctx (runs migrations, then crash repair). Its backend is
 * SQLite (store/sqlite/). */
int apc__store_open(apc_ctx_t *ctx, apc__store_t **out);
/* A store whose typed calls go to another backend (store/backend.h) with state `impl`: a
 * test's in-memory fake, later PostgreSQL. apc__db_get is not available on it. Free with
 * apc__store_close (which does not free impl). */
struct apc__store_backend;
int apc__store_new_backend(const struct apc__store_backend *be, void *impl, apc__store_t **out);
void apc__store_close(apc__store_t *s);

#endif
