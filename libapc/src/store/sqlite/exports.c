/* SPDX-License-Identifier: MIT */
/* SQLite backend: export files (export_files) and deleting saved data by kind (apc_flush). */
#include <stdlib.h>
#include <string.h>

#include <apc/export.h>

#include "core/error.h"
#include "store/sql.h"
#include "store/sqlite/sqlite_int.h"

static int exp_record(void *impl, const apc__st_export_file_t *f)
{
    return apc__sqlite_exec(impl, "recording an export file",
                            "INSERT OR REPLACE INTO export_files(path, capture_id, search_id, "
                            "command_uid, created, packets) VALUES(?,?,?,?,?,?)",
                            "tiitii", f->path, f->capture_id, f->search_id,
                            f->command_uid ? f->command_uid : "", f->created, (int64_t)f->packets);
}

static int origin_row(sqlite3_stmt *st, void *payload)
{
    apc__st_export_origin_t *out = payload;
    out->capture_id = sqlite3_column_int64(st, 0);
    out->search_id = sqlite3_column_int64(st, 1);
    out->command_uid = apc__sql_text(st, 2);
    return out->command_uid ? 1 : apc__err(APC_ENOMEM, "out of memory");
}

static int exp_origin(void *impl, const char *path, apc__st_export_origin_t *out)
{
    return apc__sqlite_rows(impl, "reading export files",
                            "SELECT capture_id, search_id, command_uid FROM export_files "
                            "WHERE path=?",
                            origin_row, out, "t", path);
}

typedef struct path_walk {
    apc__st_path_fn fn;
    void *payload;
} path_walk_t;

static int path_row(sqlite3_stmt *st, void *payload)
{
    path_walk_t *w = payload;
    const char *p = (const char *)sqlite3_column_text(st, 0);
    return p ? w->fn(p, w->payload) : 0;
}

static int exp_paths(void *impl, apc__st_path_fn fn, void *payload)
{
    path_walk_t w = {fn, payload};
    return apc__sqlite_rows(impl, "reading export files", "SELECT path FROM export_files", path_row,
                            &w, "");
}

static int exp_forget(void *impl, const char *path)
{
    return apc__sqlite_exec(impl, "forgetting an export file",
                            "DELETE FROM export_files WHERE path=?", "t", path);
}

const apc__exports_ops_t apc__sqlite_exports_ops = {
    .record = exp_record,
    .origin = exp_origin,
    .paths = exp_paths,
    .forget = exp_forget,
};

/* What each kind of apc_flush empties: statements run only when their table exists in this
 * store, so a kind whose module's schema part is absent still works. */
typedef struct flush_stmt {
    const char *table;
    const char *sql;
} flush_stmt_t;

typedef struct flush_kind {
    uint32_t flag;
    const char *name;
    flush_stmt_t stmts[5]; /* up to the first with table NULL */
} flush_kind_t;

