/* SPDX-License-Identifier: MIT */
/*
 * SQLite backend: accounts and sessions (schema_auth.c), for module auth. Each call takes one
 * pooled connection; a call of several statements (add: check then insert; remove and
 * set_hash: the account then its sessions; session_open: purge then insert) runs them in order
 * on that one connection and stops at the first error, as auth did on its own connection.
 * Statements are prepared once per connection and reset before the connection goes back.
 */
#include <stdarg.h>
#include <stdlib.h>

#include "core/error.h"
#include "store/sql.h"
#include "store/sqlite/sqlite_int.h"

/* Binds text (copied: a caller's buffer may be reused) at ?idx, or sets the error. */
static int bind_text(apc__sqlc_t *c, sqlite3_stmt *st, int idx, const char *t, const char *what)
{
    int rc = sqlite3_bind_text(st, idx, t, -1, SQLITE_TRANSIENT);
    return rc == SQLITE_OK ? 0 : apc__db_err(apc__sqlc_db(c), rc, what);
}

/* One integer of the first row: 1 and *out, 0 when there is no row. `text` (if not NULL)
 * binds ?1. */
static int one_int(apc__sqlc_t *c, const char *what, const char *sql, const char *text,
                   int64_t *out)
{
    sqlite3_stmt *st = apc__sqlc_stmt(c, what, sql);
    if (!st)
        return APC_ESTORE;
    int r = text ? bind_text(c, st, 1, text, what) : 0;
    if (r == 0) {
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            *out = sqlite3_column_int64(st, 0);
            r = 1;
        } else {
            r = rc == SQLITE_DONE ? 0 : apc__db_err(apc__sqlc_db(c), rc, what);
        }
    }
    sqlite3_reset(st);
    return r;
}

/* Runs a write, then tells whether it changed a row: 1 if it did, 0 if not. */
static int exec_changed(apc__sqlc_t *c, const char *what, const char *sql, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = apc__sqlc_vexec(c, what, sql, fmt, ap);
    va_end(ap);
    return r < 0 ? r : sqlite3_changes(apc__sqlc_db(c)) > 0;
}

static int acc_count(void *impl, int64_t *n)
{
    apc__store_t *s = impl;
    apc__sqlc_t *c = apc__sqlc_get(s);
    if (!c)
        return APC_ESTORE;
    int r = one_int(c, "counting accounts", "SELECT count(*) FROM users", NULL, n);
    apc__sqlc_put(s, c);
    return r < 0 ? r : 0; /* count(*) always has its row */
}

static int acc_add(void *impl, const apc__st_user_t *u)
{
    apc__store_t *s = impl;
    apc__sqlc_t *c = apc__sqlc_get(s);
    if (!c)
        return APC_ESTORE;
    /* Check and insert in one write transaction: two adds of one name at once give one
     * account and one "taken", not a constraint error. */
    sqlite3 *db = apc__sqlc_db(c);
    int r = apc__sql_begin(db), begun = r == 0;
    int64_t one = 0;
    if (r == 0)
        r = one_int(c, "looking up an account", "SELECT 1 FROM users WHERE name=?", u->name, &one);
    if (r > 0) {
        r = 0; /* the name is taken */
    } else if (r == 0) {
        r = apc__sqlc_exec(c, "adding an account",
                           "INSERT INTO users(name, hash, role, created) VALUES(?,?,?,?)", "ttii",
                           u->name, u->hash, u->role, u->created);
        if (r == 0)
            r = 1;
    }
    if (begun && r >= 0) {
        int e = apc__sql_commit(db, "adding an account");
        r = e < 0 ? e : r;
    } else if (begun) {
        apc__sql_rollback(db);
    }
    apc__sqlc_put(s, c);
    return r;
}

/* Sessions are deleted by name as well: a connection without foreign keys enforced (an older
 * one) would not cascade the account's deletion to them. */
static int end_sessions_of(apc__sqlc_t *c, const char *name, int r)
{
    if (r <= 0)
        return r;
    int e = apc__sqlc_exec(c, "ending sessions", "DELETE FROM sessions WHERE user=?", "t", name);
    return e < 0 ? e : r;
}

static int acc_remove(void *impl, const char *name)
{
    apc__store_t *s = impl;
    apc__sqlc_t *c = apc__sqlc_get(s);
    if (!c)
        return APC_ESTORE;
    int r = exec_changed(c, "deleting an account", "DELETE FROM users WHERE name=?", "t", name);
    r = end_sessions_of(c, name, r);
    apc__sqlc_put(s, c);
    return r;
}

static int acc_set_hash(void *impl, const char *name, const char *hash)
{
    apc__store_t *s = impl;
    apc__sqlc_t *c = apc__sqlc_get(s);
    if (!c)
        return APC_ESTORE;
    int r = exec_changed(c, "setting a password", "UPDATE users SET hash=? WHERE name=?", "tt",
                         hash, name);
    r = end_sessions_of(c, name, r); /* a new password ends the sessions of the old one */
    apc__sqlc_put(s, c);
    return r;
}

