/* SPDX-License-Identifier: MIT */
/*
 * PostgreSQL backend: opening, the schema and its migrations. One version for the whole schema
 * (table schema_version, one row): step i moves it from version i to i+1, in one transaction
 * that holds the table's lock, so two nodes opening a new database at once migrate it once.
 * Steps are appended, never edited once released. docs/storage.md describes the tables.
 *
 * Every table whose rows belong to a capture carries `node` (nodes.id of the node that owns the
 * capture's packet bytes) and `capture_id`: capture_id is the distribution key a sharding
 * extension (Citus) would use, node says where the bytes are. Ids are BIGINT identity columns,
 * unique in the database, so across the fleet that shares it.
 *
 * The tables of a capture's rows have no foreign key to captures: a key is checked row by row
 * (a trigger each), which made a commit of thousands of rows several times slower, and a
 * sharded table cannot keep one anyway. apc__pg_capture_tables names them; deleting a capture
 * deletes from each (captures.c), as does a flush (exports.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <apc/capture.h>

#include "core/ctx.h"
#include "core/error.h"
#include "store/pg/pg_int.h"
#include "store/repair.h"

/* Step 3: searches and file extraction (as SQLite's parts "search" and "extract"), a step of
 * its own so that other steps merge around it. searches.node is the node that runs the job
 * (only it may fail the row as interrupted); results go with their search, not with their
 * capture (a reader skips results whose capture is gone). The span and key index, the
 * examinations and the files found are a capture's rows (apc__pg_capture_tables); key rows
 * have no unique key (a repeated key reads as a repeated id, which the planner accepts) so
 * that a scan's index is one COPY. extracted_files stay listed after their capture is
 * deleted, as on SQLite; their node is the one whose disk holds the path. The indexes on
 * connections answer the planner's look-ups by address and port. */
static const char step_search_extract[] =
    "CREATE TABLE searches(id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
    " node BIGINT NOT NULL, filter TEXT NOT NULL, normalized TEXT NOT NULL,"
    " capture_id BIGINT NOT NULL DEFAULT 0,"
    " time_from BIGINT NOT NULL DEFAULT 0, time_to BIGINT NOT NULL DEFAULT 0,"
    " state INTEGER NOT NULL DEFAULT 0, progress INTEGER NOT NULL DEFAULT 0,"
    " scanned BIGINT NOT NULL DEFAULT 0, total BIGINT NOT NULL DEFAULT 0,"
    " matches BIGINT NOT NULL DEFAULT 0, created BIGINT NOT NULL DEFAULT 0,"
    " started BIGINT NOT NULL DEFAULT 0, finished BIGINT NOT NULL DEFAULT 0,"
    " error TEXT NOT NULL DEFAULT '', owner TEXT NOT NULL DEFAULT '');"
    "CREATE TABLE search_results("
    " search_id BIGINT NOT NULL REFERENCES searches(id) ON DELETE CASCADE,"
    " id BIGINT NOT NULL, capture_id BIGINT NOT NULL, packet_id BIGINT NOT NULL,"
    " PRIMARY KEY(search_id, id));"
    "CREATE TABLE search_conn_spans(node BIGINT NOT NULL, capture_id BIGINT NOT NULL,"
    " conn_id BIGINT NOT NULL, first_id BIGINT NOT NULL, last_id BIGINT NOT NULL,"
    " PRIMARY KEY(capture_id, conn_id));"
    "CREATE TABLE search_conn_keys(node BIGINT NOT NULL, capture_id BIGINT NOT NULL,"
    " key BYTEA NOT NULL, conn_id BIGINT NOT NULL);"
    "CREATE INDEX search_conn_keys_key ON search_conn_keys(capture_id, key);"
    "CREATE INDEX connections_src ON connections(capture_id, src);"
    "CREATE INDEX connections_dst ON connections(capture_id, dst);"
    "CREATE INDEX connections_sport ON connections(capture_id, proto, sport);"
    "CREATE INDEX connections_dport ON connections(capture_id, proto, dport);"
    "CREATE TABLE extract_config(enabled INTEGER NOT NULL);"
    "INSERT INTO extract_config VALUES(0);"
    "CREATE TABLE extract_runs(node BIGINT NOT NULL, capture_id BIGINT PRIMARY KEY,"
    " state INTEGER NOT NULL, command_uid TEXT NOT NULL DEFAULT '',"
    " error TEXT NOT NULL DEFAULT '', finished BIGINT NOT NULL DEFAULT 0);"
    "CREATE TABLE extract_streams(node BIGINT NOT NULL, capture_id BIGINT NOT NULL,"
    " id BIGINT NOT NULL, conn_id BIGINT NOT NULL, direction INTEGER NOT NULL,"
    " nth BIGINT NOT NULL, protocol TEXT NOT NULL, name TEXT NOT NULL, mime TEXT NOT NULL,"
    " ctype TEXT NOT NULL, size BIGINT NOT NULL, complete INTEGER NOT NULL,"
    " reason TEXT NOT NULL, sha256 TEXT NOT NULL, md5 TEXT NOT NULL, time BIGINT NOT NULL,"
    " first_packet BIGINT NOT NULL, last_packet BIGINT NOT NULL, pid BIGINT NOT NULL,"
    " process_name TEXT NOT NULL, process_path TEXT NOT NULL, PRIMARY KEY(capture_id, id));"
    "CREATE TABLE extracted_files(id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
    " node BIGINT NOT NULL, capture_id BIGINT NOT NULL, stream_id BIGINT NOT NULL,"
    " path TEXT NOT NULL, name TEXT NOT NULL, size BIGINT NOT NULL, mime TEXT NOT NULL,"
    " sha256 TEXT NOT NULL, time BIGINT NOT NULL, complete INTEGER NOT NULL,"
    " pid BIGINT NOT NULL, process_name TEXT NOT NULL, process_path TEXT NOT NULL);"
    "CREATE INDEX extracted_files_capture ON extracted_files(capture_id);";

