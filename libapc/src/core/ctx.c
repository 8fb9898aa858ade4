/* SPDX-License-Identifier: MIT */
/* Context lifecycle: options, data directory, logging, job pool, store. */
#include "core/ctx.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/error.h"
#include "core/fsutil.h"
#include "store/store.h"

APC_API int apc_ctx_options_init(apc_ctx_options_t *opts, unsigned version)
{
    if (!opts)
        return apc__err(APC_EINVAL, "options pointer is NULL");
    if (version != APC_CTX_OPTIONS_VERSION)
        return apc__err(APC_EINVAL, "unknown apc_ctx_options_t version %u (this library: %u)",
                        version, APC_CTX_OPTIONS_VERSION);
    memset(opts, 0, sizeof *opts);
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

/* One writer per data directory: crash repair at open would otherwise cut the files of a
 * capture another process is still writing. The lock goes with the process. */
static int lock_data_dir(apc_ctx_t *ctx)
{
    char *path = apc__ctx_path(ctx, "lock");
    if (!path)
        return apc__err(APC_ENOMEM, "out of memory");
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0) {
        int r = apc__err_errno(errno, "cannot open '%s'", path);
        free(path);
        return r;
    }
    free(path);
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        close(fd);
        if (e == EWOULDBLOCK)
            return apc__err(APC_EBUSY,
                            "data directory '%s' is in use by another process (an apcd or "
                            "another program using libapc); talk to it instead, or stop it",
                            ctx->data_dir);
        return apc__err_errno(e, "cannot lock data directory '%s'", ctx->data_dir);
    }
    ctx->lock_fd = fd;
    return 0;
}

static struct timespec ts_after_ms(struct timespec t, long ms)
{
    t.tv_sec += ms / 1000;
    t.tv_nsec += (ms % 1000) * 1000000L;
    if (t.tv_nsec >= 1000000000L) {
        t.tv_sec++;
        t.tv_nsec -= 1000000000L;
    }
    return t;
}

static int ts_before(const struct timespec *a, const struct timespec *b)
{
    return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

int apc__ctx_wait(apc_ctx_t *ctx, int timeout_ms, int poll_ms, int (*check)(void *payload),
                  void *payload)
{
    struct timespec now, deadline;
    clock_gettime(CLOCK_REALTIME, &now);
    deadline = ts_after_ms(now, timeout_ms);
    for (;;) {
        int r = check(payload);
        if (r != 0)
            return r < 0 ? r : 0;
        clock_gettime(CLOCK_REALTIME, &now);
        if (timeout_ms >= 0 && !ts_before(&now, &deadline))
            return 1;
        struct timespec t = ts_after_ms(now, poll_ms);
        if (timeout_ms >= 0 && ts_before(&deadline, &t))
            t = deadline;
        pthread_mutex_lock(&ctx->lock);
        pthread_cond_timedwait(&ctx->cond, &ctx->lock, &t);
        pthread_mutex_unlock(&ctx->lock);
    }
}

APC_API int apc_ctx_open(apc_ctx_t **out, const apc_ctx_options_t *opts)
{
    if (!out)
        return apc__err(APC_EINVAL, "out pointer is NULL");
    *out = NULL;
    apc_ctx_options_t defaults;
    if (!opts) {
        apc_ctx_options_init(&defaults, APC_CTX_OPTIONS_VERSION);
        opts = &defaults;
    }
    if (opts->version != APC_CTX_OPTIONS_VERSION)
        return apc__err(APC_EINVAL, "unknown apc_ctx_options_t version %u", opts->version);
    apc_ctx_t *ctx = calloc(1, sizeof *ctx);
    if (!ctx)
        return apc__err(APC_ENOMEM, "out of memory");
    ctx->data_dir = strdup(opts->data_dir && *opts->data_dir ? opts->data_dir : "./apc-data");
    ctx->log_cb = opts->log_cb;
    ctx->log_payload = opts->log_payload;
    ctx->log_level = opts->log_level;
    ctx->read_only = opts->read_only;
    ctx->lock_fd = -1;
    pthread_mutex_init(&ctx->lock, NULL);
    pthread_cond_init(&ctx->cond, NULL);
    int rc;
    if (!ctx->data_dir) {
        rc = apc__err(APC_ENOMEM, "out of memory");
        goto fail;
    }
    if (!ctx->read_only) {
        rc = apc__mkdir_p(ctx->data_dir, 0750);
        if (rc < 0)
            goto fail;
        rc = lock_data_dir(ctx);
        if (rc < 0)
            goto fail;
    }
    rc = apc__store_open(ctx, &ctx->store);
    if (rc < 0)
        goto fail;
    if (!ctx->read_only) {
        ctx->jobs = apc__jobs_new(opts->jobs);
        if (!ctx->jobs) {
            rc = apc__err(APC_ENOMEM, "cannot start the job pool");
            goto fail;
        }
    }
    *out = ctx;
    return 0;
fail:
    apc_ctx_close(ctx);
    return rc;
}

/* capture/live_session.c; weak so programs linking core alone still link. */
void apc__live_shutdown(apc_ctx_t *ctx) __attribute__((weak));

APC_API void apc_ctx_close(apc_ctx_t *ctx)
{
    if (!ctx)
        return;
    if (apc__live_shutdown)
        apc__live_shutdown(ctx); /* live captures stop and store everything first */
    apc__jobs_free(ctx->jobs);
    apc__store_close(ctx->store);
    if (ctx->lock_fd >= 0)
        close(ctx->lock_fd);
    pthread_mutex_destroy(&ctx->lock);
    pthread_cond_destroy(&ctx->cond);
    free(ctx->data_dir);
    free(ctx);
}

APC_API const char *apc_ctx_data_dir(const apc_ctx_t *ctx)
{
    return ctx ? ctx->data_dir : NULL;
}
