/* SPDX-License-Identifier: MIT */
/*
 * Live capture sessions: start/stop/list of system and process captures. A session owns one
 * source per adapter (source/live.h: a capture thread and a queue each) and one writer thread
 * that drains the queues, decodes, attributes (attrib/attrib.h), keeps or skips (process
 * captures store their targets' packets only) and stores through the capture writer, which
 * commits every second. Drops: the kernel's (pcap_stats, read by each capture thread) and ours
 * (queue full) are written to the capture row while it runs and at the end.
 */
#include <net/if.h>
#include <pcap/pcap.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <apc/live.h>
#include <apc/process.h>

#include "attrib/attrib.h"
#include "attrib/proctable.h"
#include "capture/capwriter.h"
#include "capture/pipeline.h"
#include "capture/live.h"
#include "capture/router.h"
#include "core/ctx.h"
#include "core/error.h"
#include "decode/decode.h"
#include "intel/ips.h"
#include "intel/resolver.h"
#include "source/live.h"
#include "store/captures.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/page.h"

#define MAX_SOURCES 64
#define MAX_TARGETS 64
#define TABLE_WAIT_NS 10000000000LL /* longest wait for the process table (wanted_wait) */

typedef struct target {
    int64_t pid, tid, process_id;
} target_t;

typedef struct apc__live_sess {
    apc_ctx_t *ctx;
    int64_t id;
    int type;
    uint32_t flags;
    apc__livesrc_t *src[MAX_SOURCES];
    size_t nsrc;
    uint8_t loopback[MAX_SOURCES]; /* the adapter is a loopback one: both ends are local */
    apc__attrib_t *attr;
    apc__proctab_t *procs;
    pthread_t writer;
    int writer_started;
    atomic_int stop;
    apc__bell_t bell; /* the sources ring it when they queued packets; the writer sleeps on it */
    pthread_mutex_t tlock; /* targets */
    target_t targets[MAX_TARGETS];
    size_t ntargets;
    uint64_t skipped;  /* process captures: packets of other processes, not stored */
    uint64_t waited;   /* process captures: packets that waited for the process table */
    uint64_t kept;     /* ... kept after the wait (skipped had the table been trusted at once) */
    uint64_t unknown;  /* ... skipped because their owner was still unknown after the wait */
    int table_stalled; /* the last wait ran out (writer thread only) */
    char error[512];
    struct apc__live_sess *next;
} sess_t;

APC_API int apc_live_options_init(apc_live_options_t *o, unsigned version)
{
    if (!o || version != APC_LIVE_OPTIONS_VERSION)
        return apc__err(APC_EINVAL, "unknown apc_live_options_t version %u", version);
    memset(o, 0, sizeof *o);
    o->version = version;
    return 0;
}

/* Is pid (thread tid) a target of a process capture: 1 yes, 0 no, -1 not known yet (with
 * descendants: the process table has not seen that process; its fork event may be on its
 * way). */
static int is_target(sess_t *s, int64_t pid, int64_t tid)
{
    if (!pid)
        return 0;
    int keep = 0;
    /* A second pass after reading /proc/<pid> when the table did not know pid (it still
     * runs: /proc says who its parent is). */
    for (int pass = 0; pass < 2; pass++) {
        keep = 0;
        pthread_mutex_lock(&s->tlock);
        for (size_t i = 0; keep <= 0 && i < s->ntargets; i++) {
            const target_t *t = &s->targets[i];
            int k = 0;
            if (s->flags & APC_CAPTURE_FLAG_THREAD_CAPTURE && t->tid)
                k = pid == t->pid && tid == t->tid;
            else if (pid == t->pid)
                k = 1;
            else if (s->flags & APC_CAPTURE_FLAG_DESCENDANTS)
                k = apc__proctab_related(s->procs, pid, t->pid);
            if (k)
                keep = k;
        }
        pthread_mutex_unlock(&s->tlock);
        if (keep >= 0 || !apc__proctab_learn(s->procs, pid))
            break;
    }
    return keep;
}

/* Keep or skip: process captures keep their targets' packets (descendants with the flag),
 * sent or received: a loopback packet is kept when either of its ends is a target, and is
 * then stored as that end's (r becomes it). 1 keep, 0 skip, -1 not known yet. */
