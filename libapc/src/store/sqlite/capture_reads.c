/* SPDX-License-Identifier: MIT */
/*
 * SQLite backend: what readers of stored packets ask (capture/read.c): a capture's packet
 * count, its interfaces, the notes of a range of packets, a process's name and what an export
 * writes of it, a thread's name; and the options a
 * live capture records when it starts. Statements prepared once per connection, reset as soon
 * as read so no pooled connection keeps a snapshot.
 */
#include <stdlib.h>
#include <string.h>

#include "store/captures.h"

#include "core/error.h"
#include "store/sql.h"
#include "store/sqlite/sqlite_int.h"
#include "store/store_int.h"

int apc__sqlite_capture_set_options(void *impl, int64_t capture_id, const apc__st_capture_opts_t *o)
{
    return apc__sqlite_exec(impl, "recording capture options",
                            "UPDATE captures SET filter=?, flags=?, adapters=?, pid=?, tid=? "
                            "WHERE id=?",
                            "titiii", o->filter, o->flags, o->adapters, o->pid, o->tid, capture_id);
}

int apc__sqlite_capture_packets(void *impl, int64_t capture_id, uint64_t *packets)
{
    apc__store_t *s = impl;
    apc__sqlc_t *c = apc__sqlc_get(s);
    if (!c)
        return APC_ESTORE;
    sqlite3_stmt *st =
        apc__sqlc_stmt(c, "reading a capture", "SELECT packets FROM captures WHERE id=?");
    int r = APC_ESTORE;
    if (st) {
        sqlite3_bind_int64(st, 1, capture_id);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
            *packets = (uint64_t)sqlite3_column_int64(st, 0);
        r = rc == SQLITE_ROW    ? 1
            : rc == SQLITE_DONE ? 0
                                : apc__db_err(apc__sqlc_db(c), rc, "reading a capture");
        sqlite3_reset(st);
    }
    apc__sqlc_put(s, c);
    return r;
}

int apc__sqlite_capture_ifaces(void *impl, int64_t capture_id, apc__st_iface_fn fn, void *payload)
{
    apc__store_t *s = impl;
    apc__sqlc_t *c = apc__sqlc_get(s);
    if (!c)
        return APC_ESTORE;
    sqlite3_stmt *st = apc__sqlc_stmt(c, "reading interfaces",
                                      "SELECT idx, linktype, snaplen, tsresol, name, description "
                                      "FROM interfaces WHERE capture_id=? ORDER BY idx");
    int r = APC_ESTORE;
    if (st) {
        sqlite3_bind_int64(st, 1, capture_id);
        int rc;
        r = 0;
        while (r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
            const char *name = (const char *)sqlite3_column_text(st, 4);
            const char *desc = (const char *)sqlite3_column_text(st, 5);
            apc__st_iface_t i = {.idx = (uint32_t)sqlite3_column_int64(st, 0),
                                 .linktype = (uint32_t)sqlite3_column_int64(st, 1),
                                 .snaplen = (uint32_t)sqlite3_column_int64(st, 2),
                                 .tsresol = (uint64_t)sqlite3_column_int64(st, 3),
                                 .name = name ? name : "",
                                 .description = desc ? desc : ""};
            r = fn(&i, payload);
        }
        if (r == 0 && rc != SQLITE_DONE)
            r = apc__db_err(apc__sqlc_db(c), rc, "reading interfaces");
        sqlite3_reset(st);
    }
    apc__sqlc_put(s, c);
    return r;
}

int apc__sqlite_capture_notes(void *impl, int64_t capture_id, int64_t first, int64_t last,
                              apc__st_note_fn fn, void *payload)
{
    apc__store_t *s = impl;
    apc__sqlc_t *c = apc__sqlc_get(s);
    if (!c)
        return APC_ESTORE;
    sqlite3_stmt *st = apc__sqlc_stmt(c, "reading packet notes",
                                      "SELECT packet_id, notes FROM packet_notes WHERE "
                                      "capture_id=? AND packet_id BETWEEN ? AND ? "
                                      "ORDER BY packet_id");
    int r = APC_ESTORE;
    if (st) {
        sqlite3_bind_int64(st, 1, capture_id);
        sqlite3_bind_int64(st, 2, first);
        sqlite3_bind_int64(st, 3, last);
        int rc;
        r = 0;
        while (r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
            const char *n = (const char *)sqlite3_column_text(st, 1);
            r = fn(sqlite3_column_int64(st, 0), n ? n : "", payload);
        }
        if (r == 0 && rc != SQLITE_DONE)
            r = apc__db_err(apc__sqlc_db(c), rc, "reading packet notes");
        sqlite3_reset(st);
    }
    apc__sqlc_put(s, c);
    return r;
}

