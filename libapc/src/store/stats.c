/* SPDX-License-Identifier: MIT */
/* Dispatch of the statistics calls to the store's backend (see stats.h). */
#include "store/stats.h"

#include <stdio.h>
#include <string.h>

#include "store/store_int.h"

void apc__st_stats_tops_union(char *sql, size_t cap, unsigned lists, int kind,
                              const char *(*body)(int kind, int list))
{
    size_t len = strlen(sql);
    const char *sep = "";
    for (int list = APC__ST_SK_IP; list <= APC__ST_SK_PROCESS && len < cap; list++) {
        if (!(lists & (1u << list)))
            continue;
        len += (size_t)snprintf(sql + len, cap - len, "%sSELECT * FROM (%s) l%d", sep,
                                body(kind, list), list);
        sep = " UNION ALL ";
    }
    if (len < cap)
        snprintf(sql + len, cap - len, " ORDER BY 1, 3 DESC, 2");
}

int apc__st_stats_read(apc__store_t *s, const char *node, apc__st_stats_read_fn fn, void *payload)
{
    return s->be->stats->read(s->impl, node, fn, payload);
}

int apc__st_stats_capture_exists(apc__store_t *s, apc__st_stats_rd_t *rd, int64_t capture_id)
{
    return s->be->stats->capture_exists(s->impl, rd, capture_id);
}

int apc__st_stats_key(apc__store_t *s, apc__st_stats_rd_t *rd, int64_t capture_id, int kind,
                      int64_t key, apc__st_stats_key_t *out)
{
    return s->be->stats->key(s->impl, rd, capture_id, kind, key, out);
}

int apc__st_stats_series(apc__store_t *s, apc__st_stats_rd_t *rd, int64_t capture_id, int kind,
                         int64_t key, int level, int64_t from, int64_t to,
                         apc__st_stats_bucket_fn fn, void *payload)
{
    return s->be->stats->series(s->impl, rd, capture_id, kind, key, level, from, to, fn, payload);
}

int apc__st_stats_top_keys(apc__store_t *s, apc__st_stats_rd_t *rd, int64_t capture_id, int kind,
                           unsigned n, apc__st_stats_top_fn fn, void *payload)
{
    return s->be->stats->top_keys(s->impl, rd, capture_id, kind, n, fn, payload);
}

int apc__st_stats_top_conns(apc__store_t *s, apc__st_stats_rd_t *rd, int64_t capture_id,
                            const apc__st_stats_under_t *u, unsigned lists, unsigned n,
                            apc__st_stats_top_fn fn, void *payload)
{
    return s->be->stats->top_conns(s->impl, rd, capture_id, u, lists, n, fn, payload);
}

int apc__st_stats_ip_find(apc__store_t *s, apc__st_stats_rd_t *rd, const uint8_t *addr, int alen,
                          int64_t *id, char **host)
{
    return s->be->stats->ip_find(s->impl, rd, addr, alen, id, host);
}

int apc__st_stats_process_find(apc__store_t *s, apc__st_stats_rd_t *rd, int64_t capture_id,
                               int64_t pid, int64_t *id)
{
    return s->be->stats->process_find(s->impl, rd, capture_id, pid, id);
}

int apc__st_stats_process_name(apc__store_t *s, apc__st_stats_rd_t *rd, int64_t id, char **name)
{
    return s->be->stats->process_name(s->impl, rd, id, name);
}

int apc__st_stats_totals(apc__store_t *s, apc__st_stats_rd_t *rd, apc__st_stats_totals_t *t)
{
    return s->be->stats->totals(s->impl, rd, t);
}

int apc__st_stats_reset(apc__store_t *s, int64_t since)
{
    return s->be->stats->reset(s->impl, since);
}
