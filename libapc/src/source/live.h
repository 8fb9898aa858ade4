/* SPDX-License-Identifier: MIT */
/*
 * One live capture source: a libpcap handle on one interface (TPACKET_V3 ring, libpcap's
 * default on Linux), its capture thread, and the queue it fills. The thread never waits for
 * anything but the kernel: a full queue counts a drop. Kernel statistics are read by this
 * thread only (pcap_stats is not safe beside pcap_dispatch) and published.
 */
#ifndef APC_SOURCE_LIVE_H
#define APC_SOURCE_LIVE_H

#include <stddef.h>
#include <stdint.h>

#include "source/bell.h"
#include "source/livequeue.h"

typedef struct apc__livesrc apc__livesrc_t;

typedef struct apc__livesrc_cfg {
    const char *device;
    const char *filter; /* pcap-filter(7), NULL = all */
    int snaplen;
    size_t ring_bytes;  /* kernel ring (pcap_set_buffer_size) */
    size_t queue_bytes; /* our queue to the writer */
    uint32_t iface;     /* interface index within the capture, stamped on each packet */
    apc__bell_t *bell;  /* rung when packets were queued; NULL: none (the caller's, outlives s) */
} apc__livesrc_cfg_t;

/* Opens and activates the handle and compiles the filter into the kernel. Errors name the
 * device and carry libpcap's text. */
int apc__livesrc_open(apc__livesrc_t **out, const apc__livesrc_cfg_t *cfg);
/* Starts the capture thread. */
int apc__livesrc_start(apc__livesrc_t *s);
/* Stops delivery (a drop-all socket filter), drains what the kernel ring already holds into
 * the queue, reads the final statistics, joins the thread. Idempotent. */
void apc__livesrc_stop(apc__livesrc_t *s);
void apc__livesrc_close(apc__livesrc_t *s);

int apc__livesrc_linktype(const apc__livesrc_t *s); /* LINKTYPE_* */
int apc__livesrc_snaplen(const apc__livesrc_t *s);
const char *apc__livesrc_device(const apc__livesrc_t *s);
/* 1 for a loopback adapter (IFF_LOOPBACK, in the calling thread's network namespace): both
 * ends of its packets are sockets of this host. */
int apc__livesrc_loopback(const apc__livesrc_t *s);
apc__lq_t *apc__livesrc_queue(apc__livesrc_t *s);

/* Latest published kernel counters: received (passed the filter, drops included) and dropped
 * by the kernel (ring full). */
void apc__livesrc_stats(const apc__livesrc_t *s, uint64_t *recv, uint64_t *kdrop);

#endif