/* Columns that hold ns timestamps, counters and ids are BIGINT. */
static const char *const steps[] = {
    /* 1: nodes, settings, captures and what their writers commit, statistics, commands and
     * exports, accounts. Triggers (2), searches and extracted files (3) come later. */
    "CREATE TABLE nodes(id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
    " name TEXT NOT NULL UNIQUE, url TEXT NOT NULL DEFAULT '',"
    " first_seen BIGINT NOT NULL DEFAULT 0);"
    "CREATE TABLE settings(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE captures("
    " id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
    " node BIGINT NOT NULL REFERENCES nodes(id),"
    " type INTEGER NOT NULL, state INTEGER NOT NULL,"
    " name TEXT NOT NULL DEFAULT '', notes TEXT NOT NULL DEFAULT '',"
    " filter TEXT NOT NULL DEFAULT '', flags BIGINT NOT NULL DEFAULT 0,"
    " adapters TEXT NOT NULL DEFAULT '', pid BIGINT NOT NULL DEFAULT 0,"
    " tid BIGINT NOT NULL DEFAULT 0,"
    " start_time BIGINT NOT NULL DEFAULT 0, end_time BIGINT NOT NULL DEFAULT 0,"
    " packets BIGINT NOT NULL DEFAULT 0, bytes BIGINT NOT NULL DEFAULT 0,"
    " kernel_drops BIGINT NOT NULL DEFAULT 0, drops BIGINT NOT NULL DEFAULT 0,"
    " connections BIGINT NOT NULL DEFAULT 0,"
    " error TEXT NOT NULL DEFAULT '', source_file TEXT NOT NULL DEFAULT '',"
    " error_offset BIGINT NOT NULL DEFAULT 0,"
    " progress_bytes BIGINT NOT NULL DEFAULT 0, total_bytes BIGINT NOT NULL DEFAULT 0,"
    " first_time BIGINT NOT NULL DEFAULT 0, last_time BIGINT NOT NULL DEFAULT 0,"
    " seg_count BIGINT NOT NULL DEFAULT 0, seg_bytes BIGINT NOT NULL DEFAULT 0,"
    " nc_first_packet BIGINT NOT NULL DEFAULT 0, nc_last_packet BIGINT NOT NULL DEFAULT 0,"
    " packet_spans INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX captures_node ON captures(node, state);"
    "CREATE TABLE interfaces("
    " node BIGINT NOT NULL, capture_id BIGINT NOT NULL,"
    " idx INTEGER NOT NULL, linktype INTEGER NOT NULL, snaplen BIGINT NOT NULL,"
    " tsresol BIGINT NOT NULL DEFAULT 1000000000,"
    " name TEXT NOT NULL DEFAULT '', description TEXT NOT NULL DEFAULT '',"
    " packets BIGINT NOT NULL DEFAULT 0, PRIMARY KEY(capture_id, idx));"
    "CREATE TABLE processes("
    " id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, node BIGINT NOT NULL,"
    " pid BIGINT NOT NULL, ppid BIGINT NOT NULL DEFAULT 0,"
    " name TEXT NOT NULL DEFAULT '', path TEXT NOT NULL DEFAULT '',"
    " cmdline TEXT NOT NULL DEFAULT '', \"user\" TEXT NOT NULL DEFAULT '',"
    " start_time BIGINT NOT NULL DEFAULT 0, exit_time BIGINT NOT NULL DEFAULT 0,"
    " running INTEGER NOT NULL DEFAULT 0, source TEXT NOT NULL DEFAULT 'live',"
    " origin_capture BIGINT NOT NULL DEFAULT 0);"
    "CREATE INDEX processes_pid ON processes(pid);"
    "CREATE INDEX processes_origin ON processes(origin_capture);"
    "CREATE TABLE threads("
    " process_id BIGINT NOT NULL REFERENCES processes(id) ON DELETE CASCADE,"
    " tid BIGINT NOT NULL, name TEXT NOT NULL DEFAULT '', PRIMARY KEY(process_id, tid));"
    "CREATE TABLE capture_processes("
    " node BIGINT NOT NULL, capture_id BIGINT NOT NULL,"
    " process_id BIGINT NOT NULL REFERENCES processes(id) ON DELETE CASCADE,"
    " packets BIGINT NOT NULL DEFAULT 0, bytes BIGINT NOT NULL DEFAULT 0,"
    " PRIMARY KEY(capture_id, process_id));"
    "CREATE TABLE connections("
    " node BIGINT NOT NULL, capture_id BIGINT NOT NULL,"
    " id BIGINT NOT NULL, proto INTEGER NOT NULL, ip_ver INTEGER NOT NULL,"
    " src BYTEA NOT NULL, dst BYTEA NOT NULL, sport INTEGER NOT NULL, dport INTEGER NOT NULL,"
    " first_time BIGINT NOT NULL, last_time BIGINT NOT NULL,"
    " pkts_out BIGINT NOT NULL, bytes_out BIGINT NOT NULL,"
    " pkts_in BIGINT NOT NULL, bytes_in BIGINT NOT NULL, state INTEGER NOT NULL,"
    " pid BIGINT NOT NULL DEFAULT 0, tid BIGINT NOT NULL DEFAULT 0,"
    " process_id BIGINT NOT NULL DEFAULT 0,"
    " first_packet BIGINT NOT NULL DEFAULT 0, last_packet BIGINT NOT NULL DEFAULT 0,"
    " PRIMARY KEY(capture_id, id));"
    "CREATE TABLE ips("
    " id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, addr BYTEA NOT NULL UNIQUE,"
    " family INTEGER NOT NULL, host_name TEXT NOT NULL DEFAULT '',"
    " country TEXT NOT NULL DEFAULT '', city TEXT NOT NULL DEFAULT '',"
    " lat DOUBLE PRECISION, lng DOUBLE PRECISION, user_data TEXT NOT NULL DEFAULT '',"
    " first_seen BIGINT NOT NULL DEFAULT 0, last_seen BIGINT NOT NULL DEFAULT 0,"
    " packets BIGINT NOT NULL DEFAULT 0, bytes BIGINT NOT NULL DEFAULT 0,"
    " connections BIGINT NOT NULL DEFAULT 0);"
    "CREATE TABLE capture_ips("
    " node BIGINT NOT NULL, capture_id BIGINT NOT NULL,"
    " ip_id BIGINT NOT NULL,"
    " host_name TEXT NOT NULL DEFAULT '', user_data TEXT NOT NULL DEFAULT '',"
    " first_seen BIGINT NOT NULL DEFAULT 0, last_seen BIGINT NOT NULL DEFAULT 0,"
    " packets BIGINT NOT NULL DEFAULT 0, bytes BIGINT NOT NULL DEFAULT 0,"
    " connections BIGINT NOT NULL DEFAULT 0, PRIMARY KEY(capture_id, ip_id));"
    "CREATE TABLE capture_protocols("
    " node BIGINT NOT NULL, capture_id BIGINT NOT NULL,"
    " proto INTEGER NOT NULL, packets BIGINT NOT NULL DEFAULT 0,"
    " bytes BIGINT NOT NULL DEFAULT 0, PRIMARY KEY(capture_id, proto));"
    "CREATE TABLE packet_notes("
    " node BIGINT NOT NULL, capture_id BIGINT NOT NULL,"
    " packet_id BIGINT NOT NULL, notes TEXT NOT NULL, PRIMARY KEY(capture_id, packet_id));"
    "CREATE TABLE stats_keys("
    " node BIGINT NOT NULL, capture_id BIGINT NOT NULL,"
    " kind INTEGER NOT NULL, key BIGINT NOT NULL,"
    " packets BIGINT NOT NULL DEFAULT 0, bytes BIGINT NOT NULL DEFAULT 0,"
    " first_time BIGINT NOT NULL DEFAULT 0, last_time BIGINT NOT NULL DEFAULT 0,"
    " PRIMARY KEY(capture_id, kind, key));"
    "CREATE TABLE stats_series("
    " node BIGINT NOT NULL, capture_id BIGINT NOT NULL,"
    " kind INTEGER NOT NULL, key BIGINT NOT NULL, level INTEGER NOT NULL, t BIGINT NOT NULL,"
    " packets BIGINT NOT NULL DEFAULT 0, bytes BIGINT NOT NULL DEFAULT 0,"
    " PRIMARY KEY(capture_id, kind, key, level, t));"
    "CREATE TABLE stats_global_keys("
    " kind INTEGER NOT NULL, key BIGINT NOT NULL,"
    " packets BIGINT NOT NULL DEFAULT 0, bytes BIGINT NOT NULL DEFAULT 0,"
    " first_time BIGINT NOT NULL DEFAULT 0, last_time BIGINT NOT NULL DEFAULT 0,"
    " PRIMARY KEY(kind, key));"
    "CREATE TABLE stats_global_series("
    " kind INTEGER NOT NULL, key BIGINT NOT NULL, level INTEGER NOT NULL, t BIGINT NOT NULL,"
    " packets BIGINT NOT NULL DEFAULT 0, bytes BIGINT NOT NULL DEFAULT 0,"
    " PRIMARY KEY(kind, key, level, t));"
    "CREATE TABLE stats_reset(id INTEGER PRIMARY KEY CHECK(id = 1), since BIGINT NOT NULL);"
    "INSERT INTO stats_reset(id, since) VALUES(1, 0);"
    "CREATE TABLE commands("
    " uid TEXT PRIMARY KEY, node BIGINT NOT NULL, type TEXT NOT NULL, state INTEGER NOT NULL,"
    " progress INTEGER NOT NULL DEFAULT 0, created BIGINT NOT NULL,"
    " started BIGINT NOT NULL DEFAULT 0, finished BIGINT NOT NULL DEFAULT 0,"
    " result TEXT NOT NULL DEFAULT '', error TEXT NOT NULL DEFAULT '',"
    " capture_id BIGINT NOT NULL DEFAULT 0, search_id BIGINT NOT NULL DEFAULT 0,"
    " path TEXT NOT NULL DEFAULT '', filter TEXT NOT NULL DEFAULT '',"
    " packets BIGINT NOT NULL DEFAULT 0);"
    "CREATE TABLE export_files("
    " node BIGINT NOT NULL, path TEXT NOT NULL, capture_id BIGINT NOT NULL DEFAULT 0,"
    " search_id BIGINT NOT NULL DEFAULT 0, command_uid TEXT NOT NULL DEFAULT '',"
    " created BIGINT NOT NULL DEFAULT 0, packets BIGINT NOT NULL DEFAULT 0,"
    " PRIMARY KEY(node, path));"
    "CREATE TABLE users(name TEXT PRIMARY KEY, hash TEXT NOT NULL, role INTEGER NOT NULL,"
    " created BIGINT NOT NULL);"
    "CREATE TABLE sessions(token_hash TEXT PRIMARY KEY,"
    " \"user\" TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,"
    " role INTEGER NOT NULL, created BIGINT NOT NULL, last_used BIGINT NOT NULL,"
    " expires BIGINT NOT NULL DEFAULT 0);"
    "CREATE INDEX sessions_user ON sessions(\"user\");",
    /* 2: triggers and actions, the fleet's (as SQLite's part "trigger"): ids are never reused
     * (identity), times in ns, 0 = never; last_status -1 = none. An action with no link is
     * system wide only when system_wide = 1. trigger_captures has no foreign key: the record
     * stays when the trigger or the capture goes. */
    "CREATE TABLE triggers(id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
    " name TEXT NOT NULL, type INTEGER NOT NULL, path TEXT NOT NULL,"
    " filter TEXT NOT NULL DEFAULT '', flags BIGINT NOT NULL DEFAULT 0,"
    " created BIGINT NOT NULL DEFAULT 0, times_fired BIGINT NOT NULL DEFAULT 0,"
    " last_fired BIGINT NOT NULL DEFAULT 0, last_capture_id BIGINT NOT NULL DEFAULT 0,"
    " last_error TEXT NOT NULL DEFAULT '');"
    "CREATE TABLE actions(id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
    " name TEXT NOT NULL, type INTEGER NOT NULL, path TEXT NOT NULL,"
    " params TEXT NOT NULL DEFAULT '', system_wide INTEGER NOT NULL DEFAULT 0,"
    " created BIGINT NOT NULL DEFAULT 0, last_run BIGINT NOT NULL DEFAULT 0,"
    " last_capture_id BIGINT NOT NULL DEFAULT 0, last_status INTEGER NOT NULL DEFAULT -1,"
    " last_error TEXT NOT NULL DEFAULT '', last_output TEXT NOT NULL DEFAULT '',"
    " last_file TEXT NOT NULL DEFAULT '');"
    "CREATE TABLE trigger_actions("
    " trigger_id BIGINT NOT NULL REFERENCES triggers(id) ON DELETE CASCADE,"
    " action_id BIGINT NOT NULL REFERENCES actions(id) ON DELETE CASCADE,"
    " PRIMARY KEY(trigger_id, action_id));"
    "CREATE INDEX trigger_actions_action ON trigger_actions(action_id);"
    "CREATE TABLE trigger_captures(capture_id BIGINT PRIMARY KEY, trigger_id BIGINT NOT NULL,"
    " pid BIGINT NOT NULL, program TEXT NOT NULL DEFAULT '', time BIGINT NOT NULL DEFAULT 0);",
    /* 3 */
    step_search_extract,
    /* 4: when each node last opened the database (ns; 0 = before this step). Its name and
     * URL are the operator's (--node-name, --node-url). */
    "ALTER TABLE nodes ADD COLUMN last_seen BIGINT NOT NULL DEFAULT 0;",
    /* 5: a trigger's Drops and Missed are read from its captures at every listing. */
    "CREATE INDEX IF NOT EXISTS trigger_captures_trigger ON trigger_captures(trigger_id);",
    /* 6: the since-reset statistics per node, so that they can be read for one node
     * (`node` of the stats actions). Rows from before keep node 0: no node's, counted when
     * every node is read. */
    "ALTER TABLE stats_global_keys ADD COLUMN node BIGINT NOT NULL DEFAULT 0;"
    "ALTER TABLE stats_global_keys DROP CONSTRAINT stats_global_keys_pkey;"
    "ALTER TABLE stats_global_keys ADD PRIMARY KEY(kind, key, node);"
    "ALTER TABLE stats_global_series ADD COLUMN node BIGINT NOT NULL DEFAULT 0;"
    "ALTER TABLE stats_global_series DROP CONSTRAINT stats_global_series_pkey;"
    "ALTER TABLE stats_global_series ADD PRIMARY KEY(kind, key, level, t, node);",
};

