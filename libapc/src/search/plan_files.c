/* SPDX-License-Identifier: MIT */
/*
 * The planner's part of the file.* fields (files.c evaluates them): each file comparison is
 * resolved once per capture, from the store's extraction results, into the spans of the files
 * that satisfy it. Apart from files.c so that evaluation links without the store.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "core/ctx.h"
#include "core/error.h"
#include "search/fields.h"
#include "search/plan.h"
#include "store/extracts.h"
#include "util/array.h"

typedef struct resolver {
    apc__fnode_t *n;
    struct apc__fspans *fs;
} resolver_t;

/* Whether file x satisfies the node (a comparison, or the field's mere presence). */
static int file_matches(const apc__fnode_t *n, const apc__st_xspan_t *x)
{
    const char *s = n->field->id == F_FILE_NAME   ? x->name
                    : n->field->id == F_FILE_MIME ? x->mime
                                                  : x->sha256;
    if (n->field->id == F_FILE_SIZE)
        return n->kind == N_EXISTS || apc__flt_match_value(n, x->size, NULL, 0);
    if (n->kind == N_EXISTS)
        return s[0] != 0; /* a file without a name has no file.name, as in Wireshark */
    if (!s[0])
        return 0;
    return apc__flt_match_value(n, 0, s, strlen(s));
}

static int add_file(const apc__st_xspan_t *x, void *payload)
{
    resolver_t *rv = payload;
    if (!file_matches(rv->n, x))
        return 0;
    struct apc__fspans *fs = rv->fs;
    if (apc__grow((void **)&fs->v, &fs->cap, fs->n + 1, sizeof *fs->v) < 0)
        return apc__err(APC_ENOMEM, "out of memory for the files of a search");
    fs->v[fs->n++] = (apc__fspan_t){x->conn_id, x->direction, (uint64_t)x->first_packet,
                                    (uint64_t)x->last_packet};
    return 0;
}

static int cmp_span(const void *a, const void *b)
{
    const apc__fspan_t *x = a, *y = b;
    return x->conn_id < y->conn_id ? -1 : x->conn_id > y->conn_id;
}

/* SHA-256 digests are stored in lower-case hex; the filter's literal may be in any case. */
static void lower_literals(apc__fnode_t *n)
{
    if (n->field->id != F_FILE_SHA256)
        return;
    for (size_t i = 0; i < n->nvals; i++)
        for (size_t k = 0; k < n->vals[i].slen; k++)
            n->vals[i].s[k] = (char)tolower((unsigned char)n->vals[i].s[k]);
}

static int resolve_node(apc__store_t *store, int64_t capture_id, apc__fnode_t *n)
{
    apc__files_free(n->files);
    n->files = calloc(1, sizeof *n->files);
    if (!n->files)
        return apc__err(APC_ENOMEM, "out of memory for the files of a search");
    lower_literals(n);
    resolver_t rv = {n, n->files};
    int r = apc__st_extract_spans(store, capture_id, add_file, &rv);
    if (r == 0)
        qsort(n->files->v, n->files->n, sizeof *n->files->v, cmp_span);
    return r;
}

static int walk(apc__store_t *store, int64_t capture_id, apc__fnode_t *n)
{
    if (!n)
        return 0;
    if ((n->kind == N_CMP || n->kind == N_EXISTS) && apc__files_is_field(n->field))
        return resolve_node(store, capture_id, n);
    int r = walk(store, capture_id, n->a);
    return r < 0 ? r : walk(store, capture_id, n->b);
}

int apc__files_used(const apc__fnode_t *n)
{
    if (!n)
        return 0;
    if (apc__files_is_field(n->field))
        return 1;
    return apc__files_used(n->a) || apc__files_used(n->b);
}

/* The file.* fields need the capture's detection to have run: otherwise "no file" would be
 * a guess. The message names the capture and the action that runs it. */
static int require_detection(apc__store_t *store, int64_t capture_id)
{
    int state = APC__XRUN_NONE;
    char *error = NULL;
    int r = apc__st_extract_run(store, capture_id, &state, NULL, &error);
    if (r < 0) {
        free(error);
        return r;
    }
    if (state == APC__XRUN_DONE)
        r = 0;
    else if (state == APC__XRUN_DETECTING)
        r = apc__err(APC_EBUSY,
                     "file.* fields: file detection of capture %lld is still running; search "
                     "again when extract_query reports it done",
                     (long long)capture_id);
    else if (state == APC__XRUN_FAILED)
        r = apc__err(APC_EBUSY,
                     "file.* fields: file detection of capture %lld failed (%s); run "
                     "extract_query on it again",
                     (long long)capture_id, error ? error : "");
    else
        r = apc__err(APC_EBUSY,
                     "file.* fields: no file detection has run on capture %lld; run "
                     "extract_query on it first",
                     (long long)capture_id);
    free(error);
    return r;
}

/* Whether the filter reads what a file's first look learns (extract/typing.h). */
static int uses_look(const apc__fnode_t *n)
{
    if (!n)
        return 0;
    if (n->field && (n->field->id == F_FILE_MIME || n->field->id == F_FILE_SHA256))
        return 1;
    return uses_look(n->a) || uses_look(n->b);
}

int apc__files_resolve(apc_ctx_t *ctx, int64_t capture_id, apc__fnode_t *root,
                       const volatile int *cancel, const volatile int *cancel2)
{
    if (!apc__files_used(root))
        return 0;
    int r = require_detection(ctx->store, capture_id);
    if (r == 0 && uses_look(root) && ctx->type_files)
        r = ctx->type_files(ctx, capture_id, cancel, cancel2);
    return r < 0 ? r : walk(ctx->store, capture_id, root);
}
