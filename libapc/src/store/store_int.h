/* SPDX-License-Identifier: MIT */
/* The store object, as the store's own files see it (db.c, the dispatch files, sqlite/). */
#ifndef APC_STORE_STORE_INT_H
#define APC_STORE_STORE_INT_H

#include <pthread.h>
#include <sqlite3.h>

#include "store/backend.h"
#include "store/store.h"

typedef struct apc__sqlc apc__sqlc_t;

struct apc__store {
    const apc__store_backend_t *be; /* what the typed calls dispatch to */
    void *impl;                     /* the backend's state: this store for SQLite */
    apc_ctx_t *ctx;
    char *path;
    int read_only;
    pthread_mutex_t mu;       /* guards the lists below */
    apc__sqlc_t *idle, *busy; /* pooled connections: free, and handed out */
    int n_idle;
    struct apc__ckpt *ckpt; /* the WAL checkpoints' thread (checkpoint.h); NULL read-only */
};

/* SQLite backend: a pooled connection for the calling thread, until apc__sqlc_put. NULL with
 * the error set on failure. */
apc__sqlc_t *apc__sqlc_get(apc__store_t *s);
void apc__sqlc_put(apc__store_t *s, apc__sqlc_t *c);
sqlite3 *apc__sqlc_db(apc__sqlc_t *c);
/* The statement for `sql` on this connection, prepared the first time and reset (bindings
 * cleared) every time after: statements are prepared once per connection. Owned by the
 * connection; never finalize it. NULL with the error (naming `what`) set. */
sqlite3_stmt *apc__sqlc_stmt(apc__sqlc_t *c, const char *what, const char *sql);

#endif
