/* SPDX-License-Identifier: MIT */
/* Tables of module trigger (store/schema.h): triggers, actions, the links between them and the
 * captures triggers started. Steps are appended, never edited once released; docs/triggers.md
 * describes the tables. */
#include "store/schema.h"

static const char *const steps[] = {
    /* 1: ids are never reused (AUTOINCREMENT): a client holding an old id must not change a
     * new trigger. Times in ns since the Unix epoch, 0 = never. last_status -1 = none. An
     * action with no link is system wide only when system_wide = 1, so removing its trigger
     * does not make it run after every capture. */
    "CREATE TABLE triggers("
    " id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, type INTEGER NOT NULL,"
    " path TEXT NOT NULL, filter TEXT NOT NULL DEFAULT '', flags INTEGER NOT NULL DEFAULT 0,"
    " created INTEGER NOT NULL DEFAULT 0, times_fired INTEGER NOT NULL DEFAULT 0,"
    " last_fired INTEGER NOT NULL DEFAULT 0, last_capture_id INTEGER NOT NULL DEFAULT 0,"
    " last_error TEXT NOT NULL DEFAULT '');"
    "CREATE TABLE actions("
    " id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, type INTEGER NOT NULL,"
    " path TEXT NOT NULL, params TEXT NOT NULL DEFAULT '',"
    " system_wide INTEGER NOT NULL DEFAULT 0, created INTEGER NOT NULL DEFAULT 0,"
    " last_run INTEGER NOT NULL DEFAULT 0, last_capture_id INTEGER NOT NULL DEFAULT 0,"
    " last_status INTEGER NOT NULL DEFAULT -1, last_error TEXT NOT NULL DEFAULT '',"
    " last_output TEXT NOT NULL DEFAULT '', last_file TEXT NOT NULL DEFAULT '');"
    "CREATE TABLE trigger_actions("
    " trigger_id INTEGER NOT NULL REFERENCES triggers(id) ON DELETE CASCADE,"
    " action_id INTEGER NOT NULL REFERENCES actions(id) ON DELETE CASCADE,"
    " PRIMARY KEY(trigger_id, action_id)) WITHOUT ROWID;"
    "CREATE INDEX trigger_actions_action ON trigger_actions(action_id);"
    /* no foreign key: the record stays when the trigger or the capture is deleted */
    "CREATE TABLE trigger_captures("
    " capture_id INTEGER PRIMARY KEY, trigger_id INTEGER NOT NULL, pid INTEGER NOT NULL,"
    " program TEXT NOT NULL DEFAULT '', time INTEGER NOT NULL DEFAULT 0);",
    /* 2: a trigger's Drops and Missed are read from its captures at every listing. */
    "CREATE INDEX IF NOT EXISTS trigger_captures_trigger ON trigger_captures(trigger_id);",
};

const apc__schema_part_t apc__schema_trigger = {"trigger", steps, sizeof steps / sizeof steps[0]};
