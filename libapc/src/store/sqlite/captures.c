/* SPDX-License-Identifier: MIT */
/*
 * SQLite backend, captures and processes: creating a capture, its interfaces, and applying a
 * capture writer's commit batch (store/capture_batch.h) in one transaction, with every
 * statement prepared once per connection.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <apc/capture.h>

#include "core/error.h"
#include "store/sql.h"
#include "store/sqlite/sqlite_int.h"
#include "store/store_int.h"

static int cap_create(void *impl, const apc__st_capture_new_t *c, int64_t *out_id)
{
    return apc__sqlite_insert(impl, out_id, "creating a capture",
                              "INSERT INTO captures(id, type, state, name, source_file, "
                              "start_time, total_bytes) "
                              "VALUES((SELECT id + 1 FROM capture_seq),?,?,?,?,?,?)",
                              "iittii", (int64_t)c->type, (int64_t)APC_STATE_ACTIVE, c->name,
                              c->source_file, c->start_time, (int64_t)c->total_bytes);
}

static int cap_add_iface(void *impl, int64_t capture_id, const apc__st_iface_t *i)
{
    return apc__sqlite_exec(impl, "recording an interface",
                            "INSERT INTO interfaces(capture_id, idx, linktype, snaplen, tsresol, "
                            "name, description) VALUES(?,?,?,?,?,?,?)",
                            "iiiiitt", capture_id, (int64_t)i->idx, (int64_t)i->linktype,
                            (int64_t)i->snaplen, (int64_t)i->tsresol, i->name, i->description);
}

static int cap_fail(void *impl, int64_t capture_id, const char *error, int64_t end_time)
{
    apc__store_t *s = impl;
    apc__sqlc_t *cn = apc__sqlc_get(s);
    if (!cn)
        return APC_ESTORE;
    sqlite3 *db = apc__sqlc_db(cn);
    const char *sql = "UPDATE captures SET state=?, error=?, end_time=? WHERE id=?";
    int r = apc__sql_exec(db, "marking a capture failed", sql, "itii", (int64_t)APC_STATE_FAILED,
                          error, end_time, capture_id);
    if (r == -ENOSPC) {
        /* A full disk: the write-ahead log may hold the space a failed commit took; give it
         * back and try once more. */
        sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
        r = apc__sql_exec(db, "marking a capture failed", sql, "itii", (int64_t)APC_STATE_FAILED,
                          error, end_time, capture_id);
    }
    apc__sqlc_put(s, cn);
    return r;
}

static int cap_set_drops(void *impl, int64_t capture_id, uint64_t kernel_drops, uint64_t drops)
{
    /* Its own small statement: the commit record stays as it is. */
    return apc__sqlite_exec(impl, "recording drops",
                            "UPDATE captures SET kernel_drops=?, drops=? WHERE id=?", "iii",
                            (int64_t)kernel_drops, (int64_t)drops, capture_id);
}

static int proc_add(void *impl, const apc__st_process_t *p, int64_t *out_id)
{
    return apc__sqlite_insert(impl, out_id, "recording a process",
                              "INSERT INTO processes(pid, ppid, name, path, cmdline, user, "
                              "source, origin_capture, start_time, exit_time, running) "
                              "VALUES(?,?,?,?,?,?,?,?,?,?,?)",
                              "iitttttiiii", p->pid, p->ppid, p->name, p->path, p->cmdline, p->user,
                              p->source, p->origin_capture, p->start_time, p->exit_time,
                              (int64_t)p->running);
}

static int proc_update(void *impl, int64_t id, const apc__st_process_t *p)
{
    return apc__sqlite_exec(impl, "updating a process",
                            "UPDATE processes SET name=?, path=?, cmdline=?, user=?, exit_time=?, "
                            "running=? WHERE id=?",
                            "ttttiii", p->name, p->path, p->cmdline, p->user, p->exit_time,
                            (int64_t)p->running, id);
}

static int proc_pid_of(void *impl, int64_t id, int64_t *pid)
{
    apc__store_t *s = impl;
    apc__sqlc_t *c = apc__sqlc_get(s);
    if (!c)
        return APC_ESTORE;
    sqlite3_stmt *st =
        apc__sqlc_stmt(c, "finding a process", "SELECT pid FROM processes WHERE id=?");
    int r = APC_ESTORE;
    if (st) {
        sqlite3_bind_int64(st, 1, id);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
            *pid = sqlite3_column_int64(st, 0);
        r = rc == SQLITE_ROW    ? 0
            : rc == SQLITE_DONE ? apc__err(APC_ENOTFOUND, "process %lld not found", (long long)id)
                                : apc__db_err(apc__sqlc_db(c), rc, "finding a process");
        sqlite3_reset(st);
    }
    apc__sqlc_put(s, c);
    return r;
}

static int proc_thread_add(void *impl, int64_t process_id, int64_t tid, const char *name)
{
    return apc__sqlite_exec(impl, "recording a thread",
                            "INSERT OR IGNORE INTO threads(process_id, tid, name) VALUES(?,?,?)",
                            "iit", process_id, tid, name ? name : "");
}

static const apc__captures_ops_t captures_ops = {
    .create = cap_create,
    .add_iface = cap_add_iface,
    .commit = apc__sqlite_capture_commit,
    .fail = cap_fail,
    .get = apc__sqlite_capture_get,
    .list = apc__sqlite_capture_list,
    .remove = apc__sqlite_capture_remove,
    .set_notes = apc__sqlite_capture_set_notes,
    .meta = apc__sqlite_capture_meta,
    .set_drops = cap_set_drops,
    .set_options = apc__sqlite_capture_set_options,
    .packets = apc__sqlite_capture_packets,
    .ifaces = apc__sqlite_capture_ifaces,
    .notes = apc__sqlite_capture_notes,
};

static const apc__processes_ops_t processes_ops = {
    .add = proc_add,
    .update = proc_update,
    .pid_of = proc_pid_of,
    .capture_page = apc__sqlite_process_page,
    .thread_add = proc_thread_add,
    .name_of = apc__sqlite_process_name_of,
    .export_meta = apc__sqlite_process_export_meta,
    .thread_name = apc__sqlite_process_thread_name,
};

static const apc__conns_ops_t conns_ops = {
    .page = apc__sqlite_conn_page,
};

const apc__store_backend_t apc__sqlite_backend = {
    .name = "sqlite",
    .captures = &captures_ops,
    .processes = &processes_ops,
    .conns = &conns_ops,
    .ips = &apc__sqlite_ips_ops,
    .commands = &apc__sqlite_commands_ops,
    .stats = &apc__sqlite_stats_ops,
    .exports = &apc__sqlite_exports_ops,
    .flush = &apc__sqlite_flush_ops,
    .accounts = &apc__sqlite_accounts_ops,
    .searches = &apc__sqlite_searches_ops,
    .triggers = &apc__sqlite_triggers_ops,
    .extracts = &apc__sqlite_extracts_ops,
    .settings = &apc__sqlite_settings_ops,
};
