/* SPDX-License-Identifier: MIT */
/*
 * Sessions: login checks the argon2id hash and issues a token (32 bytes of getrandom(2), hex);
 * the store keeps a BLAKE2b-256 hash of the token, its account and role, and when it was last
 * used. A session idle for longer than the setting "session_idle_seconds" (default 1800) is
 * expired; expired rows are kept for a day so a late caller hears "expired" rather than
 * "unknown", then purged at the next login.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include <apc/ops.h>

#include "auth/auth_internal.h"
#include "core/ctx.h"
#include "core/error.h"
#include "store/sql.h"
#include "store/store.h"
#include "util/clock.h"

#define NS 1000000000LL
/* Writing last_used on every request would make every API call a write transaction; a
 * resolution of a few seconds is plenty for an idle timeout counted in minutes. */
#define TOUCH_NS (5 * NS)
#define KEEP_EXPIRED_NS (86400 * NS)

static void token_hash(const char *token, char out[65])
{
    uint8_t h[32];
    crypto_generichash(h, sizeof h, (const uint8_t *)token, strlen(token), NULL, 0);
    apc__auth_hex(h, sizeof h, out);
}

static int64_t setting_int(sqlite3 *db, const char *key, int64_t def, int64_t lo, int64_t hi)
{
    int64_t v = def;
    if (apc__sql_int(db, "reading a setting", &v,
                     "SELECT CAST(value AS INTEGER) FROM settings WHERE key=?", "t", key) <= 0)
        return def;
    return v < lo ? lo : v > hi ? hi : v;
}