static int wanted(sess_t *s, apc__attr_t *r)
{
    if (s->type != APC_CAPTURE_PROCESS)
        return 1;
    int own = is_target(s, r->pid, r->tid);
    if (own > 0)
        return 1;
    int peer = is_target(s, r->peer.pid, r->peer.tid);
    if (peer > 0) {
        r->attribution = r->peer.attribution;
        r->pid = r->peer.pid;
        r->tid = r->peer.tid;
        r->direction = r->peer.direction;
        r->process_id = 0; /* the caller looks it up */
        return 1;
    }
    return own < 0 || peer < 0 ? -1 : 0;
}

/* With descendants the process table decides, and it may be behind the kernel: a child
 * reaped before its fork event was handled is unknown, or its reused pid still shows an older
 * process. So a packet is skipped only once the table has every event sent before it was
 * captured (its sender's fork came first): until then the writer (only) waits, at most
 * TABLE_WAIT_NS. Usually the table is caught up already (one poll()). docs/live.md. */
static int wanted_wait(sess_t *s, apc__attr_t *r, int64_t ts_ns)
{
    int keep = wanted(s, r);
    if (keep > 0 || !(s->flags & APC_CAPTURE_FLAG_DESCENDANTS) ||
        apc__proctab_caught_up(s->procs, ts_ns))
        return keep > 0;
    s->waited++;
    /* After a wait that ran out, the next packets do not wait again until the table has
     * caught up: a stalled event thread must not hold every packet for the whole limit. */
    int64_t end = apc__mono_ns() + (s->table_stalled ? 0 : TABLE_WAIT_NS);
    int caught = 0;
    while (!(caught = apc__proctab_caught_up(s->procs, ts_ns)) && apc__mono_ns() < end) {
        struct timespec w = {0, 200000};
        nanosleep(&w, NULL);
    }
    s->table_stalled = !caught;
    keep = wanted(s, r);
    s->kept += keep > 0;
    if (keep < 0) { /* never forked while we listened, or its event was lost: not ours */
        s->unknown++;
        keep = 0;
    }
    return keep;
}

static void record_drops(sess_t *s, apc__capw_t *w, uint64_t *last_k, uint64_t *last_q)
{
    uint64_t k = 0, q = 0;
    for (size_t i = 0; i < s->nsrc; i++) {
        uint64_t recv, kd;
        apc__livesrc_stats(s->src[i], &recv, &kd);
        k += kd;
        q += apc__lq_drops(apc__livesrc_queue(s->src[i]));
    }
    if (k != *last_k || q != *last_q) {
        apc__capw_set_drops(w, k, q);
        *last_k = k;
        *last_q = q;
    }
}

/* The pipeline's attributor for live packets: the process table and socket lookups
 * (attrib/), then keep or skip by the session's targets. */
static int attribute(void *state, apc__capw_t *w, const apc__pipe_pkt_t *in, const apc__pkt_t *d,
                     apc__cappkt_t *p)
{
    sess_t *s = state;
    apc__attr_t a;
    int both = s->type == APC_CAPTURE_PROCESS && in->iface < s->nsrc && s->loopback[in->iface];
    apc__attrib_lookup(s->attr, d, in->ts_ns, both ? APC__ATTR_BOTH_ENDS : 0, &a);
    if (!wanted_wait(s, &a, in->ts_ns))
        return 0;
    if (!a.process_id && a.pid) /* the other end's, or known only after the wait */
        a.process_id = apc__proctab_process_id(s->procs, a.pid);
    if (a.process_id)
        apc__capw_live_process(w, a.process_id, a.pid);
    if (a.direction)
        p->direction = a.direction;
    p->attribution = a.attribution;
    p->pid = a.pid;
    p->tid = a.tid;
    p->process_id = a.process_id;
    return 1;
}

/* Sleeps until a source queued packets or the session stops. The 100 ms limit is for the
 * writer's own timed duties (commit interval, drop counters), not for packets: sources ring
 * the bell as soon as a batch is queued. */
static void wait_for_packets(sess_t *s)
{
    apc__bell_prepare(&s->bell);
    int work = atomic_load(&s->stop);
    for (size_t i = 0; !work && i < s->nsrc; i++) {
        const uint8_t *data;
        work = apc__lq_peek(apc__livesrc_queue(s->src[i]), &data) != NULL;
    }
    if (work)
        apc__bell_cancel(&s->bell);
    else
        apc__bell_wait(&s->bell, 100);
}

