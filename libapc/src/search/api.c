/* SPDX-License-Identifier: MIT */
/* The public search API (apc/search.h) over the searches tables and the job registry. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <apc/search.h>

#include "core/ctx.h"
#include "core/error.h"
#include "search/filter.h"
#include "search/job.h"
#include "store/searches.h"
#include "util/clock.h"

APC_API const char *apc_search_state_name(int state)
{
    static const char *const names[] = {"queued", "running", "completed", "failed", "cancelled"};
    return state >= 0 && state <= APC_SEARCH_CANCELLED ? names[state] : "unknown";
}

APC_API int apc_search_options_init(apc_search_options_t *o, unsigned version)
{
    if (!o)
        return apc__err(APC_EINVAL, "NULL options");
    if (version < 1 || version > APC_SEARCH_OPTIONS_VERSION)
        return apc__err(APC_EINVAL, "search options version %u is not 1 to %d", version,
                        APC_SEARCH_OPTIONS_VERSION);
    /* A version 1 caller's struct ends before `owner`: clear only what it has. */
    memset(o, 0, version == 1 ? offsetof(apc_search_options_t, owner) : sizeof *o);
    o->version = version;
    return 0;
}

APC_API void apc_search_syntax_free(apc_search_syntax_t *s)
{
    if (!s)
        return;
    free(s->error);
    free(s->normalized);
    free(s);
}

APC_API int apc_search_verify(const char *filter, apc_search_syntax_t **out)
{
    if (!filter || !out)
        return apc__err(APC_EINVAL, "NULL argument");
    *out = NULL;
    apc_search_syntax_t *s = calloc(1, sizeof *s);
    if (!s)
        return apc__err(APC_ENOMEM, "out of memory");
    apc__filter_t *f = NULL;
    size_t off = 0;
    int rc = apc__flt_compile(filter, strlen(filter), &f, &off);
    if (rc == APC_ENOMEM) {
        free(s);
        return rc;
    }
    s->valid = rc == 0;
    s->error = strdup(rc == 0 ? "" : apc_last_error_message());
    s->error_offset = rc == 0 ? 0 : off;
    s->normalized = strdup(rc == 0 ? f->normalized : "");
    apc__flt_free(f);
    if (!s->error || !s->normalized) {
        apc_search_syntax_free(s);
        return apc__err(APC_ENOMEM, "out of memory");
    }
    *out = s;
    return 0;
}

APC_API int apc_search_start(apc_ctx_t *ctx, const char *filter, const apc_search_options_t *opts,
                             int64_t *out_id)
{
    if (!ctx || !filter || !out_id)
        return apc__err(APC_EINVAL, "NULL argument");
    if (opts && (opts->version < 1 || opts->version > APC_SEARCH_OPTIONS_VERSION))
        return apc__err(APC_EINVAL, "search options version %u is not 1 to %d", opts->version,
                        APC_SEARCH_OPTIONS_VERSION);
    apc_search_options_t o = {0};
    if (opts)
        memcpy(&o, opts, opts->version == 1 ? offsetof(apc_search_options_t, owner) : sizeof o);
    if (o.capture_id < 0 || o.start_time < 0 || o.end_time < 0 ||
        (o.end_time && o.start_time > o.end_time))
        return apc__err(APC_EINVAL, "bad search scope: capture %lld, time %lld to %lld",
                        (long long)o.capture_id, (long long)o.start_time, (long long)o.end_time);
    apc__filter_t *f = NULL;
    size_t off = 0;
    int rc = apc__flt_compile(filter, strlen(filter), &f, &off);
    if (rc < 0) {
        char msg[512];
        apc__err_copy(msg, sizeof msg);
        return apc__err(rc, "%s (at offset %zu)", msg, off);
    }
    apc__st_search_new_t n = {.filter = filter,
                              .normalized = f->normalized,
                              .owner = o.owner ? o.owner : "",
                              .capture_id = o.capture_id,
                              .time_from = o.start_time,
                              .time_to = o.end_time,
                              .created = apc__real_ns()};
    int64_t id = 0;
    rc = apc__searches_create(ctx->store, &n, &id);
    if (rc >= 0)
        rc = apc__search_submit(ctx, id, f->normalized, o.capture_id, o.start_time, o.end_time);
    apc__flt_free(f);
    if (rc < 0)
        return rc;
    *out_id = id;
    return 0;
}

