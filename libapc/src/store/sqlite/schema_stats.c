/* SPDX-License-Identifier: MIT */
/*
 * Schema part "stats" (store/schema.h): aggregates kept as packets are stored, so a statistics
 * answer costs time in proportion to its size (docs/stats.md). Steps are appended, never
 * edited once released.
 *
 * kind: 0 all packets (key 0), 1 IP address (key = ips.id), 2 TCP/UDP port, 3 IP protocol
 * (-1 = not IP), 4 process (key = processes.id). level: 0 = 1 s, 1 = 1 min, 2 = 1 h, 3 = 1 day
 * buckets; t is the bucket start in ns since the Unix epoch.
 */
#include "store/schema.h"

static const char *const steps[] = {
    /* 1: per-capture and since-reset totals and time series */
    "CREATE TABLE stats_keys("
    " capture_id INTEGER NOT NULL REFERENCES captures(id) ON DELETE CASCADE,"
    " kind INTEGER NOT NULL, key INTEGER NOT NULL,"
    " packets INTEGER NOT NULL DEFAULT 0, bytes INTEGER NOT NULL DEFAULT 0,"
    " first_time INTEGER NOT NULL DEFAULT 0, last_time INTEGER NOT NULL DEFAULT 0,"
    " PRIMARY KEY(capture_id, kind, key)) WITHOUT ROWID;"
    "CREATE INDEX stats_keys_top ON stats_keys(capture_id, kind, packets);"
    "CREATE TABLE stats_series("
    " capture_id INTEGER NOT NULL REFERENCES captures(id) ON DELETE CASCADE,"
    " kind INTEGER NOT NULL, key INTEGER NOT NULL, level INTEGER NOT NULL, t INTEGER NOT NULL,"
    " packets INTEGER NOT NULL DEFAULT 0, bytes INTEGER NOT NULL DEFAULT 0,"
    " PRIMARY KEY(capture_id, kind, key, level, t)) WITHOUT ROWID;"
    /* Everything stored since the last stats_reset, over all captures; kept when a capture is
     * deleted (they count what was stored, like a counter). kind 5 key 0 counts connections. */
    "CREATE TABLE stats_global_keys("
    " kind INTEGER NOT NULL, key INTEGER NOT NULL,"
    " packets INTEGER NOT NULL DEFAULT 0, bytes INTEGER NOT NULL DEFAULT 0,"
    " first_time INTEGER NOT NULL DEFAULT 0, last_time INTEGER NOT NULL DEFAULT 0,"
    " PRIMARY KEY(kind, key)) WITHOUT ROWID;"
    "CREATE INDEX stats_global_keys_top ON stats_global_keys(kind, packets);"
    "CREATE TABLE stats_global_series("
    " kind INTEGER NOT NULL, key INTEGER NOT NULL, level INTEGER NOT NULL, t INTEGER NOT NULL,"
    " packets INTEGER NOT NULL DEFAULT 0, bytes INTEGER NOT NULL DEFAULT 0,"
    " PRIMARY KEY(kind, key, level, t)) WITHOUT ROWID;"
    /* The last reset (ns since the Unix epoch; 0 = never), one row. */
    "CREATE TABLE stats_reset(id INTEGER PRIMARY KEY CHECK(id = 1), since INTEGER NOT NULL);"
    "INSERT INTO stats_reset(id, since) VALUES(1, 0);"
    /* "Top entries under a key" read the connections of that key, not every packet. */
    "CREATE INDEX stats_conn_src ON connections(src);"
    "CREATE INDEX stats_conn_dst ON connections(dst);"
    "CREATE INDEX stats_conn_sport ON connections(sport);"
    "CREATE INDEX stats_conn_dport ON connections(dport);"
    "CREATE INDEX stats_conn_proc ON connections(process_id) WHERE process_id <> 0;",
};

const apc__schema_part_t apc__schema_stats = {"stats", steps, sizeof steps / sizeof steps[0]};
