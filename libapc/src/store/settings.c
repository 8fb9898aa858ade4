/* SPDX-License-Identifier: MIT */
/* User-defined settings: a string -> string table in apc.db. */
#include <stdlib.h>
#include <string.h>

#include <apc/capture.h>

#include "core/ctx.h"
#include "core/error.h"
#include "core/roots.h"
#include "store/store_int.h"

#define KEY_MAX 256
#define VALUE_MAX 65536

static int check_key(const char *key)
{
    if (!key || !*key)
        return apc__err(APC_EINVAL, "setting key is empty");
    if (strlen(key) > KEY_MAX)
        return apc__err(APC_ELIMIT, "setting key is longer than %d bytes", KEY_MAX);
    return 0;
}

/* Keys the operator sets (apcd's config file or command line, apc_ctx_options_t), which the
 * API reads but never writes: the roots decide which files the service may write and read,
 * so an admin account must not be able to widen them (docs/security.md). */
static int operator_key(const char *key)
{
    return strcmp(key, "export_roots") == 0 || strcmp(key, "ingest_roots") == 0 ||
           strcmp(key, "execute_roots") == 0 || strcmp(key, "execute_user") == 0;
}

static int operator_value(apc_ctx_t *ctx, const char *key, char **out_value)
{
    const char *v = strcmp(key, "ingest_roots") == 0    ? ctx->ingest_roots
                    : strcmp(key, "execute_roots") == 0 ? ctx->execute_roots
                                                        : ctx->execute_user;
    *out_value = strcmp(key, "export_roots") == 0 ? apc__roots_export(ctx) : strdup(v ? v : "");
    return *out_value ? 0 : apc__err(APC_ENOMEM, "out of memory");
}

APC_API int apc_settings_get(apc_ctx_t *ctx, const char *key, char **out_value)
{
    if (!ctx || !out_value)
        return apc__err(APC_EINVAL, "NULL argument");
    *out_value = NULL;
    int r = check_key(key);
    if (r < 0)
        return r;
    if (operator_key(key))
        return operator_value(ctx, key, out_value);
    r = ctx->store->be->settings->get(ctx->store->impl, key, out_value);
    return r == 0 ? apc__err(APC_ENOTFOUND, "setting '%s' is not set", key) : r < 0 ? r : 0;
}

APC_API int apc_settings_set(apc_ctx_t *ctx, const char *key, const char *value)
{
    if (!ctx)
        return apc__err(APC_EINVAL, "NULL context");
    int r = check_key(key);
    if (r < 0)
        return r;
    if (operator_key(key))
        return apc__err(APC_EPERM,
                        "'%s' is set by the operator (apcd's config file or command line), not "
                        "through the API",
                        key);
    if (!value)
        value = "";
    if (strlen(value) > VALUE_MAX)
        return apc__err(APC_ELIMIT, "setting value is longer than %d bytes", VALUE_MAX);
    return ctx->store->be->settings->set(ctx->store->impl, key, value);
}

APC_API int apc_settings_clear(apc_ctx_t *ctx)
{
    if (!ctx)
        return apc__err(APC_EINVAL, "NULL context");
    return ctx->store->be->settings->clear(ctx->store->impl);
}

APC_API void apc_settings_free(apc_settings_t *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->count; i++) {
        free(s->keys[i]);
        free(s->values[i]);
    }
    free(s->keys);
    free(s->values);
    free(s);
}

/* A listing being built: the public record and its capacity. */
typedef struct listing {
    apc_settings_t *s;
    size_t cap;
} listing_t;

/* One row of the listing, appended. */
static int add_setting(const char *key, const char *value, void *payload)
{
    listing_t *l = payload;
    apc_settings_t *s = l->s;
    if (s->count == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        char **k = realloc(s->keys, cap * sizeof *k);
        if (k)
            s->keys = k;
        char **v = k ? realloc(s->values, cap * sizeof *v) : NULL;
        if (v)
            s->values = v;
        if (!k || !v)
            return apc__err(APC_ENOMEM, "out of memory");
        l->cap = cap;
    }
    char *k = strdup(key), *v = strdup(value);
    if (!k || !v) {
        free(k);
        free(v);
        return apc__err(APC_ENOMEM, "out of memory");
    }
    s->keys[s->count] = k;
    s->values[s->count] = v;
    s->count++;
    return 0;
}

APC_API int apc_settings_get_all(apc_ctx_t *ctx, apc_settings_t **out)
{
    if (!ctx || !out)
        return apc__err(APC_EINVAL, "NULL argument");
    *out = NULL;
    apc_settings_t *s = calloc(1, sizeof *s);
    if (!s)
        return apc__err(APC_ENOMEM, "out of memory");
    listing_t l = {s, 0};
    int r = ctx->store->be->settings->list(ctx->store->impl, add_setting, &l);
    if (r < 0) {
        apc_settings_free(s);
        return r;
    }
    *out = s;
    return 0;
}
