/* SPDX-License-Identifier: MIT */
/*
 * Schema migrations of the core part (store/schema.h), and the list of all parts. Each step
 * moves a part from version i to i+1 and is applied in one transaction. Steps are appended,
 * never edited once released. docs/storage.md documents every table.
 */
#include "store/schema.h"

#include <stddef.h>

static const char *const migrations[] = {
    /* 1: the foundation schema */
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE settings(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE captures("
    " id INTEGER PRIMARY KEY,"
    " type INTEGER NOT NULL, state INTEGER NOT NULL,"
    " name TEXT NOT NULL DEFAULT '', notes TEXT NOT NULL DEFAULT '',"
    " filter TEXT NOT NULL DEFAULT '', flags INTEGER NOT NULL DEFAULT 0,"
    " adapters TEXT NOT NULL DEFAULT '', pid INTEGER NOT NULL DEFAULT 0,"
    " tid INTEGER NOT NULL DEFAULT 0,"
    " start_time INTEGER NOT NULL DEFAULT 0, end_time INTEGER NOT NULL DEFAULT 0,"
    " packets INTEGER NOT NULL DEFAULT 0, bytes INTEGER NOT NULL DEFAULT 0,"
    " kernel_drops INTEGER NOT NULL DEFAULT 0, drops INTEGER NOT NULL DEFAULT 0,"
    " connections INTEGER NOT NULL DEFAULT 0,"
    " error TEXT NOT NULL DEFAULT '', source_file TEXT NOT NULL DEFAULT '',"
    " error_offset INTEGER NOT NULL DEFAULT 0,"
    " progress_bytes INTEGER NOT NULL DEFAULT 0, total_bytes INTEGER NOT NULL DEFAULT 0,"
    " first_time INTEGER NOT NULL DEFAULT 0, last_time INTEGER NOT NULL DEFAULT 0,"
    /* what is committed of the packet files: segments written and bytes of the last one */
    " seg_count INTEGER NOT NULL DEFAULT 0, seg_bytes INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE interfaces("
    " capture_id INTEGER NOT NULL REFERENCES captures(id) ON DELETE CASCADE,"
    " idx INTEGER NOT NULL, linktype INTEGER NOT NULL, snaplen INTEGER NOT NULL,"
    " tsresol INTEGER NOT NULL DEFAULT 1000000000,"
    " name TEXT NOT NULL DEFAULT '', description TEXT NOT NULL DEFAULT '',"
    " packets INTEGER NOT NULL DEFAULT 0,"
    " PRIMARY KEY(capture_id, idx)) WITHOUT ROWID;"
    "CREATE TABLE processes("
    " id INTEGER PRIMARY KEY, pid INTEGER NOT NULL, ppid INTEGER NOT NULL DEFAULT 0,"
    " name TEXT NOT NULL DEFAULT '', path TEXT NOT NULL DEFAULT '',"
    " cmdline TEXT NOT NULL DEFAULT '', user TEXT NOT NULL DEFAULT '',"
    " start_time INTEGER NOT NULL DEFAULT 0, exit_time INTEGER NOT NULL DEFAULT 0,"
    " running INTEGER NOT NULL DEFAULT 0,"
    /* where we learned of it: 'file' (an ingested file's metadata) or 'live' */
    " source TEXT NOT NULL DEFAULT 'live',"
    " origin_capture INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX processes_pid ON processes(pid);"
    "CREATE TABLE threads("
    " process_id INTEGER NOT NULL REFERENCES processes(id) ON DELETE CASCADE,"
    " tid INTEGER NOT NULL, name TEXT NOT NULL DEFAULT '',"
    " start_time INTEGER NOT NULL DEFAULT 0, exit_time INTEGER NOT NULL DEFAULT 0,"
    " running INTEGER NOT NULL DEFAULT 0,"
    " PRIMARY KEY(process_id, tid)) WITHOUT ROWID;"
    "CREATE TABLE capture_processes("
    " capture_id INTEGER NOT NULL REFERENCES captures(id) ON DELETE CASCADE,"
    " process_id INTEGER NOT NULL REFERENCES processes(id) ON DELETE CASCADE,"
    " packets INTEGER NOT NULL DEFAULT 0, bytes INTEGER NOT NULL DEFAULT 0,"
    " PRIMARY KEY(capture_id, process_id)) WITHOUT ROWID;"
    /* connection ids are per capture (1, 2, ...) like packet ids */
    "CREATE TABLE connections("
    " capture_id INTEGER NOT NULL REFERENCES captures(id) ON DELETE CASCADE,"
    " id INTEGER NOT NULL,"
    " proto INTEGER NOT NULL, ip_ver INTEGER NOT NULL,"
    " src BLOB NOT NULL, dst BLOB NOT NULL, sport INTEGER NOT NULL, dport INTEGER NOT NULL,"
    " first_time INTEGER NOT NULL, last_time INTEGER NOT NULL,"
    " pkts_out INTEGER NOT NULL, bytes_out INTEGER NOT NULL,"
    " pkts_in INTEGER NOT NULL, bytes_in INTEGER NOT NULL,"
    " state INTEGER NOT NULL, pid INTEGER NOT NULL DEFAULT 0, tid INTEGER NOT NULL DEFAULT 0,"
    " process_id INTEGER NOT NULL DEFAULT 0,"
    " PRIMARY KEY(capture_id, id)) WITHOUT ROWID;"
    "CREATE TABLE ips("
    " id INTEGER PRIMARY KEY, addr BLOB NOT NULL UNIQUE, family INTEGER NOT NULL,"
    " host_name TEXT NOT NULL DEFAULT '', country TEXT NOT NULL DEFAULT '',"
    " city TEXT NOT NULL DEFAULT '', lat REAL, lng REAL,"
    " user_data TEXT NOT NULL DEFAULT '',"
    " first_seen INTEGER NOT NULL DEFAULT 0, last_seen INTEGER NOT NULL DEFAULT 0,"
    " packets INTEGER NOT NULL DEFAULT 0, bytes INTEGER NOT NULL DEFAULT 0,"
    " connections INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE capture_ips("
    " capture_id INTEGER NOT NULL REFERENCES captures(id) ON DELETE CASCADE,"
    " ip_id INTEGER NOT NULL REFERENCES ips(id) ON DELETE CASCADE,"
    " host_name TEXT NOT NULL DEFAULT '', user_data TEXT NOT NULL DEFAULT '',"
    " first_seen INTEGER NOT NULL DEFAULT 0, last_seen INTEGER NOT NULL DEFAULT 0,"
    " packets INTEGER NOT NULL DEFAULT 0, bytes INTEGER NOT NULL DEFAULT 0,"
    " connections INTEGER NOT NULL DEFAULT 0,"
    " PRIMARY KEY(capture_id, ip_id)) WITHOUT ROWID;"
    "CREATE TABLE capture_protocols("
    " capture_id INTEGER NOT NULL REFERENCES captures(id) ON DELETE CASCADE,"
    " proto INTEGER NOT NULL," /* IP protocol number, -1 = not IP */
    " packets INTEGER NOT NULL DEFAULT 0, bytes INTEGER NOT NULL DEFAULT 0,"
    " PRIMARY KEY(capture_id, proto)) WITHOUT ROWID;"
    "CREATE TABLE packet_notes("
    " capture_id INTEGER NOT NULL REFERENCES captures(id) ON DELETE CASCADE,"
    " packet_id INTEGER NOT NULL, notes TEXT NOT NULL,"
    " PRIMARY KEY(capture_id, packet_id)) WITHOUT ROWID;",
    /* 2: where each connection's packets are, kept by the capture writer as it stores them
     * (packet ids of the first and the last; 0 = not recorded: captures stored before), and
     * the same for the packets without a connection; packet_spans = 1 marks a capture whose
     * spans are recorded. The search planner reads them instead of scanning. */
    "ALTER TABLE connections ADD COLUMN first_packet INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE connections ADD COLUMN last_packet INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE captures ADD COLUMN nc_first_packet INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE captures ADD COLUMN nc_last_packet INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE captures ADD COLUMN packet_spans INTEGER NOT NULL DEFAULT 0;",
    /* 3: capture ids are never reused. A reused id named the directory captures/<id> that a
     * capture_delete was still removing: the new capture's files went with it (found by the
     * soak test). The highest id ever given, bumped by every insert in the same statement. */
    "CREATE TABLE capture_seq(id INTEGER NOT NULL);"
    "INSERT INTO capture_seq SELECT coalesce(max(id), 0) FROM captures;"
    "CREATE TRIGGER capture_seq_bump AFTER INSERT ON captures BEGIN"
    " UPDATE capture_seq SET id = NEW.id WHERE NEW.id > id; END;",
};

static const apc__schema_part_t core_part = {"core", migrations,
                                             sizeof migrations / sizeof migrations[0]};

/* Every module that owns tables has a part here, its SQL in store/sqlite/schema_<module>.c (the
 * store alone holds SQL text; the module's engineers own that file). */
extern const apc__schema_part_t apc__schema_auth;
extern const apc__schema_part_t apc__schema_stats;
extern const apc__schema_part_t apc__schema_search;
extern const apc__schema_part_t apc__schema_export;
extern const apc__schema_part_t apc__schema_trigger;
extern const apc__schema_part_t apc__schema_extract;
static const apc__schema_part_t *const parts[] = {
    &core_part,          &apc__schema_auth,    &apc__schema_stats,   &apc__schema_search,
    &apc__schema_export, &apc__schema_trigger, &apc__schema_extract,
};

size_t apc__schema_part_count(void)
{
    return sizeof parts / sizeof parts[0];
}

const apc__schema_part_t *apc__schema_part(size_t i)
{
    return i < apc__schema_part_count() ? parts[i] : NULL;
}
