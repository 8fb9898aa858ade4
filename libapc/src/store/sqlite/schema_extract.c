/* SPDX-License-Identifier: MIT */
/* Tables of module extract (store/extracts.h): the global switch, which captures were
 * examined, the files found in them (streams) and the files written to disk. Steps are
 * appended, never edited once released; docs/extraction.md describes the tables. */
#include "store/schema.h"

static const char *const steps[] = {
    /* 1: one row, the switch of apc_extract_set_enabled (not a user setting: settings_clear
     * must not turn extraction off). extract_runs: state 1 detecting (command uid), 2 done,
     * 3 failed (error). Streams go with their capture; written files stay listed after their
     * capture is deleted (they are the user's product, as exports are) until deleted. Times in
     * ns since the Unix epoch. */
    "CREATE TABLE extract_config(enabled INTEGER NOT NULL);"
    "INSERT INTO extract_config VALUES(0);"
    "CREATE TABLE extract_runs("
    " capture_id INTEGER PRIMARY KEY REFERENCES captures(id) ON DELETE CASCADE,"
    " state INTEGER NOT NULL, command_uid TEXT NOT NULL DEFAULT '',"
    " error TEXT NOT NULL DEFAULT '', finished INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE extract_streams("
    " capture_id INTEGER NOT NULL REFERENCES captures(id) ON DELETE CASCADE,"
    " id INTEGER NOT NULL, conn_id INTEGER NOT NULL, direction INTEGER NOT NULL,"
    " nth INTEGER NOT NULL,"
    " protocol TEXT NOT NULL, name TEXT NOT NULL, mime TEXT NOT NULL, ctype TEXT NOT NULL,"
    " size INTEGER NOT NULL, complete INTEGER NOT NULL, reason TEXT NOT NULL,"
    " sha256 TEXT NOT NULL, md5 TEXT NOT NULL, time INTEGER NOT NULL,"
    " first_packet INTEGER NOT NULL, last_packet INTEGER NOT NULL, pid INTEGER NOT NULL,"
    " process_name TEXT NOT NULL, process_path TEXT NOT NULL,"
    " PRIMARY KEY(capture_id, id)) WITHOUT ROWID;"
    "CREATE TABLE extracted_files("
    " id INTEGER PRIMARY KEY AUTOINCREMENT, capture_id INTEGER NOT NULL,"
    " stream_id INTEGER NOT NULL, path TEXT NOT NULL, name TEXT NOT NULL,"
    " size INTEGER NOT NULL, mime TEXT NOT NULL, sha256 TEXT NOT NULL, time INTEGER NOT NULL,"
    " complete INTEGER NOT NULL, pid INTEGER NOT NULL, process_name TEXT NOT NULL,"
    " process_path TEXT NOT NULL);"
    "CREATE INDEX extracted_files_capture ON extracted_files(capture_id);",
};

const apc__schema_part_t apc__schema_extract = {"extract", steps, sizeof steps / sizeof steps[0]};
