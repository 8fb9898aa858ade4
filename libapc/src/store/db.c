/* SPDX-License-Identifier: MIT */
/* apc.db: opening, the connection pool, migrations, error mapping. */
#include "store/sql.h"
#include "store/store.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/ctx.h"
#include "core/error.h"
#include "store/checkpoint.h"
#include "store/repair.h"
#include "store/pg/pg_int.h"
#include "store/schema.h"
#include "store/store_int.h"
#include "util/array.h"

#define POOL_MAX 8

/* A pooled connection and the statements prepared on it (apc__sqlc_stmt). */
struct apc__sqlc {
    sqlite3 *db;
    struct {
        char *sql; /* a copy of the caller's text, the key */
        sqlite3_stmt *st;
    } * stmts;
    size_t n_stmts, cap_stmts;
    struct apc__sqlc *next; /* in the pool's idle or busy list */
};

int apc__db_err(sqlite3 *db, int rc, const char *what)
{
    int prim = rc & 0xff;
    const char *msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    if (prim == SQLITE_FULL)
        return apc__err(-ENOSPC, "%s: disk full (%s)", what, msg);
    if (prim == SQLITE_BUSY || prim == SQLITE_LOCKED)
        return apc__err(APC_EBUSY, "%s: store busy (%s)", what, msg);
    if (prim == SQLITE_IOERR)
        return apc__err(APC_EIO, "%s: I/O error (%s)", what, msg);
    return apc__err(APC_ESTORE, "%s: %s", what, msg);
}

