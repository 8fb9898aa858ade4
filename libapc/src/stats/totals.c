/* SPDX-License-Identifier: MIT */
/* STATSQUERY: everything stored since the last reset (apc/stats.h), and the reset itself. */
#include <stdlib.h>
#include <time.h>

#include <apc/stats.h>

#include "core/ctx.h"
#include "core/error.h"
#include "stats/agg.h"
#include "stats/stats_int.h"
#include "store/sql.h"
#include "store/store.h"
#include "util/clock.h"

static int read_totals(sqlite3 *db, apc_stats_totals_t *t)
{
    const char *what = "reading statistics";
    int64_t v = 0;
    int r = apc__sql_int(db, what, &t->since, "SELECT since FROM stats_reset WHERE id=1", "");
    if (r >= 0)
        r = apc__sql_int(db, what, &v,
                         "SELECT packets FROM stats_global_keys WHERE kind=? AND key=0", "i",
                         (int64_t)APC__SK_ALL);
    t->packets = (uint64_t)(r > 0 ? v : 0);
    if (r >= 0)
        r = apc__sql_int(db, what, &v, "SELECT bytes FROM stats_global_keys WHERE kind=? AND key=0",
                         "i", (int64_t)APC__SK_ALL);
    t->bytes = (uint64_t)(r > 0 ? v : 0);
    if (r >= 0)
        r = apc__sql_int(db, what, &v,
                         "SELECT packets FROM stats_global_keys WHERE kind=? AND key=0", "i",
                         (int64_t)APC__SK_CONNS);
    t->connections = (uint64_t)(r > 0 ? v : 0);
    if (r >= 0)
        r = apc__sql_int(db, what, &v, "SELECT count(*) FROM stats_global_keys WHERE kind=?", "i",
                         (int64_t)APC__SK_IP);
    t->ips = (uint64_t)(r > 0 ? v : 0);
    if (r >= 0)
        r = apc__sql_int(db, what, &v, "SELECT count(*) FROM stats_global_keys WHERE kind=?", "i",
                         (int64_t)APC__SK_PROCESS);
    t->processes = (uint64_t)(r > 0 ? v : 0);
    if (r >= 0)
        r = apc__sql_int(db, what, &v, "SELECT count(*) FROM captures WHERE start_time>=?", "i",
                         t->since);
    t->captures = (uint64_t)(r > 0 ? v : 0);
    if (r >= 0)
        r = apc__sql_int(db, what, &v,
                         "SELECT coalesce(sum(drops+kernel_drops), 0) FROM captures "
                         "WHERE start_time>=?",
                         "i", t->since);
    t->drops = (uint64_t)(r > 0 ? v : 0);
    if (r >= 0)
        r = apc__stats_tops_keys(db, 0, APC__SK_PROTO, &t->protocols);
    if (r >= 0)
        r = apc__stats_tops_keys(db, 0, APC__SK_PORT, &t->ports);
    if (r >= 0)
        r = apc__stats_tops_keys(db, 0, APC__SK_IP, &t->ips_top);
    if (r >= 0)
        r = apc__stats_tops_keys(db, 0, APC__SK_PROCESS, &t->processes_top);
    return r < 0 ? r : 0;
}

APC_API int apc_stats_totals(apc_ctx_t *ctx, apc_stats_totals_t **out)
{
    *out = NULL;
    apc_stats_totals_t *t = calloc(1, sizeof *t);
    if (!t)
        return apc__err(APC_ENOMEM, "out of memory");
    sqlite3 *db = apc__db_get(ctx->store);
    if (!db) {
        free(t);
        return APC_ESTORE;
    }
    int r = apc__sql_exec(db, "reading statistics", "BEGIN", "");
    if (r == 0) {
        r = read_totals(db, t);
        apc__sql_exec(db, "reading statistics", "COMMIT", "");
    }
    apc__db_put(ctx->store, db);
    if (r < 0) {
        apc_stats_totals_free(t);
        return r;
    }
    *out = t;
    return 0;
}

APC_API int apc_stats_reset(apc_ctx_t *ctx)
{
    sqlite3 *db = apc__db_get(ctx->store);
    if (!db)
        return APC_ESTORE;
    int r = apc__sql_begin(db);
    if (r == 0)
        r = apc__sql_exec(db, "resetting statistics", "DELETE FROM stats_global_keys", "");
    if (r == 0)
        r = apc__sql_exec(db, "resetting statistics", "DELETE FROM stats_global_series", "");
    if (r == 0)
        r = apc__sql_exec(db, "resetting statistics", "UPDATE stats_reset SET since=? WHERE id=1",
                          "i", apc__real_ns());
    if (r == 0)
        r = apc__sql_commit(db, "resetting statistics");
    else
        apc__sql_rollback(db);
    apc__db_put(ctx->store, db);
    return r;
}
