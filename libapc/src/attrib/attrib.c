/* SPDX-License-Identifier: MIT */
/*
 * Backend selection and the procfs backend (see attrib.h). The procfs backend: a thread dumps
 * the namespace's TCP/UDP sockets with sock_diag, maps their inodes to processes through
 * /proc/<pid>/fd, and records tuple -> pid in the socket table; process events (exec, fork)
 * wake it at once so short-lived programs are seen while their sockets exist. Packets are then
 * matched by tuple (confidence "tuple").
 */
#include "attrib/attrib.h"
#include "attrib/attrib_int.h"

#include <errno.h>
#include <stdio.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <apc/capture.h>

#include "attrib/procconn.h"
#include "attrib/proctable.h"
#include "attrib/sockdiag.h"
#include "attrib/socktab.h"
#include "core/ctx.h"
#include "core/error.h"
#include "util/clock.h"

#define SCAN_NS 20000000LL /* rescan at least every 20 ms */
#define BURST_NS 2000000LL /* every 2 ms for a while after a process started */
#define BURST_LEN_NS 300000000LL
#define KEEP_NS 120000000000LL /* keep a closed socket's owner 2 minutes */

static size_t ino_slot(const inomap_t *m, uint32_t ino)
{
    size_t i = (ino * 2654435761u) & (m->cap - 1);
    while (m->ino[i] && m->ino[i] != ino)
        i = (i + 1) & (m->cap - 1);
    return i;
}

static void ino_put(inomap_t *m, uint32_t ino, int64_t pid)
{
    if ((m->n + 1) * 2 > m->cap) {
        inomap_t nm = {.cap = m->cap ? m->cap * 2 : 4096};
        nm.ino = calloc(nm.cap, sizeof *nm.ino);
        nm.pid = calloc(nm.cap, sizeof *nm.pid);
        if (!nm.ino || !nm.pid) {
            free(nm.ino);
            free(nm.pid);
            return;
        }
        for (size_t i = 0; i < m->cap; i++)
            if (m->ino[i]) {
                size_t j = ino_slot(&nm, m->ino[i]);
                nm.ino[j] = m->ino[i];
                nm.pid[j] = m->pid[i];
                nm.n++;
            }
        free(m->ino);
        free(m->pid);
        *m = nm;
    }
    size_t i = ino_slot(m, ino);
    if (!m->ino[i]) {
        m->ino[i] = ino;
        m->n++;
    }
    m->pid[i] = pid;
}

static int64_t ino_get(const inomap_t *m, uint32_t ino)
{
    if (!m->cap || !ino)
        return 0;
    size_t i = ino_slot(m, ino);
    return m->ino[i] ? m->pid[i] : 0;
}

typedef struct scan {
    apc__attrib_t *a;
    apc__diagsock_t *v;
    size_t n, cap;
    int unknown;
} scan_t;

static void on_sock(const apc__diagsock_t *s, void *payload)
{
    scan_t *sc = payload;
    if (!s->inode)
        return; /* TIME_WAIT and friends: no owner any more */
    if (sc->n == sc->cap) {
        size_t nc = sc->cap ? sc->cap * 2 : 256;
        apc__diagsock_t *nv = realloc(sc->v, nc * sizeof *nv);
        if (!nv)
            return;
        sc->v = nv;
        sc->cap = nc;
    }
    sc->v[sc->n++] = *s;
    if (!ino_get(&sc->a->inodes, s->inode))
        sc->unknown = 1;
}

/* Socket descriptors found by a full /proc scan: (inode, pid) pairs. */
typedef struct fdpair {
    uint32_t ino;
    int64_t pid;
} fdpair_t;

typedef struct fdscan {
    fdpair_t *v;
    size_t n, cap;
} fdscan_t;

static void on_fd(int64_t pid, uint32_t inode, void *payload)
{
    fdscan_t *f = payload;
    if (f->n == f->cap) {
        size_t nc = f->cap ? f->cap * 2 : 1024;
        fdpair_t *nv = realloc(f->v, nc * sizeof *nv);
        if (!nv)
            return;
        f->v = nv;
        f->cap = nc;
    }
    f->v[f->n++] = (fdpair_t){inode, pid};
}

