/* SPDX-License-Identifier: MIT */
/* Lazy typing of the files found (extract/typing.h): one engine run per request, after the
 * files asked for only, stopping once it has seen them all. */
#include "extract/typing.h"

#include <stdlib.h>
#include <string.h>

#include "core/ctx.h"
#include "core/error.h"
#include "extract/detect.h"
#include "store/extracts.h"
#include "store/searches.h"
#include "util/array.h"

typedef struct target {
    int64_t id, conn_id;
    int dir;
    uint32_t nth;
    char *mime; /* the type found; NULL until the run reports the file */
    char sha256[65], md5[33];
} target_t;

typedef struct typing {
    target_t *v; /* sorted by (conn_id, dir, nth) before the run */
    size_t n, cap, left;
    int all_conns; /* a file whose protocol follows other flows (FTP data, TFTP, 206 ranges) */
} typing_t;

static int cmp_target(const void *a, const void *b)
{
    const target_t *x = a, *y = b;
    if (x->conn_id != y->conn_id)
        return x->conn_id < y->conn_id ? -1 : 1;
    if (x->dir != y->dir)
        return x->dir < y->dir ? -1 : 1;
    return x->nth < y->nth ? -1 : x->nth > y->nth;
}

static target_t *find(const typing_t *t, int64_t conn_id, int dir, uint32_t nth)
{
    if (t->n == 0)
        return NULL; /* v may be NULL: bsearch must not see it */
    target_t key = {.conn_id = conn_id, .dir = dir, .nth = nth};
    return bsearch(&key, t->v, t->n, sizeof *t->v, cmp_target);
}

static int want(void *payload, int64_t conn_id, int direction, uint32_t nth)
{
    return find(payload, conn_id, direction, nth) != NULL;
}

static int found(void *payload, const apc_extract_stream_t *x)
{
    typing_t *t = payload;
    target_t *g = find(t, x->conn_id, x->direction, x->nth);
    if (!g || g->mime || !x->mime[0])
        return 0;
    if (!(g->mime = strdup(x->mime)))
        return apc__err(APC_ENOMEM, "out of memory");
    memcpy(g->sha256, x->sha256, sizeof g->sha256);
    memcpy(g->md5, x->md5, sizeof g->md5);
    return --t->left == 0; /* 1: every file asked for was seen, the run stops */
}

/* x becomes a target when it is untyped. */
static int add(typing_t *t, const apc_extract_stream_t *x)
{
    if (x->mime && x->mime[0])
        return 0;
    if (apc__grow((void **)&t->v, &t->cap, t->n + 1, sizeof *t->v) < 0)
        return apc__err(APC_ENOMEM, "out of memory");
    t->v[t->n++] = (target_t){x->id, x->conn_id, x->direction, x->nth, NULL, "", ""};
    const char *p = x->protocol ? x->protocol : "";
    if (!strcmp(p, "ftp-data") || !strcmp(p, "tftp") || !strcmp(p, "http-ranges"))
        t->all_conns = 1;
    return 0;
}

static void typing_free(typing_t *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->v[i].mime);
    free(t->v);
}

/* The stored types and digests of the targets (all typed). */
static int store_types(apc_ctx_t *ctx, int64_t capture_id, const typing_t *t)
{
    apc__st_xtyped_t *v = malloc(t->n * sizeof *v);
    if (!v)
        return apc__err(APC_ENOMEM, "out of memory");
    for (size_t i = 0; i < t->n; i++)
        v[i] = (apc__st_xtyped_t){t->v[i].id, t->v[i].mime, t->v[i].sha256, t->v[i].md5};
    int r = apc__st_extract_set_types(ctx->store, capture_id, v, t->n);
    free(v);
    return r;
}

typedef struct earliest {
    uint64_t first; /* the smallest first packet id seen; 0: one is unknown */
    size_t seen;
} earliest_t;

static int earliest(const apc__st_search_conn_t *c, void *payload)
{
    earliest_t *x = payload;
    /* 0: a capture stored before packet spans, whose connections' first packets are unknown */
    if (x->seen++ == 0 || c->first_packet < x->first)
        x->first = c->first_packet;
    return 0;
}

/* Replays the capture until every target was reported, typed; stores the types unless the
 * context is read-only. */
