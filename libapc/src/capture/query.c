/* SPDX-License-Identifier: MIT */
/* Captures: get, list, wait, delete, notes; the names of types and states. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <apc/capture.h>

#include "core/ctx.h"
#include "core/error.h"
#include "core/fsutil.h"
#include "store/repair.h"
#include "store/sql.h"
#include "store/store.h"

APC_API const char *apc_capture_type_name(int type)
{
    switch (type) {
    case APC_CAPTURE_SYSTEM:
        return "system";
    case APC_CAPTURE_PROCESS:
        return "process";
    case APC_CAPTURE_INGEST:
        return "ingest";
    default:
        return "unknown";
    }
}

APC_API const char *apc_capture_state_name(int state)
{
    switch (state) {
    case APC_STATE_ACTIVE:
        return "active";
    case APC_STATE_COMPLETED:
        return "completed";
    case APC_STATE_INTERRUPTED:
        return "interrupted";
    case APC_STATE_FAILED:
        return "failed";
    default:
        return "unknown";
    }
}

APC_API const char *apc_direction_name(int dir)
{
    return dir == APC_DIR_IN ? "in" : dir == APC_DIR_OUT ? "out" : "unknown";
}

APC_API const char *apc_attribution_name(int attr)
{
    static const char *const names[] = {"none", "exact", "socket", "tuple", "file"};
    return attr >= 0 && attr <= APC_ATTR_FILE ? names[attr] : "none";
}

APC_API const char *apc_tcp_state_name(int state)
{
    static const char *const names[] = {"none",     "syn_sent", "syn_recv", "established",
                                        "fin_wait", "closed",   "reset",    "midstream"};
    return state >= 0 && state <= APC_TCP_MIDSTREAM ? names[state] : "none";
}

#define CAPTURE_COLS                                                                               \
    "id, type, state, name, notes, filter, flags, adapters, pid, tid, start_time, end_time, "      \
    "packets, bytes, kernel_drops, drops, connections, error, source_file, error_offset, "         \
    "progress_bytes, total_bytes"

APC_API void apc_capture_free(apc_capture_t *c)
{
    if (!c)
        return;
    free(c->name);
    free(c->notes);
    free(c->filter);
    free(c->adapters);
    free(c->error);
    free(c->source_file);
    free(c);
}

static apc_capture_t *row_to_capture(sqlite3_stmt *st)
{
    apc_capture_t *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->id = sqlite3_column_int64(st, 0);
    c->type = sqlite3_column_int(st, 1);
    c->state = sqlite3_column_int(st, 2);
    c->name = apc__sql_text(st, 3);
    c->notes = apc__sql_text(st, 4);
    c->filter = apc__sql_text(st, 5);
    c->flags = (uint32_t)sqlite3_column_int64(st, 6);
    c->adapters = apc__sql_text(st, 7);
    c->pid = sqlite3_column_int64(st, 8);
    c->tid = sqlite3_column_int64(st, 9);
    c->start_time = sqlite3_column_int64(st, 10);
    c->end_time = sqlite3_column_int64(st, 11);
    c->packets = (uint64_t)sqlite3_column_int64(st, 12);
    c->bytes = (uint64_t)sqlite3_column_int64(st, 13);
    c->kernel_drops = (uint64_t)sqlite3_column_int64(st, 14);
    c->drops = (uint64_t)sqlite3_column_int64(st, 15);
    c->connections = (uint64_t)sqlite3_column_int64(st, 16);
    c->error = apc__sql_text(st, 17);
    c->source_file = apc__sql_text(st, 18);
    c->error_offset = (uint64_t)sqlite3_column_int64(st, 19);
    c->progress_bytes = (uint64_t)sqlite3_column_int64(st, 20);
    c->total_bytes = (uint64_t)sqlite3_column_int64(st, 21);
    if (!c->name || !c->notes || !c->filter || !c->adapters || !c->error || !c->source_file) {
        apc_capture_free(c);
        return NULL;
    }
    return c;
}

APC_API int apc_capture_get(apc_ctx_t *ctx, int64_t id, apc_capture_t **out)
{
    if (!ctx || !out)
        return apc__err(APC_EINVAL, "NULL argument");
    *out = NULL;
    sqlite3 *db = apc__db_get(ctx->store);
    if (!db)
        return APC_ESTORE;
    sqlite3_stmt *st;
    int r = apc__sql_prepare(db, "reading a capture",
                             "SELECT " CAPTURE_COLS " FROM captures WHERE id=?", &st);
    if (r == 0) {
        sqlite3_bind_int64(st, 1, id);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            *out = row_to_capture(st);
            r = *out ? 0 : apc__err(APC_ENOMEM, "out of memory");
        } else if (rc == SQLITE_DONE) {
            r = apc__err(APC_ENOTFOUND, "capture %lld not found", (long long)id);
        } else {
            r = apc__db_err(db, rc, "reading a capture");
        }
        sqlite3_finalize(st);
    }
    apc__db_put(ctx->store, db);
    return r;
}

APC_API void apc_capture_list_free(apc_capture_list_t *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->count; i++)
        apc_capture_free(l->items[i]);
    free(l->items);
    free(l);
}

APC_API int apc_capture_list(apc_ctx_t *ctx, int which, apc_capture_list_t **out)
{
    if (!ctx || !out)
        return apc__err(APC_EINVAL, "NULL argument");
    *out = NULL;
    const char *where;
    switch (which) {
    case APC_LIST_ALL:
        where = "1";
        break;
    case APC_LIST_ACTIVE:
        where = "state=1";
        break;
    case APC_LIST_COMPLETED:
        where = "state<>1";
        break;
    case APC_LIST_SYSTEM_COMPLETED:
        where = "state<>1 AND type=1";
        break;
    default:
        return apc__err(APC_EINVAL, "unknown capture list selector %d", which);
    }
    char sql[512];
    snprintf(sql, sizeof sql, "SELECT " CAPTURE_COLS " FROM captures WHERE %s ORDER BY id", where);
    apc_capture_list_t *l = calloc(1, sizeof *l);
    if (!l)
        return apc__err(APC_ENOMEM, "out of memory");
    sqlite3 *db = apc__db_get(ctx->store);
    if (!db) {
        free(l);
        return APC_ESTORE;
    }
    sqlite3_stmt *st;
    int r = apc__sql_prepare(db, "listing captures", sql, &st);
    size_t cap = 0;
    int rc = SQLITE_DONE;
    while (r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (l->count == cap) {
            cap = cap ? cap * 2 : 16;
            apc_capture_t **ni = realloc(l->items, cap * sizeof *ni);
            if (!ni) {
                r = apc__err(APC_ENOMEM, "out of memory");
                break;
            }
            l->items = ni;
        }
        apc_capture_t *c = row_to_capture(st);
        if (!c) {
            r = apc__err(APC_ENOMEM, "out of memory");
            break;
        }
        l->items[l->count++] = c;
    }
    if (r == 0 && rc != SQLITE_DONE)
        r = apc__db_err(db, rc, "listing captures");
    sqlite3_finalize(st);
    apc__db_put(ctx->store, db);
    if (r < 0) {
        apc_capture_list_free(l);
        return r;
    }
    *out = l;
    return 0;
}

static int capture_state(apc_ctx_t *ctx, int64_t id, int *state)
{
    apc_capture_t *c;
    int r = apc_capture_get(ctx, id, &c);
    if (r < 0)
        return r;
    *state = c->state;
    apc_capture_free(c);
    return 0;
}

typedef struct capture_wait {
    apc_ctx_t *ctx;
    int64_t id;
} capture_wait_t;

static int capture_ended(void *payload)
{
    capture_wait_t *w = payload;
    int state;
    int r = capture_state(w->ctx, w->id, &state);
    return r < 0 ? r : state != APC_STATE_ACTIVE;
}

APC_API int apc_capture_wait(apc_ctx_t *ctx, int64_t id, int timeout_ms)
{
    if (!ctx)
        return apc__err(APC_EINVAL, "NULL context");
    /* Woken on every capture state change; the 200 ms poll also covers captures ended by
     * another process sharing the store. */
    capture_wait_t w = {ctx, id};
    int r = apc__ctx_wait(ctx, timeout_ms, 200, capture_ended, &w);
    return r == 1 ? apc__err(APC_EBUSY, "capture %lld is still active", (long long)id) : r;
}

