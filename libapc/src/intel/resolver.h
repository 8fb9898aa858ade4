/* SPDX-License-Identifier: MIT */
/*
 * Reverse lookups for CAPTURE_FLAG_RESOLVE_IPS (docs/live.md "Resolving names"), made off the
 * capture path: the capture writer hands over addresses it sees for the first time
 * (apc__resolver_submit never blocks on a lookup), one resolver thread per capture looks them
 * up with getnameinfo(NI_NAMEREQD) and hands names back through a callback.
 *
 * Bounds: at most `max_pending` addresses wait (more are dropped and counted); at most
 * `per_second` lookups start in any one-second window; each address is looked up at most once
 * (the answer, a name or none, is cached for the resolver's life); DNS queries of the resolver
 * thread wait 1 s per nameserver, one attempt; and stopping never waits for a lookup in
 * progress longer than `stop_wait_ms`: the thread is then detached, finishes its lookup, calls
 * nothing back and frees itself.
 */
#ifndef APC_INTEL_RESOLVER_H
#define APC_INTEL_RESOLVER_H

#include <stddef.h>
#include <stdint.h>

typedef struct apc__resolver apc__resolver_t;

/* A lookup: the name of `addr` (4 or 16 bytes by `ver`) into name[n]. Returns 1 with a name,
 * 0 without. */
typedef int (*apc__resolve_fn)(int ver, const uint8_t *addr, char *name, size_t n, void *arg);

typedef struct apc__resolver_cfg {
    size_t max_pending;    /* queue bound; 0 = 1024 */
    unsigned per_second;   /* lookups started per second at most; 0 = 20 */
    unsigned stop_wait_ms; /* how long stopping waits for a lookup in progress; 0 = 100 */
    /* NULL = getnameinfo(NI_NAMEREQD). Exists so that tests can count lookups and make them
     * slow; production code leaves it NULL. */
    apc__resolve_fn lookup;
    void *lookup_arg;
    /* Called on the resolver thread, never after apc__resolver_stop returned:
     * known() = 1 when the address has a name already (then it is not looked up);
     * on_name() with each name found. Either may be NULL. */
    int (*known)(int ver, const uint8_t *addr, void *arg);
    void (*on_name)(int ver, const uint8_t *addr, const char *name, void *arg);
    void *arg;
} apc__resolver_cfg_t;

typedef struct apc__resolver_stats {
    uint64_t submitted; /* addresses queued */
    uint64_t repeated;  /* submitted again (already queued or answered): not queued */
    uint64_t dropped;   /* queue full */
    uint64_t known;     /* had a name already: not looked up */
    uint64_t lookups;   /* lookups made */
    uint64_t names;     /* lookups that found a name */
    uint64_t answered;  /* done: named already, or looked up and the name handed back */
    uint64_t pending;   /* waiting now */
} apc__resolver_stats_t;

/* Starts the resolver thread. */
int apc__resolver_start(const apc__resolver_cfg_t *cfg, apc__resolver_t **out);

/* Queues an address (ver 4 or 6). Cheap, takes a short lock, never waits for a lookup.
 * Returns 1 queued, 0 already queued or answered, APC_ELIMIT when the queue is full (the drop
 * is counted), APC_EINVAL for a bad version. */
int apc__resolver_submit(apc__resolver_t *r, int ver, const uint8_t *addr);

void apc__resolver_get_stats(apc__resolver_t *r, apc__resolver_stats_t *out);

/* Stops and frees the resolver (NULL-safe). Pending addresses are not looked up. After it
 * returns no callback runs; a lookup still in progress is left to its detached thread. */
void apc__resolver_stop(apc__resolver_t *r);

/* Resolver threads still running in this process (detached ones included): for tests. */
int apc__resolver_threads(void);

#endif
