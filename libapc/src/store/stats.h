/* SPDX-License-Identifier: MIT */
/* The statistics tables as module stats reads them: typed calls to the store's backend
 * (records and what each call does in store/backend.h, apc__stats_ops_t). capture_id 0 means
 * the store-wide tables (since the last reset). Reads go inside apc__st_stats_read, so that
 * one answer's totals, buckets and tops agree. */
#ifndef APC_STORE_STATS_H
#define APC_STORE_STATS_H

#include "store/backend.h"
#include "store/store.h"

int apc__st_stats_read(apc__store_t *s, const char *node, apc__st_stats_read_fn fn, void *payload);
int apc__st_stats_capture_exists(apc__store_t *s, apc__st_stats_rd_t *rd, int64_t capture_id);
int apc__st_stats_key(apc__store_t *s, apc__st_stats_rd_t *rd, int64_t capture_id, int kind,
                      int64_t key, apc__st_stats_key_t *out);
int apc__st_stats_series(apc__store_t *s, apc__st_stats_rd_t *rd, int64_t capture_id, int kind,
                         int64_t key, int level, int64_t from, int64_t to,
                         apc__st_stats_bucket_fn fn, void *payload);
int apc__st_stats_top_keys(apc__store_t *s, apc__st_stats_rd_t *rd, int64_t capture_id, int kind,
                           unsigned n, apc__st_stats_top_fn fn, void *payload);
int apc__st_stats_top_conns(apc__store_t *s, apc__st_stats_rd_t *rd, int64_t capture_id,
                            const apc__st_stats_under_t *u, unsigned lists, unsigned n,
                            apc__st_stats_top_fn fn, void *payload);
/* *host belongs to the caller (free). */
int apc__st_stats_ip_find(apc__store_t *s, apc__st_stats_rd_t *rd, const uint8_t *addr, int alen,
                          int64_t *id, char **host);
int apc__st_stats_process_find(apc__store_t *s, apc__st_stats_rd_t *rd, int64_t capture_id,
                               int64_t pid, int64_t *id);
/* *name belongs to the caller (free). */
int apc__st_stats_process_name(apc__store_t *s, apc__st_stats_rd_t *rd, int64_t id, char **name);
int apc__st_stats_totals(apc__store_t *s, apc__st_stats_rd_t *rd, apc__st_stats_totals_t *t);
int apc__st_stats_reset(apc__store_t *s, int64_t since);

#endif