APC_API int apc_capture_delete(apc_ctx_t *ctx, int64_t id)
{
    int state;
    int r = capture_state(ctx, id, &state);
    if (r < 0)
        return r;
    if (state == APC_STATE_ACTIVE)
        return apc__err(APC_EBUSY, "capture %lld is active: stop it before deleting it",
                        (long long)id);
    sqlite3 *db = apc__db_get(ctx->store);
    if (!db)
        return APC_ESTORE;
    /* Rows first: once they are gone no reader can reach the files, so a failure removing
     * files leaves only unreferenced bytes, never a capture with missing packets. */
    r = apc__sql_exec(db, "deleting a capture", "DELETE FROM captures WHERE id=?", "i", id);
    if (r == 0)
        r = apc__sql_exec(db, "deleting a capture's processes",
                          "DELETE FROM processes WHERE origin_capture=? AND source='file'", "i",
                          id);
    apc__db_put(ctx->store, db);
    if (r < 0)
        return r;
    char dir[4096];
    apc__capture_dir(ctx, id, dir, sizeof dir);
    return apc__rm_rf(dir);
}

APC_API int apc_capture_set_notes(apc_ctx_t *ctx, int64_t capture_id, int64_t packet_id,
                                  const char *notes)
{
    if (!ctx)
        return apc__err(APC_EINVAL, "NULL context");
    if (notes && strlen(notes) > 65536)
        return apc__err(APC_ELIMIT, "notes are longer than 65536 bytes");
    apc_capture_t *c;
    int r = apc_capture_get(ctx, capture_id, &c);
    if (r < 0)
        return r;
    uint64_t packets = c->packets;
    apc_capture_free(c);
    if (packet_id < 0 || (packet_id > 0 && (uint64_t)packet_id > packets))
        return apc__err(APC_ENOTFOUND, "packet %lld not found in capture %lld",
                        (long long)packet_id, (long long)capture_id);
    sqlite3 *db = apc__db_get(ctx->store);
    if (!db)
        return APC_ESTORE;
    int clear = !notes || !*notes;
    if (packet_id == 0)
        r = apc__sql_exec(db, "saving capture notes", "UPDATE captures SET notes=? WHERE id=?",
                          "ti", clear ? "" : notes, capture_id);
    else if (clear)
        r = apc__sql_exec(db, "clearing packet notes",
                          "DELETE FROM packet_notes WHERE capture_id=? AND packet_id=?", "ii",
                          capture_id, packet_id);
    else
        r = apc__sql_exec(db, "saving packet notes",
                          "INSERT INTO packet_notes(capture_id, packet_id, notes) VALUES(?,?,?) "
                          "ON CONFLICT(capture_id, packet_id) DO UPDATE SET notes=excluded.notes",
                          "iit", capture_id, packet_id, notes);
    apc__db_put(ctx->store, db);
    return r;
}
