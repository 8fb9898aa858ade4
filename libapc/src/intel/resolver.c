/* SPDX-License-Identifier: MIT */
/* Reverse lookups off the capture path (see resolver.h for the bounds). */
#include "intel/resolver.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <resolv.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "core/error.h"
#include "util/clock.h"

#define DEFAULT_PENDING 1024
#define DEFAULT_PER_SECOND 20
#define DEFAULT_STOP_WAIT_MS 100
/* The cache grows with the addresses a capture sees; past this many it stops taking new ones
 * (they count as dropped) so that a scan of the whole address space cannot eat the memory. */
#define MAX_CACHED (1u << 20)

enum { SLOT_EMPTY, SLOT_QUEUED, SLOT_DONE };

typedef struct slot {
    uint8_t addr[16];
    uint8_t ver; /* 0 = empty */
    uint8_t state;
} slot_t;

typedef struct qent {
    uint8_t addr[16];
    uint8_t ver;
} qent_t;

struct apc__resolver {
    apc__resolver_cfg_t cfg;
    pthread_t thread;
    pthread_mutex_t lock; /* queue, cache, stats, thread state: held briefly, never over calls */
    pthread_cond_t cond;  /* work arrived, stop asked, thread exited */
    /* Held by the thread over every call into the owner (known, on_name) and by stop once:
     * after stop took it, no call runs and none starts (the stop flag is checked under it). */
    pthread_mutex_t gate;
    atomic_int stopping;
    int exited, detached;
    qent_t *queue;
    size_t qhead, qlen;
    slot_t *slots;
    size_t cap, count;
    int64_t *starts; /* start times of the last per_second lookups (a ring) */
    size_t nstarts, sidx;
    apc__resolver_stats_t st;
};

static atomic_int g_threads;

int apc__resolver_threads(void)
{
    return atomic_load(&g_threads);
}

static uint64_t hash_addr(int ver, const uint8_t *a)
{
    /* FNV-1a over the address bytes. */
    uint64_t h = 1469598103934665603ULL ^ (uint64_t)ver;
    for (int i = 0; i < (ver == 4 ? 4 : 16); i++) {
        h ^= a[i];
        h *= 1099511628211ULL;
    }
    return h;
}

static slot_t *probe(slot_t *slots, size_t cap, int ver, const uint8_t *a)
{
    size_t i = hash_addr(ver, a) & (cap - 1);
    while (slots[i].ver && !(slots[i].ver == ver && memcmp(slots[i].addr, a, 16) == 0))
        i = (i + 1) & (cap - 1);
    return &slots[i];
}

static int grow(apc__resolver_t *r)
{
    size_t ncap = r->cap * 2;
    slot_t *ns = calloc(ncap, sizeof *ns);
    if (!ns)
        return -1;
    for (size_t i = 0; i < r->cap; i++)
        if (r->slots[i].ver)
            *probe(ns, ncap, r->slots[i].ver, r->slots[i].addr) = r->slots[i];
    free(r->slots);
    r->slots = ns;
    r->cap = ncap;
    return 0;
}

/* getnameinfo with NI_NAMEREQD: a name or nothing (never the address as text). */
static int gni_lookup(int ver, const uint8_t *addr, char *name, size_t n, void *arg)
{
    (void)arg;
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    socklen_t len;
    if (ver == 4) {
        struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
        s4->sin_family = AF_INET;
        memcpy(&s4->sin_addr, addr, 4);
        len = sizeof *s4;
    } else {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
        s6->sin6_family = AF_INET6;
        memcpy(&s6->sin6_addr, addr, 16);
        len = sizeof *s6;
    }
    return getnameinfo((struct sockaddr *)&ss, len, name, (socklen_t)n, NULL, 0, NI_NAMEREQD) == 0;
}

static void free_resolver(apc__resolver_t *r)
{
    pthread_mutex_destroy(&r->lock);
    pthread_mutex_destroy(&r->gate);
    pthread_cond_destroy(&r->cond);
    free(r->queue);
    free(r->slots);
    free(r->starts);
    free(r);
}

/* Waits (lock held) until a lookup may start without exceeding per_second in any one-second
 * window, and takes the slot. Returns 0, or -1 when stopping. */
