/* SPDX-License-Identifier: MIT */
/*
 * CAPTURE_FLAG_RESOLVE_IPS for a live capture's writer (docs/live.md "Resolving names"): the
 * writer hands new addresses to a resolver thread (intel/resolver.h), which stores the names
 * it finds under the capture. Shared by live sessions (live_session.c) and triggered routes
 * (router.c), so both resolve the same way, with the same settings.
 */
#include <stdlib.h>

#include <apc/live.h>

#include "capture/capwriter.h"
#include "capture/live.h"
#include "core/ctx.h"
#include "core/error.h"
#include "intel/ips.h"
#include "intel/resolver.h"

struct apc__liveres {
    apc_ctx_t *ctx;
    int64_t id;
    const char *what;
    apc__resolver_t *r;
};

static void new_ip(int ver, const uint8_t *addr, void *arg)
{
    apc__resolver_submit(arg, ver, addr); /* a full queue is counted there */
}

static int ip_known(int ver, const uint8_t *addr, void *arg)
{
    apc__liveres_t *lr = arg;
    return apc__ip_has_name(lr->ctx, lr->id, ver, addr);
}

static void ip_named(int ver, const uint8_t *addr, const char *name, void *arg)
{
    apc__liveres_t *lr = arg;
    if (apc__ip_set_resolved(lr->ctx, lr->id, ver, addr, name) < 0)
        apc__log(lr->ctx, APC_LOG_WARN, "%s %lld: %s", lr->what, (long long)lr->id,
                 apc_last_error_message());
}

apc__liveres_t *apc__liveres_start(apc_ctx_t *ctx, int64_t capture_id, uint32_t flags,
                                   apc__capw_t *w, const char *what)
{
    if (!(flags & APC_CAPTURE_FLAG_RESOLVE_IPS))
        return NULL;
    apc__liveres_t *lr = calloc(1, sizeof *lr);
    if (!lr) {
        apc__log(ctx, APC_LOG_WARN, "%s %lld: no reverse lookups: out of memory", what,
                 (long long)capture_id);
        return NULL;
    }
    *lr = (apc__liveres_t){.ctx = ctx, .id = capture_id, .what = what};
    apc__resolver_cfg_t cfg = {
        .max_pending = (size_t)apc__live_setting(ctx, "live.resolve_queue", 1024, 1, 1 << 20),
        .per_second = (unsigned)apc__live_setting(ctx, "live.resolve_per_second", 20, 1, 10000),
        .known = ip_known,
        .on_name = ip_named,
        .arg = lr,
    };
    if (apc__resolver_start(&cfg, &lr->r) < 0) {
        apc__log(ctx, APC_LOG_WARN, "%s %lld: no reverse lookups: %s", what, (long long)capture_id,
                 apc_last_error_message());
        free(lr);
        return NULL;
    }
    apc__capw_on_new_ip(w, new_ip, lr->r);
    return lr;
}

void apc__liveres_stop(apc__liveres_t *lr)
{
    if (!lr)
        return;
    apc__resolver_stats_t st;
    apc__resolver_get_stats(lr->r, &st);
    apc__resolver_stop(lr->r);
    apc__log(lr->ctx, APC_LOG_INFO,
             "%s %lld: reverse lookups: %llu addresses, %llu looked up, %llu named, "
             "%llu named already, %llu dropped (queue full), %llu not done at the end",
             lr->what, (long long)lr->id, (unsigned long long)st.submitted,
             (unsigned long long)st.lookups, (unsigned long long)st.names,
             (unsigned long long)st.known, (unsigned long long)st.dropped,
             (unsigned long long)st.pending);
    free(lr);
}
