/* SPDX-License-Identifier: MIT */
/*
 * The trigger router (router.h). One source per adapter (source/live.h) and one writer thread,
 * as a live session has, but the writer keeps a capture writer per route instead of one of
 * its own. Per packet: decode, attribute (attrib/attrib.h, the eBPF socket owners when they
 * load), then every route whose process tree holds the owner (or, on loopback, the other end)
 * and whose filter passes gets it. A packet no route takes is copied into the pre-roll (only
 * when its owner is known: nobody could claim it otherwise) so that a route installed a
 * moment later gets its process's packets sent after its exec first, in capture order.
 *
 * The watcher (trigger/watch.c) only inserts a route under a short lock and returns; the
 * writer installs it between two batches. Routes are ended by the runner, which waits.
 */
#include <pcap/pcap.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <apc/live.h>

#include "attrib/attrib.h"
#include "attrib/proctable.h"
#include "capture/capwriter.h"
#include "capture/live.h"
#include "capture/pipeline.h"
#include "capture/preroll.h"
#include "capture/router.h"
#include "capture/router_int.h"
#include "core/ctx.h"
#include "core/error.h"
#include "decode/decode.h"
#include "source/live.h"
#include "store/captures.h"
#include "store/store.h"
#include "util/clock.h"

#define TABLE_WAIT_NS 10000000000LL /* as live_session.c: longest wait for the process table */

static void route_free(route_t *r)
{
    free(r->filter);
    for (size_t i = 0; i < MAX_SRC; i++)
        if (r->prog[i].bf_insns)
            pcap_freecode(&r->prog[i]);
    free(r);
}

/* Is pid in route r's tree: 1, 0, -1 unknown to the process table yet. */
static int in_tree(struct apc__router *rt, const route_t *r, int64_t pid)
{
    if (!pid)
        return 0;
    if (pid == r->pid)
        return 1;
    return apc__proctab_related(rt->procs, pid, r->pid);
}

typedef struct fill {
    struct apc__router *rt;
    int64_t pid, tid;
    int attribution, direction;
} fill_t;

static int fill_attr(void *state, apc__capw_t *w, const apc__pipe_pkt_t *in, const apc__pkt_t *d,
                     apc__cappkt_t *p)
{
    (void)in;
    (void)d;
    const fill_t *f = state;
    int64_t process_id = apc__proctab_process_id(f->rt->procs, f->pid);
    if (process_id)
        apc__capw_live_process(w, process_id, f->pid);
    if (f->direction)
        p->direction = f->direction;
    p->attribution = f->attribution;
    p->pid = f->pid;
    p->tid = f->tid;
    p->process_id = process_id;
    return 1;
}

static int passes(const route_t *r, const apc__pipe_pkt_t *in)
{
    if (!r->filter)
        return 1;
    if (in->iface >= MAX_SRC || !r->prog[in->iface].bf_insns)
        return 0; /* the filter did not compile for this adapter (logged) */
    struct pcap_pkthdr h = {.caplen = in->caplen, .len = in->wirelen};
    return pcap_offline_filter(&r->prog[in->iface], &h, in->data) != 0;
}

/* Stores the packet in route r as end `who` (the owner or, on loopback, the other end). */
static void deliver(struct apc__router *rt, route_t *r, const apc__pipe_pkt_t *in,
                    const apc__pkt_t *d, const apc__attr_end_t *who)
{
    if (!r->w || r->failed || !passes(r, in))
        return;
    fill_t f = {rt, who->pid, who->tid, who->attribution, who->direction};
    if (apc__pipe_decoded(r->w, in, d, fill_attr, &f) < 0) {
        apc__log(rt->ctx, APC_LOG_ERROR, "triggered capture %lld: %s", (long long)r->id,
                 apc_last_error_message());
        r->failed = 1;
    }
}

/* Routes one packet to the routes rs[0..n): the number that took it; -1 when a route might
 * take it once the process table knows its owner. `replay`: a packet of the pre-roll, offered
 * to routes being installed (each takes it only from its exec on, whatever its end). */