static sqlite3 *open_conn(apc__store_t *s)
{
    sqlite3 *db = NULL;
    int flags = SQLITE_OPEN_NOMUTEX |
                (s->read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    int rc = sqlite3_open_v2(s->path, &db, flags, NULL);
    if (rc != SQLITE_OK) {
        apc__err(APC_ESTORE, "cannot open store '%s': %s", s->path,
                 db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        sqlite3_close(db);
        return NULL;
    }
    sqlite3_busy_timeout(db, 10000);
    sqlite3_extended_result_codes(db, 1);
    /* journal_size_limit gives the disk back once a larger transaction's WAL was checkpointed.
     * The checkpoints themselves: below. */
    const char *pragmas = s->read_only ? "PRAGMA foreign_keys=ON;"
                                       : "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                                         "PRAGMA journal_size_limit=67108864;"
                                         "PRAGMA foreign_keys=ON;";
    rc = sqlite3_exec(db, pragmas, NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        apc__db_err(db, rc, "configuring the store");
        sqlite3_close(db);
        return NULL;
    }
    /* Checkpoints at APC__CKPT_PAGES, on the store's checkpoint thread (checkpoint.h says
     * why); without it (out of memory), by the connection, at the same size. */
    if (s->ckpt)
        apc__ckpt_attach(s->ckpt, db);
    else if (!s->read_only)
        sqlite3_wal_autocheckpoint(db, APC__CKPT_PAGES);
    return db;
}

static void sqlc_close(apc__sqlc_t *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n_stmts; i++) {
        sqlite3_finalize(c->stmts[i].st);
        free(c->stmts[i].sql);
    }
    free(c->stmts);
    sqlite3_close(c->db);
    free(c);
}

apc__sqlc_t *apc__sqlc_get(apc__store_t *s)
{
    if (!s->path) {
        apc__err(APC_ENOTSUP, "this store's backend (%s) has no SQLite connection", s->be->name);
        return NULL;
    }
    pthread_mutex_lock(&s->mu);
    apc__sqlc_t *c = s->idle;
    if (c) {
        s->idle = c->next;
        s->n_idle--;
        c->next = s->busy;
        s->busy = c;
    }
    pthread_mutex_unlock(&s->mu);
    if (c)
        return c;
    c = calloc(1, sizeof *c);
    if (!c) {
        apc__err(APC_ENOMEM, "out of memory");
        return NULL;
    }
    if (!(c->db = open_conn(s))) {
        free(c);
        return NULL;
    }
    pthread_mutex_lock(&s->mu);
    c->next = s->busy;
    s->busy = c;
    pthread_mutex_unlock(&s->mu);
    return c;
}

void apc__sqlc_put(apc__store_t *s, apc__sqlc_t *c)
{
    if (!c)
        return;
    /* A connection must come back clean; roll back anything a failing caller left open. */
    if (!sqlite3_get_autocommit(c->db))
        sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
    pthread_mutex_lock(&s->mu);
    apc__sqlc_t **pp = &s->busy;
    while (*pp && *pp != c)
        pp = &(*pp)->next;
    if (*pp)
        *pp = c->next;
    if (s->n_idle < POOL_MAX) {
        c->next = s->idle;
        s->idle = c;
        s->n_idle++;
        c = NULL;
    }
    pthread_mutex_unlock(&s->mu);
    sqlc_close(c);
}

sqlite3 *apc__sqlc_db(apc__sqlc_t *c)
{
    return c->db;
}

sqlite3_stmt *apc__sqlc_stmt(apc__sqlc_t *c, const char *what, const char *sql)
{
    for (size_t i = 0; i < c->n_stmts; i++)
        if (strcmp(c->stmts[i].sql, sql) == 0) {
            sqlite3_stmt *st = c->stmts[i].st;
            sqlite3_reset(st);
            sqlite3_clear_bindings(st);
            return st;
        }
    if (apc__grow((void **)&c->stmts, &c->cap_stmts, c->n_stmts + 1, sizeof *c->stmts) < 0) {
        apc__err(APC_ENOMEM, "%s: out of memory", what);
        return NULL;
    }
    /* Keyed by a copy: a caller may build its text in a buffer it reuses. */
    char *key = strdup(sql);
    if (!key) {
        apc__err(APC_ENOMEM, "%s: out of memory", what);
        return NULL;
    }
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
    if (rc != SQLITE_OK) {
        free(key);
        apc__db_err(c->db, rc, what);
        return NULL;
    }
    c->stmts[c->n_stmts].sql = key;
    c->stmts[c->n_stmts].st = st;
    c->n_stmts++;
    return st;
}

/* The legacy interface hands out the bare connection: find its wrapper among the busy ones. */
sqlite3 *apc__db_get(apc__store_t *s)
{
    apc__sqlc_t *c = apc__sqlc_get(s);
    return c ? c->db : NULL;
}

void apc__db_put(apc__store_t *s, sqlite3 *db)
{
    if (!db)
        return;
    pthread_mutex_lock(&s->mu);
    apc__sqlc_t *c = s->busy;
    while (c && c->db != db)
        c = c->next;
    pthread_mutex_unlock(&s->mu);
    if (c)
        apc__sqlc_put(s, c);
    else
        sqlite3_close(db);
}

/* The version of `part` recorded in the store (0 for a new store or a new part). */
static int part_version(sqlite3 *db, const apc__schema_part_t *part, int *version)
{
    sqlite3_stmt *st;
    int core = strcmp(part->name, "core") == 0;
    int rc = sqlite3_prepare_v2(
        db, core ? "PRAGMA user_version" : "SELECT CAST(value AS INTEGER) FROM meta WHERE key=?",
        -1, &st, NULL);
    if (rc != SQLITE_OK)
        return apc__db_err(db, rc, "reading the schema version");
    char key[96];
    snprintf(key, sizeof key, "schema.%s", part->name);
    if (!core)
        sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    *version = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
    sqlite3_finalize(st);
    return 0;
}

static int set_part_version(sqlite3 *db, const apc__schema_part_t *part, int v, char **err)
{
    char sql[160];
    if (strcmp(part->name, "core") == 0)
        snprintf(sql, sizeof sql, "PRAGMA user_version=%d", v);
    else
        snprintf(sql, sizeof sql,
                 "INSERT INTO meta(key, value) VALUES('schema.%s', '%d') "
                 "ON CONFLICT(key) DO UPDATE SET value=excluded.value",
                 part->name, v);
    return sqlite3_exec(db, sql, NULL, NULL, err);
}

/* Runs the steps of `part` the store lacks, in the transaction *began says is open (begun here
 * for the first step of any part). */
static int migrate_part(apc__store_t *s, sqlite3 *db, const apc__schema_part_t *part, int *began)
{
    int version = 0;
    int rc = part_version(db, part, &version);
    if (rc < 0)
        return rc;
    int want = (int)part->count;
    if (version > want)
        return apc__err(APC_ESTORE,
                        "store '%s' has schema version %d of part '%s', newer than this "
                        "library's %d: upgrade libapc",
                        s->path, version, part->name, want);
    if (version == want)
        return 0;
    if (s->read_only)
        return apc__err(APC_ESTORE,
                        "store '%s' needs migration of part '%s' (version %d -> %d) but is "
                        "opened read-only",
                        s->path, part->name, version, want);
    if (!*began) {
        rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
        if (rc != SQLITE_OK)
            return apc__db_err(db, rc, "starting the store's migration");
        *began = 1;
    }
    for (int v = version; v < want; v++) {
        char *err = NULL;
        rc = sqlite3_exec(db, part->steps[v], NULL, NULL, &err);
        if (rc == SQLITE_OK)
            rc = set_part_version(db, part, v + 1, &err);
        if (rc != SQLITE_OK) {
            int r = apc__err(APC_ESTORE, "store migration of '%s' %d -> %d failed: %s", part->name,
                             v, v + 1, err ? err : sqlite3_errmsg(db));
            sqlite3_free(err);
            return r;
        }
    }
    return 0;
}

/* Every pending step of every part in one transaction: a new store's few dozen steps cost one
 * commit instead of one each (3 ms of the 12 a new store cost apcctl), and a failed migration
 * leaves the store as it was, not half way. */
static int migrate(apc__store_t *s, sqlite3 *db)
{
    int began = 0, rc = 0;
    for (size_t i = 0; rc == 0 && i < apc__schema_part_count(); i++)
        rc = migrate_part(s, db, apc__schema_part(i), &began);
    if (began && rc == 0) {
        char *err = NULL;
        if (sqlite3_exec(db, "COMMIT", NULL, NULL, &err) != SQLITE_OK) {
            rc = apc__err(APC_ESTORE, "store migration failed at its commit: %s",
                          err ? err : sqlite3_errmsg(db));
            sqlite3_free(err);
        }
    }
    if (began && rc < 0)
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

/* The store holds password hashes and session tokens: apc.db is created 0600 before SQLite
 * opens it (SQLite gives its -wal and -shm files the database's mode), and a store created
 * readable by others by an older version is made private too. Failures here are SQLite's to
 * report when it opens the file. */
static void private_files(const char *path)
{
    int fd = open(path, O_RDONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd >= 0) {
        (void)fchmod(fd, 0600);
        close(fd);
    }
    char side[4200];
    static const char *const sfx[] = {"-wal", "-shm", "-journal"};
    for (size_t i = 0; i < 3; i++) {
        snprintf(side, sizeof side, "%s%s", path, sfx[i]);
        fd = open(side, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd >= 0) {
            (void)fchmod(fd, 0600);
            close(fd);
        }
    }
}

/* 1 when the context's store is a PostgreSQL URL (libpq's URI prefixes). */
static int is_pg_url(const char *url)
{
    return url && (strncmp(url, "postgresql://", 13) == 0 || strncmp(url, "postgres://", 11) == 0);
}

/* The PostgreSQL store: the backend's state behind the same store object. Its own open
 * migrates its schema and marks this node's interrupted captures. */
static int open_pg(apc_ctx_t *ctx, apc__store_t **out)
{
    apc__pg_t *pg = NULL;
    int rc = apc__pg_open(ctx->store_url, ctx->node_name, ctx->node_url, ctx->read_only, &pg);
    if (rc < 0)
        return rc;
    rc = apc__store_new_backend(&apc__pg_backend, pg, out);
    if (rc < 0) {
        apc__pg_close(pg);
        return rc;
    }
    (*out)->ctx = ctx;
    (*out)->read_only = ctx->read_only;
    /* This node's captures a crash left active are cut back to their commit; half-written
     * uploads and exports are files of this data directory, whatever the store (the sweep
     * reads no table). */
    if (!ctx->read_only && (rc = apc__pg_repair(pg, ctx)) < 0) {
        char msg[1024];
        apc__err_copy(msg, sizeof msg);
        apc__store_close(*out);
        *out = NULL;
        return apc__err(rc, "%s", msg);
    }
    if (!ctx->read_only)
        apc__store_sweep_leftovers(ctx, NULL);
    return 0;
}

int apc__store_open(apc_ctx_t *ctx, apc__store_t **out)
{
    *out = NULL;
    if (is_pg_url(ctx->store_url))
        return open_pg(ctx, out);
    if (ctx->store_url) /* named by its scheme alone: the rest may hold a password */
        return apc__err(APC_EINVAL,
                        "store '%.*s...' is neither empty (the embedded SQLite store) nor a "
                        "PostgreSQL URL (postgresql://...)",
                        (int)strcspn(ctx->store_url, ":"), ctx->store_url);
    apc__store_t *s = calloc(1, sizeof *s);
    if (!s)
        return apc__err(APC_ENOMEM, "out of memory");
    s->be = &apc__sqlite_backend;
    s->impl = s;
    s->ctx = ctx;
    s->read_only = ctx->read_only;
    pthread_mutex_init(&s->mu, NULL);
    s->path = apc__ctx_path(ctx, "apc.db");
    if (!s->path) {
        apc__store_close(s);
        return apc__err(APC_ENOMEM, "out of memory");
    }
    if (!s->read_only) {
        private_files(s->path);
        s->ckpt = apc__ckpt_new(s->path);
    }
    sqlite3 *db = apc__db_get(s);
    if (!db) {
        char msg[1024];
        apc__err_copy(msg, sizeof msg);
        apc__store_close(s);
        return apc__err(APC_ESTORE, "%s", msg);
    }
    int rc = migrate(s, db);
    if (rc == 0 && !s->read_only)
        rc = apc__store_repair(ctx, db);
    if (rc == 0 && !s->read_only)
        apc__store_sweep_leftovers(ctx, db);
    apc__db_put(s, db);
    if (rc < 0) {
        char msg[1024];
        apc__err_copy(msg, sizeof msg);
        apc__store_close(s);
        return apc__err(rc, "%s", msg);
    }
    *out = s;
    return 0;
}

void apc__store_close(apc__store_t *s)
{
    if (!s)
        return;
    while (s->idle) {
        apc__sqlc_t *c = s->idle;
        s->idle = c->next;
        sqlc_close(c);
    }
    while (s->busy) { /* a caller that never gave its connection back */
        apc__sqlc_t *c = s->busy;
        s->busy = c->next;
        sqlc_close(c);
    }
    apc__ckpt_free(s->ckpt); /* after the connections that call it */
    if (s->be && s->be->close && s->impl != s)
        s->be->close(s->impl);
    pthread_mutex_destroy(&s->mu);
    free(s->path);
    free(s);
}

int apc__store_new_backend(const apc__store_backend_t *be, void *impl, apc__store_t **out)
{
    apc__store_t *s = calloc(1, sizeof *s);
    if (!s)
        return apc__err(APC_ENOMEM, "out of memory");
    s->be = be;
    s->impl = impl;
    pthread_mutex_init(&s->mu, NULL);
    *out = s;
    return 0;
}
