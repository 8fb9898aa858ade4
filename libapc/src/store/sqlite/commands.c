/* SPDX-License-Identifier: MIT */
/* SQLite backend: the commands table (exports and other background work, apc/export.h). */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "store/sql.h"
#include "store/sqlite/sqlite_int.h"
#include "util/array.h"

#define CMD_COLS                                                                                   \
    "uid, type, state, progress, created, started, finished, result, error, capture_id, "          \
    "search_id, packets"

static apc_command_t *row_to_command(sqlite3_stmt *st)
{
    apc_command_t *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->uid = apc__sql_text(st, 0);
    c->type = apc__sql_text(st, 1);
    c->state = sqlite3_column_int(st, 2);
    c->progress = sqlite3_column_int(st, 3);
    c->created = sqlite3_column_int64(st, 4);
    c->started = sqlite3_column_int64(st, 5);
    c->finished = sqlite3_column_int64(st, 6);
    c->result = apc__sql_text(st, 7);
    c->error = apc__sql_text(st, 8);
    c->capture_id = sqlite3_column_int64(st, 9);
    c->search_id = sqlite3_column_int64(st, 10);
    c->packets = (uint64_t)sqlite3_column_int64(st, 11);
    if (!c->uid || !c->type || !c->result || !c->error) {
        apc_command_free(c);
        return NULL;
    }
    return c;
}

static int cmd_add(void *impl, const apc__st_command_t *c)
{
    return apc__sqlite_exec(impl, "recording a command",
                            "INSERT INTO commands(uid, type, state, created, capture_id, "
                            "search_id, path, filter) VALUES(?,?,?,?,?,?,?,?)",
                            "ttiiiitt", c->uid, c->type, (int64_t)c->state, c->created,
                            c->capture_id, c->search_id, c->path ? c->path : "",
                            c->filter ? c->filter : "");
}

static int cmd_remove(void *impl, const char *uid)
{
    return apc__sqlite_exec(impl, "removing a command", "DELETE FROM commands WHERE uid=?", "t",
                            uid);
}

static int cmd_running(void *impl, const char *uid, int state, int64_t started)
{
    return apc__sqlite_exec(impl, "starting a command",
                            "UPDATE commands SET state=?, started=? WHERE uid=?", "iit",
                            (int64_t)state, started, uid);
}

static int cmd_progress(void *impl, const char *uid, int progress, uint64_t packets)
{
    return apc__sqlite_exec(impl, "updating a command",
                            "UPDATE commands SET progress=?, packets=? WHERE uid=?", "iit",
                            (int64_t)progress, (int64_t)packets, uid);
}

static int cmd_finish(void *impl, const apc__st_command_end_t *e)
{
    return apc__sqlite_exec(
        impl, "ending a command",
        "UPDATE commands SET state=?, finished=?, packets=?, "
        "progress=CASE WHEN ?>=0 THEN ? ELSE progress END, result=?, error=? WHERE uid=?",
        "iiiiittt", (int64_t)e->state, e->finished, (int64_t)e->packets, (int64_t)e->progress,
        (int64_t)e->progress, e->result ? e->result : "", e->error ? e->error : "", e->uid);
}

static int cmd_interrupted(void *impl, const char *uid, int state, int64_t finished,
                           const char *error)
{
    apc__store_t *s = impl;
    apc__sqlc_t *c = apc__sqlc_get(s);
    if (!c)
        return APC_ESTORE;
    int r = apc__sqlc_exec(c, "ending an interrupted command",
                           "UPDATE commands SET state=?, finished=?, error=? WHERE uid=? AND "
                           "state IN (1, 2)",
                           "iitt", (int64_t)state, finished, error, uid);
    if (r == 0)
        r = sqlite3_changes(apc__sqlc_db(c)) > 0;
    apc__sqlc_put(s, c);
    return r;
}

static int cmd_get(void *impl, const char *uid, apc_command_t **out)
{
    apc__store_t *s = impl;
    apc__sqlc_t *c = apc__sqlc_get(s);
    if (!c)
        return APC_ESTORE;
    sqlite3_stmt *st =
        apc__sqlc_stmt(c, "reading a command", "SELECT " CMD_COLS " FROM commands WHERE uid=?");
    int r = APC_ESTORE;
    if (st) {
        sqlite3_bind_text(st, 1, uid, -1, SQLITE_STATIC);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
            r = (*out = row_to_command(st)) ? 1 : apc__err(APC_ENOMEM, "out of memory");
        else
            r = rc == SQLITE_DONE ? 0 : apc__db_err(apc__sqlc_db(c), rc, "reading a command");
        sqlite3_reset(st);
    }
    apc__sqlc_put(s, c);
    return r;
}

static int cmd_list(void *impl, apc_command_list_t *l)
{
    apc__store_t *s = impl;
    apc__sqlc_t *c = apc__sqlc_get(s);
    if (!c)
        return APC_ESTORE;
    sqlite3_stmt *st = apc__sqlc_stmt(
        c, "listing commands", "SELECT " CMD_COLS " FROM commands ORDER BY created DESC, uid");
    int r = st ? 0 : APC_ESTORE, rc = SQLITE_DONE;
    size_t cap = 0;
    while (r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        apc_command_t *cmd = NULL;
        if (apc__grow((void **)&l->items, &cap, l->count + 1, sizeof *l->items) < 0 ||
            !(cmd = row_to_command(st)))
            r = apc__err(APC_ENOMEM, "out of memory");
        else
            l->items[l->count++] = cmd;
    }
    if (r == 0 && rc != SQLITE_DONE)
        r = apc__db_err(apc__sqlc_db(c), rc, "listing commands");
    if (st)
        sqlite3_reset(st);
    apc__sqlc_put(s, c);
    return r;
}

const apc__commands_ops_t apc__sqlite_commands_ops = {
    .add = cmd_add,
    .remove = cmd_remove,
    .running = cmd_running,
    .progress = cmd_progress,
    .finish = cmd_finish,
    .interrupted = cmd_interrupted,
    .get = cmd_get,
    .list = cmd_list,
};
