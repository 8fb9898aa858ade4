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

/* One file's packets (files.c): its connection, direction and packet span. */
typedef struct apc__fspan {
    int64_t conn_id;
    int direction;        /* enum apc_direction */
    uint64_t first, last; /* 0, 0: the whole connection (span not stored) */
} apc__fspan_t;

struct apc__fspans {
    size_t n, cap;
    apc__fspan_t *v; /* sorted by conn_id */
};

/* plan_files.c: whether the tree has file.* fields; and their resolution for capture_id (the
 * nodes keep the matching files until the next call or the filter's free). APC_EBUSY naming
 * the capture when its file detection has not run (or failed, or is still running). A tree
 * with file.mime or file.sha256 first has every file of the capture typed and hashed
 * (ctx->type_files: the examination stores them untyped and unhashed), which either cancel flag
 * stops. */
int apc__files_used(const apc__fnode_t *root);
int apc__files_resolve(apc_ctx_t *ctx, int64_t capture_id, apc__fnode_t *root,
                       const volatile int *cancel, const volatile int *cancel2);

#endif
