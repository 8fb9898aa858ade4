/* SPDX-License-Identifier: MIT */
/* The public command API: get, list, cancel, wait, delete. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/ctx.h"
#include "core/error.h"
#include "export/export_int.h"
#include "store/sql.h"
#include "store/store.h"
#include "util/clock.h"

#define CMD_COLS                                                                                   \
    "uid, type, state, progress, created, started, finished, result, error, capture_id, "          \
    "search_id, packets"

APC_API void apc_command_free(apc_command_t *c)
{
    if (!c)
        return;
    free(c->uid);
    free(c->type);
    free(c->result);
    free(c->error);
    free(c);
}

APC_API void apc_command_list_free(apc_command_list_t *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->count; i++)
        apc_command_free(l->items[i]);
    free(l->items);
    free(l);
}

static const char ENDED_MSG[] = "interrupted: the process running it ended before it finished";

static apc_command_t *row_to_command(apc_ctx_t *ctx, sqlite3 *db, sqlite3_stmt *st)
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
    /* Queued or running but not running here: the process that ran it ended (a crash, or a
     * one-shot program like apcctl that did not wait). A read-only context may be looking at
     * another process's store, so it reports what is recorded. */
    if ((c->state == APC_CMD_QUEUED || c->state == APC_CMD_RUNNING) && !ctx->read_only &&
        !apc__cmd_is_live(ctx, c->uid)) {
        apc_time_t now = apc__real_ns();
        if (apc__sql_exec(db, "ending an interrupted command",
                          "UPDATE commands SET state=?, finished=?, error=? WHERE uid=? AND "
                          "state IN (1, 2)",
                          "iitt", (int64_t)APC_CMD_FAILED, now, ENDED_MSG, c->uid) == 0) {
            char *e = strdup(ENDED_MSG);
            if (e) {
                free(c->error);
                c->error = e;
                c->state = APC_CMD_FAILED;
                c->finished = now;
            }
        }
    }
    return c;
}

APC_API int apc_command_get(apc_ctx_t *ctx, const char *uid, apc_command_t **out)
{
    if (!ctx || !uid || !out)
        return apc__err(APC_EINVAL, "NULL argument");
    *out = NULL;
    sqlite3 *db = apc__db_get(ctx->store);
    if (!db)
        return APC_ESTORE;
    sqlite3_stmt *st;
    int r = apc__sql_prepare(db, "reading a command",
                             "SELECT " CMD_COLS " FROM commands WHERE uid=?", &st);
    if (r == 0) {
        sqlite3_bind_text(st, 1, uid, -1, SQLITE_STATIC);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            *out = row_to_command(ctx, db, st);
            r = *out ? 0 : apc__err(APC_ENOMEM, "out of memory");
        } else if (rc == SQLITE_DONE) {
            r = apc__err(APC_ENOTFOUND, "command '%s' not found", uid);
        } else {
            r = apc__db_err(db, rc, "reading a command");
        }
        sqlite3_finalize(st);
    }
    apc__db_put(ctx->store, db);
    return r;
}

APC_API int apc_command_list(apc_ctx_t *ctx, apc_command_list_t **out)
{
    if (!ctx || !out)
        return apc__err(APC_EINVAL, "NULL argument");
    *out = NULL;
    apc_command_list_t *l = calloc(1, sizeof *l);
    if (!l)
        return apc__err(APC_ENOMEM, "out of memory");
    sqlite3 *db = apc__db_get(ctx->store);
    if (!db) {
        free(l);
        return APC_ESTORE;
    }
    sqlite3_stmt *st;
    int r = apc__sql_prepare(db, "listing commands",
                             "SELECT " CMD_COLS " FROM commands ORDER BY created DESC, uid", &st);
    size_t cap = 0;
    int rc = SQLITE_DONE;
    while (r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (l->count == cap) {
            cap = cap ? cap * 2 : 16;
            apc_command_t **ni = realloc(l->items, cap * sizeof *ni);
            if (!ni) {
                r = apc__err(APC_ENOMEM, "out of memory");
                break;
            }
            l->items = ni;
        }
        apc_command_t *c = row_to_command(ctx, db, st);
        if (!c) {
            r = apc__err(APC_ENOMEM, "out of memory");
            break;
        }
        l->items[l->count++] = c;
    }
    if (r == 0 && rc != SQLITE_DONE)
        r = apc__db_err(db, rc, "listing commands");
    if (st)
        sqlite3_finalize(st);
    apc__db_put(ctx->store, db);
    if (r < 0) {
        apc_command_list_free(l);
        return r;
    }
    *out = l;
    return 0;
}

APC_API int apc_command_cancel(apc_ctx_t *ctx, const char *uid)
{
    apc_command_t *c;
    int r = apc_command_get(ctx, uid, &c);
    if (r < 0)
        return r;
    apc_command_free(c);
    apc__cmd_cancel_live(ctx, uid);
    return 0;
}

static int ended(int state)
{
    return state != APC_CMD_QUEUED && state != APC_CMD_RUNNING;
}

typedef struct command_wait {
    apc_ctx_t *ctx;
    const char *uid;
} command_wait_t;

static int command_ended(void *payload)
{
    command_wait_t *w = payload;
    apc_command_t *c;
    int r = apc_command_get(w->ctx, w->uid, &c);
    if (r < 0)
        return r;
    int done = ended(c->state);
    apc_command_free(c);
    return done;
}

APC_API int apc_command_wait(apc_ctx_t *ctx, const char *uid, int timeout_ms)
{
    if (!ctx || !uid)
        return apc__err(APC_EINVAL, "NULL argument");
    /* Woken when a command ends (apc__cmd_finish broadcasts); the 100 ms poll covers the
     * short window between a record's update and the broadcast. */
    command_wait_t w = {ctx, uid};
    int r = apc__ctx_wait(ctx, timeout_ms, 100, command_ended, &w);
    return r == 1 ? apc__err(APC_EBUSY, "command %s is still running", uid) : r;
}

APC_API int apc_command_delete(apc_ctx_t *ctx, const char *uid)
{
    apc_command_t *c;
    int r = apc_command_get(ctx, uid, &c);
    if (r < 0)
        return r;
    int running = !ended(c->state);
    apc_command_free(c);
    if (running) {
        apc__cmd_cancel_live(ctx, uid);
        if ((r = apc_command_wait(ctx, uid, -1)) < 0)
            return r;
    }
    sqlite3 *db = apc__db_get(ctx->store);
    if (!db)
        return APC_ESTORE;
    r = apc__sql_exec(db, "deleting a command", "DELETE FROM commands WHERE uid=?", "t", uid);
    apc__db_put(ctx->store, db);
    return r;
}