static int take_rate_slot(apc__resolver_t *r)
{
    for (;;) {
        if (atomic_load(&r->stopping))
            return -1;
        int64_t now = apc__mono_ns();
        if (r->nstarts < r->cfg.per_second) {
            r->starts[r->nstarts++] = now;
            return 0;
        }
        int64_t oldest = r->starts[r->sidx];
        if (now - oldest >= 1000000000LL) {
            r->starts[r->sidx] = now;
            r->sidx = (r->sidx + 1) % r->cfg.per_second;
            return 0;
        }
        struct timespec until = apc__deadline_ns(CLOCK_MONOTONIC, oldest + 1000000000LL - now);
        pthread_cond_timedwait(&r->cond, &r->lock, &until);
    }
}

static void set_done(apc__resolver_t *r, const qent_t *q)
{
    slot_t *s = probe(r->slots, r->cap, q->ver, q->addr);
    if (s->ver)
        s->state = SLOT_DONE;
    r->st.answered++;
}

static void *run(void *arg)
{
    apc__resolver_t *r = arg;
    if (r->cfg.lookup == gni_lookup) {
        /* This thread's resolver state only (_res is per thread): one attempt of 1 s per
         * nameserver, so a DNS server that does not answer holds a lookup ~1 s, not the
         * default 5 s x 2 attempts. glibc keeps settings an application changed. */
        if (res_init() == 0) {
            _res.retrans = 1;
            _res.retry = 1;
        }
    }
    char name[NI_MAXHOST];
    pthread_mutex_lock(&r->lock);
    while (!atomic_load(&r->stopping)) {
        if (r->qlen == 0) {
            pthread_cond_wait(&r->cond, &r->lock);
            continue;
        }
        qent_t q = r->queue[r->qhead];
        r->qhead = (r->qhead + 1) % r->cfg.max_pending;
        r->qlen--;
        pthread_mutex_unlock(&r->lock);

        int known = 0;
        pthread_mutex_lock(&r->gate);
        if (!atomic_load(&r->stopping) && r->cfg.known)
            known = r->cfg.known(q.ver, q.addr, r->cfg.arg) == 1;
        pthread_mutex_unlock(&r->gate);

        pthread_mutex_lock(&r->lock);
        if (known) {
            r->st.known++;
            set_done(r, &q);
            continue;
        }
        if (take_rate_slot(r) < 0)
            break;
        r->st.lookups++;
        pthread_mutex_unlock(&r->lock);

        /* The lookup: no lock held, so stop can give up on it (see apc__resolver_stop). */
        name[0] = '\0';
        int found =
            r->cfg.lookup(q.ver, q.addr, name, sizeof name, r->cfg.lookup_arg) == 1 && name[0];
        name[sizeof name - 1] = '\0';

        pthread_mutex_lock(&r->gate);
        if (found && !atomic_load(&r->stopping) && r->cfg.on_name)
            r->cfg.on_name(q.ver, q.addr, name, r->cfg.arg);
        pthread_mutex_unlock(&r->gate);

        pthread_mutex_lock(&r->lock);
        r->st.names += (uint64_t)found;
        set_done(r, &q);
    }
    /* Stopping: whoever comes last frees (stop after a join, or this thread once detached). */
    r->exited = 1;
    int detached = r->detached;
    pthread_cond_broadcast(&r->cond);
    pthread_mutex_unlock(&r->lock);
    if (detached)
        free_resolver(r);
    atomic_fetch_sub(&g_threads, 1);
    return NULL;
}

