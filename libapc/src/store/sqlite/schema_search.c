/* SPDX-License-Identifier: MIT */
/*
 * Tables of module search (store/schema.h part "search"; docs/storage.md): one row per
 * search with its state and counters, and its matches in order. Results are keyed by
 * (search_id, id) so a page is one range read; they reference packets by (capture, packet id)
 * and are not removed with a capture (search_read skips matches whose capture is gone).
 */
#include "store/schema.h"

static const char *const steps[] = {
    /* 1 */
    "CREATE TABLE searches("
    " id INTEGER PRIMARY KEY,"
    " filter TEXT NOT NULL,"                  /* as given */
    " normalized TEXT NOT NULL,"              /* canonical text: what runs */
    " capture_id INTEGER NOT NULL DEFAULT 0," /* 0 = every capture */
    " time_from INTEGER NOT NULL DEFAULT 0, time_to INTEGER NOT NULL DEFAULT 0,"
    " state INTEGER NOT NULL DEFAULT 0," /* queued, running, completed, failed, cancelled */
    " progress INTEGER NOT NULL DEFAULT 0,"
    " scanned INTEGER NOT NULL DEFAULT 0, total INTEGER NOT NULL DEFAULT 0,"
    " matches INTEGER NOT NULL DEFAULT 0,"
    " created INTEGER NOT NULL DEFAULT 0, started INTEGER NOT NULL DEFAULT 0,"
    " finished INTEGER NOT NULL DEFAULT 0,"
    " error TEXT NOT NULL DEFAULT '');"
    "CREATE TABLE search_results("
    " search_id INTEGER NOT NULL REFERENCES searches(id) ON DELETE CASCADE,"
    " id INTEGER NOT NULL,"
    " capture_id INTEGER NOT NULL, packet_id INTEGER NOT NULL,"
    " PRIMARY KEY(search_id, id)) WITHOUT ROWID;",
    /* 2: where each connection's packets are in a capture that no longer changes, built by
     * the first full scan (scan.c); conn_id 0 is the span of packets without a connection,
     * conn_id -1 records how many packets were covered (first_id = last_id = that count) */
    "CREATE TABLE search_conn_spans("
    " capture_id INTEGER NOT NULL REFERENCES captures(id) ON DELETE CASCADE,"
    " conn_id INTEGER NOT NULL, first_id INTEGER NOT NULL, last_id INTEGER NOT NULL,"
    " PRIMARY KEY(capture_id, conn_id)) WITHOUT ROWID;"
    /* and which connections have an address or a port: key = 'a' + 4 or 16 address bytes,
     * or 'p' + protocol byte + 2-byte port (network order) */
    "CREATE TABLE search_conn_keys("
    " capture_id INTEGER NOT NULL REFERENCES captures(id) ON DELETE CASCADE,"
    " key BLOB NOT NULL, conn_id INTEGER NOT NULL,"
    " PRIMARY KEY(capture_id, key, conn_id)) WITHOUT ROWID;",
    /* 3: who started a search, so a viewer can cancel and delete its own ('' = no account) */
    "ALTER TABLE searches ADD COLUMN owner TEXT NOT NULL DEFAULT '';",
};

const apc__schema_part_t apc__schema_search = {"search", steps, sizeof steps / sizeof steps[0]};
