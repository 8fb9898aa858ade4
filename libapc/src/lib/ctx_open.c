/* SPDX-License-Identifier: MIT */
/*
 * The wiring of libapc (module `lib`, above every other module): apc_ctx_open starts the
 * subsystems of a context in order and apc_ctx_close stops them in reverse, so no module
 * reaches up to another's start or stop, and nothing else includes this module.
 * docs/architecture.md draws the order.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "auth/auth_internal.h"
#include "capture/live.h"
#include "core/ctx.h"
#include "core/error.h"
#include "core/fsutil.h"
#include "store/store.h"
#include "extract/extract_int.h"
#include "extract/typing.h"
#include "trigger/trigger_int.h"

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

/* The fleet's secret: the file's first line, printable, 16 to 256 bytes. */
static int read_secret(apc_ctx_t *ctx, const char *path)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return apc__err_errno(errno, "cannot read the node secret file '%s'", path);
    char buf[300] = "";
    int ok = fgets(buf, sizeof buf, f) != NULL;
    fclose(f);
    size_t n = ok ? strcspn(buf, "\r\n") : 0;
    buf[n] = '\0';
    for (size_t i = 0; i < n; i++)
        ok &= buf[i] > ' ' && buf[i] < 127;
    int rc = 0;
    if (!ok || n < 16 || n > 256)
        rc = apc__err(APC_EINVAL,
                      "node secret file '%s': its first line must be 16 to 256 printable "
                      "characters without spaces",
                      path);
    else if (!(ctx->node_secret = strdup(buf)))
        rc = apc__err(APC_ENOMEM, "out of memory");
    memset(buf, 0, sizeof buf);
    return rc;
}

/* The files of mutual TLS between nodes: all three or none, each readable now (a typo is
 * found at start, not at the first read of another node's packets). */
static int node_tls_files(apc_ctx_t *ctx, const apc_ctx_options_t *opts)
{
    static const char *const what[3] = {"node_tls_ca", "node_tls_cert", "node_tls_key"};
    const char *path[3] = {opts->node_tls_ca, opts->node_tls_cert, opts->node_tls_key};
    int set = 0;
    for (int i = 0; i < 3; i++)
        set += path[i] && *path[i];
    if (set == 0)
        return 0;
    for (int i = 0; i < 3; i++) {
        if (!path[i] || !*path[i])
            return apc__err(APC_EINVAL,
                            "mutual TLS between nodes needs node_tls_ca, node_tls_cert and "
                            "node_tls_key: %s is missing",
                            what[i]);
        if (access(path[i], R_OK) != 0)
            return apc__err_errno(errno, "%s '%s': cannot read it", what[i], path[i]);
        if (!(ctx->node_tls[i] = strdup(path[i])))
            return apc__err(APC_ENOMEM, "out of memory");
    }
    return 0;
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
    if (opts->version < 1 || opts->version > APC_CTX_OPTIONS_VERSION)
        return apc__err(APC_EINVAL, "unknown apc_ctx_options_t version %u", opts->version);
    const char *xroots = opts->version >= 2 ? opts->export_roots : NULL;
    const char *iroots = opts->version >= 2 ? opts->ingest_roots : NULL;
    const char *eroots = opts->version >= 3 ? opts->execute_roots : NULL;
    const char *euser = opts->version >= 3 ? opts->execute_user : NULL;
    const char *store = opts->version >= 4 ? opts->store : NULL;
    const char *nname = opts->version >= 5 ? opts->node_name : NULL;
    const char *nurl = opts->version >= 5 ? opts->node_url : NULL;
    apc_ctx_t *ctx = calloc(1, sizeof *ctx);
    if (!ctx)
        return apc__err(APC_ENOMEM, "out of memory");
    ctx->data_dir = strdup(opts->data_dir && *opts->data_dir ? opts->data_dir : "./apc-data");
    ctx->log_cb = opts->log_cb;
    ctx->log_payload = opts->log_payload;
    ctx->log_level = opts->log_level;
    ctx->read_only = opts->read_only;
    ctx->export_roots = xroots && *xroots ? strdup(xroots) : NULL;
    ctx->ingest_roots = iroots && *iroots ? strdup(iroots) : NULL;
    ctx->execute_roots = eroots && *eroots ? strdup(eroots) : NULL;
    ctx->execute_user = euser && *euser ? strdup(euser) : NULL;
    ctx->store_url = store && *store ? strdup(store) : NULL;
    ctx->node_name = nname && *nname ? strdup(nname) : NULL;
    ctx->node_url = nurl && *nurl ? strdup(nurl) : NULL;
    ctx->lock_fd = -1;
    pthread_mutex_init(&ctx->lock, NULL);
    pthread_cond_init(&ctx->cond, NULL);
    pthread_mutex_init(&ctx->live_lock, NULL);
    pthread_mutex_init(&ctx->proctab_lock, NULL);
    pthread_mutex_init(&ctx->attrib_lock, NULL);
    pthread_mutex_init(&ctx->cmd_lock, NULL);
    pthread_mutex_init(&ctx->search_lock, NULL);
    pthread_cond_init(&ctx->search_cond, NULL);
    pthread_mutex_init(&ctx->login_lock, NULL);
    pthread_mutex_init(&ctx->trig_lock, NULL);
    int rc;
    if (!ctx->data_dir || (xroots && *xroots && !ctx->export_roots) ||
        (iroots && *iroots && !ctx->ingest_roots) || (eroots && *eroots && !ctx->execute_roots) ||
        (euser && *euser && !ctx->execute_user) || (store && *store && !ctx->store_url) ||
        (nname && *nname && !ctx->node_name) || (nurl && *nurl && !ctx->node_url)) {
        rc = apc__err(APC_ENOMEM, "out of memory");
        goto fail;
    }
    if (!ctx->read_only) {
        rc = apc__mkdir_p(ctx->data_dir, 0750);
        if (rc < 0)
            goto fail;
    }
    /* Resolved once, to an absolute path: a relative one (./apc-data) would make paths derived
     * from it (the default export root, files of captures) depend on the working directory and
     * fail the export roots check, which compares absolute paths. */
    char *abs = realpath(ctx->data_dir, NULL);
    if (abs) {
        free(ctx->data_dir);
        ctx->data_dir = abs;
    } else if (!ctx->read_only) {
        rc = apc__err_errno(errno, "cannot resolve data directory '%s'", ctx->data_dir);
        goto fail;
    }
    /* A node owns packet bytes: a data directory on a host, so two apcd on one host are two
     * nodes unless the operator names them. */
    if (!ctx->node_name) {
        char host[256] = "";
        if (gethostname(host, sizeof host - 1) != 0 || !*host)
            snprintf(host, sizeof host, "localhost");
        size_t n = strlen(host) + strlen(ctx->data_dir) + 2;
        if (!(ctx->node_name = malloc(n))) {
            rc = apc__err(APC_ENOMEM, "out of memory");
            goto fail;
        }
        snprintf(ctx->node_name, n, "%s:%s", host, ctx->data_dir);
    }
    const char *secret_file = opts->version >= 5 ? opts->node_secret_file : NULL;
    if (secret_file && *secret_file && (rc = read_secret(ctx, secret_file)) < 0)
        goto fail;
    if (opts->version >= 6 && (rc = node_tls_files(ctx, opts)) < 0)
        goto fail;
    if (!ctx->read_only) {
        rc = lock_data_dir(ctx);
        if (rc < 0)
            goto fail;
    }
    rc = apc__store_open(ctx, &ctx->store);
    if (rc < 0)
        goto fail;
    /* A search on file.mime types the files it needs first (read-only: it says why not). */
    ctx->type_files = apc__extract_type_capture;
    if (!ctx->read_only) {
        ctx->jobs = apc__jobs_new(opts->jobs);
        if (!ctx->jobs) {
            rc = apc__err(APC_ENOMEM, "cannot start the job pool");
            goto fail;
        }
        /* Stored triggers fire again; a watcher that cannot start is reported by trigger_list,
         * it does not keep the context from opening. */
        apc__trigger_arm(ctx);
        /* With extraction on, every capture that ends is examined for files (a command). */
        ctx->on_capture_ended = apc__extract_capture_ended;
        /* ... and an ingest's from its start, beside the ingest (issue 10, "Performance"). */
        ctx->on_capture_started = apc__extract_capture_started;
    }
    *out = ctx;
    return 0;
fail:
    apc_ctx_close(ctx);
    return rc;
}