static void *writer_run(void *arg)
{
    sess_t *s = arg;
    apc__capw_t *w = NULL;
    char err[1024] = "";
    int state = APC_STATE_COMPLETED;
    if (apc__capw_open(s->ctx, s->id, &w) < 0) {
        apc__log(s->ctx, APC_LOG_ERROR, "live capture %lld: %s", (long long)s->id,
                 apc_last_error_message());
        return NULL;
    }
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < s->nsrc; i++)
        rc = apc__capw_add_iface(w, (uint32_t)apc__livesrc_linktype(s->src[i]),
                                 (uint32_t)apc__livesrc_snaplen(s->src[i]),
                                 apc__livesrc_device(s->src[i]), "", 1000000000ULL);
    apc__liveres_t *resolver = apc__liveres_start(s->ctx, s->id, s->flags, w, "live capture");
    uint64_t last_k = 0, last_q = 0;
    int64_t last_drops = 0;
    while (rc == 0) {
        /* Read the stop flag before draining: after it is set the sources are stopped and
         * their queues hold everything, so one more full pass empties them. */
        int stopping = atomic_load(&s->stop);
        size_t got = 0;
        for (size_t i = 0; rc == 0 && i < s->nsrc; i++) {
            apc__lq_t *q = apc__livesrc_queue(s->src[i]);
            const apc__lqhdr_t *h;
            const uint8_t *data;
            for (int n = 0; rc == 0 && n < 8192 && (h = apc__lq_peek(q, &data)); n++) {
                apc__pipe_pkt_t in = {
                    .iface = h->iface,
                    .linktype = (uint32_t)apc__livesrc_linktype(s->src[i]),
                    .ts_ns = h->ts_ns,
                    .caplen = h->caplen,
                    .wirelen = h->wirelen,
                    .data = data,
                };
                int kept = apc__pipe_packet(w, &in, attribute, s);
                if (kept == 0)
                    s->skipped++;
                rc = kept < 0 ? kept : 0;
                apc__lq_pop(q);
                got++;
            }
        }
        if (rc < 0)
            break;
        if (apc__mono_ns() - last_drops > 500000000LL) {
            record_drops(s, w, &last_k, &last_q);
            last_drops = apc__mono_ns();
        }
        int c = apc__capw_maybe_commit(w, 0);
        if (c < 0) {
            rc = c;
            break;
        }
        if (stopping && !got)
            break;
        if (!got)
            wait_for_packets(s);
    }
    if (rc < 0) {
        apc__err_copy(err, sizeof err);
        state = APC_STATE_FAILED;
        /* The sources keep running but nobody reads: stop them (the caller joins them). */
    }
    record_drops(s, w, &last_k, &last_q);
    if (s->waited)
        apc__log(s->ctx, s->unknown ? APC_LOG_WARN : APC_LOG_INFO,
                 "live capture %lld: %llu packets waited for the process table: %llu kept after "
                 "the wait, %llu skipped with their owner still unknown (%llu process events "
                 "lost by the kernel)",
                 (long long)s->id, (unsigned long long)s->waited, (unsigned long long)s->kept,
                 (unsigned long long)s->unknown,
                 (unsigned long long)apc__proctab_events_lost(s->procs));
    if (apc__capw_finish(w, state, err, 0, 0) < 0)
        apc__log(s->ctx, APC_LOG_ERROR, "live capture %lld: %s", (long long)s->id,
                 apc_last_error_message());
    apc__liveres_stop(resolver); /* after the writer is gone: nothing submits any more */
    snprintf(s->error, sizeof s->error, "%s", err);
    return NULL;
}

/* After the sources stopped: the writer empties their queues, finishes and is joined. */
static void stop_writer(sess_t *s)
{
    atomic_store(&s->stop, 1);
    apc__bell_ring(&s->bell);
    if (s->writer_started)
        pthread_join(s->writer, NULL);
    s->writer_started = 0;
}

static void sess_free(sess_t *s)
{
    for (size_t i = 0; i < s->nsrc; i++)
        apc__livesrc_close(s->src[i]);
    apc__bell_destroy(&s->bell); /* after the sources: nothing rings it any more */
    apc__attrib_release(s->attr);
    pthread_mutex_destroy(&s->tlock);
    free(s);
}

