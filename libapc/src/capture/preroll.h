/* SPDX-License-Identifier: MIT */
/*
 * The trigger router's pre-roll (router.h, docs/triggers.md "Pre-roll"): the packets that no
 * route took, with their owners, in one ring of bytes allocated once (no allocation per packet),
 * oldest first, bounded by bytes and by age. Every packet that leaves it is written in a log of
 * owners and time stamps, so that a route installed later can count the packets of its process
 * tree that it can no longer have (its drops) instead of losing them silently.
 *
 * Not thread-safe: the router's writer thread owns it.
 */
#ifndef APC_CAPTURE_PREROLL_H
#define APC_CAPTURE_PREROLL_H

#include <stddef.h>
#include <stdint.h>

#include "attrib/attrib.h"

/* One packet in the ring; data follows the header. */
typedef struct apc__held {
    int64_t ts_ns;
    apc__attr_t a; /* as attributed when it was captured */
    uint32_t iface, caplen, wirelen;
    uint32_t size; /* bytes the entry takes in the ring, header and padding included */
    uint8_t data[];
} apc__held_t;

/* A packet that left the pre-roll: when it was captured and its two ends. */
typedef struct apc__gone {
    int64_t ts_ns, pid, peer;
} apc__gone_t;

#define APC__GONE_BUCKETS 64 /* seconds of log overflow kept as counts (see lost_for) */

typedef struct apc__preroll {
    uint8_t *buf;
    size_t cap;             /* bytes of buf */
    size_t head, tail, end; /* oldest entry; where the next goes; end of data before a wrap */
    int wrapped;            /* entries lie in [head, end) then [0, tail) */
    size_t count;           /* entries held */
    int64_t max_age_ns;     /* older than the newest packet by more than this: leaves */
    uint64_t evicted;       /* left by the byte limit before their time (whole life) */
    apc__gone_t *log;       /* ring of log_cap */
    size_t log_cap, log_n, log_next;
    /* Log entries overwritten (the log is full), counted by second of their time stamps. */
    int64_t lost_sec[APC__GONE_BUCKETS];
    uint64_t lost_n[APC__GONE_BUCKETS];
} apc__preroll_t;

/* Allocates a ring of `bytes` (at least 4 KiB) and a log of one entry per 256 bytes (at least
 * 4096 entries); APC_ENOMEM. */
int apc__preroll_init(apc__preroll_t *p, size_t bytes, int64_t max_age_ns);
void apc__preroll_free(apc__preroll_t *p);
/* Copies a packet in; the packets older than its time stamp minus max_age leave quietly (logged),
 * then the oldest leave until it fits (logged and counted in `evicted`). A packet larger than
 * the whole ring is not held: logged and counted. */
void apc__preroll_push(apc__preroll_t *p, const apc__attr_t *a, uint32_t iface, int64_t ts_ns,
                       const uint8_t *data, uint32_t caplen, uint32_t wirelen);

/* Oldest first: for (h = first(p, &c); h; h = next(p, &c)). */
typedef struct apc__preroll_cur {
    size_t off, left;
} apc__preroll_cur_t;
const apc__held_t *apc__preroll_first(const apc__preroll_t *p, apc__preroll_cur_t *c);
const apc__held_t *apc__preroll_next(const apc__preroll_t *p, apc__preroll_cur_t *c);

/* How many packets captured at or after since_ns have left the pre-roll while one of their
 * ends was a pid for which mine(arg, pid) is 1: the packets a route starting now lost. Plus,
 * when the log overflowed, every overwritten entry of the seconds from since_ns on (an upper
 * bound: their owners are no longer known). */
uint64_t apc__preroll_lost_for(const apc__preroll_t *p, int64_t since_ns,
                               int (*mine)(void *arg, int64_t pid), void *arg);

#endif