int apc__sqlite_process_name_of(void *impl, int64_t id, char **name)
{
    apc__store_t *s = impl;
    apc__sqlc_t *c = apc__sqlc_get(s);
    if (!c)
        return APC_ESTORE;
    sqlite3_stmt *st =
        apc__sqlc_stmt(c, "reading a process", "SELECT name FROM processes WHERE id=?");
    int r = APC_ESTORE;
    if (st) {
        sqlite3_bind_int64(st, 1, id);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            *name = apc__sql_text(st, 0);
            r = *name ? 1 : apc__err(APC_ENOMEM, "out of memory");
        } else {
            r = rc == SQLITE_DONE ? 0 : apc__db_err(apc__sqlc_db(c), rc, "reading a process");
        }
        sqlite3_reset(st);
    }
    apc__sqlc_put(s, c);
    return r;
}

int apc__sqlite_process_export_meta(void *impl, int64_t id, apc__st_proc_meta_t *out)
{
    memset(out, 0, sizeof *out);
    apc__store_t *s = impl;
    apc__sqlc_t *c = apc__sqlc_get(s);
    if (!c)
        return APC_ESTORE;
    /* The parent as we know it: the newest process row with the parent's pid. */
    sqlite3_stmt *st = apc__sqlc_stmt(
        c, "reading a process",
        "SELECT p.path, p.cmdline, p.pid, p.ppid, q.path, q.cmdline FROM processes p LEFT JOIN "
        "processes q ON q.id = (SELECT id FROM processes WHERE pid=p.ppid AND id<>p.id AND "
        "p.ppid>0 ORDER BY id DESC LIMIT 1) WHERE p.id=?");
    int r = APC_ESTORE;
    if (st) {
        sqlite3_bind_int64(st, 1, id);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            out->cmd = apc__sql_text(st, 0);
            out->args = apc__sql_text(st, 1);
            out->pid = sqlite3_column_int64(st, 2);
            out->ppid = sqlite3_column_int64(st, 3);
            out->parent_cmd = apc__sql_text(st, 4);
            out->parent_args = apc__sql_text(st, 5);
            r = out->cmd && out->args && out->parent_cmd && out->parent_args
                    ? 1
                    : apc__err(APC_ENOMEM, "out of memory");
            if (r < 0)
                apc__st_proc_meta_clear(out);
        } else {
            r = rc == SQLITE_DONE ? 0 : apc__db_err(apc__sqlc_db(c), rc, "reading a process");
        }
        sqlite3_reset(st);
    }
    apc__sqlc_put(s, c);
    return r;
}

int apc__sqlite_process_thread_name(void *impl, int64_t process_id, int64_t tid, char **name)
{
    apc__store_t *s = impl;
    apc__sqlc_t *c = apc__sqlc_get(s);
    if (!c)
        return APC_ESTORE;
    sqlite3_stmt *st = apc__sqlc_stmt(c, "reading a thread",
                                      "SELECT name FROM threads WHERE process_id=? AND tid=?");
    int r = APC_ESTORE;
    if (st) {
        sqlite3_bind_int64(st, 1, process_id);
        sqlite3_bind_int64(st, 2, tid);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            *name = apc__sql_text(st, 0);
            r = *name ? 1 : apc__err(APC_ENOMEM, "out of memory");
        } else {
            r = rc == SQLITE_DONE ? 0 : apc__db_err(apc__sqlc_db(c), rc, "reading a thread");
        }
        sqlite3_reset(st);
    }
    apc__sqlc_put(s, c);
    return r;
}