static int run_typing(apc_ctx_t *ctx, int64_t capture_id, typing_t *t, const volatile int *c1,
                      const volatile int *c2)
{
    if (t->n == 0)
        return 0;
    qsort(t->v, t->n, sizeof *t->v, cmp_target);
    t->left = t->n;
    /* only the targets' connections are read, unless one follows other flows */
    int64_t *conns = NULL;
    size_t nc = 0;
    earliest_t from = {0};
    if (!t->all_conns) {
        if (!(conns = malloc(t->n * sizeof *conns)))
            return apc__err(APC_ENOMEM, "out of memory");
        for (size_t i = 0; i < t->n; i++)
            if (nc == 0 || conns[nc - 1] != t->v[i].conn_id)
                conns[nc++] = t->v[i].conn_id;
        /* and from the first packet of the earliest: a later page need not read the capture
         * from its start again */
        int r = apc__searches_conns(ctx->store, capture_id, conns, nc, earliest, &from);
        if (r < 0) {
            free(conns);
            return r;
        }
        if (from.seen != nc)
            from.first = 0; /* a connection without its row: from the start */
    }
    apc__xtrun_t run = {.ctx = ctx,
                        .capture_id = capture_id,
                        .found = found,
                        .want_type = want,
                        .conns = conns,
                        .n_conns = nc,
                        .after_packet = from.first > 0 ? (int64_t)from.first - 1 : 0,
                        .payload = t,
                        .cancelled = c1,
                        .cancelled2 = c2};
    int r = apc__extract_run(&run);
    free(conns);
    if (r == 0 && t->left) {
        const target_t *g = t->v;
        while (g->mime)
            g++;
        r = apc__err(APC_EIO,
                     "capture %lld: the stored packets no longer hold %zu of the files found "
                     "(stream %lld first) to type them; examine the capture again",
                     (long long)capture_id, t->left, (long long)g->id);
    }
    if (r == 0 && !ctx->read_only)
        r = store_types(ctx, capture_id, t);
    return r;
}

/* Adds the untyped streams among the `ahead` after id `after` to t. */
static int add_ahead(apc_ctx_t *ctx, int64_t capture_id, typing_t *t, int64_t after, unsigned ahead)
{
    apc_extract_page_t *pg = calloc(1, sizeof *pg);
    if (!pg)
        return apc__err(APC_ENOMEM, "out of memory");
    int r = apc__st_extract_streams(ctx->store, capture_id, after, ahead, pg);
    for (size_t i = 0; r == 0 && i < pg->count; i++)
        r = add(t, &pg->items[i]);
    apc_extract_page_free(pg);
    return r;
}

static int type_streams(apc_ctx_t *ctx, int64_t capture_id, apc_extract_stream_t *v, size_t n,
                        int64_t after, unsigned ahead)
{
    typing_t t = {0};
    int r = 0;
    for (size_t i = 0; r == 0 && i < n; i++)
        r = add(&t, &v[i]);
    /* only when this page needs a replay anyway, and the types can be kept */
    if (r == 0 && t.n && ahead && !ctx->read_only)
        r = add_ahead(ctx, capture_id, &t, after, ahead);
    if (r == 0)
        r = run_typing(ctx, capture_id, &t, NULL, NULL);
    for (size_t i = 0; r == 0 && i < n; i++) {
        target_t *g = find(&t, v[i].conn_id, v[i].direction, v[i].nth);
        if (g && g->mime && !(v[i].mime && v[i].mime[0])) {
            free(v[i].mime);
            v[i].mime = g->mime;
            g->mime = NULL;
            memcpy(v[i].sha256, g->sha256, sizeof v[i].sha256);
            memcpy(v[i].md5, g->md5, sizeof v[i].md5);
        }
    }
    typing_free(&t);
    return r;
}

int apc__extract_type_streams(apc_ctx_t *ctx, int64_t capture_id, apc_extract_stream_t *v, size_t n,
                              int64_t after, unsigned ahead)
{
    int r = type_streams(ctx, capture_id, v, n, after, ahead);
    /* a file beyond the page that cannot be typed must not fail the page: its own listing
     * reports it */
    if (r == APC_EIO && ahead)
        r = type_streams(ctx, capture_id, v, n, 0, 0);
    return r;
}

int apc__extract_type_capture(apc_ctx_t *ctx, int64_t capture_id, const volatile int *cancel,
                              const volatile int *cancel2)
{
    typing_t t = {0};
    int64_t last = 0;
    int r = 0, more = 1;
    while (r == 0 && more) {
        apc_extract_page_t *pg = calloc(1, sizeof *pg);
        if (!pg) {
            r = apc__err(APC_ENOMEM, "out of memory");
            break;
        }
        r = apc__st_extract_streams(ctx->store, capture_id, last, APC_PAGE_MAX, pg);
        for (size_t i = 0; r == 0 && i < pg->count; i++)
            r = add(&t, &pg->items[i]);
        more = pg->more && pg->count > 0;
        last = pg->last_id;
        apc_extract_page_free(pg);
    }
    if (r == 0 && t.n && ctx->read_only)
        r = apc__err(APC_ENOTSUP,
                     "file.mime, file.sha256: %zu files of capture %lld are not typed and "
                     "hashed yet, and a read-only context cannot store what it finds; list them "
                     "from a read-write one",
                     t.n, (long long)capture_id);
    if (r == 0)
        r = run_typing(ctx, capture_id, &t, cancel, cancel2);
    typing_free(&t);
    return r;
}