static int cmp_pair(const void *x, const void *y)
{
    const fdpair_t *a = x, *b = y;
    if (a->ino != b->ino)
        return a->ino < b->ino ? -1 : 1;
    return a->pid < b->pid ? -1 : a->pid > b->pid;
}

/* Parents read during one scan: a socket shared by k processes needs k * (k - 1) ancestry
 * checks, each walking /proc/<pid>/stat up the tree. Direct-mapped; a collision re-reads. */
typedef struct ppcache {
    int64_t pid[256], ppid[256];
} ppcache_t;

static int64_t cached_parent(int64_t pid, void *p)
{
    ppcache_t *c = p;
    size_t i = (size_t)((uint64_t)pid * 2654435761u) & 255;
    if (c->pid[i] != pid) {
        c->pid[i] = pid;
        c->ppid[i] = apc__pid_parent(pid, NULL);
    }
    return c->ppid[i];
}

/* Maps every socket inode of the scan to its owner. Several processes hold one socket when a
 * child inherited it or shares its parent's descriptor table: the owner is chosen among them
 * (apc__fd_owner), not whichever /proc lists last. */
static void map_inodes(apc__attrib_t *a)
{
    fdscan_t f = {0};
    apc__fdscan(0, on_fd, &f);
    if (f.n)
        qsort(f.v, f.n, sizeof *f.v, cmp_pair);
    int64_t *holders = malloc((f.n ? f.n : 1) * sizeof *holders);
    ppcache_t *pc = calloc(1, sizeof *pc);
    for (size_t i = 0; holders && pc && i < f.n;) {
        size_t k = 0, j = i;
        for (; j < f.n && f.v[j].ino == f.v[i].ino; j++)
            if (k == 0 || holders[k - 1] != f.v[j].pid) /* a pid with dup()ed descriptors */
                holders[k++] = f.v[j].pid;
        int64_t prev = ino_get(&a->inodes, f.v[i].ino);
        ino_put(&a->inodes, f.v[i].ino, apc__fd_owner(holders, k, prev, cached_parent, pc));
        i = j;
    }
    free(pc);
    free(holders);
    free(f.v);
}

static void rescan_locked(apc__attrib_t *a);

void apc__attrib_rescan(apc__attrib_t *a)
{
    pthread_mutex_lock(&a->scan_lock);
    rescan_locked(a);
    pthread_mutex_unlock(&a->scan_lock);
}

static void rescan_locked(apc__attrib_t *a)
{
    scan_t sc = {.a = a};
    if (apc__sockdiag_dump(on_sock, &sc) < 0) {
        free(sc.v);
        return;
    }
    if (sc.unknown)
        map_inodes(a);
    int64_t now = apc__real_ns();
    for (size_t i = 0; i < sc.n; i++) {
        const apc__diagsock_t *s = &sc.v[i];
        int64_t pid = ino_get(&a->inodes, s->inode);
        if (!pid)
            continue;
        apc__sockkey_t k;
        memset(&k, 0, sizeof k);
        k.proto = s->proto;
        k.ver = s->ver;
        k.lport = s->sport;
        k.rport = s->dport;
        memcpy(k.laddr, s->src, 16);
        memcpy(k.raddr, s->dst, 16);
        apc__socktab_put(a->socks, &k, pid, 0, now);
        if (a->ebpf && s->cookie)
            apc__attrib_ebpf_seed(a, s->cookie, pid);
        /* A listener older than the programs: its accepted sockets (which never pass
         * sock_create) are given to it from their first packet, not after a rescan. */
        if (a->ebpf && s->proto == 6 && s->state == 10 /* TCP_LISTEN */)
            apc__ebpf_seed_listener(a->ebpf, s->ver, s->src, s->sport, (uint32_t)pid, a->netns);
    }
    free(sc.v);
}

static void on_procev(const apc__procev_t *ev, void *payload)
{
    apc__attrib_t *a = payload;
    if (ev->what == APC_PEV_EXIT)
        return;
    pthread_mutex_lock(&a->lock);
    a->kicked = 1;
    pthread_cond_signal(&a->wake);
    pthread_mutex_unlock(&a->lock);
}

