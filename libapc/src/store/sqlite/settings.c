/* SPDX-License-Identifier: MIT */
/* SQLite backend: the settings table (user settings, apc_settings_*). */
#include <stdlib.h>

#include "core/error.h"
#include "store/sql.h"
#include "store/sqlite/sqlite_int.h"

static int value_row(sqlite3_stmt *st, void *payload)
{
    char **value = payload;
    *value = apc__sql_text(st, 0);
    return *value ? 1 : apc__err(APC_ENOMEM, "out of memory");
}

static int st_get(void *impl, const char *key, char **value)
{
    return apc__sqlite_rows(impl, "reading a setting", "SELECT value FROM settings WHERE key=?",
                            value_row, value, "t", key);
}

static int st_set(void *impl, const char *key, const char *value)
{
    return apc__sqlite_exec(impl, "saving a setting",
                            "INSERT INTO settings(key,value) VALUES(?,?) "
                            "ON CONFLICT(key) DO UPDATE SET value=excluded.value",
                            "tt", key, value);
}

static int st_clear(void *impl)
{
    return apc__sqlite_exec(impl, "clearing settings", "DELETE FROM settings", NULL);
}

typedef struct setting_walk {
    apc__st_setting_fn fn;
    void *payload;
} setting_walk_t;

static int setting_row(sqlite3_stmt *st, void *payload)
{
    setting_walk_t *w = payload;
    const char *k = (const char *)sqlite3_column_text(st, 0);
    const char *v = (const char *)sqlite3_column_text(st, 1);
    return w->fn(k ? k : "", v ? v : "", w->payload);
}

static int st_list(void *impl, apc__st_setting_fn fn, void *payload)
{
    setting_walk_t w = {fn, payload};
    return apc__sqlite_rows(impl, "listing settings",
                            "SELECT key, value FROM settings ORDER BY key", setting_row, &w, "");
}

const apc__settings_ops_t apc__sqlite_settings_ops = {
    .get = st_get,
    .set = st_set,
    .clear = st_clear,
    .list = st_list,
};
