/* SPDX-License-Identifier: MIT */
/*
 * PostgreSQL backend: export files (per node: a path names a file on one host), and apc_flush's
 * row deletion. A flush deletes this node's rows (its files are the ones the caller deletes);
 * the store-wide statistics and the address table are shared by the fleet and go whole, as
 * they do in a single host's SQLite store.
 */
#include <stdlib.h>
#include <string.h>

#include <apc/export.h>

#include "core/error.h"
#include "store/pg/pg_int.h"

static int exp_record(void *impl, const apc__st_export_file_t *f)
{
    apc__pg_t *pg = impl;
    int64_t r = apc__pg_exec(pg, "recording an export file",
                             "INSERT INTO export_files(node, path, capture_id, search_id, "
                             "command_uid, created, packets) VALUES($1,$2,$3,$4,$5,$6,$7) "
                             "ON CONFLICT(node, path) DO UPDATE SET capture_id=excluded.capture_id,"
                             " search_id=excluded.search_id, command_uid=excluded.command_uid,"
                             " created=excluded.created, packets=excluded.packets",
                             "itiitii", pg->node, f->path, f->capture_id, f->search_id,
                             f->command_uid ? f->command_uid : "", f->created, (int64_t)f->packets);
    return r < 0 ? (int)r : 0;
}

static int exp_origin(void *impl, const char *path, apc__st_export_origin_t *out)
{
    apc__pg_t *pg = impl;
    PGresult *r = apc__pg_query(pg, "reading export files",
                                "SELECT capture_id, search_id, command_uid FROM export_files "
                                "WHERE node=$1 AND path=$2",
                                "it", pg->node, path);
    if (!r)
        return APC_ESTORE;
    int rc = 0;
    if (PQntuples(r) > 0) {
        out->capture_id = apc__pg_i64(r, 0, 0);
        out->search_id = apc__pg_i64(r, 0, 1);
        rc = (out->command_uid = apc__pg_str(r, 0, 2)) ? 1 : apc__err(APC_ENOMEM, "out of memory");
    }
    PQclear(r);
    return rc;
}

static int exp_paths(void *impl, apc__st_path_fn fn, void *payload)
{
    apc__pg_t *pg = impl;
    PGresult *r = apc__pg_query(pg, "reading export files",
                                "SELECT path FROM export_files WHERE node=$1", "i", pg->node);
    if (!r)
        return APC_ESTORE;
    int rc = 0;
    for (int i = 0; rc == 0 && i < PQntuples(r); i++)
        rc = fn(PQgetvalue(r, i, 0), payload);
    PQclear(r);
    return rc;
}

static int exp_forget(void *impl, const char *path)
{
    apc__pg_t *pg = impl;
    int64_t r =
        apc__pg_exec(pg, "forgetting an export file",
                     "DELETE FROM export_files WHERE node=$1 AND path=$2", "it", pg->node, path);
    return r < 0 ? (int)r : 0;
}

const apc__exports_ops_t apc__pg_exports_ops = {
    .record = exp_record,
    .origin = exp_origin,
    .paths = exp_paths,
    .forget = exp_forget,
};

/* Each statement takes $1, this node's id (those that do not need it still compare it, so
 * every statement has the one parameter). */
typedef struct flush_kind {
    uint32_t flag;
    const char *name;
    const char *stmts[4]; /* up to the first NULL */
} flush_kind_t;

static const flush_kind_t kinds[] = {
    {APC_FLUSH_CAPTURES,
     "captures",
     /* and the rows of every capture table first (fl_rows) */
     {"DELETE FROM captures WHERE node=$1",
      "DELETE FROM processes WHERE node=$1 AND source='file'"}},
    {APC_FLUSH_CONNECTIONS, "connections", {"DELETE FROM connections WHERE node=$1"}},
    {APC_FLUSH_IPS,
     "IPs",
     {"DELETE FROM capture_ips WHERE node=$1",
      "DELETE FROM ips i WHERE $1>0 AND NOT EXISTS(SELECT 1 FROM capture_ips c WHERE "
      "c.ip_id=i.id)"}},
    {APC_FLUSH_PROCESSES,
     "processes",
     {"DELETE FROM capture_processes WHERE node=$1", "DELETE FROM processes WHERE node=$1"}},
    {APC_FLUSH_STATISTICS,
     "statistics",
     {"DELETE FROM stats_keys WHERE node=$1", "DELETE FROM stats_series WHERE node=$1",
      "DELETE FROM stats_global_keys WHERE $1>0", "DELETE FROM stats_global_series WHERE $1>0"}},
    /* This node's searches (their results go with them) and the span/key index of its
     * captures (rebuilt by the next scan). */
    {APC_FLUSH_SEARCHES,
     "searches",
     {"DELETE FROM searches WHERE node=$1", "DELETE FROM search_conn_spans WHERE node=$1",
      "DELETE FROM search_conn_keys WHERE node=$1"}},
    {APC_FLUSH_COMMANDS, "commands", {"DELETE FROM commands WHERE node=$1"}},
    {APC_FLUSH_EXPORTS, "exports", {"DELETE FROM export_files WHERE node=$1"}},
    /* Files this node wrote (their paths are on its disk, emptied by the flush). What
     * detection found stays with its capture, as on SQLite. */
    {APC_FLUSH_EXTRACTED, "extracted files", {"DELETE FROM extracted_files WHERE node=$1"}},
};

static int fl_active_capture(void *impl, int64_t *id)
{
    apc__pg_t *pg = impl;
    return apc__pg_int(pg, "checking for active captures", id,
                       "SELECT id FROM captures WHERE node=$1 AND state=1 ORDER BY id LIMIT 1", "i",
                       pg->node);
}

static int fl_rows(void *impl, uint32_t flags)
{
    apc__pg_t *pg = impl;
    int r = apc__pg_begin(pg, "flushing");
    if (r < 0)
        return r;
    for (size_t k = 0; r == 0 && k < sizeof kinds / sizeof kinds[0]; k++) {
        if (!(flags & kinds[k].flag))
            continue;
        if (kinds[k].flag == APC_FLUSH_CAPTURES)
            r = apc__pg_delete_capture_rows(pg, kinds[k].name, "node", pg->node);
        for (size_t i = 0; r == 0 && i < 4 && kinds[k].stmts[i]; i++)
            if (apc__pg_exec(pg, kinds[k].name, kinds[k].stmts[i], "i", pg->node) < 0)
                r = APC_ESTORE;
    }
    return apc__pg_end(pg, "flushing", r);
}

/* PostgreSQL's autovacuum gives deleted rows' space back to the tables; a VACUUM FULL of a
 * database the fleet shares is the operator's decision, not a flush's. */
static int fl_compact(void *impl)
{
    (void)impl;
    return 0;
}

const apc__flush_ops_t apc__pg_flush_ops = {
    .active_capture = fl_active_capture,
    .rows = fl_rows,
    .compact = fl_compact,
};
