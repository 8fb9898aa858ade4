/* SPDX-License-Identifier: MIT */
/*
 * Schema part "auth" (store/schema.h): accounts and sessions. docs/storage.md describes them.
 * Sessions keep only a hash of the token, so a copy of apc.db does not give working tokens.
 */
#include "store/schema.h"

static const char *const steps[] = {
    /* 1: accounts and sessions */
    "CREATE TABLE users("
    " name TEXT PRIMARY KEY,"
    " hash TEXT NOT NULL,"                      /* argon2id, libsodium's crypto_pwhash_str format */
    " role INTEGER NOT NULL,"                   /* enum apc_role: 1 viewer, 2 admin */
    " created INTEGER NOT NULL) WITHOUT ROWID;" /* ns since the Unix epoch */
    "CREATE TABLE sessions("
    " token_hash TEXT PRIMARY KEY," /* hex BLAKE2b-256 of the token */
    " user TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,"
    " role INTEGER NOT NULL,"
    " created INTEGER NOT NULL, last_used INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE INDEX sessions_user ON sessions(user);",
    /* 2: when a session expires, fixed at its last use (last use + the idle time then), so
     * raising session_idle_seconds later does not bring an expired session back; 0 = a row
     * from before this step, judged by the idle time alone */
    "ALTER TABLE sessions ADD COLUMN expires INTEGER NOT NULL DEFAULT 0;",
};

const apc__schema_part_t apc__schema_auth = {"auth", steps, sizeof steps / sizeof steps[0]};