static const flush_kind_t kinds[] = {
    {APC_FLUSH_CAPTURES,
     "captures",
     {/* rows of interfaces, connections, capture_* and packet_notes go by ON DELETE CASCADE */
      {"captures", "DELETE FROM captures"},
      /* processes read from ingested files belong to their capture (as capture_delete does) */
      {"processes", "DELETE FROM processes WHERE source='file'"}}},
    {APC_FLUSH_CONNECTIONS, "connections", {{"connections", "DELETE FROM connections"}}},
    {APC_FLUSH_IPS,
     "IPs",
     {{"capture_ips", "DELETE FROM capture_ips"}, {"ips", "DELETE FROM ips"}}},
    {APC_FLUSH_PROCESSES,
     "processes",
     {{"capture_processes", "DELETE FROM capture_processes"},
      {"threads", "DELETE FROM threads"},
      {"processes", "DELETE FROM processes"}}},
    {APC_FLUSH_STATISTICS,
     "statistics",
     {{"stats_keys", "DELETE FROM stats_keys"},
      {"stats_series", "DELETE FROM stats_series"},
      {"stats_global_keys", "DELETE FROM stats_global_keys"},
      {"stats_global_series", "DELETE FROM stats_global_series"}}},
    {APC_FLUSH_SEARCHES,
     "searches",
     /* results before their searches, and the connection span/key index scans keep per
      * capture (rebuilt by the next scan) */
     {{"search_results", "DELETE FROM search_results"},
      {"searches", "DELETE FROM searches"},
      {"search_conn_spans", "DELETE FROM search_conn_spans"},
      {"search_conn_keys", "DELETE FROM search_conn_keys"}}},
    {APC_FLUSH_COMMANDS, "commands", {{"commands", "DELETE FROM commands"}}},
    {APC_FLUSH_EXPORTS, "exports", {{"export_files", "DELETE FROM export_files"}}},
    /* Files written by extract_file_write. What detection found in a capture stays: it is the
     * capture's, and goes with it. */
    {APC_FLUSH_EXTRACTED, "extracted files", {{"extracted_files", "DELETE FROM extracted_files"}}},
};

static int fl_active_capture(void *impl, int64_t *id)
{
    apc__store_t *s = impl;
    apc__sqlc_t *c = apc__sqlc_get(s);
    if (!c)
        return APC_ESTORE;
    int r = apc__sql_int(apc__sqlc_db(c), "checking for active captures", id,
                         "SELECT id FROM captures WHERE state=1 ORDER BY id LIMIT 1", "");
    apc__sqlc_put(s, c);
    return r;
}

static int table_exists(sqlite3 *db, const char *table)
{
    int64_t n = 0;
    int r = apc__sql_int(db, "reading the schema", &n,
                         "SELECT count(*) FROM sqlite_master WHERE type='table' AND name=?", "t",
                         table);
    return r < 0 ? r : n > 0;
}

static int fl_rows(void *impl, uint32_t flags)
{
    apc__store_t *s = impl;
    apc__sqlc_t *c = apc__sqlc_get(s);
    if (!c)
        return APC_ESTORE;
    sqlite3 *db = apc__sqlc_db(c);
    int r = apc__sql_begin(db), begun = r == 0;
    for (size_t k = 0; r == 0 && k < sizeof kinds / sizeof kinds[0]; k++) {
        if (!(flags & kinds[k].flag))
            continue;
        const flush_stmt_t *st = kinds[k].stmts;
        for (size_t i = 0; r == 0 && i < sizeof kinds[k].stmts / sizeof *st && st[i].table; i++) {
            int ex = table_exists(db, st[i].table);
            r = ex <= 0 ? ex : apc__sql_exec(db, kinds[k].name, st[i].sql, "");
        }
    }
    if (r == 0)
        r = apc__sql_commit(db, "flushing");
    else if (begun)
        apc__sql_rollback(db);
    apc__sqlc_put(s, c);
    return r;
}

static int fl_compact(void *impl)
{
    apc__store_t *s = impl;
    apc__sqlc_t *c = apc__sqlc_get(s);
    if (!c)
        return APC_ESTORE;
    /* Without VACUUM SQLite keeps freed pages in the file. It needs no other reader in the
     * middle of a statement; if one is, it fails and the space is reused later. */
    char *err = NULL;
    int r = 0;
    if (sqlite3_exec(apc__sqlc_db(c), "VACUUM; PRAGMA wal_checkpoint(TRUNCATE);", NULL, NULL,
                     &err) != SQLITE_OK)
        r = apc__err(APC_ESTORE, "store not compacted: %s", err ? err : "?");
    sqlite3_free(err);
    apc__sqlc_put(s, c);
    return r;
}

const apc__flush_ops_t apc__sqlite_flush_ops = {
    .active_capture = fl_active_capture,
    .rows = fl_rows,
    .compact = fl_compact,
};