static char *join_adapters(const apc_live_options_t *o)
{
    size_t len = 1;
    for (size_t i = 0; i < o->n_adapters; i++)
        len += strlen(o->adapters[i]) + 1;
    char *r = calloc(1, len);
    for (size_t i = 0; r && i < o->n_adapters; i++) {
        if (i)
            strcat(r, ",");
        strcat(r, o->adapters[i]);
    }
    return r;
}

static int start(apc_ctx_t *ctx, int type, const apc_live_options_t *o, const target_t *tg,
                 int64_t *out_id)
{
    if (ctx->read_only)
        return apc__err(APC_ENOTSUP, "the context is read-only");
    sess_t *s = calloc(1, sizeof *s);
    if (!s)
        return apc__err(APC_ENOMEM, "out of memory");
    s->ctx = ctx;
    s->type = type;
    s->flags = o->flags;
    pthread_mutex_init(&s->tlock, NULL);
    if (tg)
        s->targets[s->ntargets++] = *tg;
    char **names = NULL;
    size_t nn = 0;
    int rc = apc__bell_init(&s->bell);
    if (rc == 0 && o->n_adapters == 0)
        rc = apc__live_adapters(&names, &nn);
    if (rc == 0 && o->n_adapters > MAX_SOURCES)
        rc = apc__err(APC_ELIMIT, "%zu adapters given, at most %d", o->n_adapters, MAX_SOURCES);
    size_t count = o->n_adapters ? o->n_adapters : nn;
    if (rc == 0)
        rc = apc__live_open_sources(ctx, o->n_adapters ? o->adapters : (const char *const *)names,
                                    count, o->filter, &s->bell, s->src, s->loopback, &s->nsrc);
    for (size_t i = 0; names && i < nn; i++)
        free(names[i]);
    free(names);
    if (rc == 0)
        rc = apc__attrib_acquire(ctx, !!(o->flags & APC_CAPTURE_FLAG_NO_EBPF), &s->attr);
    if (rc == 0)
        rc = apc__proctab_get(ctx, &s->procs);
    char *adapters = rc == 0 ? join_adapters(o) : NULL;
    if (rc == 0 && !adapters)
        rc = apc__err(APC_ENOMEM, "out of memory");
    if (rc == 0) {
        char name[128];
        if (tg)
            snprintf(name, sizeof name, "process %lld", (long long)tg->pid);
        else
            snprintf(name, sizeof name, "system");
        rc = apc__capture_create(ctx, type, name, "", 0, &s->id);
    }
    if (rc == 0) {
        apc__st_capture_opts_t so = {.filter = o->filter ? o->filter : "",
                                     .adapters = adapters,
                                     .flags = (int64_t)o->flags,
                                     .pid = tg ? tg->pid : 0,
                                     .tid = tg ? tg->tid : 0};
        rc = apc__captures_set_options(ctx->store, s->id, &so);
    }
    free(adapters);
    /* Writer first (it declares the interfaces), then the capture threads. */
    if (rc == 0) {
        int e = pthread_create(&s->writer, NULL, writer_run, s);
        if (e)
            rc = apc__err_errno(e, "starting the capture writer");
        else
            s->writer_started = 1;
    }
    for (size_t i = 0; rc == 0 && i < s->nsrc; i++)
        rc = apc__livesrc_start(s->src[i]);
    if (rc < 0) {
        char msg[1024];
        apc__err_copy(msg, sizeof msg);
        for (size_t i = 0; i < s->nsrc; i++)
            apc__livesrc_stop(s->src[i]);
        stop_writer(s);
        sess_free(s);
        return apc__err(rc, "%s", msg);
    }
    pthread_mutex_lock(&ctx->live_lock);
    s->next = ctx->live_sessions;
    ctx->live_sessions = s;
    pthread_mutex_unlock(&ctx->live_lock);
    apc__log(ctx, APC_LOG_INFO, "live capture %lld started on %zu adapter(s)", (long long)s->id,
             s->nsrc);
    *out_id = s->id;
    return 0;
}