/* A well-formed token is exactly 64 lowercase hex digits; anything else is not ours. */
static int token_ok(const char *t)
{
    if (!t || strlen(t) != APC_TOKEN_HEX_LEN)
        return 0;
    for (const char *p = t; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return 0;
    return 1;
}

APC_API int apc_login(apc_ctx_t *ctx, const char *user, const char *password, const char *peer,
                      char **token, int *role)
{
    if (!ctx || !token || !role)
        return apc__err(APC_EINVAL, "NULL argument");
    *token = NULL;
    *role = 0;
    if (!peer)
        peer = "local";
    int rc = apc__auth_init();
    if (rc < 0)
        return rc;
    sqlite3 *db = apc__db_get(ctx->store);
    if (!db)
        return APC_ESTORE;
    int retry = 0;
    const char *which = "";
    int max = (int)setting_int(db, "login_max_failures", 10, 1, 1000000);
    int blocked = apc__auth_rl_begin(ctx, peer, user, max, &retry, &which);
    if (blocked) {
        apc__db_put(ctx->store, db);
        if (blocked < 0)
            return apc__err(APC_ENOMEM, "out of memory");
        if (strcmp(which, "address") == 0)
            return apc__err(APC_ELIMIT, "too many failed logins from %.64s; try again in %d s",
                            peer, retry);
        return apc__err(APC_ELIMIT, "too many failed logins for this account; try again in %d s",
                        retry);
    }
    char *hash = NULL;
    int64_t urole = 0;
    sqlite3_stmt *st = NULL;
    rc = apc__sql_prepare(db, "reading an account", "SELECT hash, role FROM users WHERE name=?",
                          &st);
    if (rc == 0) {
        sqlite3_bind_text(st, 1, user ? user : "", -1, SQLITE_STATIC);
        int s = sqlite3_step(st);
        if (s == SQLITE_ROW) {
            hash = apc__sql_text(st, 0);
            urole = sqlite3_column_int64(st, 1);
            if (!hash)
                rc = apc__err(APC_ENOMEM, "out of memory");
        } else if (s != SQLITE_DONE) {
            rc = apc__db_err(db, s, "reading an account");
        }
        sqlite3_finalize(st);
    }
    if (rc < 0) {
        apc__auth_rl_end(ctx, peer, user, -1);
        apc__db_put(ctx->store, db);
        return rc;
    }
    size_t pl = password ? strlen(password) : 0;
    int good = 0;
    if (hash && pl > 0 && pl <= APC_PASSWORD_MAX) {
        good = crypto_pwhash_str_verify(hash, password, pl) == 0;
    } else if (pl > 0 && pl <= APC_PASSWORD_MAX) {
        /* Unknown name: spend the same time as for a wrong password. */
        const char *dummy = apc__auth_dummy_hash();
        if (dummy && crypto_pwhash_str_verify(dummy, password, pl) == 0)
            good = 0; /* cannot match: nobody knows the dummy's password */
    }
    free(hash);
    apc__auth_rl_end(ctx, peer, user, good);
    if (!good) {
        apc__db_put(ctx->store, db);
        /* One message for an unknown name and a wrong password: no account enumeration. */
        return apc__err(APC_EAUTH, "wrong user name or password");
    }

    uint8_t raw[32];
    char tok[APC_TOKEN_HEX_LEN + 1], th[65];
    if ((rc = apc__auth_random(raw, sizeof raw)) < 0) {
        apc__db_put(ctx->store, db);
        return rc;
    }
    apc__auth_hex(raw, sizeof raw, tok);
    sodium_memzero(raw, sizeof raw);
    token_hash(tok, th);
    int64_t now = apc__real_ns();
    int64_t idle = setting_int(db, "session_idle_seconds", APC_SESSION_IDLE_DEFAULT, 1, INT32_MAX);
    rc = apc__sql_exec(db, "purging old sessions", "DELETE FROM sessions WHERE last_used < ?", "i",
                       now - idle * NS - KEEP_EXPIRED_NS);
    if (rc == 0)
        rc = apc__sql_exec(db, "opening a session",
                           "INSERT INTO sessions(token_hash, user, role, created, last_used, "
                           "expires) VALUES(?,?,?,?,?,?)",
                           "ttiiii", th, user, urole, now, now, now + idle * NS);
    apc__db_put(ctx->store, db);
    if (rc < 0)
        return rc;
    if (!(*token = strdup(tok)))
        return apc__err(APC_ENOMEM, "out of memory");
    *role = (int)urole;
    return 0;
}

APC_API int apc_session_check(apc_ctx_t *ctx, const char *token, int *role, char **username)
{
    if (!ctx || !role)
        return apc__err(APC_EINVAL, "NULL argument");
    *role = 0;
    if (username)
        *username = NULL;
    if (!token || !*token)
        return apc__err(APC_ENOTOKEN, "no token: log in first");
    if (!token_ok(token))
        return apc__err(APC_ENOTOKEN, "the token is not a session of this server: log in");
    int rc = apc__auth_init();
    if (rc < 0)
        return rc;
    char th[65];
    token_hash(token, th);
    sqlite3 *db = apc__db_get(ctx->store);
    if (!db)
        return APC_ESTORE;
    sqlite3_stmt *st = NULL;
    rc = apc__sql_prepare(db, "checking a session",
                          "SELECT user, role, last_used, (SELECT CAST(value AS INTEGER) FROM "
                          "settings WHERE key='session_idle_seconds'), expires FROM sessions "
                          "WHERE token_hash=?",
                          &st);
    int found = 0;
    int64_t last = 0, idle = APC_SESSION_IDLE_DEFAULT, expires = 0;
    if (rc == 0) {
        sqlite3_bind_text(st, 1, th, -1, SQLITE_STATIC);
        int s = sqlite3_step(st);
        if (s == SQLITE_ROW) {
            found = 1;
            *role = sqlite3_column_int(st, 1);
            last = sqlite3_column_int64(st, 2);
            if (sqlite3_column_type(st, 3) != SQLITE_NULL && sqlite3_column_int64(st, 3) > 0)
                idle = sqlite3_column_int64(st, 3);
            expires = sqlite3_column_int64(st, 4);
            if (username && !(*username = apc__sql_text(st, 0)))
                rc = apc__err(APC_ENOMEM, "out of memory");
        } else if (s != SQLITE_DONE) {
            rc = apc__db_err(db, s, "checking a session");
        }
        sqlite3_finalize(st);
    }
    int64_t now = apc__real_ns();
    if (rc == 0 && !found)
        rc = apc__err(APC_ENOTOKEN, "the token is not a session of this server: log in");
    /* Expired when its fixed expiry passed (a later, longer idle setting does not revive it)
     * or when it has been idle longer than the setting now (a shorter one applies at once). */
    else if (rc == 0 && ((expires && now > expires) || now - last > idle * NS))
        rc = apc__err(APC_ESESSION, "the session expired after %lld s idle: log in again",
                      (long long)((expires && now > expires ? expires - last : idle * NS) / NS));
    else if (rc == 0 && now - last > TOUCH_NS)
        rc = apc__sql_exec(db, "refreshing a session",
                           "UPDATE sessions SET last_used=?, expires=? WHERE token_hash=?", "iit",
                           now, now + idle * NS, th);
    apc__db_put(ctx->store, db);
    if (rc < 0) {
        *role = 0;
        if (username) {
            free(*username);
            *username = NULL;
        }
    }
    return rc;
}

APC_API int apc_logout(apc_ctx_t *ctx, const char *token)
{
    if (!ctx)
        return apc__err(APC_EINVAL, "NULL context");
    if (!token || !*token)
        return apc__err(APC_ENOTOKEN, "no token: nothing to log out");
    if (!token_ok(token))
        return apc__err(APC_ENOTOKEN, "the token is not a session of this server");
    /* An expired session answers as it would for any other action (and stays expired). */
    int role = 0;
    int rc = apc_session_check(ctx, token, &role, NULL);
    if (rc < 0)
        return rc;
    char th[65];
    token_hash(token, th);
    sqlite3 *db = apc__db_get(ctx->store);
    if (!db)
        return APC_ESTORE;
    rc = apc__sql_exec(db, "ending a session", "DELETE FROM sessions WHERE token_hash=?", "t", th);
    if (rc == 0 && sqlite3_changes(db) == 0)
        rc = apc__err(APC_ENOTOKEN, "the token is not a session of this server");
    apc__db_put(ctx->store, db);
    return rc;
}