static int route_packet(struct apc__router *rt, const apc__pipe_pkt_t *in, const apc__pkt_t *d,
                        const apc__attr_t *a, route_t *const *rs, size_t n, int replay)
{
    apc__attr_end_t own = {a->attribution, a->pid, a->tid, a->direction};
    int took = 0, unknown = 0;
    int64_t now = 0;
    for (size_t i = 0; i < n; i++) {
        route_t *r = rs[i];
        int64_t end = __atomic_load_n(&r->end_req, __ATOMIC_ACQUIRE);
        if (replay ? in->ts_ns < r->exec_ns
                   : end && (now ? now : (now = apc__mono_ns())) - end > APC__ROUTE_GRACE_NS)
            continue;
        int k = in_tree(rt, r, a->pid);
        if (k > 0) {
            deliver(rt, r, in, d, &own);
            took++;
            continue;
        }
        int p = in_tree(rt, r, a->peer.pid);
        if (p > 0) {
            deliver(rt, r, in, d, &a->peer);
            took++;
        }
        unknown |= k < 0 || p < 0;
    }
    return took ? took : unknown ? -1 : 0;
}

static void hold(struct apc__router *rt, const apc__pipe_pkt_t *in, const apc__attr_t *a)
{
    if (!a->pid && !a->peer.pid)
        return; /* nobody owns it: no route could ever claim it */
    apc__preroll_push(&rt->pre, a, in->iface, in->ts_ns, in->data, in->caplen, in->wirelen);
}

static void totals(struct apc__router *rt, uint64_t *k, uint64_t *q)
{
    *k = *q = 0;
    for (size_t i = 0; i < rt->nsrc; i++) {
        uint64_t recv, kd;
        apc__livesrc_stats(rt->src[i], &recv, &kd);
        *k += kd;
        *q += apc__lq_drops(apc__livesrc_queue(rt->src[i]));
    }
}

/* Samples the drop counters (writer thread), at most every HIST_EVERY_NS. */
static void sample_drops(struct apc__router *rt)
{
    int64_t now = apc__mono_ns();
    if (rt->hist_n && now - rt->hist_mono < HIST_EVERY_NS)
        return;
    drop_sample_t *h = &rt->hist[rt->hist_next];
    h->real_ns = apc__real_ns();
    totals(rt, &h->k, &h->q);
    rt->hist_next = (rt->hist_next + 1) % HIST_N;
    rt->hist_n += rt->hist_n < HIST_N;
    rt->hist_mono = now;
}

/* The counters when route r's process exec'd: the newest sample taken at or before it, else
 * the oldest kept (the exec is older than every sample: more drops are counted, never fewer). */
static void drops_at_exec(struct apc__router *rt, route_t *r)
{
    const drop_sample_t *best = NULL, *oldest = NULL;
    for (size_t i = 0; i < rt->hist_n; i++) {
        const drop_sample_t *h = &rt->hist[i];
        if (!oldest || h->real_ns < oldest->real_ns)
            oldest = h;
        if (h->real_ns <= r->exec_ns && (!best || h->real_ns > best->real_ns))
            best = h;
    }
    if (!best)
        best = oldest;
    if (best) {
        r->k0 = best->k;
        r->q0 = best->q;
    } else {
        totals(rt, &r->k0, &r->q0);
    }
}

typedef struct mine {
    struct apc__router *rt;
    const route_t *r;
} mine_t;

static int is_mine(void *arg, int64_t pid)
{
    const mine_t *m = arg;
    return in_tree(m->rt, m->r, pid) > 0;
}

/* Opens the capture writer of a new route and counts what it lost before it started. */
static void install(struct apc__router *rt, route_t *r)
{
    if (apc__capw_open(rt->ctx, r->id, &r->w) < 0) {
        apc__log(rt->ctx, APC_LOG_ERROR, "triggered capture %lld: %s", (long long)r->id,
                 apc_last_error_message());
        r->failed = 1;
        return;
    }
    for (size_t i = 0; i < rt->nsrc; i++)
        apc__router_route_iface(rt, r, i);
    r->res = apc__liveres_start(rt->ctx, r->id, r->flags, r->w, "triggered capture");
    drops_at_exec(rt, r);
    mine_t m = {rt, r};
    r->lost = apc__preroll_lost_for(&rt->pre, r->exec_ns, is_mine, &m);
}