static void *run(void *arg)
{
    apc__attrib_t *a = arg;
    int64_t last_expire = apc__real_ns(), burst_until = 0;
    while (!atomic_load(&a->stop)) {
        apc__attrib_rescan(a);
        int64_t now = apc__real_ns();
        if (now - last_expire > 10000000000LL) {
            apc__socktab_expire(a->socks, now - KEEP_NS);
            last_expire = now;
        }
        pthread_mutex_lock(&a->lock);
        if (!a->kicked && !atomic_load(&a->stop)) {
            struct timespec ts =
                apc__deadline_ns(CLOCK_REALTIME, now < burst_until ? BURST_NS : SCAN_NS);
            pthread_cond_timedwait(&a->wake, &a->lock, &ts);
        }
        if (a->kicked) /* a new process: its sockets come within moments */
            burst_until = apc__real_ns() + BURST_LEN_NS;
        a->kicked = 0;
        pthread_mutex_unlock(&a->lock);
    }
    return NULL;
}

int apc__attrib_acquire(apc_ctx_t *ctx, int no_ebpf, apc__attrib_t **out)
{
    pthread_mutex_lock(&ctx->attrib_lock);
    apc__attrib_t *a = ctx->attribs;
    while (a && a->ctx != ctx)
        a = a->next;
    if (a) {
        a->refs++;
        pthread_mutex_unlock(&ctx->attrib_lock);
        *out = a;
        return 0;
    }
    a = calloc(1, sizeof *a);
    int rc = a ? 0 : apc__err(APC_ENOMEM, "out of memory");
    if (rc == 0)
        rc = apc__proctab_get(ctx, &a->procs);
    if (rc == 0 && !(a->socks = apc__socktab_new()))
        rc = apc__err(APC_ENOMEM, "out of memory");
    if (rc < 0) {
        if (a)
            apc__socktab_free(a->socks);
        free(a);
        pthread_mutex_unlock(&ctx->attrib_lock);
        return rc;
    }
    a->ctx = ctx;
    a->refs = 1;
    pthread_mutex_init(&a->lock, NULL);
    pthread_cond_init(&a->wake, NULL);
    pthread_mutex_init(&a->scan_lock, NULL);
    pthread_mutex_init(&a->mlock, NULL);
    a->netns = apc__netns_cookie_now(); /* the caller may have changed namespace since */
    /* eBPF when it loads, else procfs; the reason says which and why. */
    if (no_ebpf) {
        a->backend = "procfs";
        a->reason = "forced by CAPTURE_FLAG_NO_EBPF";
    } else if (apc__attrib_ebpf_start(a) == 0) {
        a->backend = "ebpf";
        a->reason = a->why;
    } else {
        a->backend = "procfs";
        size_t l = strlen(a->why);
        snprintf(a->why + l, sizeof a->why - l, "; procfs backend used");
        a->reason = a->why;
        apc__log(ctx, APC_LOG_WARN, "attribution: %s", a->why);
    }
    apc__attrib_rescan(a); /* seeds the sockets that exist already */
    if (!a->ebpf && !apc__proctab_set_hook(a->procs, on_procev, a)) {
        if (no_ebpf)
            a->reason = "forced by CAPTURE_FLAG_NO_EBPF; process events unavailable, /proc polled";
        else
            strncat(a->why, "; process events unavailable, /proc polled",
                    sizeof a->why - strlen(a->why) - 1);
    }
    int e = pthread_create(&a->thread, NULL, a->ebpf ? apc__attrib_ebpf_run : run, a);
    if (e) {
        apc__proctab_set_hook(a->procs, NULL, NULL);
        apc__attrib_ebpf_stop(a);
        apc__socktab_free(a->socks);
        free(a);
        pthread_mutex_unlock(&ctx->attrib_lock);
        return apc__err_errno(e, "starting the attribution thread");
    }
    a->next = ctx->attribs;
    ctx->attribs = a;
    pthread_mutex_unlock(&ctx->attrib_lock);
    *out = a;
    return 0;
}

static void destroy(apc__attrib_t *a)
{
    apc__proctab_set_hook(a->procs, NULL, NULL);
    atomic_store(&a->stop, 1);
    pthread_mutex_lock(&a->lock);
    pthread_cond_signal(&a->wake);
    pthread_mutex_unlock(&a->lock);
    pthread_join(a->thread, NULL);
    apc__attrib_ebpf_stop(a);
    pthread_mutex_destroy(&a->mlock);
    apc__socktab_free(a->socks);
    free(a->inodes.ino);
    free(a->inodes.pid);
    pthread_mutex_destroy(&a->lock);
    pthread_cond_destroy(&a->wake);
    pthread_mutex_destroy(&a->scan_lock);
    free(a);
}