int apc__resolver_start(const apc__resolver_cfg_t *cfg, apc__resolver_t **out)
{
    *out = NULL;
    apc__resolver_t *r = calloc(1, sizeof *r);
    if (!r)
        return apc__err(APC_ENOMEM, "out of memory");
    r->cfg = *cfg;
    if (!r->cfg.max_pending)
        r->cfg.max_pending = DEFAULT_PENDING;
    if (!r->cfg.per_second)
        r->cfg.per_second = DEFAULT_PER_SECOND;
    if (!r->cfg.stop_wait_ms)
        r->cfg.stop_wait_ms = DEFAULT_STOP_WAIT_MS;
    if (!r->cfg.lookup)
        r->cfg.lookup = gni_lookup;
    r->cap = 256;
    r->queue = calloc(r->cfg.max_pending, sizeof *r->queue);
    r->slots = calloc(r->cap, sizeof *r->slots);
    r->starts = calloc(r->cfg.per_second, sizeof *r->starts);
    if (!r->queue || !r->slots || !r->starts) {
        free(r->queue);
        free(r->slots);
        free(r->starts);
        free(r);
        return apc__err(APC_ENOMEM, "out of memory for the resolver");
    }
    pthread_mutex_init(&r->lock, NULL);
    pthread_mutex_init(&r->gate, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&r->cond, &ca);
    pthread_condattr_destroy(&ca);
    atomic_fetch_add(&g_threads, 1);
    int e = pthread_create(&r->thread, NULL, run, r);
    if (e) {
        atomic_fetch_sub(&g_threads, 1);
        free_resolver(r);
        return apc__err_errno(e, "starting the resolver thread");
    }
    *out = r;
    return 0;
}

int apc__resolver_submit(apc__resolver_t *r, int ver, const uint8_t *addr)
{
    if (ver != 4 && ver != 6)
        return apc__err(APC_EINVAL, "IP version %d is not 4 or 6", ver);
    uint8_t a[16] = {0};
    memcpy(a, addr, ver == 4 ? 4 : 16);
    int rc = 1;
    pthread_mutex_lock(&r->lock);
    slot_t *s = probe(r->slots, r->cap, ver, a);
    if (s->ver) {
        r->st.repeated++;
        rc = 0;
    } else if (r->qlen == r->cfg.max_pending || r->count >= MAX_CACHED) {
        r->st.dropped++;
        rc = apc__err(APC_ELIMIT, "resolver queue full (%zu addresses waiting)", r->qlen);
    } else if ((r->count + 1) * 2 > r->cap && grow(r) < 0) {
        r->st.dropped++;
        rc = apc__err(APC_ENOMEM, "out of memory for the resolver cache");
    } else {
        s = probe(r->slots, r->cap, ver, a);
        memcpy(s->addr, a, 16);
        s->ver = (uint8_t)ver;
        s->state = SLOT_QUEUED;
        r->count++;
        qent_t *q = &r->queue[(r->qhead + r->qlen) % r->cfg.max_pending];
        memcpy(q->addr, a, 16);
        q->ver = (uint8_t)ver;
        r->qlen++;
        r->st.submitted++;
        pthread_cond_signal(&r->cond);
    }
    pthread_mutex_unlock(&r->lock);
    return rc;
}

void apc__resolver_get_stats(apc__resolver_t *r, apc__resolver_stats_t *out)
{
    pthread_mutex_lock(&r->lock);
    *out = r->st;
    out->pending = r->qlen;
    pthread_mutex_unlock(&r->lock);
}

void apc__resolver_stop(apc__resolver_t *r)
{
    if (!r)
        return;
    pthread_mutex_lock(&r->lock);
    atomic_store(&r->stopping, 1);
    pthread_cond_broadcast(&r->cond);
    pthread_mutex_unlock(&r->lock);
    /* Wait out a callback in progress (a short store write); later ones see the flag. */
    pthread_mutex_lock(&r->gate);
    pthread_mutex_unlock(&r->gate);

    struct timespec until =
        apc__deadline_ns(CLOCK_MONOTONIC, (int64_t)r->cfg.stop_wait_ms * 1000000LL);
    pthread_mutex_lock(&r->lock);
    while (!r->exited)
        if (pthread_cond_timedwait(&r->cond, &r->lock, &until) == ETIMEDOUT)
            break;
    if (r->exited) {
        pthread_mutex_unlock(&r->lock);
        pthread_join(r->thread, NULL);
        free_resolver(r);
        return;
    }
    /* A lookup is stuck (getnameinfo has no time limit of its own): leave it to the thread,
     * which frees everything when the lookup returns and calls nothing back. */
    r->detached = 1;
    pthread_t t = r->thread;
    pthread_mutex_unlock(&r->lock);
    pthread_detach(t);
}
