/* SPDX-License-Identifier: MIT */
/* The in-process transport: opens the data directory and calls the action table directly, as
 * the local admin (session NULL). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apcctl.h"

typedef struct local {
    apcctl_transport_t base; /* first: the interface pointer is the object */
    apc_ctx_t *ctx;
} local_t;

/* Library log lines go to stderr with our prefix; the library default would too, but this
 * keeps every line apcctl prints recognisable. */
static void log_cb(int level, const char *msg, void *payload)
{
    (void)payload;
    static const char *names[] = {"error", "warning", "info", "debug"};
    fprintf(stderr, "apcctl: libapc %s: %s\n", names[level < 0 ? 0 : level > 3 ? 3 : level], msg);
}

static int local_call(apcctl_transport_t *t, const char *action, const apcctl_args_t *args,
                      char **out_json, char *err, size_t errlen)
{
    local_t *l = (local_t *)t;
    *out_json = NULL;
    apc_params_t *p = NULL;
    int rc = apc_params_new(&p);
    for (size_t i = 0; rc >= 0 && i < args->count; i++)
        rc = apc_params_add(p, args->items[i].name, args->items[i].value);
    if (rc < 0) {
        snprintf(err, errlen, "cannot build parameters: %s", apc_strerror(rc));
        apc_params_free(p);
        return -1;
    }
    char *json = NULL;
    rc = apc_op_call(l->ctx, NULL, action, p, &json);
    apc_params_free(p);
    if (!json) {
        snprintf(err, errlen, "%s (%s)", apc_last_error_message(), apc_strerror(rc));
        return -1;
    }
    /* Hand back memory the caller frees with free(), as every transport does. */
    *out_json = strdup(json);
    apc_free(json);
    if (!*out_json) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

/* The job runs in this process: wait on the library, which wakes us when it ends, where a sleep
 * would wait out its interval (at 10 ms, a quarter of a short ingest). */
static int local_wait(apcctl_transport_t *t, const char *poll, const char *id, int ms)
{
    local_t *l = (local_t *)t;
    if (!strcmp(poll, "command_query"))
        return apc_command_wait(l->ctx, id, ms);
    char *end;
    long long n = strtoll(id, &end, 10);
    if (!*id || *end)
        return APC_EINVAL;
    if (!strcmp(poll, "capture_get_details"))
        return apc_capture_wait(l->ctx, n, ms);
    if (!strcmp(poll, "search_open"))
        return apc_search_wait(l->ctx, n, ms);
    return APC_EINVAL;
}

static void local_close(apcctl_transport_t *t)
{
    local_t *l = (local_t *)t;
    if (!l)
        return;
    apc_ctx_close(l->ctx);
    free(l);
}

int apcctl_transport_local_open(apcctl_transport_t **out, const char *data_dir, const char *store,
                                char *err, size_t errlen)
{
    *out = NULL;
    local_t *l = calloc(1, sizeof *l);
    if (!l) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    apc_ctx_options_t opts;
    apc_ctx_options_init(&opts, APC_CTX_OPTIONS_VERSION);
    opts.data_dir = data_dir;
    opts.store = store;
    opts.log_cb = log_cb;
    int rc = apc_ctx_open(&l->ctx, &opts);
    if (rc < 0) {
        snprintf(err, errlen, "cannot open data directory %s: %s", data_dir,
                 *apc_last_error_message() ? apc_last_error_message() : apc_strerror(rc));
        free(l);
        return -1;
    }
    l->base.name = "local";
    l->base.detached_jobs = false;
    l->base.call = local_call;
    l->base.wait = local_wait;
    l->base.close = local_close;
    *out = &l->base;
    return 0;
}
