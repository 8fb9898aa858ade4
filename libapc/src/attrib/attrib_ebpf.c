/* SPDX-License-Identifier: MIT */
/*
 * The eBPF attribution backend (DESIGN.md section 6). The cgroup programs (libapc/bpf/) emit
 * one event per TCP/UDP packet; the attribution thread drains the ring buffer into the match
 * table (pktmatch.h) keyed by the packet's header identity; the writer thread looks each
 * captured packet up there (draining once more itself when the event is not in yet: ingress
 * packets reach libpcap before the socket hook):
 *  - exact: an egress packet sent in the owner's context (current tgid == socket owner), or
 *    any UDP egress (udp_sendmsg always runs in the sender's context): pid and sending tid;
 *  - socket: the socket's owner (created, connected or bound it; or, for an accepted socket,
 *    the listener's owner; or learnt from sock_diag + /proc for sockets older than us);
 *  - otherwise the caller falls back to the tuple table ("tuple").
 * A packet seen by two sockets of this host (both ends in different namespaces: veth) has two
 * events; the one whose socket lives in the writer's network namespace wins (the capture's
 * side), then the sender.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <apc/capture.h>

#include "attrib/attrib_int.h"
#include "core/ctx.h"
#include "util/clock.h"

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif

#define MATCH_SETS 65536 /* x 4 ways: 262144 packets in flight between hook and writer */
#define COOKIE_SLOTS 65536
#define PUT_SLOTS 4096
#define PUT_EVERY_NS 1000000000LL /* refresh a socket's tuple entry once a second */
#define RESCAN_MIN_NS 5000000LL   /* rescans for unknown owners: at most every 5 ms */
#define RESCAN_EVERY_NS 1000000000LL
#define WAIT_NS 5000000LL /* how long a packet waits for its socket hook (see lookup) */

uint64_t apc__netns_cookie_now(void)
{
    uint64_t c = 0;
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    socklen_t l = sizeof c;
    if (fd < 0 || getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, &c, &l) < 0)
        c = 0;
    if (fd >= 0)
        close(fd);
    return c;
}

uint64_t apc__netns_cookie(void)
{
    /* Cached per thread: for writer threads, which never change namespace. */
    static __thread uint64_t cached;
    static __thread int done;
    if (!done) {
        done = 1;
        cached = apc__netns_cookie_now();
    }
    return cached;
}

/* The socket table learns the tuple of every socket the events show (tuple fallback for
 * packets whose event was lost), at most once a second per socket. */
static void refresh_tuple(apc__attrib_t *a, const struct apc_pktev *ev, uint32_t pid, uint32_t tid,
                          int64_t now)
{
    size_t i = (ev->cookie * 0x9e3779b97f4a7c15ULL >> 40) & (PUT_SLOTS - 1);
    if (a->put_cookie[i] == ev->cookie && now - a->put_ns[i] < PUT_EVERY_NS)
        return;
    a->put_cookie[i] = ev->cookie;
    a->put_ns[i] = now;
    apc__sockkey_t k;
    memset(&k, 0, sizeof k);
    k.proto = ev->proto;
    k.ver = ev->ver;
    int out = ev->dir == APC_EV_OUT;
    k.lport = out ? ev->sport : ev->dport;
    k.rport = out ? ev->dport : ev->sport;
    memcpy(k.laddr, out ? ev->src : ev->dst, 16);
    memcpy(k.raddr, out ? ev->dst : ev->src, 16);
    apc__socktab_put(a->socks, &k, pid, tid, apc__real_ns()); /* the socket table's clock */
}

