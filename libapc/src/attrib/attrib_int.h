/* SPDX-License-Identifier: MIT */
/* The attribution backend object, shared by attrib.c (selection, procfs backend) and
 * attrib_ebpf.c (eBPF backend). */
#ifndef APC_ATTRIB_ATTRIB_INT_H
#define APC_ATTRIB_ATTRIB_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "attrib/attrib.h"
#include "attrib/ebpf.h"
#include "attrib/pktmatch.h"
#include "attrib/proctable.h"
#include "attrib/socktab.h"

typedef struct inomap {
    uint32_t *ino;
    int64_t *pid;
    size_t cap, n;
} inomap_t;

struct apc__attrib {
    apc_ctx_t *ctx;
    int refs;
    const char *backend, *reason;
    apc__proctab_t *procs;
    apc__socktab_t *socks;
    inomap_t inodes;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    pthread_mutex_t scan_lock; /* one rescan at a time (the inode map is not shared) */
    _Atomic int64_t last_sync; /* last rescan made for a packet nobody owned */
    int kicked;
    atomic_int stop;
    apc__attrib_t *next;
    /* eBPF backend (ebpf NULL: procfs). mlock guards the ring buffer's consumption, the match
     * table and the cookie cache. */
    apc__ebpf_t *ebpf;
    pthread_mutex_t mlock;
    apc__pmtab_t *match;
    apc__cookiecache_t *cookies;
    uint64_t *put_cookie; /* socket table refreshes from events: cookie, time (direct-mapped) */
    int64_t *put_ns;
    uint64_t netns;       /* network namespace cookie of the attribution thread */
    atomic_int want_scan; /* an event came from a socket of unknown owner */
    char why[512];
};

/* Rescans sockets (sock_diag + /proc/<pid>/fd) into the socket table, and seeds the eBPF
 * programs and the cookie cache with the owners found. */
void apc__attrib_rescan(apc__attrib_t *a);

/* eBPF backend (attrib_ebpf.c). start: 0 or < 0 with a->why set; run: the thread. */
int apc__attrib_ebpf_start(apc__attrib_t *a);
void apc__attrib_ebpf_stop(apc__attrib_t *a);
void *apc__attrib_ebpf_run(void *arg);
/* 1 when the packet was matched to an eBPF event and r is filled (exact or socket), with
 * r->peer from the other socket's event when there is one. flags: APC__ATTR_*. */
int apc__attrib_ebpf_lookup(apc__attrib_t *a, const apc__pkt_t *d, int64_t ts_ns, int flags,
                            apc__attr_t *r);
/* The socket of `cookie` belongs to pid (from a rescan). */
void apc__attrib_ebpf_seed(apc__attrib_t *a, uint64_t cookie, int64_t pid);
/* Network namespace cookie of the calling thread (SO_NETNS_COOKIE): now, or cached per thread
 * (for threads that never call setns). */
uint64_t apc__netns_cookie_now(void);
uint64_t apc__netns_cookie(void);

#endif