APC_API int apc_capture_start_system(apc_ctx_t *ctx, const apc_live_options_t *o, int64_t *out_id)
{
    if (!ctx || !o || !out_id)
        return apc__err(APC_EINVAL, "NULL argument");
    if (o->version != APC_LIVE_OPTIONS_VERSION)
        return apc__err(APC_EINVAL, "unknown apc_live_options_t version %u", o->version);
    return start(ctx, APC_CAPTURE_SYSTEM, o, NULL, out_id);
}

static sess_t *find_locked(apc_ctx_t *ctx, int64_t id)
{
    for (sess_t *s = ctx->live_sessions; s; s = s->next)
        if (s->ctx == ctx && s->id == id)
            return s;
    return NULL;
}

APC_API int apc_capture_start_process(apc_ctx_t *ctx, const apc_live_options_t *o, int64_t *out_id)
{
    if (!ctx || !o || !out_id)
        return apc__err(APC_EINVAL, "NULL argument");
    if (o->version != APC_LIVE_OPTIONS_VERSION)
        return apc__err(APC_EINVAL, "unknown apc_live_options_t version %u", o->version);
    apc__proctab_t *pt;
    int rc = apc__proctab_get(ctx, &pt);
    if (rc < 0)
        return rc;
    target_t tg = {.pid = o->pid, .process_id = o->process_id};
    if (!tg.pid && tg.process_id)
        tg.pid = apc__proctab_pid_of(pt, tg.process_id);
    if (!tg.pid)
        return apc__err(o->process_id ? APC_ENOTFOUND : APC_EINVAL,
                        o->process_id ? "no process with process_id %lld"
                                      : "pid or process_id is needed",
                        (long long)o->process_id);
    if (!apc__proctab_learn(pt, tg.pid))
        return apc__err(APC_ENOTFOUND, "no process with pid %lld", (long long)tg.pid);
    if (o->tid) {
        if (!(o->flags & APC_CAPTURE_FLAG_THREAD_CAPTURE))
            return apc__err(APC_EINVAL, "thread_id %lld needs CAPTURE_FLAG_THREAD_CAPTURE (0x2)",
                            (long long)o->tid);
        if (apc__proctab_tgid(pt, o->tid) != tg.pid)
            return apc__err(APC_ENOTFOUND, "thread %lld is not a thread of process %lld",
                            (long long)o->tid, (long long)tg.pid);
        tg.tid = o->tid;
    } else if (o->flags & APC_CAPTURE_FLAG_THREAD_CAPTURE) {
        return apc__err(APC_EINVAL, "CAPTURE_FLAG_THREAD_CAPTURE needs thread_id");
    }
    tg.process_id = apc__proctab_process_id(pt, tg.pid);
    if (o->capture_id) {
        pthread_mutex_lock(&ctx->live_lock);
        sess_t *s = find_locked(ctx, o->capture_id);
        if (!s)
            rc = apc__err(APC_ENOTFOUND, "capture %lld is not an active live capture",
                          (long long)o->capture_id);
        else if (s->type != APC_CAPTURE_PROCESS)
            rc = apc__err(APC_EINVAL, "capture %lld is not a process capture",
                          (long long)o->capture_id);
        else {
            pthread_mutex_lock(&s->tlock);
            if (s->ntargets >= MAX_TARGETS)
                rc = apc__err(APC_ELIMIT, "capture %lld has %d processes already",
                              (long long)o->capture_id, MAX_TARGETS);
            else
                s->targets[s->ntargets++] = tg;
            pthread_mutex_unlock(&s->tlock);
        }
        pthread_mutex_unlock(&ctx->live_lock);
        if (rc == 0)
            *out_id = o->capture_id;
        return rc;
    }
    return start(ctx, APC_CAPTURE_PROCESS, o, &tg, out_id);
}

static void stop_one(sess_t *s)
{
    /* Sources first: each stops taking packets, drains its kernel ring into its queue and
     * publishes final counters; then the writer empties the queues and finishes. */
    for (size_t i = 0; i < s->nsrc; i++)
        apc__livesrc_stop(s->src[i]);
    stop_writer(s);
    apc__log(s->ctx, APC_LOG_INFO, "live capture %lld stopped", (long long)s->id);
    sess_free(s);
}