/* Ring buffer callback; runs with mlock held. */
static void on_event(const struct apc_pktev *ev, void *payload)
{
    apc__attrib_t *a = payload;
    apc__pmev_t e;
    memset(&e, 0, sizeof e);
    e.key = apc__pm_key(ev->ver, ev->proto, ev->src, ev->dst, ev->sport, ev->dport, ev->ip_id,
                        ev->ip_len, ev->seq, ev->ack, ev->tcp_flags);
    e.cookie = ev->cookie;
    e.netns = ev->netns;
    /* The hook's own time (bpf_ktime_get_ns is CLOCK_MONOTONIC, apc__mono_ns's clock): no
     * clock read per event here. */
    e.t_ns = (int64_t)ev->ktime;
    e.owner_pid = ev->owner_pid;
    e.owner_tid = ev->owner_tid;
    e.cur_pid = ev->cur_pid;
    e.cur_tid = ev->cur_tid;
    e.dir = ev->dir;
    e.proto = ev->proto;
    e.owner_src = ev->owner_src;
    apc__pm_add(a->match, &e);
    uint32_t pid = ev->owner_pid, tid = ev->owner_tid;
    if (!pid && !apc__cc_get(a->cookies, ev->cookie, &pid, &tid)) {
        atomic_store(&a->want_scan, 1);
        return;
    }
    /* Only sockets of the attribution thread's namespace: tuples of other namespaces would
     * collide with ours (the same addresses on both ends of a veth). */
    if (!ev->netns || ev->netns == a->netns)
        refresh_tuple(a, ev, pid, tid, e.t_ns);
}

int apc__attrib_ebpf_start(apc__attrib_t *a)
{
    a->match = apc__pm_new(MATCH_SETS);
    a->cookies = apc__cc_new(COOKIE_SLOTS);
    a->put_cookie = calloc(PUT_SLOTS, sizeof *a->put_cookie);
    a->put_ns = calloc(PUT_SLOTS, sizeof *a->put_ns);
    int rc = 0;
    if (!a->match || !a->cookies || !a->put_cookie || !a->put_ns) {
        snprintf(a->why, sizeof a->why, "eBPF: out of memory for the match table");
        rc = APC_ENOMEM;
    } else {
        rc = apc__ebpf_open(on_event, a, &a->ebpf, a->why, sizeof a->why);
    }
    if (rc < 0)
        apc__attrib_ebpf_stop(a);
    return rc;
}

void apc__attrib_ebpf_stop(apc__attrib_t *a)
{
    apc__ebpf_close(a->ebpf);
    a->ebpf = NULL;
    apc__pm_free(a->match);
    apc__cc_free(a->cookies);
    free(a->put_cookie);
    free(a->put_ns);
    a->match = NULL;
    a->cookies = NULL;
    a->put_cookie = NULL;
    a->put_ns = NULL;
}

void apc__attrib_ebpf_seed(apc__attrib_t *a, uint64_t cookie, int64_t pid)
{
    apc__ebpf_seed(a->ebpf, cookie, (uint32_t)pid, a->netns);
    pthread_mutex_lock(&a->mlock);
    uint32_t p, t;
    if (!apc__cc_get(a->cookies, cookie, &p, &t) || p != (uint32_t)pid)
        apc__cc_put(a->cookies, cookie, (uint32_t)pid, 0);
    pthread_mutex_unlock(&a->mlock);
}

void *apc__attrib_ebpf_run(void *arg)
{
    apc__attrib_t *a = arg;
    int fd = apc__ebpf_fd(a->ebpf);
    int64_t last_scan = apc__mono_ns(), last_expire = last_scan;
    while (!atomic_load(&a->stop)) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        poll(&p, 1, 10);
        pthread_mutex_lock(&a->mlock);
        apc__ebpf_consume(a->ebpf);
        pthread_mutex_unlock(&a->mlock);
        int64_t now = apc__mono_ns();
        /* Sockets the programs did not see created (accepted ones of a listener we missed,
         * older than us): sock_diag gives their cookie and inode, /proc the owner. */
        if ((atomic_load(&a->want_scan) && now - last_scan >= RESCAN_MIN_NS) ||
            now - last_scan >= RESCAN_EVERY_NS) {
            atomic_store(&a->want_scan, 0);
            apc__attrib_rescan(a);
            last_scan = apc__mono_ns();
        }
        if (now - last_expire > 10000000000LL) {
            apc__socktab_expire(a->socks, apc__real_ns() - 120000000000LL);
            last_expire = now;
        }
    }
    return NULL;
}

static int score(const apc__pmev_t *e, uint64_t my_netns)
{
    int s = e->netns && e->netns == my_netns ? 4 : !e->netns ? 2 : 0;
    return s + (e->dir == APC_EV_OUT);
}

