/* SPDX-License-Identifier: MIT */
/*
 * Search jobs: a search is a row in `searches`, a job on the context's pool that scans the
 * captures in scope, and its matches in `search_results`, committed in batches so readers see
 * them while the job runs. Running searches are kept in a registry (per process) holding their
 * cancel flag; a row left "running" by a process that stopped is reported failed.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <apc/search.h>

#include "core/ctx.h"
#include "core/error.h"
#include "search/job.h"
#include "search/remote.h"
#include "search/search.h"
#include "store/searches.h"
#include "util/clock.h"

#define FIRST_BATCH 100 /* the first page is committed as soon as it is full */
#define BATCH 8192
#define BATCH_NS 200000000LL

/* Registers a search about to be queued. Returns NULL when out of memory. */
static apc__search_active_t *reg_add(apc_ctx_t *ctx, int64_t id)
{
    apc__search_active_t *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    a->ctx = ctx;
    a->id = id;
    pthread_mutex_lock(&ctx->search_lock);
    a->next = ctx->searches;
    ctx->searches = a;
    pthread_mutex_unlock(&ctx->search_lock);
    return a;
}

static void reg_remove(apc__search_active_t *a)
{
    apc_ctx_t *ctx = a->ctx;
    pthread_mutex_lock(&ctx->search_lock);
    for (apc__search_active_t **pp = &ctx->searches; *pp; pp = &(*pp)->next)
        if (*pp == a) {
            *pp = a->next;
            break;
        }
    pthread_cond_broadcast(&ctx->search_cond);
    pthread_mutex_unlock(&ctx->search_lock);
    free(a);
}

int apc__search_is_active(apc_ctx_t *ctx, int64_t id)
{
    pthread_mutex_lock(&ctx->search_lock);
    int found = 0;
    for (apc__search_active_t *a = ctx->searches; a; a = a->next)
        if (a->ctx == ctx && a->id == id)
            found = 1;
    pthread_mutex_unlock(&ctx->search_lock);
    return found;
}

int64_t apc__search_any_active(apc_ctx_t *ctx)
{
    pthread_mutex_lock(&ctx->search_lock);
    int64_t running;
    for (;;) {
        running = 0;
        int saving = 0;
        for (apc__search_active_t *a = ctx->searches; a && !running; a = a->next) {
            if (a->ctx != ctx)
                continue;
            if (a->ended)
                saving = 1;
            else
                running = a->id;
        }
        if (running || !saving)
            break;
        /* Ended searches only store their span index: short, and reg_remove wakes us. */
        pthread_cond_wait(&ctx->search_cond, &ctx->search_lock);
    }
    pthread_mutex_unlock(&ctx->search_lock);
    return running;
}

int apc__search_stop(apc_ctx_t *ctx, int64_t id, int wait)
{
    pthread_mutex_lock(&ctx->search_lock);
    int found = 0;
    for (;;) {
        apc__search_active_t *a;
        for (a = ctx->searches; a; a = a->next)
            if (a->ctx == ctx && a->id == id)
                break;
        if (!a)
            break;
        found = 1;
        a->cancel = 1;
        if (!wait)
            break;
        pthread_cond_wait(&ctx->search_cond, &ctx->search_lock);
    }
    pthread_mutex_unlock(&ctx->search_lock);
    return found;
}

int apc__search_wait_end(apc_ctx_t *ctx, int64_t id, int timeout_ms)
{
    struct timespec dl =
        apc__deadline_ns(CLOCK_REALTIME, timeout_ms >= 0 ? (int64_t)timeout_ms * 1000000LL : 0);
    int rc = 0;
    pthread_mutex_lock(&ctx->search_lock);
    for (;;) {
        apc__search_active_t *a;
        for (a = ctx->searches; a; a = a->next)
            if (a->ctx == ctx && a->id == id)
                break;
        if (!a || a->ended)
            break;
        if (apc__ctx_interrupted(ctx)) {
            rc = APC_ECANCELED;
            break;
        }
        if (timeout_ms < 0) {
            pthread_cond_wait(&ctx->search_cond, &ctx->search_lock);
        } else if (pthread_cond_timedwait(&ctx->search_cond, &ctx->search_lock, &dl) != 0) {
            rc = APC_EBUSY;
            break;
        }
    }
    pthread_mutex_unlock(&ctx->search_lock);
    return rc;
}