/* Gives the routes installed together their pre-roll: one pass, each packet decoded once,
 * offered to every one of them from its exec on, in capture order. */
static void replay(struct apc__router *rt, route_t *const *rs, size_t n)
{
    int64_t since = INT64_MAX;
    for (size_t i = 0; i < n; i++)
        if (rs[i]->exec_ns < since)
            since = rs[i]->exec_ns;
    apc__preroll_cur_t c;
    for (const apc__held_t *h = apc__preroll_first(&rt->pre, &c); h;
         h = apc__preroll_next(&rt->pre, &c)) {
        if (h->ts_ns < since)
            continue;
        apc__pipe_pkt_t in = {.iface = h->iface,
                              .linktype = (uint32_t)apc__livesrc_linktype(rt->src[h->iface]),
                              .ts_ns = h->ts_ns,
                              .caplen = h->caplen,
                              .wirelen = h->wirelen,
                              .data = h->data};
        apc__pkt_t d;
        apc__decode(&d, in.data, in.caplen, in.wirelen, in.linktype);
        route_packet(rt, &in, &d, &h->a, rs, n, 1);
    }
}

static void finish(struct apc__router *rt, route_t *r)
{
    if (r->w) {
        uint64_t k, q;
        totals(rt, &k, &q);
        /* Kernel drops apart; ours: the sources' queues, and its own packets that left the
         * pre-roll before it started (docs/triggers.md "Drops"). */
        apc__capw_set_drops(r->w, k - r->k0, q - r->q0 + r->lost);
        if (apc__capw_finish(r->w, r->failed ? APC_STATE_FAILED : APC_STATE_COMPLETED,
                             r->failed ? "the triggered capture could not store its packets" : "",
                             0, 0) < 0)
            apc__log(rt->ctx, APC_LOG_ERROR, "triggered capture %lld: %s", (long long)r->id,
                     apc_last_error_message());
    }
    apc__liveres_stop(r->res); /* after the writer: nothing submits any more */
    r->res = NULL;
    r->w = NULL;
}

/* Frees the routes their waiters left, takes a snapshot of the others, installs new ones,
 * finishes ended ones (after their grace and a pass that found no packet), commits. */
static void housekeep(struct apc__router *rt, int idle, int all)
{
    pthread_mutex_lock(&rt->lock);
    size_t n = 0;
    for (route_t **pp = &rt->routes; *pp;) {
        route_t *r = *pp;
        if (r->reaped && !r->waiters) {
            *pp = r->next;
            route_free(r);
            continue;
        }
        n += !r->done;
        pp = &r->next;
    }
    route_t **act = realloc(rt->act, (n ? n : 1) * sizeof *act);
    if (act) {
        rt->act = act;
        rt->nact = 0;
        for (route_t *r = rt->routes; r; r = r->next)
            if (!r->done)
                rt->act[rt->nact++] = r;
    } /* else: the old snapshot, new routes wait for the next pass */
    pthread_mutex_unlock(&rt->lock);
    sample_drops(rt);
    /* New routes first, all together: then one pass over the pre-roll feeds them all. The new
     * ones are moved to the front of the snapshot (its order does not matter). */
    size_t nf = 0;
    for (size_t i = 0; i < rt->nact; i++) {
        route_t *r = rt->act[i];
        if (r->w || r->failed)
            continue;
        install(rt, r);
        if (!r->failed) {
            rt->act[i] = rt->act[nf];
            rt->act[nf++] = r;
        }
    }
    if (nf)
        replay(rt, rt->act, nf);
    size_t keep = 0;
    for (size_t i = 0; i < rt->nact; i++) {
        route_t *r = rt->act[i];
        int64_t end = __atomic_load_n(&r->end_req, __ATOMIC_ACQUIRE);
        int64_t age = end ? apc__mono_ns() - end : 0;
        /* Past its grace, once a pass found no packet; under traffic that never pauses, at 5
         * times the grace (the runner waits for it). */
        if (all || (end && age > APC__ROUTE_GRACE_NS && (idle || age > 5 * APC__ROUTE_GRACE_NS))) {
            finish(rt, r);
            pthread_mutex_lock(&rt->lock);
            r->done = 1;
            pthread_cond_broadcast(&rt->cond);
            pthread_mutex_unlock(&rt->lock);
            continue;
        }
        if (r->w && apc__capw_maybe_commit(r->w, 0) < 0)
            r->failed = 1;
        rt->act[keep++] = r;
    }
    rt->nact = keep;
}

