/* SPDX-License-Identifier: MIT */
/*
 * Accounts: argon2id password hashes through libsodium's crypto_pwhash_str (RFC 9106), which is
 * a maintained, constant-time implementation with a self-describing hash string; we do not
 * write our own. Cost: 2 passes over 19 MiB (the OWASP recommendation for argon2id), so a login
 * takes tens of milliseconds and a few concurrent logins stay within a few tens of MiB.
 */
#include <errno.h>
#include <stdlib.h>
#include <pthread.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include <apc/ops.h>

#include "auth/auth_internal.h"
#include "core/ctx.h"
#include "core/error.h"
#include "store/sql.h"
#include "store/store.h"
#include "util/clock.h"

#define PW_OPS 2ULL
#define PW_MEM (19ULL << 20)

int apc__auth_init(void)
{
    if (sodium_init() < 0)
        return apc__err(APC_EGENERIC, "libsodium could not be initialised");
    return 0;
}

int apc__auth_random(void *buf, size_t n)
{
    uint8_t *p = buf;
    while (n > 0) {
        ssize_t r = getrandom(p, n, 0);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return apc__err_errno(errno, "getrandom");
        }
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

void apc__auth_hex(const uint8_t *in, size_t n, char *out)
{
    static const char d[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = d[in[i] >> 4];
        out[2 * i + 1] = d[in[i] & 15];
    }
    out[2 * n] = '\0';
}

APC_API const char *apc_role_name(int role)
{
    return role == APC_ROLE_ADMIN ? "admin" : role == APC_ROLE_VIEWER ? "viewer" : NULL;
}

APC_API int apc_role_parse(const char *name)
{
    if (name && strcmp(name, "admin") == 0)
        return APC_ROLE_ADMIN;
    if (name && strcmp(name, "viewer") == 0)
        return APC_ROLE_VIEWER;
    return apc__err(APC_EINVAL, "unknown role '%.32s' (admin or viewer)", name ? name : "");
}

static int check_name(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n > APC_USER_NAME_MAX)
        return apc__err(APC_EINVAL, "user name must be 1 to %d bytes", APC_USER_NAME_MAX);
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return apc__err(APC_EINVAL,
                            "user name '%.64s' has a character other than "
                            "A-Z a-z 0-9 . _ -",
                            name);
    }
    return 0;
}

static char dummy_hash[crypto_pwhash_STRBYTES];
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;

static void make_dummy_hash(void)
{
    unsigned char pw[16];
    char hex[33];
    randombytes_buf(pw, sizeof pw);
    sodium_bin2hex(hex, sizeof hex, pw, sizeof pw);
    if (crypto_pwhash_str_alg(dummy_hash, hex, strlen(hex), PW_OPS, PW_MEM,
                              crypto_pwhash_ALG_ARGON2ID13) != 0)
        dummy_hash[0] = '\0';
}

const char *apc__auth_dummy_hash(void)
{
    if (apc__auth_init() < 0)
        return NULL;
    pthread_once(&dummy_once, make_dummy_hash);
    return dummy_hash[0] ? dummy_hash : NULL;
}

static int hash_password(const char *password, char out[crypto_pwhash_STRBYTES])
{
    size_t n = password ? strlen(password) : 0;
    if (n == 0 || n > APC_PASSWORD_MAX)
        return apc__err(APC_EINVAL, "password must be 1 to %d bytes", APC_PASSWORD_MAX);
    int rc = apc__auth_init();
    if (rc < 0)
        return rc;
    if (crypto_pwhash_str_alg(out, password, n, PW_OPS, PW_MEM, crypto_pwhash_ALG_ARGON2ID13) != 0)
        return apc__err(APC_ENOMEM, "out of memory hashing the password");
    return 0;
}

APC_API int apc_user_add(apc_ctx_t *ctx, const char *name, const char *password, int role)
{
    if (!ctx)
        return apc__err(APC_EINVAL, "NULL context");
    int rc = check_name(name);
    if (rc < 0)
        return rc;
    if (!apc_role_name(role))
        return apc__err(APC_EINVAL, "unknown role %d", role);
    char hash[crypto_pwhash_STRBYTES];
    if ((rc = hash_password(password, hash)) < 0)
        return rc;
    sqlite3 *db = apc__db_get(ctx->store);
    if (!db)
        return APC_ESTORE;
    int64_t one = 0;
    rc = apc__sql_int(db, "looking up an account", &one, "SELECT 1 FROM users WHERE name=?", "t",
                      name);
    if (rc > 0)
        rc = apc__err(APC_EEXISTS, "user '%s' already exists", name);
    else if (rc == 0)
        rc = apc__sql_exec(db, "adding an account",
                           "INSERT INTO users(name, hash, role, created) VALUES(?,?,?,?)", "ttii",
                           name, hash, (int64_t)role, apc__real_ns());
    apc__db_put(ctx->store, db);
    sodium_memzero(hash, sizeof hash);
    return rc;
}