const char *const apc__pg_capture_tables[] = {
    "interfaces",   "connections",     "capture_ips",  "capture_processes", "capture_protocols",
    "packet_notes", "stats_keys",      "stats_series", "search_conn_spans", "search_conn_keys",
    "extract_runs", "extract_streams", NULL,
};

#define VERSION ((int)(sizeof steps / sizeof steps[0]))

static int exec_plain(apc__pg_t *pg, const char *what, const char *sql)
{
    PGresult *r = PQexec(pg->conn, sql);
    int rc = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK
                 ? 0
                 : apc__pg_err(pg, r, what);
    PQclear(r);
    return rc;
}

static int newer(apc__pg_t *pg, int64_t version)
{
    return apc__err(APC_ESTORE,
                    "the PostgreSQL store at %s has schema version %lld, this build knows up to "
                    "%d: upgrade libapc",
                    pg->where, (long long)version, VERSION);
}

/* Read-only: the schema must be this build's already. */
static int check_version(apc__pg_t *pg)
{
    int64_t version = 0, exists = 0;
    const char *what = "reading the schema version";
    int rc = apc__pg_int(pg, what, &exists,
                         "SELECT (to_regclass('schema_version') IS NOT NULL)::int", "");
    if (rc >= 0 && exists)
        rc = apc__pg_int(pg, what, &version, "SELECT max(version) FROM schema_version", "");
    if (rc < 0)
        return rc;
    if (version > VERSION)
        return newer(pg, version);
    if (version < VERSION)
        return apc__err(APC_ESTORE,
                        "the PostgreSQL store at %s has schema version %lld and needs migration "
                        "to %d, but is opened read-only",
                        pg->where, (long long)version, VERSION);
    return 0;
}