static int exists(apc_ctx_t *ctx, int64_t id)
{
    int r = apc__searches_exists(ctx->store, id);
    if (r == 0)
        return apc__err(APC_ENOTFOUND, "search %lld not found", (long long)id);
    return r < 0 ? r : 0;
}

APC_API int apc_search_wait(apc_ctx_t *ctx, int64_t id, int timeout_ms)
{
    if (!ctx)
        return apc__err(APC_EINVAL, "NULL argument");
    int r = exists(ctx, id);
    if (r < 0)
        return r;
    r = apc__search_wait_end(ctx, id, timeout_ms);
    if (r == APC_ECANCELED)
        return apc__err(r, "interrupted: the context is closing");
    if (r < 0)
        return apc__err(APC_EBUSY, "search %lld still runs after %d ms", (long long)id, timeout_ms);
    return 0;
}

APC_API void apc_search_meta_free(apc_search_meta_t *m)
{
    if (!m)
        return;
    free(m->filter);
    free(m->error);
    free(m->owner);
    free(m);
}

APC_API void apc_search_list_free(apc_search_list_t *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->count; i++)
        apc_search_meta_free(l->items[i]);
    free(l->items);
    free(l);
}

/* A row left queued/running by a process that is gone: say so, once, in the row. */
static void fix_stale(apc_ctx_t *ctx, apc_search_meta_t *m)
{
    if (m->state > APC_SEARCH_RUNNING || apc__search_is_active(ctx, m->id))
        return;
    const char *why = "interrupted: the process running the search stopped";
    /* 1 only when the row says failed afterwards: the job may have ended between the checks */
    if (apc__searches_fail_stale(ctx->store, m->id, why) == 1) {
        m->state = APC_SEARCH_FAILED;
        char *e = strdup(why);
        if (e) {
            free(m->error);
            m->error = e;
        }
    }
}

APC_API int apc_search_get(apc_ctx_t *ctx, int64_t id, apc_search_meta_t **out)
{
    if (!ctx || !out)
        return apc__err(APC_EINVAL, "NULL argument");
    *out = NULL;
    apc_search_meta_t *m = NULL;
    int r = apc__searches_get(ctx->store, id, &m);
    if (r == 0)
        return apc__err(APC_ENOTFOUND, "search %lld not found", (long long)id);
    if (r < 0)
        return r;
    fix_stale(ctx, m);
    *out = m;
    return 0;
}

APC_API int apc_search_list(apc_ctx_t *ctx, apc_search_list_t **out)
{
    if (!ctx || !out)
        return apc__err(APC_EINVAL, "NULL argument");
    *out = NULL;
    apc_search_list_t *l = calloc(1, sizeof *l);
    if (!l)
        return apc__err(APC_ENOMEM, "out of memory");
    int r = apc__searches_list(ctx->store, l);
    for (size_t i = 0; r == 0 && i < l->count; i++)
        fix_stale(ctx, l->items[i]);
    if (r < 0) {
        apc_search_list_free(l);
        return r;
    }
    *out = l;
    return 0;
}

APC_API int apc_search_cancel(apc_ctx_t *ctx, int64_t id)
{
    if (!ctx)
        return apc__err(APC_EINVAL, "NULL argument");
    int r = exists(ctx, id);
    if (r < 0)
        return r;
    apc__search_stop(ctx, id, 0);
    return 0;
}

APC_API int apc_search_delete(apc_ctx_t *ctx, int64_t id)
{
    if (!ctx)
        return apc__err(APC_EINVAL, "NULL argument");
    int r = exists(ctx, id);
    if (r < 0)
        return r;
    apc__search_stop(ctx, id, 1);
    return apc__searches_remove(ctx->store, id);
}
