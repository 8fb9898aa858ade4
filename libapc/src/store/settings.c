/* SPDX-License-Identifier: MIT */
/* User-defined settings: a string -> string table in apc.db. */
#include <stdlib.h>
#include <string.h>

#include <apc/capture.h>

#include "core/ctx.h"
#include "core/error.h"
#include "core/roots.h"
#include "store/sql.h"
#include "store/store.h"

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
    sqlite3 *db = apc__db_get(ctx->store);
    if (!db)
        return APC_ESTORE;
    sqlite3_stmt *st;
    r = apc__sql_prepare(db, "reading a setting", "SELECT value FROM settings WHERE key=?", &st);
    if (r == 0) {
        sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            *out_value = apc__sql_text(st, 0);
            r = *out_value ? 0 : apc__err(APC_ENOMEM, "out of memory");
        } else if (rc == SQLITE_DONE) {
            r = apc__err(APC_ENOTFOUND, "setting '%s' is not set", key);
        } else {
            r = apc__db_err(db, rc, "reading a setting");
        }
        sqlite3_finalize(st);
    }
    apc__db_put(ctx->store, db);
    return r;
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
    sqlite3 *db = apc__db_get(ctx->store);
    if (!db)
        return APC_ESTORE;
    r = apc__sql_exec(db, "saving a setting",
                      "INSERT INTO settings(key,value) VALUES(?,?) "
                      "ON CONFLICT(key) DO UPDATE SET value=excluded.value",
                      "tt", key, value);
    apc__db_put(ctx->store, db);
    return r;
}

APC_API int apc_settings_clear(apc_ctx_t *ctx)
{
    if (!ctx)
        return apc__err(APC_EINVAL, "NULL context");
    sqlite3 *db = apc__db_get(ctx->store);
    if (!db)
        return APC_ESTORE;
    int r = apc__sql_exec(db, "clearing settings", "DELETE FROM settings", NULL);
    apc__db_put(ctx->store, db);
    return r;
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

APC_API int apc_settings_get_all(apc_ctx_t *ctx, apc_settings_t **out)
{
    if (!ctx || !out)
        return apc__err(APC_EINVAL, "NULL argument");
    *out = NULL;
    apc_settings_t *s = calloc(1, sizeof *s);
    if (!s)
        return apc__err(APC_ENOMEM, "out of memory");
    sqlite3 *db = apc__db_get(ctx->store);
    if (!db) {
        free(s);
        return APC_ESTORE;
    }
    sqlite3_stmt *st;
    int r = apc__sql_prepare(db, "listing settings", "SELECT key, value FROM settings ORDER BY key",
                             &st);
    size_t cap = 0;
    int rc = SQLITE_DONE;
    while (r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (s->count == cap) {
            cap = cap ? cap * 2 : 16;
            char **k = realloc(s->keys, cap * sizeof *k);
            if (k)
                s->keys = k;
            char **v = realloc(s->values, cap * sizeof *v);
            if (v)
                s->values = v;
            if (!k || !v) {
                r = apc__err(APC_ENOMEM, "out of memory");
                break;
            }
        }
        s->keys[s->count] = apc__sql_text(st, 0);
        s->values[s->count] = apc__sql_text(st, 1);
        s->count++;
    }
    if (r == 0 && rc != SQLITE_DONE)
        r = apc__db_err(db, rc, "listing settings");
    sqlite3_finalize(st);
    apc__db_put(ctx->store, db);
    if (r < 0) {
        apc_settings_free(s);
        return r;
    }
    *out = s;
    return 0;
}
