/* SPDX-License-Identifier: MIT */
/* The indexed planner (plan.c): candidate connections from the connection key index. */
#ifndef APC_SEARCH_PLAN_H
#define APC_SEARCH_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "search/filter.h"
#include "store/backend.h"
#include "store/store.h"

/* A set of connection ids, sorted; `all` = no restriction. */
typedef struct apc__idset {
    int all;
    size_t n, cap;
    int64_t *ids;
} apc__idset_t;

void apc__idset_free(apc__idset_t *s);
/* The connections of capture_id that can possibly match the tree (a superset), from the
 * connections table (direct = 1: its src/dst/sport/dport indexes) or from search_conn_keys
 * (direct = 0, a capture stored before packet spans); out->all when the filter gives no key
 * condition. */
int apc__plan_candidates(apc__store_t *store, int64_t capture_id, int direct,
                         const apc__fnode_t *root, apc__idset_t *out);
/* The key rows of conns[1..n-1] (id != 0), sorted, for the store's key index: a new array in
 * *rows (the caller frees it) of *n_rows. */
int apc__plan_conn_keys(const apc__fconn_t *conns, size_t n, apc__st_search_key_t **rows,
                        size_t *n_rows);

#endif