APC_API int apc_capture_stop(apc_ctx_t *ctx, int64_t id, int type)
{
    if (!ctx)
        return apc__err(APC_EINVAL, "NULL argument");
    pthread_mutex_lock(&ctx->live_lock);
    sess_t **pp = &ctx->live_sessions;
    while (*pp && !((*pp)->ctx == ctx && (*pp)->id == id && (!type || (*pp)->type == type)))
        pp = &(*pp)->next;
    sess_t *s = *pp;
    if (s)
        *pp = s->next;
    pthread_mutex_unlock(&ctx->live_lock);
    if (!s && (!type || type == APC_CAPTURE_PROCESS) && apc__router_end(ctx, id) == 0)
        return 0; /* a triggered capture (router.c) */
    if (!s)
        return apc__err(APC_ENOTFOUND, "capture %lld is not an active %s capture", (long long)id,
                        type ? apc_capture_type_name(type) : "live");
    stop_one(s);
    apc__ctx_broadcast(ctx);
    return 0;
}

APC_API int apc_capture_stop_all(apc_ctx_t *ctx)
{
    int n = 0;
    for (;;) {
        pthread_mutex_lock(&ctx->live_lock);
        sess_t **pp = &ctx->live_sessions;
        while (*pp && (*pp)->ctx != ctx)
            pp = &(*pp)->next;
        sess_t *s = *pp;
        if (s)
            *pp = s->next;
        pthread_mutex_unlock(&ctx->live_lock);
        if (!s)
            break;
        stop_one(s);
        n++;
    }
    if (n)
        apc__ctx_broadcast(ctx);
    return n;
}

void apc__live_shutdown(apc_ctx_t *ctx)
{
    apc__router_stop(ctx);
    apc_capture_stop_all(ctx);
    apc__attrib_shutdown(ctx);
}

APC_API int apc_capture_is_live(apc_ctx_t *ctx, int64_t id)
{
    pthread_mutex_lock(&ctx->live_lock);
    int r = find_locked(ctx, id) != NULL;
    pthread_mutex_unlock(&ctx->live_lock);
    return r || apc__router_has(ctx, id);
}

APC_API int apc_capture_stream(apc_ctx_t *ctx, int64_t id, int64_t last_id, unsigned max,
                               unsigned flags, apc_packet_page_t **out)
{
    if (!apc_capture_is_live(ctx, id))
        return apc__err(APC_ENOTFOUND, "capture %lld is not active", (long long)id);
    return apc_capture_read(ctx, id, last_id, max, flags, out);
}

APC_API const char *apc_attribution_backend(apc_ctx_t *ctx, const char **reason)
{
    /* The backend of a running capture, or what a capture started now would use. */
    pthread_mutex_lock(&ctx->live_lock);
    sess_t *s = ctx->live_sessions;
    while (s && s->ctx != ctx)
        s = s->next;
    const char *b = s ? apc__attrib_backend(s->attr, reason) : NULL;
    pthread_mutex_unlock(&ctx->live_lock);
    if (b)
        return b;
    if (reason)
        *reason = "no live capture runs; the next one tries eBPF, then procfs";
    return "none";
}

APC_API int apc_process_list_capture(apc_ctx_t *ctx, apc_process_page_t **out)
{
    apc__proctab_t *pt;
    int rc = apc__proctab_get(ctx, &pt);
    if (rc < 0)
        return rc;
    int64_t pids[256];
    size_t n = 0;
    pthread_mutex_lock(&ctx->live_lock);
    for (sess_t *s = ctx->live_sessions; s; s = s->next) {
        if (s->ctx != ctx || s->type != APC_CAPTURE_PROCESS)
            continue;
        pthread_mutex_lock(&s->tlock);
        for (size_t i = 0; i < s->ntargets && n < 256; i++)
            pids[n++] = s->targets[i].pid;
        pthread_mutex_unlock(&s->tlock);
    }
    pthread_mutex_unlock(&ctx->live_lock);
    apc_process_page_t *pg = calloc(1, sizeof *pg);
    if (pg)
        pg->procs = calloc(n ? n : 1, sizeof *pg->procs);
    if (!pg || !pg->procs) {
        apc_process_page_free(pg);
        return apc__err(APC_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++)
        if (apc__proctab_describe(pt, pids[i], &pg->procs[pg->count]) == 0)
            pg->count++;
    *out = pg;
    return 0;
}
