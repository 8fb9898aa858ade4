/* SPDX-License-Identifier: MIT */
/*
 * Versioned schema migrations of apc.db, in parts: each module that keeps tables owns a part
 * (a name and an append-only list of steps) so modules evolve their tables independently.
 * The core part's version is PRAGMA user_version; every other part's is the `meta` row
 * "schema.<name>". Parts are applied in the order of the list in schema.c, core first.
 */
#ifndef APC_STORE_SCHEMA_H
#define APC_STORE_SCHEMA_H

#include <stddef.h>

typedef struct apc__schema_part {
    const char *name;         /* "core", "auth", ... */
    const char *const *steps; /* steps[i] moves the part from version i to i+1 */
    size_t count;             /* = the version this library writes */
} apc__schema_part_t;

size_t apc__schema_part_count(void);
const apc__schema_part_t *apc__schema_part(size_t i);

#endif