/* Brings the schema to VERSION, or refuses a newer one. */
static int migrate(apc__pg_t *pg)
{
    const char *what = "migrating the schema";
    /* Quiet: a second node's CREATE ... IF NOT EXISTS notice is no news. */
    int rc = exec_plain(pg, what,
                        "SET client_min_messages=warning;"
                        "CREATE TABLE IF NOT EXISTS schema_version(version INTEGER NOT NULL)");
    if (rc < 0)
        return rc;
    if ((rc = exec_plain(pg, what, "BEGIN")) < 0)
        return rc;
    int64_t version = 0;
    rc = exec_plain(pg, what, "LOCK TABLE schema_version IN EXCLUSIVE MODE");
    if (rc == 0) {
        rc = apc__pg_int(pg, what, &version, "SELECT max(version) FROM schema_version", "");
        rc = rc < 0 ? rc : 0;
    }
    if (rc == 0 && version > VERSION)
        rc = newer(pg, version);
    for (int v = (int)version; rc == 0 && v < VERSION; v++) {
        char step[64];
        snprintf(step, sizeof step, "schema migration %d -> %d", v, v + 1);
        rc = exec_plain(pg, step, steps[v]);
        if (rc == 0)
            rc = (int)(apc__pg_exec(pg, step, "DELETE FROM schema_version", "") < 0 ? APC_ESTORE
                                                                                    : 0);
        if (rc == 0)
            rc = apc__pg_exec(pg, step, "INSERT INTO schema_version(version) VALUES($1)", "i",
                              (int64_t)v + 1) < 0
                     ? APC_ESTORE
                     : 0;
    }
    if (rc == 0)
        return exec_plain(pg, what, "COMMIT");
    apc__pg_rollback(pg);
    return rc;
}