static size_t best_of(const apc__pmev_t *ev, size_t n, uint64_t my)
{
    size_t b = 0;
    for (size_t i = 1; i < n; i++)
        if (score(&ev[i], my) > score(&ev[b], my))
            b = i;
    return b;
}

/* The other socket's event of the same packet (its other end on this host), or NULL. */
static const apc__pmev_t *other_end(const apc__pmev_t *ev, size_t n, const apc__pmev_t *b)
{
    for (size_t i = 0; i < n; i++)
        if (ev[i].cookie != b->cookie && ev[i].dir != b->dir)
            return &ev[i];
    return NULL;
}

/* Fills `end` from one event: exact for an egress packet sent in its owner's context (or any
 * UDP egress), else the socket's owner. 0 when the owner is not known (yet). Under mlock. */
static int end_of(apc__attrib_t *a, const apc__pmev_t *e, apc__attr_end_t *end)
{
    uint32_t pid = e->owner_pid, tid = e->owner_tid;
    if (!pid)
        apc__cc_get(a->cookies, e->cookie, &pid, &tid);
    end->direction = e->dir == APC_EV_OUT ? APC_DIR_OUT : APC_DIR_IN;
    if (e->dir == APC_EV_OUT && e->cur_pid && (e->cur_pid == pid || e->proto == 17)) {
        end->attribution = APC_ATTR_EXACT;
        end->pid = e->cur_pid;
        end->tid = e->cur_tid;
        return 1;
    }
    if (!pid)
        return 0;
    end->attribution = APC_ATTR_SOCKET;
    end->pid = pid;
    end->tid = tid;
    return 1;
}

int apc__attrib_ebpf_lookup(apc__attrib_t *a, const apc__pkt_t *d, int64_t ts_ns, int flags,
                            apc__attr_t *r)
{
    uint64_t key = apc__pm_key_pkt(d);
    if (!key)
        return 0;
    uint64_t my = apc__netns_cookie();
    apc__pmev_t ev[APC_PM_WAYS];
    pthread_mutex_lock(&a->mlock);
    size_t n = apc__pm_find(a->match, key, apc__mono_ns(), ev, APC_PM_WAYS);
    /* No event of a socket of our namespace yet: the ring buffer may not be drained (ingress
     * packets reach libpcap before the socket's hook), and for a packet captured moments ago
     * the hook may not even have run (veth: the peer's backlog). Drain, and for a packet
     * younger than WAIT_NS wait until it is that old: the writer then runs at most WAIT_NS
     * behind real time, whatever the traffic. With both ends on this host (loopback) the
     * receiver's event is waited for the same way: libpcap copies a loopback packet on its
     * way in, just before the receiving socket's hook runs. */
    for (int tries = 0;
         !n || score(&ev[best_of(ev, n, my)], my) < 4 ||
         ((flags & APC__ATTR_BOTH_ENDS) && !other_end(ev, n, &ev[best_of(ev, n, my)]));
         tries++) {
        if (tries) {
            int64_t age = apc__real_ns() - ts_ns;
            if (age < 0 || age >= WAIT_NS || tries > 100)
                break;
            pthread_mutex_unlock(&a->mlock);
            struct timespec w = {0, WAIT_NS - age < 200000 ? WAIT_NS - age : 200000};
            nanosleep(&w, NULL);
            pthread_mutex_lock(&a->mlock);
        }
        apc__ebpf_consume(a->ebpf);
        n = apc__pm_find(a->match, key, apc__mono_ns(), ev, APC_PM_WAYS);
    }
    if (!n) {
        pthread_mutex_unlock(&a->mlock);
        return 0;
    }
    const apc__pmev_t *b = &ev[best_of(ev, n, my)], *o = other_end(ev, n, b);
    apc__attr_end_t own;
    memset(&own, 0, sizeof own);
    int found = end_of(a, b, &own);
    if (o && !end_of(a, o, &r->peer))
        memset(&r->peer, 0, sizeof r->peer);
    pthread_mutex_unlock(&a->mlock);
    if (!found) {
        atomic_store(&a->want_scan, 1);
        return 0;
    }
    r->attribution = own.attribution;
    r->pid = own.pid;
    r->tid = own.tid;
    r->direction = own.direction;
    return 1;
}