void apc__attrib_release(apc__attrib_t *a)
{
    if (!a)
        return;
    apc_ctx_t *ctx = a->ctx;
    pthread_mutex_lock(&ctx->attrib_lock);
    int last = --a->refs == 0;
    if (last) {
        apc__attrib_t **pp = &ctx->attribs;
        while (*pp && *pp != a)
            pp = &(*pp)->next;
        if (*pp)
            *pp = a->next;
    }
    pthread_mutex_unlock(&ctx->attrib_lock);
    if (last)
        destroy(a);
}

void apc__attrib_shutdown(apc_ctx_t *ctx)
{
    pthread_mutex_lock(&ctx->attrib_lock);
    apc__attrib_t **pp = &ctx->attribs;
    while (*pp && (*pp)->ctx != ctx)
        pp = &(*pp)->next;
    apc__attrib_t *a = *pp;
    if (a)
        *pp = a->next;
    pthread_mutex_unlock(&ctx->attrib_lock);
    if (a)
        destroy(a);
    apc__proctab_shutdown(ctx);
}

/* procfs backend: the receiving end of a packet whose owner found is its sender (or the other
 * way round), when that socket is on this host too. The lookup with source and destination
 * swapped reports the swapped packet's source end (APC_DIR_OUT), which is this one's
 * destination: an answer with APC_DIR_IN is the end already found. */
static void tuple_peer(apc__attrib_t *a, const apc__pkt_t *d, int dir, apc__attr_end_t *peer)
{
    int64_t pid = 0, tid = 0;
    int pdir = 0;
    int found = dir == APC_DIR_OUT
                    ? apc__socktab_find(a->socks, d->ip_proto, d->ip_ver, d->dst, d->dport, d->src,
                                        d->sport, &pid, &tid, &pdir)
                    : apc__socktab_find(a->socks, d->ip_proto, d->ip_ver, d->src, d->sport, d->dst,
                                        d->dport, &pid, &tid, &pdir);
    if (!found || pdir != APC_DIR_OUT)
        return;
    peer->attribution = APC_ATTR_TUPLE;
    peer->pid = pid;
    peer->tid = tid;
    peer->direction = dir == APC_DIR_OUT ? APC_DIR_IN : APC_DIR_OUT;
}

void apc__attrib_lookup(apc__attrib_t *a, const apc__pkt_t *d, int64_t ts_ns, int flags,
                        apc__attr_t *r)
{
    memset(r, 0, sizeof *r);
    if (!d->ip_ver || !d->has_l4 || (d->ip_proto != 6 && d->ip_proto != 17))
        return;
    if (a->ebpf && apc__attrib_ebpf_lookup(a, d, ts_ns, flags, r)) {
        r->process_id = apc__proctab_process_id(a->procs, r->pid);
        return;
    }
    int64_t pid = 0, tid = 0;
    int dir = 0;
    if (!apc__socktab_find(a->socks, d->ip_proto, d->ip_ver, d->src, d->sport, d->dst, d->dport,
                           &pid, &tid, &dir)) {
        /* Packets are attributed a little after capture: a socket that was too young for the
         * last scan (a SYN, a first datagram) usually still exists now. One rescan per 5 ms
         * at most, so unknown traffic cannot keep the writer scanning. */
        int64_t now = apc__real_ns();
        if (now - atomic_load(&a->last_sync) < 5000000LL)
            return;
        atomic_store(&a->last_sync, now);
        apc__attrib_rescan(a);
        if (!apc__socktab_find(a->socks, d->ip_proto, d->ip_ver, d->src, d->sport, d->dst, d->dport,
                               &pid, &tid, &dir))
            return;
    }
    r->pid = pid;
    r->tid = tid;
    r->direction = dir;
    r->process_id = apc__proctab_process_id(a->procs, pid);
    r->attribution = APC_ATTR_TUPLE;
    if (flags & APC__ATTR_BOTH_ENDS)
        tuple_peer(a, d, dir, &r->peer);
}

const char *apc__attrib_backend(const apc__attrib_t *a, const char **reason)
{
    if (reason)
        *reason = a ? a->reason : "no live capture runs";
    return a ? a->backend : "none";
}
