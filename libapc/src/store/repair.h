/* SPDX-License-Identifier: MIT */
/* Crash repair at open: what a kill -9 or power loss left behind is cut back to the last
 * commit, and captures that were active become "interrupted". */
#ifndef APC_STORE_REPAIR_H
#define APC_STORE_REPAIR_H

#include <sqlite3.h>

#include <apc/ctx.h>

int apc__store_repair(apc_ctx_t *ctx, sqlite3 *db);

/* Cuts a capture's files back to a commit record: the last segment to seg_bytes (or its last
 * whole block before that), later segments removed, the index to `packets` records. */
int apc__capture_cut(apc_ctx_t *ctx, int64_t id, int64_t packets, int64_t seg_count,
                     int64_t seg_bytes);

/* Removes what a killed process left half-written: uploads being received and export
 * temporaries (store/leftovers.c says where and which). Failures are logged, never fatal. */
void apc__store_sweep_leftovers(apc_ctx_t *ctx, sqlite3 *db);

/* captures/<id> under the data directory, into buf. */
void apc__capture_dir(const apc_ctx_t *ctx, int64_t id, char *buf, size_t n);

#endif
