/* SPDX-License-Identifier: MIT */
/* SQLite backend: capture rows as readers see them (get, list), deleting one, notes. */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "store/sql.h"
#include "store/sqlite/sqlite_int.h"
#include "util/array.h"

#define CAPTURE_COLS                                                                               \
    "id, type, state, name, notes, filter, flags, adapters, pid, tid, start_time, end_time, "      \
    "packets, bytes, kernel_drops, drops, connections, error, source_file, error_offset, "         \
    "progress_bytes, total_bytes"

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

int apc__sqlite_capture_get(void *impl, int64_t id, apc_capture_t **out)
{
    apc__store_t *s = impl;
    apc__sqlc_t *c = apc__sqlc_get(s);
    if (!c)
        return APC_ESTORE;
    sqlite3_stmt *st =
        apc__sqlc_stmt(c, "reading a capture", "SELECT " CAPTURE_COLS " FROM captures WHERE id=?");
    int r = APC_ESTORE;
    if (st) {
        sqlite3_bind_int64(st, 1, id);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
            r = (*out = row_to_capture(st)) ? 1 : apc__err(APC_ENOMEM, "out of memory");
        else
            r = rc == SQLITE_DONE ? 0 : apc__db_err(apc__sqlc_db(c), rc, "reading a capture");
        sqlite3_reset(st);
    }
    apc__sqlc_put(s, c);
    return r;
}

int apc__sqlite_capture_list(void *impl, int which, apc_capture_list_t *l)
{
    static const char *const sql[] = {
        [APC_LIST_ALL] = "SELECT " CAPTURE_COLS " FROM captures ORDER BY id",
        [APC_LIST_ACTIVE] = "SELECT " CAPTURE_COLS " FROM captures WHERE state=1 ORDER BY id",
        [APC_LIST_COMPLETED] = "SELECT " CAPTURE_COLS " FROM captures WHERE state<>1 ORDER BY id",
        [APC_LIST_SYSTEM_COMPLETED] =
            "SELECT " CAPTURE_COLS " FROM captures WHERE state<>1 AND type=1 ORDER BY id",
    };
    if (which < 0 || (size_t)which >= sizeof sql / sizeof sql[0] || !sql[which])
        return apc__err(APC_EINVAL, "unknown capture list selector %d", which);
    apc__store_t *s = impl;
    apc__sqlc_t *c = apc__sqlc_get(s);
    if (!c)
        return APC_ESTORE;
    sqlite3_stmt *st = apc__sqlc_stmt(c, "listing captures", sql[which]);
    int r = st ? 0 : APC_ESTORE, rc = SQLITE_DONE;
    size_t cap = 0;
    while (r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        apc_capture_t *cp = NULL;
        if (apc__grow((void **)&l->items, &cap, l->count + 1, sizeof *l->items) < 0 ||
            !(cp = row_to_capture(st)))
            r = apc__err(APC_ENOMEM, "out of memory");
        else
            l->items[l->count++] = cp;
    }
    if (r == 0 && rc != SQLITE_DONE)
        r = apc__db_err(apc__sqlc_db(c), rc, "listing captures");
    if (st)
        sqlite3_reset(st);
    apc__sqlc_put(s, c);
    return r;
}

int apc__sqlite_capture_remove(void *impl, int64_t id)
{
    apc__store_t *s = impl;
    apc__sqlc_t *c = apc__sqlc_get(s);
    if (!c)
        return APC_ESTORE;
    sqlite3 *db = apc__sqlc_db(c);
    int r = apc__sql_begin(db);
    if (r == 0)
        r = apc__sqlc_exec(c, "deleting a capture", "DELETE FROM captures WHERE id=?", "i", id);
    if (r == 0)
        r = apc__sqlc_exec(c, "deleting a capture's processes",
                           "DELETE FROM processes WHERE origin_capture=? AND source='file'", "i",
                           id);
    r = r == 0 ? apc__sql_commit(db, "deleting a capture") : (apc__sql_rollback(db), r);
    apc__sqlc_put(s, c);
    return r;
}

int apc__sqlite_capture_set_notes(void *impl, int64_t capture_id, int64_t packet_id,
                                  const char *notes)
{
    if (packet_id == 0)
        return apc__sqlite_exec(impl, "saving capture notes",
                                "UPDATE captures SET notes=? WHERE id=?", "ti", notes, capture_id);
    if (!*notes)
        return apc__sqlite_exec(impl, "clearing packet notes",
                                "DELETE FROM packet_notes WHERE capture_id=? AND packet_id=?", "ii",
                                capture_id, packet_id);
    return apc__sqlite_exec(impl, "saving packet notes",
                            "INSERT INTO packet_notes(capture_id, packet_id, notes) VALUES(?,?,?) "
                            "ON CONFLICT(capture_id, packet_id) DO UPDATE SET "
                            "notes=excluded.notes",
                            "iit", capture_id, packet_id, notes);
}