typedef struct job {
    apc__search_active_t *active;
    apc_ctx_t *ctx;
    int64_t id;
    char *filter;
    int64_t capture_id, time_from, time_to;
    /* while running */
    apc__filter_t *flt;
    apc__scan_t *scan;
    uint64_t total, scanned_before, matches, committed;
    apc__span_index_t *index; /* collected by a full scan; stored after the search ends */
    int64_t *pending;         /* capture_id, packet_id pairs */
    size_t n_pending, cap_pending;
    apc_time_t last_flush;
} job_t;

static int progress_of(const job_t *j, uint64_t scanned)
{
    if (!j->total)
        return 0;
    uint64_t p = scanned * 100 / j->total;
    return p > 99 ? 99 : (int)p;
}

static uint64_t scanned_now(const job_t *j)
{
    return j->scanned_before + (j->scan ? j->scan->scanned : 0);
}

/* Commits pending matches and the counters in one transaction. */
static int flush(job_t *j)
{
    uint64_t scanned = scanned_now(j);
    int r =
        apc__searches_add_results(j->ctx->store, j->id, j->committed, j->pending, j->n_pending,
                                  scanned, j->committed + j->n_pending, progress_of(j, scanned));
    if (r < 0)
        return r;
    j->committed += j->n_pending;
    j->n_pending = 0;
    j->last_flush = apc__real_ns();
    return 0;
}

static int maybe_flush(job_t *j)
{
    if ((j->committed < FIRST_BATCH && j->committed + j->n_pending >= FIRST_BATCH) ||
        j->n_pending >= BATCH || apc__real_ns() - j->last_flush >= BATCH_NS)
        return flush(j);
    return 0;
}

static int on_match(int64_t capture_id, int64_t packet_id, void *payload)
{
    job_t *j = payload;
    if (j->n_pending == j->cap_pending) {
        size_t nc = j->cap_pending ? j->cap_pending * 2 : 256;
        int64_t *np = realloc(j->pending, nc * 2 * sizeof *np);
        if (!np)
            return apc__err(APC_ENOMEM, "out of memory");
        j->pending = np;
        j->cap_pending = nc;
    }
    j->pending[2 * j->n_pending] = capture_id;
    j->pending[2 * j->n_pending + 1] = packet_id;
    j->n_pending++;
    j->matches++;
    return maybe_flush(j);
}

static int on_progress(void *payload)
{
    return maybe_flush(payload);
}

typedef struct scope_acc {
    job_t *j;
    int64_t *ids; /* capture id, packets: pairs */
    size_t n;
} scope_acc_t;

static int scope_row(int64_t capture_id, uint64_t packets, void *payload)
{
    scope_acc_t *a = payload;
    int64_t *ni = realloc(a->ids, (a->n + 1) * 2 * sizeof *ni);
    if (!ni)
        return apc__err(APC_ENOMEM, "out of memory");
    a->ids = ni;
    ni[2 * a->n] = capture_id;
    ni[2 * a->n++ + 1] = (int64_t)packets;
    a->j->total += packets;
    return 0;
}

/* Captures in scope (pairs of id and packets); time bounds skip captures outside. */
static int scope(job_t *j, int64_t **ids, size_t *n)
{
    scope_acc_t a = {j, NULL, 0};
    int r =
        apc__searches_scope(j->ctx->store, j->capture_id, j->time_from, j->time_to, scope_row, &a);
    if (r < 0) {
        free(a.ids);
        a.ids = NULL;
        a.n = 0;
    }
    *ids = a.ids;
    *n = a.n;
    return r;
}

