/* SPDX-License-Identifier: MIT */
/* The context's own services: options, logging, paths, the wait/broadcast condition. Opening
 * and closing it, which starts and stops every subsystem, is lib/ctx_open.c. */
#include "core/ctx.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/error.h"
#include "util/clock.h"

APC_API int apc_ctx_options_init(apc_ctx_options_t *opts, unsigned version)
{
    if (!opts)
        return apc__err(APC_EINVAL, "options pointer is NULL");
    if (version < 1 || version > APC_CTX_OPTIONS_VERSION)
        return apc__err(APC_EINVAL, "unknown apc_ctx_options_t version %u (this library: 1 to %u)",
                        version, APC_CTX_OPTIONS_VERSION);
    /* A version 1 caller's struct ends before export_roots: clear only what it has. */
    size_t len = version == 1   ? offsetof(apc_ctx_options_t, export_roots)
                 : version == 2 ? offsetof(apc_ctx_options_t, execute_roots)
                 : version == 3 ? offsetof(apc_ctx_options_t, store)
                 : version == 4 ? offsetof(apc_ctx_options_t, node_name)
                 : version == 5 ? offsetof(apc_ctx_options_t, node_tls_ca)
                                : sizeof *opts;
    memset(opts, 0, len);
    opts->version = version;
    opts->log_level = APC_LOG_WARN;
    return 0;
}

void apc__log(apc_ctx_t *ctx, int level, const char *fmt, ...)
{
    if (!ctx || level > ctx->log_level)
        return;
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (ctx->log_cb) {
        ctx->log_cb(level, buf, ctx->log_payload);
        return;
    }
    static const char *names[] = {"error", "warning", "info", "debug"};
    fprintf(stderr, "apc %s: %s\n", names[level < 0 ? 0 : level > 3 ? 3 : level], buf);
}

char *apc__ctx_path(const apc_ctx_t *ctx, const char *rel)
{
    size_t n = strlen(ctx->data_dir) + strlen(rel) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s", ctx->data_dir, rel);
    return p;
}

void apc__ctx_broadcast(apc_ctx_t *ctx)
{
    pthread_mutex_lock(&ctx->lock);
    pthread_cond_broadcast(&ctx->cond);
    pthread_mutex_unlock(&ctx->lock);
}

static int ts_before(const struct timespec *a, const struct timespec *b)
{
    return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

int apc__ctx_interrupted(apc_ctx_t *ctx)
{
    return __atomic_load_n(&ctx->interrupted, __ATOMIC_ACQUIRE);
}

APC_API void apc_ctx_interrupt(apc_ctx_t *ctx)
{
    if (!ctx)
        return;
    __atomic_store_n(&ctx->interrupted, 1, __ATOMIC_RELEASE);
    /* Each waiter sleeps on one of these conditions. Search waits check the flag under
     * search_lock, so one that saw it clear is asleep by the broadcast and is woken; the
     * polling waits (apc__ctx_wait) see it within their poll period at worst. */
    pthread_mutex_lock(&ctx->lock);
    pthread_cond_broadcast(&ctx->cond);
    pthread_mutex_unlock(&ctx->lock);
    pthread_mutex_lock(&ctx->search_lock);
    pthread_cond_broadcast(&ctx->search_cond);
    pthread_mutex_unlock(&ctx->search_lock);
}

int apc__ctx_wait(apc_ctx_t *ctx, int timeout_ms, int poll_ms, int (*check)(void *payload),
                  void *payload)
{
    struct timespec now, deadline;
    clock_gettime(CLOCK_REALTIME, &now);
    deadline = apc__ts_after_ms(now, timeout_ms);
    for (;;) {
        if (apc__ctx_interrupted(ctx))
            return apc__err(APC_ECANCELED, "interrupted: the context is closing");
        int r = check(payload);
        if (r != 0)
            return r < 0 ? r : 0;
        clock_gettime(CLOCK_REALTIME, &now);
        if (timeout_ms >= 0 && !ts_before(&now, &deadline))
            return 1;
        struct timespec t = apc__ts_after_ms(now, poll_ms);
        if (timeout_ms >= 0 && ts_before(&deadline, &t))
            t = deadline;
        pthread_mutex_lock(&ctx->lock);
        pthread_cond_timedwait(&ctx->cond, &ctx->lock, &t);
        pthread_mutex_unlock(&ctx->lock);
    }
}

APC_API const char *apc_ctx_data_dir(const apc_ctx_t *ctx)
{
    return ctx ? ctx->data_dir : NULL;
}

void apc__ctx_capture_ending(apc_ctx_t *ctx)
{
    pthread_mutex_lock(&ctx->lock);
    ctx->ending++;
    pthread_mutex_unlock(&ctx->lock);
}

void apc__ctx_capture_ended(apc_ctx_t *ctx, int64_t capture_id)
{
    apc__capture_ended_fn f = __atomic_load_n(&ctx->on_capture_ended, __ATOMIC_ACQUIRE);
    if (f && capture_id > 0)
        f(ctx, capture_id);
    pthread_mutex_lock(&ctx->lock);
    ctx->ending--;
    pthread_cond_broadcast(&ctx->cond);
    pthread_mutex_unlock(&ctx->lock);
}

int apc__ctx_capture_started(apc_ctx_t *ctx, int64_t capture_id)
{
    apc__capture_started_fn f = __atomic_load_n(&ctx->on_capture_started, __ATOMIC_ACQUIRE);
    return f && capture_id > 0 ? f(ctx, capture_id) : 0;
}

void apc__ctx_settle(apc_ctx_t *ctx)
{
    pthread_mutex_lock(&ctx->lock);
    while (ctx->ending > 0)
        pthread_cond_wait(&ctx->cond, &ctx->lock);
    pthread_mutex_unlock(&ctx->lock);
}
