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
#include "store/accounts.h"
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
    apc__st_user_t u = {name, hash, (int64_t)role, apc__real_ns()};
    rc = apc__accounts_add(ctx->store, &u);
    if (rc == 0)
        rc = apc__err(APC_EEXISTS, "user '%s' already exists", name);
    else if (rc > 0)
        rc = 0;
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
    /* Its sessions end with it (store/backend.h, remove). */
    int rc = apc__accounts_remove(ctx->store, name);
    if (rc == 0)
        rc = apc__err(APC_ENOTFOUND, "no user '%.64s'", name);
    else if (rc > 0)
        rc = 0;
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
    /* A new password ends the sessions opened with the old one (store/backend.h, set_hash). */
    rc = apc__accounts_set_hash(ctx->store, name, hash);
    if (rc == 0)
        rc = apc__err(APC_ENOTFOUND, "no user '%.64s'", name);
    else if (rc > 0)
        rc = 0;
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

typedef struct list_arg {
    apc_user_list_t *l;
    size_t cap;
} list_arg_t;

static int add_user(const apc__st_user_t *row, void *payload)
{
    list_arg_t *a = payload;
    apc_user_list_t *l = a->l;
    if (l->count == a->cap) {
        size_t nc = a->cap ? a->cap * 2 : 8;
        apc_user_t *n = realloc(l->items, nc * sizeof *n);
        if (!n)
            return apc__err(APC_ENOMEM, "out of memory");
        l->items = n;
        a->cap = nc;
    }
    apc_user_t *u = &l->items[l->count];
    u->name = strdup(row->name);
    u->role = (int)row->role;
    u->created = row->created;
    if (!u->name)
        return apc__err(APC_ENOMEM, "out of memory");
    l->count++;
    return 0;
}

APC_API int apc_user_list(apc_ctx_t *ctx, apc_user_list_t **out)
{
    if (!ctx || !out)
        return apc__err(APC_EINVAL, "NULL argument");
    *out = NULL;
    apc_user_list_t *l = calloc(1, sizeof *l);
    if (!l)
        return apc__err(APC_ENOMEM, "out of memory");
    list_arg_t a = {l, 0};
    int rc = apc__accounts_list(ctx->store, add_user, &a);
    if (rc < 0) {
        apc_user_list_free(l);
        return rc;
    }
    *out = l;
    return 0;
}
