/* SPDX-License-Identifier: MIT */
/* PostgreSQL backend: accounts and sessions (module auth keeps the logic; these are rows).
 * Accounts are the fleet's: every node's apcd logs in against the same table. */
#include <stdlib.h>

#include "core/error.h"
#include "store/pg/pg_int.h"

/* SQLite's CAST(value AS INTEGER): the leading integer of the text, 0 when there is none. */
#define SETTING_INT(v)                                                                             \
    "CASE WHEN " v " ~ '^\\s*[-+]?[0-9]{1,18}' THEN "                                              \
    "substring(" v " from '^\\s*([-+]?[0-9]{1,18})')::bigint ELSE 0 END"

static int acc_count(void *impl, int64_t *n)
{
    int r = apc__pg_int(impl, "counting accounts", n, "SELECT count(*) FROM users", "");
    return r < 0 ? r : 0;
}

static int acc_add(void *impl, const apc__st_user_t *u)
{
    /* One statement: two adds of one name at once give one account and one "taken". */
    int64_t n = apc__pg_exec(impl, "adding an account",
                             "INSERT INTO users(name, hash, role, created) VALUES($1,$2,$3,$4) "
                             "ON CONFLICT(name) DO NOTHING",
                             "ttii", u->name, u->hash, u->role, u->created);
    return n < 0 ? (int)n : n > 0;
}

/* Deleting an account or changing its password ends its sessions (ON DELETE CASCADE does it
 * for a deletion). */
static int acc_remove(void *impl, const char *name)
{
    int64_t n =
        apc__pg_exec(impl, "deleting an account", "DELETE FROM users WHERE name=$1", "t", name);
    return n < 0 ? (int)n : n > 0;
}

static int acc_set_hash(void *impl, const char *name, const char *hash)
{
    apc__pg_t *pg = impl;
    const char *what = "setting a password";
    int r = apc__pg_begin(pg, what);
    if (r < 0)
        return r;
    int64_t n = apc__pg_exec(pg, what, "UPDATE users SET hash=$1 WHERE name=$2", "tt", hash, name);
    if (n > 0 && apc__pg_exec(pg, what, "DELETE FROM sessions WHERE \"user\"=$1", "t", name) < 0)
        n = APC_ESTORE;
    return apc__pg_end(pg, what, n < 0 ? (int)n : n > 0);
}

static int acc_credentials(void *impl, const char *name, char **hash, int64_t *role)
{
    *hash = NULL;
    PGresult *r = apc__pg_query(impl, "reading an account",
                                "SELECT hash, role FROM users WHERE name=$1", "t", name);
    if (!r)
        return APC_ESTORE;
    int rc = 0;
    if (PQntuples(r) > 0) {
        *role = apc__pg_i64(r, 0, 1);
        rc = (*hash = apc__pg_str(r, 0, 0)) ? 1 : apc__err(APC_ENOMEM, "out of memory");
    }
    PQclear(r);
    return rc;
}

static int acc_list(void *impl, apc__st_user_fn fn, void *payload)
{
    PGresult *r = apc__pg_query(impl, "listing accounts",
                                "SELECT name, role, created FROM users ORDER BY name", "");
    if (!r)
        return APC_ESTORE;
    int rc = 0;
    for (int i = 0; rc == 0 && i < PQntuples(r); i++) {
        apc__st_user_t u = {
            .name = PQgetvalue(r, i, 0),
            .role = apc__pg_i64(r, i, 1),
            .created = apc__pg_i64(r, i, 2),
        };
        rc = fn(&u, payload);
    }
    PQclear(r);
    return rc;
}

static int acc_setting_int(void *impl, const char *key, int64_t *value)
{
    return apc__pg_int(impl, "reading a setting", value,
                       "SELECT " SETTING_INT("value") " FROM settings WHERE key=$1", "t", key);
}

static int acc_session_open(void *impl, int64_t purge_before, const apc__st_session_t *ss)
{
    apc__pg_t *pg = impl;
    if (apc__pg_exec(pg, "purging old sessions", "DELETE FROM sessions WHERE last_used < $1", "i",
                     purge_before) < 0)
        return APC_ESTORE;
    int64_t r = apc__pg_exec(pg, "opening a session",
                             "INSERT INTO sessions(token_hash, \"user\", role, created, last_used, "
                             "expires) VALUES($1,$2,$3,$4,$5,$6)",
                             "ttiiii", ss->token_hash, ss->user, ss->role, ss->created,
                             ss->last_used, ss->expires);
    return r < 0 ? (int)r : 0;
}

static int acc_session_get(void *impl, const char *token_hash, apc__st_session_seen_t *out,
                           char **user)
{
    if (user)
        *user = NULL;
    /* The idle setting in the same statement: one read for the check of every request. */
    PGresult *r = apc__pg_query(impl, "checking a session",
                                "SELECT \"user\", role, last_used, (SELECT " SETTING_INT(
                                    "value") " FROM settings WHERE key='session_idle_seconds'), "
                                             "expires FROM sessions WHERE token_hash=$1",
                                "t", token_hash);
    if (!r)
        return APC_ESTORE;
    int rc = 0;
    if (PQntuples(r) > 0) {
        out->role = (int)apc__pg_i64(r, 0, 1);
        out->last_used = apc__pg_i64(r, 0, 2);
        out->idle = apc__pg_i64(r, 0, 3);
        out->expires = apc__pg_i64(r, 0, 4);
        rc = 1;
        if (user && !(*user = apc__pg_str(r, 0, 0)))
            rc = apc__err(APC_ENOMEM, "out of memory");
    }
    PQclear(r);
    return rc;
}

static int acc_session_touch(void *impl, const char *token_hash, int64_t last_used, int64_t expires)
{
    int64_t r = apc__pg_exec(impl, "refreshing a session",
                             "UPDATE sessions SET last_used=$1, expires=$2 WHERE token_hash=$3",
                             "iit", last_used, expires, token_hash);
    return r < 0 ? (int)r : 0;
}

static int acc_session_end(void *impl, const char *token_hash)
{
    int64_t n = apc__pg_exec(impl, "ending a session", "DELETE FROM sessions WHERE token_hash=$1",
                             "t", token_hash);
    return n < 0 ? (int)n : n > 0;
}

const apc__accounts_ops_t apc__pg_accounts_ops = {
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
