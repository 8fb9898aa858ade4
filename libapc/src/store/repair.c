/* SPDX-License-Identifier: MIT */
/*
 * Crash repair. The commit record of a capture (captures.packets, seg_count, seg_bytes) is
 * written only after the packet bytes and index records it covers were written, so on open
 * everything past it is a torn tail: segments are cut at seg_bytes (or at the last whole block
 * before it, if the file is shorter), later segments removed, and the index cut to `packets`.
 */
#include "store/repair.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <apc/capture.h>

#include "core/ctx.h"
#include "core/error.h"
#include "store/index.h"
#include "store/segment.h"
#include "store/sql.h"
#include "store/store.h"
#include "util/clock.h"

void apc__capture_dir(const apc_ctx_t *ctx, int64_t id, char *buf, size_t n)
{
    snprintf(buf, n, "%s/captures/%lld", ctx->data_dir, (long long)id);
}

int apc__capture_cut(apc_ctx_t *ctx, int64_t id, int64_t packets, int64_t seg_count,
                     int64_t seg_bytes)
{
    char dir[4096], path[4200];
    apc__capture_dir(ctx, id, dir, sizeof dir);
    if (seg_count > 0) {
        uint32_t last = (uint32_t)(seg_count - 1);
        apc__seg_path(path, sizeof path, dir, last);
        uint64_t good = 0;
        int r = apc__seg_scan(path, (uint64_t)seg_bytes, &good);
        if (r < 0)
            return r;
        if (truncate(path, (off_t)good) != 0 && errno != ENOENT)
            return apc__err_errno(errno, "cannot cut segment '%s'", path);
        if (good < (uint64_t)seg_bytes)
            apc__log(ctx, APC_LOG_WARN,
                     "capture %lld: segment %u shorter than committed (%llu < %lld bytes)",
                     (long long)id, last, (unsigned long long)good, (long long)seg_bytes);
    }
    for (uint32_t no = (uint32_t)(seg_count > 0 ? seg_count : 0);; no++) {
        apc__seg_path(path, sizeof path, dir, no);
        if (unlink(path) != 0)
            break;
    }
    return apc__idx_truncate(dir, (uint64_t)packets);
}

int apc__store_repair(apc_ctx_t *ctx, sqlite3 *db)
{
    sqlite3_stmt *st;
    int r = apc__sql_prepare(db, "finding interrupted captures",
                             "SELECT id, packets, seg_count, seg_bytes FROM captures WHERE state=?",
                             &st);
    if (r < 0)
        return r;
    sqlite3_bind_int(st, 1, APC_STATE_ACTIVE);
    int64_t ids[256];
    int n = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && n < 256) {
        int64_t id = sqlite3_column_int64(st, 0);
        r = apc__capture_cut(ctx, id, sqlite3_column_int64(st, 1), sqlite3_column_int64(st, 2),
                             sqlite3_column_int64(st, 3));
        if (r < 0)
            break;
        ids[n++] = id;
    }
    sqlite3_finalize(st);
    if (r < 0)
        return r;
    for (int i = 0; i < n; i++) {
        int64_t t = apc__real_ns();
        r = apc__sql_exec(db, "marking a capture interrupted",
                          "UPDATE captures SET state=?, end_time=?, "
                          "error=CASE WHEN error='' THEN 'interrupted: the process stopped "
                          "before the capture ended; packets up to the last commit are kept' "
                          "ELSE error END WHERE id=?",
                          "iii", (int64_t)APC_STATE_INTERRUPTED, t, ids[i]);
        if (r < 0)
            return r;
        apc__log(ctx, APC_LOG_WARN, "capture %lld was interrupted; repaired", (long long)ids[i]);
    }
    return n == 256 ? apc__store_repair(ctx, db) : 0;
}