static int run(job_t *j, const volatile int *cancelled)
{
    size_t off;
    int r = apc__flt_compile(j->filter, strlen(j->filter), &j->flt, &off);
    if (r < 0)
        return r;
    int64_t *ids = NULL;
    size_t n = 0;
    r = scope(j, &ids, &n);
    if (r == 0)
        r = apc__searches_started(j->ctx->store, j->id, APC_SEARCH_RUNNING, apc__real_ns(),
                                  j->total);
    j->last_flush = apc__real_ns();
    /* Captures of other nodes are scanned there (fleet/matches.c), all at once, while we
     * scan ours; their matches join ours in capture order. */
    apc__search_remote_t *rem = NULL;
    if (r == 0)
        r = apc__search_remote_start(j->ctx, j->filter, j->time_from, j->time_to, ids, n, cancelled,
                                     &rem);
    for (size_t i = 0; r == 0 && i < n; i++) {
        uint64_t theirs = 0;
        if ((r = apc__search_remote_take(rem, ids[2 * i], &j->active->cancel, on_match, j,
                                         &theirs)) != 0) {
            j->scanned_before += theirs;
            r = r < 0 ? r : 0;
            continue;
        }
        apc__scan_t s = {0};
        s.ctx = j->ctx;
        s.filter = j->flt;
        s.capture_id = ids[2 * i];
        s.time_from = j->time_from;
        s.time_to = j->time_to;
        s.cancel = cancelled;
        s.cancel2 = &j->active->cancel;
        s.on_match = on_match;
        s.on_progress = on_progress;
        s.payload = j;
        s.defer_index = !j->index;
        j->scan = &s;
        r = apc__search_scan(&s);
        j->scan = NULL;
        j->scanned_before += s.scanned;
        if (s.pending_index) {
            if (!j->index)
                j->index = s.pending_index;
            else
                apc__search_index_save(j->ctx, s.pending_index);
        }
        if (r == APC_ENOTFOUND) /* deleted while we ran: nothing of it to search */
            r = 0;
    }
    apc__search_remote_end(rem);
    free(ids);
    return r;
}

static void job_fn(void *arg, const volatile int *cancelled)
{
    job_t *j = arg;
    int r = run(j, cancelled);
    char msg[512] = "";
    if (r < 0 && r != APC_ECANCELED)
        apc__err_copy(msg, sizeof msg);
    int fr = flush(j);
    if (r == 0 && fr < 0) {
        r = fr;
        apc__err_copy(msg, sizeof msg);
    }
    int state = r == 0               ? APC_SEARCH_COMPLETED
                : r == APC_ECANCELED ? APC_SEARCH_CANCELLED
                                     : APC_SEARCH_FAILED;
    apc__st_search_end_t end = {
        .state = state,
        .finished = apc__real_ns(),
        .progress = state == APC_SEARCH_COMPLETED ? 100 : progress_of(j, scanned_now(j)),
        .scanned = scanned_now(j),
        .error = msg,
    };
    /* A failure leaves the row "running"; say so rather than lose it silently. */
    if (apc__searches_finish(j->ctx->store, j->id, &end) < 0)
        apc__log(j->ctx, APC_LOG_ERROR, "search %lld: %s", (long long)j->id,
                 apc_last_error_message());
    pthread_mutex_lock(&j->ctx->search_lock);
    j->active->ended = 1;
    pthread_cond_broadcast(&j->ctx->search_cond);
    pthread_mutex_unlock(&j->ctx->search_lock);
    /* The search has its final state; now make later searches of that capture fast. */
    apc__search_index_save(j->ctx, j->index);
    apc__flt_free(j->flt);
    free(j->pending);
    free(j->filter);
    reg_remove(j->active);
    free(j);
}

int apc__search_submit(apc_ctx_t *ctx, int64_t id, const char *normalized, int64_t capture_id,
                       int64_t time_from, int64_t time_to)
{
    job_t *j = calloc(1, sizeof *j);
    if (!j || !(j->filter = strdup(normalized))) {
        free(j);
        return apc__err(APC_ENOMEM, "out of memory");
    }
    j->ctx = ctx;
    j->id = id;
    j->capture_id = capture_id;
    j->time_from = time_from;
    j->time_to = time_to;
    j->active = reg_add(ctx, id);
    if (!j->active) {
        free(j->filter);
        free(j);
        return apc__err(APC_ENOMEM, "out of memory");
    }
    int r = apc__jobs_submit(ctx->jobs, job_fn, j);
    if (r < 0) {
        reg_remove(j->active);
        free(j->filter);
        free(j);
        return apc__err(r, "cannot queue the search: %s", apc_strerror(r));
    }
    return 0;
}