static int acc_credentials(void *impl, const char *name, char **hash, int64_t *role)
{
    apc__store_t *s = impl;
    apc__sqlc_t *c = apc__sqlc_get(s);
    if (!c)
        return APC_ESTORE;
    const char *what = "reading an account";
    *hash = NULL;
    sqlite3_stmt *st = apc__sqlc_stmt(c, what, "SELECT hash, role FROM users WHERE name=?");
    int r = st ? bind_text(c, st, 1, name, what) : APC_ESTORE;
    if (r == 0) {
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            *role = sqlite3_column_int64(st, 1);
            r = (*hash = apc__sql_text(st, 0)) ? 1 : apc__err(APC_ENOMEM, "out of memory");
        } else {
            r = rc == SQLITE_DONE ? 0 : apc__db_err(apc__sqlc_db(c), rc, what);
        }
    }
    if (st)
        sqlite3_reset(st);
    apc__sqlc_put(s, c);
    return r;
}

static int acc_list(void *impl, apc__st_user_fn fn, void *payload)
{
    apc__store_t *s = impl;
    apc__sqlc_t *c = apc__sqlc_get(s);
    if (!c)
        return APC_ESTORE;
    const char *what = "listing accounts";
    sqlite3_stmt *st =
        apc__sqlc_stmt(c, what, "SELECT name, role, created FROM users ORDER BY name");
    int r = st ? 0 : APC_ESTORE, rc = SQLITE_DONE;
    while (r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        const unsigned char *name = sqlite3_column_text(st, 0);
        apc__st_user_t u = {
            .name = name ? (const char *)name : "",
            .role = sqlite3_column_int(st, 1),
            .created = sqlite3_column_int64(st, 2),
        };
        r = fn(&u, payload);
    }
    if (r == 0 && rc != SQLITE_DONE)
        r = apc__db_err(apc__sqlc_db(c), rc, what);
    if (st)
        sqlite3_reset(st);
    apc__sqlc_put(s, c);
    return r;
}

static int acc_setting_int(void *impl, const char *key, int64_t *value)
{
    apc__store_t *s = impl;
    apc__sqlc_t *c = apc__sqlc_get(s);
    if (!c)
        return APC_ESTORE;
    int r = one_int(c, "reading a setting",
                    "SELECT CAST(value AS INTEGER) FROM settings WHERE key=?", key, value);
    apc__sqlc_put(s, c);
    return r;
}

static int acc_session_open(void *impl, int64_t purge_before, const apc__st_session_t *ss)
{
    apc__store_t *s = impl;
    apc__sqlc_t *c = apc__sqlc_get(s);
    if (!c)
        return APC_ESTORE;
    int r = apc__sqlc_exec(c, "purging old sessions", "DELETE FROM sessions WHERE last_used < ?",
                           "i", purge_before);
    if (r == 0)
        r = apc__sqlc_exec(c, "opening a session",
                           "INSERT INTO sessions(token_hash, user, role, created, last_used, "
                           "expires) VALUES(?,?,?,?,?,?)",
                           "ttiiii", ss->token_hash, ss->user, ss->role, ss->created, ss->last_used,
                           ss->expires);
    apc__sqlc_put(s, c);
    return r;
}

static int acc_session_get(void *impl, const char *token_hash, apc__st_session_seen_t *out,
                           char **user)
{
    apc__store_t *s = impl;
    apc__sqlc_t *c = apc__sqlc_get(s);
    if (!c)
        return APC_ESTORE;
    const char *what = "checking a session";
    if (user)
        *user = NULL;
    /* The idle setting in the same statement: one read for the check of every request. */
    sqlite3_stmt *st =
        apc__sqlc_stmt(c, what,
                       "SELECT user, role, last_used, (SELECT CAST(value AS INTEGER) FROM "
                       "settings WHERE key='session_idle_seconds'), expires FROM sessions "
                       "WHERE token_hash=?");
    int r = st ? bind_text(c, st, 1, token_hash, what) : APC_ESTORE;
    if (r == 0) {
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            out->role = sqlite3_column_int(st, 1);
            out->last_used = sqlite3_column_int64(st, 2);
            out->idle = sqlite3_column_type(st, 3) == SQLITE_NULL ? 0 : sqlite3_column_int64(st, 3);
            out->expires = sqlite3_column_int64(st, 4);
            r = 1;
            if (user && !(*user = apc__sql_text(st, 0)))
                r = apc__err(APC_ENOMEM, "out of memory");
        } else {
            r = rc == SQLITE_DONE ? 0 : apc__db_err(apc__sqlc_db(c), rc, what);
        }
    }
    if (st)
        sqlite3_reset(st);
    apc__sqlc_put(s, c);
    return r;
}

static int acc_session_touch(void *impl, const char *token_hash, int64_t last_used, int64_t expires)
{
    return apc__sqlite_exec(impl, "refreshing a session",
                            "UPDATE sessions SET last_used=?, expires=? WHERE token_hash=?", "iit",
                            last_used, expires, token_hash);
}

static int acc_session_end(void *impl, const char *token_hash)
{
    apc__store_t *s = impl;
    apc__sqlc_t *c = apc__sqlc_get(s);
    if (!c)
        return APC_ESTORE;
    int r = exec_changed(c, "ending a session", "DELETE FROM sessions WHERE token_hash=?", "t",
                         token_hash);
    apc__sqlc_put(s, c);
    return r;
}

const apc__accounts_ops_t apc__sqlite_accounts_ops = {
    .count = acc_count,
    .add = acc_add,
    .remove = acc_remove,
    .set_hash = acc_set_hash,
    .credentials = acc_credentials,
    .list = acc_list,
    .setting_int = acc_setting_int,
    .session_open = acc_session_open,
    .session_get = acc_session_get,
    .session_touch = acc_session_touch,
    .session_end = acc_session_end,
};
