/* SPDX-License-Identifier: MIT */
/* Tables of module export (store/schema.h): commands and the provenance of export files.
 * Steps are appended, never edited once released; docs/export.md describes the tables. */
#include "store/schema.h"

static const char *const steps[] = {
    /* 1: commands (state: 1 queued, 2 running, 3 completed, 4 failed, 5 cancelled; times in ns
     * since the Unix epoch, 0 until they happen) and where each export file came from */
    "CREATE TABLE commands("
    " uid TEXT PRIMARY KEY, type TEXT NOT NULL, state INTEGER NOT NULL,"
    " progress INTEGER NOT NULL DEFAULT 0, created INTEGER NOT NULL,"
    " started INTEGER NOT NULL DEFAULT 0, finished INTEGER NOT NULL DEFAULT 0,"
    " result TEXT NOT NULL DEFAULT '', error TEXT NOT NULL DEFAULT '',"
    " capture_id INTEGER NOT NULL DEFAULT 0, search_id INTEGER NOT NULL DEFAULT 0,"
    " path TEXT NOT NULL DEFAULT '', filter TEXT NOT NULL DEFAULT '',"
    " packets INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE export_files("
    " path TEXT PRIMARY KEY, capture_id INTEGER NOT NULL DEFAULT 0,"
    " search_id INTEGER NOT NULL DEFAULT 0, command_uid TEXT NOT NULL DEFAULT '',"
    " created INTEGER NOT NULL DEFAULT 0, packets INTEGER NOT NULL DEFAULT 0);",
};

const apc__schema_part_t apc__schema_export = {"export", steps, sizeof steps / sizeof steps[0]};
