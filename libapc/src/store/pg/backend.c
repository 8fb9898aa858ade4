/* SPDX-License-Identifier: MIT */
/* PostgreSQL backend: its ops tables, one per file of store/pg/ (docs/storage.md lists what the
 * PostgreSQL store keeps). */
#include "store/pg/pg_int.h"

const apc__store_backend_t apc__pg_backend = {
    .name = "postgresql",
    .close = apc__pg_close,
    .captures = &apc__pg_captures_ops,
    .processes = &apc__pg_processes_ops,
    .conns = &apc__pg_conns_ops,
    .ips = &apc__pg_ips_ops,
    .commands = &apc__pg_commands_ops,
    .stats = &apc__pg_stats_ops,
    .exports = &apc__pg_exports_ops,
    .flush = &apc__pg_flush_ops,
    .accounts = &apc__pg_accounts_ops,
    .searches = &apc__pg_searches_ops,
    .triggers = &apc__pg_triggers_ops,
    .extracts = &apc__pg_extracts_ops,
    .settings = &apc__pg_settings_ops,
};