/* <data>/initial-admin-password (auth/bootstrap.c) holds the first password of "admin": once
 * that password is no longer the account's (changed, or the account deleted) the file only
 * leaks what it was, so it goes. */
static void forget_initial_password(apc_ctx_t *ctx, const char *name)
{
    if (strcmp(name, "admin") != 0)
        return;
    char *path = apc__ctx_path(ctx, "initial-admin-password");
    if (path && unlink(path) != 0 && errno != ENOENT)
        apc__log(ctx, APC_LOG_WARN, "cannot remove %s: %s", path, strerror(errno));
    free(path);
}

APC_API int apc_user_del(apc_ctx_t *ctx, const char *name)
{
    if (!ctx || !name)
        return apc__err(APC_EINVAL, "NULL argument");
    sqlite3 *db = apc__db_get(ctx->store);
    if (!db)
        return APC_ESTORE;
    int rc = apc__sql_exec(db, "deleting an account", "DELETE FROM users WHERE name=?", "t", name);
    if (rc == 0 && sqlite3_changes(db) == 0)
        rc = apc__err(APC_ENOTFOUND, "no user '%.64s'", name);
    if (rc == 0) /* also without foreign keys enforced by an older connection */
        rc = apc__sql_exec(db, "ending sessions", "DELETE FROM sessions WHERE user=?", "t", name);
    apc__db_put(ctx->store, db);
    if (rc == 0)
        forget_initial_password(ctx, name);
    return rc;
}

APC_API int apc_user_passwd(apc_ctx_t *ctx, const char *name, const char *password)
{
    if (!ctx || !name)
        return apc__err(APC_EINVAL, "NULL argument");
    char hash[crypto_pwhash_STRBYTES];
    int rc = hash_password(password, hash);
    if (rc < 0)
        return rc;
    sqlite3 *db = apc__db_get(ctx->store);
    if (!db)
        return APC_ESTORE;
    rc = apc__sql_exec(db, "setting a password", "UPDATE users SET hash=? WHERE name=?", "tt", hash,
                       name);
    if (rc == 0 && sqlite3_changes(db) == 0)
        rc = apc__err(APC_ENOTFOUND, "no user '%.64s'", name);
    if (rc == 0) /* a new password ends the sessions opened with the old one */
        rc = apc__sql_exec(db, "ending sessions", "DELETE FROM sessions WHERE user=?", "t", name);
    apc__db_put(ctx->store, db);
    sodium_memzero(hash, sizeof hash);
    if (rc == 0)
        forget_initial_password(ctx, name);
    return rc;
}

APC_API void apc_user_list_free(apc_user_list_t *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->count; i++)
        free(l->items[i].name);
    free(l->items);
    free(l);
}

APC_API int apc_user_list(apc_ctx_t *ctx, apc_user_list_t **out)
{
    if (!ctx || !out)
        return apc__err(APC_EINVAL, "NULL argument");
    *out = NULL;
    apc_user_list_t *l = calloc(1, sizeof *l);
    if (!l)
        return apc__err(APC_ENOMEM, "out of memory");
    sqlite3 *db = apc__db_get(ctx->store);
    if (!db) {
        free(l);
        return APC_ESTORE;
    }
    sqlite3_stmt *st;
    int rc = apc__sql_prepare(db, "listing accounts",
                              "SELECT name, role, created FROM users ORDER BY name", &st);
    size_t cap = 0;
    while (rc == 0) {
        int s = sqlite3_step(st);
        if (s == SQLITE_DONE)
            break;
        if (s != SQLITE_ROW) {
            rc = apc__db_err(db, s, "listing accounts");
            break;
        }
        if (l->count == cap) {
            size_t nc = cap ? cap * 2 : 8;
            apc_user_t *n = realloc(l->items, nc * sizeof *n);
            if (!n) {
                rc = apc__err(APC_ENOMEM, "out of memory");
                break;
            }
            l->items = n;
            cap = nc;
        }
        apc_user_t *u = &l->items[l->count];
        u->name = apc__sql_text(st, 0);
        u->role = sqlite3_column_int(st, 1);
        u->created = sqlite3_column_int64(st, 2);
        if (!u->name) {
            rc = apc__err(APC_ENOMEM, "out of memory");
            break;
        }
        l->count++;
    }
    if (st)
        sqlite3_finalize(st);
    apc__db_put(ctx->store, db);
    if (rc < 0) {
        apc_user_list_free(l);
        return rc;
    }
    *out = l;
    return 0;
}
