/* SPDX-License-Identifier: MIT */
/* PostgreSQL backend: the settings table, and commands (exports run as commands). */
#include <stdlib.h>

#include <apc/export.h>

#include "core/error.h"
#include "store/pg/pg_int.h"
#include "util/array.h"

static int ok_or(int64_t r)
{
    return r < 0 ? (int)r : 0;
}

static int st_get(void *impl, const char *key, char **value)
{
    return apc__pg_text(impl, "reading a setting", value, "SELECT value FROM settings WHERE key=$1",
                        "t", key);
}

static int st_set(void *impl, const char *key, const char *value)
{
    return ok_or(apc__pg_exec(impl, "saving a setting",
                              "INSERT INTO settings(key, value) VALUES($1,$2) "
                              "ON CONFLICT(key) DO UPDATE SET value=excluded.value",
                              "tt", key, value));
}

static int st_clear(void *impl)
{
    return ok_or(apc__pg_exec(impl, "clearing settings", "DELETE FROM settings", ""));
}

static int st_list(void *impl, apc__st_setting_fn fn, void *payload)
{
    PGresult *r =
        apc__pg_query(impl, "listing settings", "SELECT key, value FROM settings ORDER BY key", "");
    if (!r)
        return APC_ESTORE;
    int rc = 0;
    for (int i = 0; rc == 0 && i < PQntuples(r); i++)
        rc = fn(PQgetvalue(r, i, 0), PQgetvalue(r, i, 1), payload);
    PQclear(r);
    return rc;
}

const apc__settings_ops_t apc__pg_settings_ops = {
    .get = st_get,
    .set = st_set,
    .clear = st_clear,
    .list = st_list,
};

#define CMD_COLS                                                                                   \
    "uid, type, state, progress, created, started, finished, result, error, capture_id, "          \
    "search_id, packets"

static apc_command_t *row_to_command(const PGresult *r, int i)
{
    apc_command_t *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->uid = apc__pg_str(r, i, 0);
    c->type = apc__pg_str(r, i, 1);
    c->state = (int)apc__pg_i64(r, i, 2);
    c->progress = (int)apc__pg_i64(r, i, 3);
    c->created = apc__pg_i64(r, i, 4);
    c->started = apc__pg_i64(r, i, 5);
    c->finished = apc__pg_i64(r, i, 6);
    c->result = apc__pg_str(r, i, 7);
    c->error = apc__pg_str(r, i, 8);
    c->capture_id = apc__pg_i64(r, i, 9);
    c->search_id = apc__pg_i64(r, i, 10);
    c->packets = (uint64_t)apc__pg_i64(r, i, 11);
    if (!c->uid || !c->type || !c->result || !c->error) {
        apc_command_free(c);
        return NULL;
    }
    return c;
}

static int cmd_add(void *impl, const apc__st_command_t *c)
{
    apc__pg_t *pg = impl;
    return ok_or(apc__pg_exec(pg, "recording a command",
                              "INSERT INTO commands(uid, node, type, state, created, capture_id, "
                              "search_id, path, filter) VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9)",
                              "titiiiitt", c->uid, pg->node, c->type, (int64_t)c->state, c->created,
                              c->capture_id, c->search_id, c->path ? c->path : "",
                              c->filter ? c->filter : ""));
}

static int cmd_remove(void *impl, const char *uid)
{
    return ok_or(
        apc__pg_exec(impl, "removing a command", "DELETE FROM commands WHERE uid=$1", "t", uid));
}

static int cmd_running(void *impl, const char *uid, int state, int64_t started)
{
    return ok_or(apc__pg_exec(impl, "starting a command",
                              "UPDATE commands SET state=$1, started=$2 WHERE uid=$3", "iit",
                              (int64_t)state, started, uid));
}

static int cmd_progress(void *impl, const char *uid, int progress, uint64_t packets)
{
    return ok_or(apc__pg_exec(impl, "updating a command",
                              "UPDATE commands SET progress=$1, packets=$2 WHERE uid=$3", "iit",
                              (int64_t)progress, (int64_t)packets, uid));
}

static int cmd_finish(void *impl, const apc__st_command_end_t *e)
{
    return ok_or(apc__pg_exec(
        impl, "ending a command",
        "UPDATE commands SET state=$1, finished=$2, packets=$3, "
        "progress=CASE WHEN $4>=0 THEN $4 ELSE progress END, result=$5, error=$6 WHERE uid=$7",
        "iiiittt", (int64_t)e->state, e->finished, (int64_t)e->packets, (int64_t)e->progress,
        e->result ? e->result : "", e->error ? e->error : "", e->uid));
}

static int cmd_interrupted(void *impl, const char *uid, int state, int64_t finished,
                           const char *error)
{
    int64_t n = apc__pg_exec(impl, "ending an interrupted command",
                             "UPDATE commands SET state=$1, finished=$2, error=$3 WHERE uid=$4 "
                             "AND state IN (1, 2)",
                             "iitt", (int64_t)state, finished, error, uid);
    return n < 0 ? (int)n : n > 0;
}

static int cmd_get(void *impl, const char *uid, apc_command_t **out)
{
    PGresult *r = apc__pg_query(impl, "reading a command",
                                "SELECT " CMD_COLS " FROM commands WHERE uid=$1", "t", uid);
    if (!r)
        return APC_ESTORE;
    int rc = 0;
    if (PQntuples(r) > 0)
        rc = (*out = row_to_command(r, 0)) ? 1 : apc__err(APC_ENOMEM, "out of memory");
    PQclear(r);
    return rc;
}

static int cmd_list(void *impl, apc_command_list_t *l)
{
    PGresult *r = apc__pg_query(impl, "listing commands",
                                "SELECT " CMD_COLS " FROM commands ORDER BY created DESC, uid", "");
    if (!r)
        return APC_ESTORE;
    int rc = 0;
    size_t cap = 0;
    for (int i = 0; rc == 0 && i < PQntuples(r); i++) {
        apc_command_t *cmd = NULL;
        if (apc__grow((void **)&l->items, &cap, l->count + 1, sizeof *l->items) < 0 ||
            !(cmd = row_to_command(r, i)))
            rc = apc__err(APC_ENOMEM, "out of memory");
        else
            l->items[l->count++] = cmd;
    }
    PQclear(r);
    return rc;
}

const apc__commands_ops_t apc__pg_commands_ops = {
    .add = cmd_add,
    .remove = cmd_remove,
    .running = cmd_running,
    .progress = cmd_progress,
    .finish = cmd_finish,
    .interrupted = cmd_interrupted,
    .get = cmd_get,
    .list = cmd_list,
};