static void one_packet(struct apc__router *rt, size_t i, const apc__lqhdr_t *h, const uint8_t *data)
{
    apc__pipe_pkt_t in = {.iface = h->iface,
                          .linktype = (uint32_t)apc__livesrc_linktype(rt->src[i]),
                          .ts_ns = h->ts_ns,
                          .caplen = h->caplen,
                          .wirelen = h->wirelen,
                          .data = data};
    apc__pkt_t d;
    apc__decode(&d, in.data, in.caplen, in.wirelen, in.linktype);
    apc__attr_t a;
    apc__attrib_lookup(rt->attr, &d, in.ts_ns, rt->loopback[i] ? APC__ATTR_BOTH_ENDS : 0, &a);
    int took = route_packet(rt, &in, &d, &a, rt->act, rt->nact, 0);
    if (took < 0 && !apc__proctab_caught_up(rt->procs, in.ts_ns)) {
        /* As live_session.c's wanted_wait: the owner's fork event may not be handled yet. */
        int64_t end = apc__mono_ns() + (rt->table_stalled ? 0 : TABLE_WAIT_NS);
        int caught = 0;
        while (!(caught = apc__proctab_caught_up(rt->procs, in.ts_ns)) && apc__mono_ns() < end) {
            struct timespec w = {0, 200000};
            nanosleep(&w, NULL);
        }
        rt->table_stalled = !caught;
        took = route_packet(rt, &in, &d, &a, rt->act, rt->nact, 0);
    }
    if (took <= 0)
        hold(rt, &in, &a);
}

static void *writer_main(void *arg)
{
    struct apc__router *rt = arg;
    for (;;) {
        int stopping = atomic_load(&rt->stop);
        if (!stopping)
            apc__router_adapters(rt, 0);
        housekeep(rt, 0, 0);
        size_t got = 0;
        for (size_t i = 0; i < rt->nsrc; i++) {
            apc__lq_t *q = apc__livesrc_queue(rt->src[i]);
            const apc__lqhdr_t *h;
            const uint8_t *data;
            for (int n = 0; n < 8192 && (h = apc__lq_peek(q, &data)); n++, got++) {
                one_packet(rt, i, h, data);
                apc__lq_pop(q);
            }
        }
        if (!got)
            housekeep(rt, 1, stopping);
        if (stopping && !got)
            break;
        if (!got) {
            apc__bell_prepare(&rt->bell);
            int work = atomic_load(&rt->stop);
            for (size_t i = 0; !work && i < rt->nsrc; i++) {
                const uint8_t *data;
                work = apc__lq_peek(apc__livesrc_queue(rt->src[i]), &data) != NULL;
            }
            if (work)
                apc__bell_cancel(&rt->bell);
            else
                apc__bell_wait(&rt->bell, 50);
        }
    }
    return NULL;
}

static void router_free(struct apc__router *rt)
{
    for (size_t i = 0; i < rt->nsrc; i++)
        apc__livesrc_close(rt->src[i]);
    if (rt->nl_fd >= 0)
        close(rt->nl_fd);
    apc__bell_destroy(&rt->bell);
    if (rt->attr)
        apc__attrib_release(rt->attr);
    while (rt->routes) {
        route_t *r = rt->routes;
        rt->routes = r->next;
        route_free(r);
    }
    free(rt->act);
    apc__preroll_free(&rt->pre);
    pthread_mutex_destroy(&rt->lock);
    pthread_cond_destroy(&rt->cond);
    free(rt);
}