/* Registers this node (once) and reads its id; each open records its URL (an operator may move
 * a node) and when it was last seen. The name is the context's (ctx_open.c gives the default
 * "<host name>:<data directory>": the node is what owns packet bytes). */
static int register_node(apc__pg_t *pg, const char *name, const char *url)
{
    const char *what = "registering this node";
    if (apc__pg_exec(pg, what,
                     "INSERT INTO nodes(name, url, first_seen, last_seen) VALUES($1, $2, "
                     "(extract(epoch FROM now()) * 1e9)::bigint, "
                     "(extract(epoch FROM now()) * 1e9)::bigint) ON CONFLICT(name) DO UPDATE "
                     "SET url=excluded.url, last_seen=excluded.last_seen",
                     "tt", name, url ? url : "") < 0)
        return APC_ESTORE;
    int rc = apc__pg_int(pg, what, &pg->node, "SELECT id FROM nodes WHERE name=$1", "t", name);
    return rc < 0 ? rc : rc == 0 ? apc__err(APC_ESTORE, "%s: node '%s' vanished", what, name) : 0;
}

int apc__pg_open(const char *url, const char *node_name, const char *node_url, int read_only,
                 apc__pg_t **out)
{
    *out = NULL;
    int lr = apc__pq_load();
    if (lr < 0)
        return lr;
    apc__pg_t *pg = calloc(1, sizeof *pg);
    if (!pg)
        return apc__err(APC_ENOMEM, "out of memory");
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&pg->mu, &a);
    pthread_mutexattr_destroy(&a);
    pg->url = strdup(url);
    /* A server that does not answer must not hang a node's start: 10 s unless the URL says
     * otherwise (its values come after ours, so they win). */
    static const char *const keys[] = {"connect_timeout", "application_name", "dbname", NULL};
    const char *vals[] = {"10", "apppaccap", pg->url, NULL};
    pg->conn = pg->url ? PQconnectdbParams(keys, vals, 1) : NULL;
    if (!pg->conn) {
        apc__pg_close(pg);
        return apc__err(APC_ENOMEM, "out of memory");
    }
    apc__pg_quiet(pg);
    /* Named for messages by what libpq resolved: never the string itself, which may hold a
     * password. */
    const char *host = PQhost(pg->conn), *port = PQport(pg->conn), *db = PQdb(pg->conn);
    char where[512];
    snprintf(where, sizeof where, "%s:%s/%s", host && *host ? host : "localhost",
             port && *port ? port : "5432", db ? db : "");
    pg->where = strdup(where);
    int rc = pg->where ? 0 : apc__err(APC_ENOMEM, "out of memory");
    if (rc == 0 && PQstatus(pg->conn) != CONNECTION_OK)
        rc = apc__pg_err(pg, NULL, "cannot connect");
    if (rc == 0)
        rc = read_only ? check_version(pg) : migrate(pg);
    if (rc == 0 && !read_only)
        rc = register_node(pg, node_name ? node_name : "", node_url);
    if (rc < 0) {
        apc__pg_close(pg);
        return rc;
    }
    *out = pg;
    return 0;
}

