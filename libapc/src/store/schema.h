/* SPDX-License-Identifier: MIT */
/* Versioned schema migrations of apc.db. */
#ifndef APC_STORE_SCHEMA_H
#define APC_STORE_SCHEMA_H

#include <stddef.h>

/* Number of migrations = the schema version this library writes. */
size_t apc__schema_count(void);
/* SQL of migration i (from version i to i+1), or NULL. */
const char *apc__schema_step(size_t i);

#endif