int apc__router_start(apc_ctx_t *ctx)
{
    if (apc__router_running(ctx))
        return 0;
    struct apc__router *rt = calloc(1, sizeof *rt);
    if (!rt)
        return apc__err(APC_ENOMEM, "out of memory");
    rt->ctx = ctx;
    rt->bell.fd = -1;
    rt->nl_fd = apc__router_nl_open(); /* before the adapters are listed: no change is missed */
    rt->rescan_mono = apc__mono_ns() + APC__RESCAN_NS;
    pthread_mutex_init(&rt->lock, NULL);
    pthread_cond_init(&rt->cond, NULL);
    char **names = NULL;
    size_t nn = 0;
    /* trigger.preroll_bytes: for tests, a pre-roll small enough to overflow on purpose. */
    long bytes = apc__live_setting(ctx, "trigger.preroll_bytes", (long)APC__PREROLL_BYTES, 4096,
                                   (long)APC__PREROLL_BYTES * 16);
    int rc = apc__preroll_init(&rt->pre, (size_t)bytes, APC__PREROLL_NS);
    if (rc == 0)
        rc = apc__bell_init(&rt->bell);
    if (rc == 0)
        rc = apc__live_adapters(&names, &nn);
    if (rc == 0)
        rc = apc__live_open_sources(ctx, (const char *const *)names, nn, NULL, &rt->bell, rt->src,
                                    rt->loopback, &rt->nsrc);
    for (size_t i = 0; names && i < nn; i++)
        free(names[i]);
    free(names);
    if (rc == 0)
        rc = apc__attrib_acquire(ctx, 0, &rt->attr);
    if (rc == 0)
        rc = apc__proctab_get(ctx, &rt->procs);
    if (rc == 0) {
        int e = pthread_create(&rt->writer, NULL, writer_main, rt);
        rc = e ? apc__err_errno(e, "starting the trigger router") : 0;
        rt->started = !e;
    }
    for (size_t i = 0; rc == 0 && i < rt->nsrc; i++)
        rc = apc__livesrc_start(rt->src[i]);
    if (rc < 0) {
        char msg[1024];
        apc__err_copy(msg, sizeof msg);
        for (size_t i = 0; i < rt->nsrc; i++)
            apc__livesrc_stop(rt->src[i]);
        atomic_store(&rt->stop, 1);
        apc__bell_ring(&rt->bell);
        if (rt->started)
            pthread_join(rt->writer, NULL);
        router_free(rt);
        return apc__err(rc, "%s", msg);
    }
    pthread_mutex_lock(&ctx->live_lock);
    ctx->router = rt;
    pthread_mutex_unlock(&ctx->live_lock);
    apc__log(ctx, APC_LOG_INFO, "trigger router started on %zu adapter(s) (attribution %s)",
             rt->nsrc, apc__attrib_backend(rt->attr, NULL));
    return 0;
}

void apc__router_stop(apc_ctx_t *ctx)
{
    if (!ctx)
        return;
    pthread_mutex_lock(&ctx->live_lock);
    struct apc__router *rt = ctx->router;
    ctx->router = NULL;
    pthread_mutex_unlock(&ctx->live_lock);
    if (!rt)
        return;
    pthread_mutex_lock(&rt->lock); /* the writer opens no source after this */
    rt->closing = 1;
    size_t n = rt->nsrc;
    pthread_mutex_unlock(&rt->lock);
    for (size_t i = 0; i < n; i++)
        apc__livesrc_stop(rt->src[i]);
    atomic_store(&rt->stop, 1);
    apc__bell_ring(&rt->bell);
    pthread_join(rt->writer, NULL); /* its last pass finishes every route */
    /* A caller still inside (apc_capture_stop of a triggered capture racing the close: its
     * route is done now, it only has to wake up and leave) holds the router until it is out. */
    pthread_mutex_lock(&rt->lock);
    while (rt->users)
        pthread_cond_wait(&rt->cond, &rt->lock);
    pthread_mutex_unlock(&rt->lock);
    router_free(rt);
}

int apc__router_running(apc_ctx_t *ctx)
{
    pthread_mutex_lock(&ctx->live_lock);
    int r = ctx->router != NULL;
    pthread_mutex_unlock(&ctx->live_lock);
    return r;
}

/* The router with a hold on it (put), or NULL: apc__router_stop frees it only when every
 * holder has let go. The count is taken under live_lock, where stop unpublishes the router. */
static struct apc__router *get(apc_ctx_t *ctx)
{
    pthread_mutex_lock(&ctx->live_lock);
    struct apc__router *rt = ctx->router;
    if (rt) {
        pthread_mutex_lock(&rt->lock);
        rt->users++;
        pthread_mutex_unlock(&rt->lock);
    }
    pthread_mutex_unlock(&ctx->live_lock);
    return rt;
}

