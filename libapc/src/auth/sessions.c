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
#include "store/accounts.h"
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

/* A setting as an integer clamped to [lo, hi]; def when it is not set or cannot be read. */
static int64_t setting_int(apc_ctx_t *ctx, const char *key, int64_t def, int64_t lo, int64_t hi)
{
    int64_t v = def;
    if (apc__accounts_setting_int(ctx->store, key, &v) <= 0)
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
    int retry = 0;
    const char *which = "";
    int max = (int)setting_int(ctx, "login_max_failures", 10, 1, 1000000);
    int blocked = apc__auth_rl_begin(ctx, peer, user, max, &retry, &which);
    if (blocked) {
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
    rc = apc__accounts_credentials(ctx->store, user ? user : "", &hash, &urole);
    if (rc < 0) {
        apc__auth_rl_end(ctx, peer, user, -1);
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
        /* One message for an unknown name and a wrong password: no account enumeration. */
        return apc__err(APC_EAUTH, "wrong user name or password");
    }

    uint8_t raw[32];
    char tok[APC_TOKEN_HEX_LEN + 1], th[65];
    if ((rc = apc__auth_random(raw, sizeof raw)) < 0)
        return rc;
    apc__auth_hex(raw, sizeof raw, tok);
    sodium_memzero(raw, sizeof raw);
    token_hash(tok, th);
    int64_t now = apc__real_ns();
    int64_t idle = setting_int(ctx, "session_idle_seconds", APC_SESSION_IDLE_DEFAULT, 1, INT32_MAX);
    /* Expired sessions are purged here, a day after they expired. */
    apc__st_session_t sess = {th, user, urole, now, now, now + idle * NS};
    rc = apc__accounts_session_open(ctx->store, now - idle * NS - KEEP_EXPIRED_NS, &sess);
    if (rc < 0)
        return rc;
    if (!(*token = strdup(tok)))
        return apc__err(APC_ENOMEM, "out of memory");
    *role = (int)urole;
    return 0;
}

/* Another node of the fleet (fleet/peer.c) reading packets it does not have: the shared secret
 * compared in constant time, the node role named "node": it grants the node-to-node actions
 * only (ops/call.c), so a leaked secret reads packets but manages nothing. Refused when this
 * node has no secret. */
static int node_check(apc_ctx_t *ctx, const char *given, int *role, char **username)
{
    size_t n = strlen(given);
    if (!ctx->node_secret || n != strlen(ctx->node_secret) ||
        sodium_memcmp(given, ctx->node_secret, n) != 0)
        return apc__err(APC_ENOTOKEN, "node secret refused");
    *role = APC_ROLE_NODE;
    if (username && !(*username = strdup("node")))
        return apc__err(APC_ENOMEM, "out of memory");
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
    if (strncmp(token, "node:", 5) == 0)
        return node_check(ctx, token + 5, role, username);
    if (!token_ok(token))
        return apc__err(APC_ENOTOKEN, "the token is not a session of this server: log in");
    int rc = apc__auth_init();
    if (rc < 0)
        return rc;
    char th[65];
    token_hash(token, th);
    apc__st_session_seen_t seen = {0};
    rc = apc__accounts_session_get(ctx->store, th, &seen, username);
    int found = rc > 0;
    int64_t last = 0, idle = APC_SESSION_IDLE_DEFAULT, expires = 0;
    if (found) {
        *role = seen.role;
        last = seen.last_used;
        if (seen.idle > 0)
            idle = seen.idle;
        expires = seen.expires;
        rc = 0;
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
        rc = apc__accounts_session_touch(ctx->store, th, now, now + idle * NS);
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
    rc = apc__accounts_session_end(ctx->store, th);
    if (rc == 0)
        rc = apc__err(APC_ENOTOKEN, "the token is not a session of this server");
    else if (rc > 0)
        rc = 0;
    return rc;
}