int apc__pg_repair(apc__pg_t *pg, apc_ctx_t *ctx)
{
    PGresult *r = apc__pg_query(pg, "finding interrupted captures",
                                "SELECT id, packets, seg_count, seg_bytes FROM captures "
                                "WHERE node=$1 AND state=$2 ORDER BY id",
                                "ii", pg->node, (int64_t)APC_STATE_ACTIVE);
    if (!r)
        return APC_ESTORE;
    int rc = 0;
    for (int i = 0; i < PQntuples(r) && rc == 0; i++) {
        int64_t id = apc__pg_i64(r, i, 0);
        /* The files first, as SQLite's repair (store/repair.c): if the cut fails the capture
         * stays active, and the next open tries again. */
        rc = apc__capture_cut(ctx, id, apc__pg_i64(r, i, 1), apc__pg_i64(r, i, 2),
                              apc__pg_i64(r, i, 3));
        if (rc == 0 &&
            apc__pg_exec(pg, "marking a capture interrupted",
                         "UPDATE captures SET state=$1, end_time=greatest(last_time, start_time), "
                         "error=CASE WHEN error='' THEN 'interrupted: the process stopped "
                         "before the capture ended; packets up to the last commit are kept' ELSE "
                         "error END WHERE id=$2 AND state=$3",
                         "iii", (int64_t)APC_STATE_INTERRUPTED, id, (int64_t)APC_STATE_ACTIVE) < 0)
            rc = APC_ESTORE;
        if (rc == 0)
            apc__log(ctx, APC_LOG_WARN, "capture %lld was interrupted; repaired", (long long)id);
    }
    PQclear(r);
    return rc;
}

void apc__pg_close(void *impl)
{
    apc__pg_t *pg = impl;
    if (!pg)
        return;
    PQfinish(pg->conn);
    apc__pg_forget(pg);
    pthread_mutex_destroy(&pg->mu);
    free(pg->url);
    free(pg->where);
    free(pg);
}