static void put(struct apc__router *rt)
{
    pthread_mutex_lock(&rt->lock);
    if (--rt->users == 0)
        pthread_cond_broadcast(&rt->cond);
    pthread_mutex_unlock(&rt->lock);
}

int apc__router_add(apc_ctx_t *ctx, const apc__route_opts_t *o, int64_t *out_id)
{
    struct apc__router *rt = get(ctx);
    if (!rt)
        return apc__err(APC_ENOTSUP, "the trigger router does not run");
    route_t *r = calloc(1, sizeof *r);
    if (!r) {
        put(rt);
        return apc__err(APC_ENOMEM, "out of memory");
    }
    r->pid = o->pid;
    r->exec_ns = o->exec_ns;
    r->flags = o->flags;
    /* Compiled for each adapter on the writer thread (adapters come and go there); the
     * trigger's filter was checked when it was stored. */
    const char *filter = o->filter && *o->filter ? o->filter : NULL;
    int rc = filter && !(r->filter = strdup(filter)) ? apc__err(APC_ENOMEM, "out of memory") : 0;
    char name[64];
    snprintf(name, sizeof name, "process %lld", (long long)o->pid);
    if (rc == 0)
        rc = apc__capture_create(ctx, APC_CAPTURE_PROCESS, name, "", 0, &r->id);
    if (rc == 0) {
        apc__st_capture_opts_t so = {.filter = filter ? filter : "",
                                     .adapters = "",
                                     .flags = (int64_t)o->flags,
                                     .pid = o->pid};
        rc = apc__captures_set_options(ctx->store, r->id, &so);
    }
    if (rc < 0) {
        route_free(r);
        put(rt);
        return rc;
    }
    pthread_mutex_lock(&rt->lock);
    r->next = rt->routes;
    rt->routes = r;
    pthread_mutex_unlock(&rt->lock);
    apc__bell_ring(&rt->bell);
    *out_id = r->id;
    put(rt);
    return 0;
}

/* Marks the route's end; the route or NULL (under rt->lock). */
static route_t *mark_end(struct apc__router *rt, int64_t capture_id)
{
    route_t *r = rt->routes;
    while (r && (r->id != capture_id || r->reaped))
        r = r->next;
    if (r && !r->end_req)
        __atomic_store_n(&r->end_req, apc__mono_ns(), __ATOMIC_RELEASE);
    return r;
}

void apc__router_request_end(apc_ctx_t *ctx, int64_t capture_id)
{
    struct apc__router *rt = get(ctx);
    if (!rt)
        return;
    pthread_mutex_lock(&rt->lock);
    mark_end(rt, capture_id);
    pthread_mutex_unlock(&rt->lock);
    apc__bell_ring(&rt->bell);
    put(rt);
}

int apc__router_end(apc_ctx_t *ctx, int64_t capture_id)
{
    struct apc__router *rt = get(ctx);
    if (!rt)
        return APC_ENOTFOUND;
    pthread_mutex_lock(&rt->lock);
    route_t *r = mark_end(rt, capture_id);
    if (r)
        r->waiters++; /* two callers may stop it at once (the runner, capture_stop_process) */
    pthread_mutex_unlock(&rt->lock);
    if (!r) {
        put(rt);
        return APC_ENOTFOUND;
    }
    apc__bell_ring(&rt->bell);
    pthread_mutex_lock(&rt->lock);
    while (!r->done)
        pthread_cond_wait(&rt->cond, &rt->lock);
    r->waiters--;
    r->reaped = 1; /* the writer frees it at its next pass once no one else waits */
    pthread_mutex_unlock(&rt->lock);
    put(rt);
    apc__ctx_broadcast(ctx);
    return 0;
}

int apc__router_has(apc_ctx_t *ctx, int64_t capture_id)
{
    struct apc__router *rt = get(ctx);
    if (!rt)
        return 0;
    pthread_mutex_lock(&rt->lock);
    const route_t *r = rt->routes;
    while (r && (r->id != capture_id || r->done || r->reaped))
        r = r->next;
    pthread_mutex_unlock(&rt->lock);
    put(rt);
    return r != NULL;
}