APC_API void apc_ctx_close(apc_ctx_t *ctx)
{
    if (!ctx)
        return;
    /* A capture whose end a caller already saw gets its hook; captures stopped by the close
     * are examined when a later query asks, not now. */
    apc__ctx_settle(ctx);
    __atomic_store_n(&ctx->on_capture_ended, NULL, __ATOMIC_RELEASE);
    __atomic_store_n(&ctx->on_capture_started, NULL, __ATOMIC_RELEASE);
    apc__trigger_shutdown(ctx); /* no new firings; runs already queued end first */
    apc__live_shutdown(ctx);    /* live captures stop and store everything first */
    apc__jobs_free(ctx->jobs);
    apc__store_close(ctx->store);
    if (ctx->lock_fd >= 0)
        close(ctx->lock_fd);
    pthread_mutex_destroy(&ctx->lock);
    pthread_cond_destroy(&ctx->cond);
    pthread_mutex_destroy(&ctx->live_lock);
    pthread_mutex_destroy(&ctx->proctab_lock);
    pthread_mutex_destroy(&ctx->attrib_lock);
    pthread_mutex_destroy(&ctx->cmd_lock);
    pthread_mutex_destroy(&ctx->search_lock);
    pthread_cond_destroy(&ctx->search_cond);
    apc__auth_rl_free(ctx);
    pthread_mutex_destroy(&ctx->login_lock);
    free(ctx->data_dir);
    free(ctx->export_roots);
    free(ctx->ingest_roots);
    free(ctx->execute_roots);
    free(ctx->execute_user);
    free(ctx->store_url);
    free(ctx->node_name);
    free(ctx->node_url);
    if (ctx->node_secret)
        memset(ctx->node_secret, 0, strlen(ctx->node_secret));
    free(ctx->node_secret);
    for (int i = 0; i < 3; i++)
        free(ctx->node_tls[i]);
    pthread_mutex_destroy(&ctx->trig_lock);
    free(ctx);
}
