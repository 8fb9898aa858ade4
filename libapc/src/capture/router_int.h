/* SPDX-License-Identifier: MIT */
/* Internals of the trigger router (router.c; router_ifaces.c, its adapters). */
#ifndef APC_CAPTURE_ROUTER_INT_H
#define APC_CAPTURE_ROUTER_INT_H

#include <pcap/pcap.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "attrib/attrib.h"
#include "attrib/proctable.h"
#include "capture/capwriter.h"
#include "capture/live.h"
#include "capture/preroll.h"
#include "source/live.h"

#define MAX_SRC 64
#define HIST_N 256               /* drop counter samples kept ... */
#define HIST_EVERY_NS 20000000LL /* ... one per 20 ms at most: 5 s, more than the pre-roll */

typedef struct route {
    int64_t id, pid, exec_ns;
    uint32_t flags;
    char *filter;                     /* pcap-filter(7); NULL = all */
    struct bpf_program prog[MAX_SRC]; /* filter per source (linktype), by the writer thread */
    apc__capw_t *w;                   /* the writer thread's; NULL until installed */
    apc__liveres_t *res;              /* reverse lookups (CAPTURE_FLAG_RESOLVE_IPS) */
    uint64_t k0, q0;                  /* counters at its exec: its drops are the growth */
    uint64_t lost;                    /* its packets gone from the pre-roll before it started */
    int64_t end_req;                  /* mono ns the end was asked, 0 running */
    int done, failed;                 /* done: finished (under lock); failed: writer thread only */
    int reaped;                       /* someone waited for it: the writer frees it ... */
    int waiters;                      /* ... once nobody waits any more (under lock) */
    struct route *next;
} route_t;

/* Kernel and queue drops of all sources at a time (Unix epoch ns), so a route can count those
 * from its exec on, not only from when it was installed. */
typedef struct drop_sample {
    int64_t real_ns;
    uint64_t k, q;
} drop_sample_t;

struct apc__router {
    apc_ctx_t *ctx;
    apc__livesrc_t *src[MAX_SRC];
    size_t nsrc;         /* grows on the writer thread (adapters that come up), under lock */
    int closing;         /* under lock: stop opens no more sources */
    int nl_fd;           /* netlink route socket (link changes), -1 */
    int64_t rescan_mono; /* next periodic rescan of the adapters */
    uint8_t loopback[MAX_SRC];
    apc__attrib_t *attr;
    apc__proctab_t *procs;
    apc__bell_t bell;
    pthread_t writer;
    int started;
    atomic_int stop;
    pthread_mutex_t lock; /* routes, done flags, users */
    pthread_cond_t cond;
    int users;       /* callers inside an apc__router_* function (get/put): stop waits */
    route_t *routes; /* under lock; the writer frees them, nobody else */
    route_t **act;   /* the writer's snapshot of the routes not done */
    size_t nact;
    apc__preroll_t pre; /* writer thread only */
    drop_sample_t hist[HIST_N];
    size_t hist_n, hist_next;
    int64_t hist_mono;
    int table_stalled;
};

/* router_ifaces.c, all on the writer thread but open/close. */
/* The netlink socket that tells of link changes (-1 when it cannot be had: the periodic rescan
 * alone then). */
int apc__router_nl_open(void);
/* Opens the adapters that came up since the router started, when a link changed or every
 * APC__RESCAN_NS; each new one is declared to every installed route. */
void apc__router_adapters(struct apc__router *rt, int force);
/* Compiles route r's filter for source i (logged when it cannot: that source's packets are
 * not taken). */
void apc__router_compile(struct apc__router *rt, route_t *r, size_t i);
/* Declares source i to route r's capture writer and compiles its filter for it. */
void apc__router_route_iface(struct apc__router *rt, route_t *r, size_t i);

#define APC__RESCAN_NS 2000000000LL

#endif
