/* SPDX-License-Identifier: MIT */
/*
 * apc_flush: deletes saved data by kind. Each kind is one entry of `kinds` below: the
 * statements that empty its tables (each run only when its table exists in this store, so a
 * kind whose module is not built yet still works) and the directory under <data> whose
 * contents go. A module that keeps data adds its statements to its kind's entry.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/ctx.h"
#include "core/error.h"
#include "core/fsutil.h"
#include "export/export_int.h"
#include "search/search.h"
#include "store/sql.h"
#include "store/store.h"

typedef struct flush_stmt {
    const char *table; /* run only when this table exists */
    const char *sql;
} flush_stmt_t;

typedef struct flush_kind {
    uint32_t flag;
    const char *name;
    flush_stmt_t stmts[8]; /* up to the first with table NULL */
    const char *dir;       /* under <data>; its contents are removed; NULL: none */
} flush_kind_t;

static const flush_kind_t kinds[] = {
    {APC_FLUSH_CAPTURES,
     "captures",
     {/* rows of interfaces, connections, capture_* and packet_notes go by ON DELETE CASCADE */
      {"captures", "DELETE FROM captures"},
      /* processes read from ingested files belong to their capture (as capture_delete does) */
      {"processes", "DELETE FROM processes WHERE source='file'"}},
     "captures"},
    {APC_FLUSH_CONNECTIONS, "connections", {{"connections", "DELETE FROM connections"}}, NULL},
    {APC_FLUSH_IPS,
     "IPs",
     {{"capture_ips", "DELETE FROM capture_ips"}, {"ips", "DELETE FROM ips"}},
     NULL},
    {APC_FLUSH_PROCESSES,
     "processes",
     {{"capture_processes", "DELETE FROM capture_processes"},
      {"threads", "DELETE FROM threads"},
      {"processes", "DELETE FROM processes"}},
     NULL},
    {APC_FLUSH_STATISTICS,
     "statistics",
     {{"stats_keys", "DELETE FROM stats_keys"},
      {"stats_series", "DELETE FROM stats_series"},
      {"stats_global_keys", "DELETE FROM stats_global_keys"},
      {"stats_global_series", "DELETE FROM stats_global_series"}},
     NULL},
    {APC_FLUSH_SEARCHES,
     "searches",
     /* module search's tables (search/schema_search.c): results before their searches, and
      * the connection span/key index its scans keep per capture (rebuilt by the next scan) */
     {{"search_results", "DELETE FROM search_results"},
      {"searches", "DELETE FROM searches"},
      {"search_conn_spans", "DELETE FROM search_conn_spans"},
      {"search_conn_keys", "DELETE FROM search_conn_keys"}},
     NULL},
    {APC_FLUSH_COMMANDS, "commands", {{"commands", "DELETE FROM commands"}}, NULL},
    {APC_FLUSH_EXPORTS, "exports", {{"export_files", "DELETE FROM export_files"}}, "exports"},
    /* Files written by extract_file_write (module extract, store/extracts.h). What detection
     * found in a capture stays: it is the capture's, and goes with it. */
    {APC_FLUSH_EXTRACTED,
     "extracted files",
     {{"extracted_files", "DELETE FROM extracted_files"}},
     "extracted"},
};

static int table_exists(sqlite3 *db, const char *table)
{
    int64_t n = 0;
    int r = apc__sql_int(db, "reading the schema", &n,
                         "SELECT count(*) FROM sqlite_master WHERE type='table' AND name=?", "t",
                         table);
    return r < 0 ? r : n > 0;
}

/* Removes what is inside <data>/<rel>, keeping the directory. */
static int empty_dir(apc_ctx_t *ctx, const char *rel)
{
    char *dir = apc__ctx_path(ctx, rel);
    if (!dir)
        return apc__err(APC_ENOMEM, "out of memory");
    DIR *d = opendir(dir);
    if (!d) {
        int e = errno;
        free(dir);
        return e == ENOENT ? 0 : apc__err_errno(e, "cannot read '%s/%s'", ctx->data_dir, rel);
    }
    int r = 0;
    struct dirent *e;
    while (r == 0 && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char path[8192];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        r = apc__rm_rf(path);
    }
    closedir(d);
    free(dir);
    return r;
}

static int check_idle(apc_ctx_t *ctx, sqlite3 *db)
{
    int64_t id = 0;
    int r = apc__sql_int(db, "checking for active captures", &id,
                         "SELECT id FROM captures WHERE state=1 ORDER BY id LIMIT 1", "");
    if (r < 0)
        return r;
    if (r == 1)
        return apc__err(APC_EBUSY, "capture %lld is active: stop every capture before flushing",
                        (long long)id);
    int64_t search = apc__search_any_active(ctx);
    if (search)
        return apc__err(APC_EBUSY,
                        "search %lld is running: wait for it or cancel it before flushing "
                        "(search_list shows it)",
                        (long long)search);
    if (apc__cmd_any_live(ctx))
        return apc__err(APC_EBUSY, "a command is running: wait for it or cancel it before "
                                   "flushing (command_list shows it)");
    return 0;
}

APC_API int apc_flush(apc_ctx_t *ctx, uint32_t flags)
{
    if (!ctx)
        return apc__err(APC_EINVAL, "NULL context");
    if (flags == 0 || (flags & ~(uint32_t)APC_FLUSH_ALL))
        return apc__err(APC_EINVAL,
                        "flush flags 0x%x: expected a combination of 0x1 to 0x100 "
                        "(0x1ff for everything)",
                        flags);
    if (ctx->read_only)
        return apc__err(APC_ENOTSUP, "the context is read-only");
    sqlite3 *db = apc__db_get(ctx->store);
    if (!db)
        return APC_ESTORE;
    int r = check_idle(ctx, db);
    if (r == 0)
        r = apc__sql_begin(db);
    if (r == 0) {
        for (size_t k = 0; r == 0 && k < sizeof kinds / sizeof kinds[0]; k++) {
            if (!(flags & kinds[k].flag))
                continue;
            for (size_t s = 0; r == 0 && s < 8 && kinds[k].stmts[s].table; s++) {
                int ex = table_exists(db, kinds[k].stmts[s].table);
                if (ex < 0)
                    r = ex;
                else if (ex)
                    r = apc__sql_exec(db, kinds[k].name, kinds[k].stmts[s].sql, "");
            }
        }
        if (r == 0)
            r = apc__sql_commit(db, "flushing");
        else
            apc__sql_rollback(db);
    }
    /* Files after the rows: once the rows are gone nothing refers to them. */
    for (size_t k = 0; r == 0 && k < sizeof kinds / sizeof kinds[0]; k++)
        if ((flags & kinds[k].flag) && kinds[k].dir)
            r = empty_dir(ctx, kinds[k].dir);
    if (r == 0) {
        /* Give the space back: without VACUUM SQLite keeps freed pages in the file. It needs
         * no other reader in the middle of a statement; if one is, the space is reused later. */
        char *err = NULL;
        if (sqlite3_exec(db, "VACUUM; PRAGMA wal_checkpoint(TRUNCATE);", NULL, NULL, &err) !=
            SQLITE_OK)
            apc__log(ctx, APC_LOG_INFO, "flush: store not compacted: %s", err ? err : "?");
        sqlite3_free(err);
    }
    apc__db_put(ctx->store, db);
    return r;
}
