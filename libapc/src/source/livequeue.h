/* SPDX-License-Identifier: MIT */
/*
 * A bounded single-producer single-consumer queue of packets, in one byte ring: the capture
 * thread pushes (never waits: a full queue counts a drop), the writer thread peeks and pops.
 */
#ifndef APC_SOURCE_LIVEQUEUE_H
#define APC_SOURCE_LIVEQUEUE_H

#include <stddef.h>
#include <stdint.h>

typedef struct apc__lq apc__lq_t;

typedef struct apc__lqhdr {
    int64_t ts_ns;
    uint32_t iface;
    uint32_t caplen, wirelen;
    uint32_t flags; /* free for the producer */
} apc__lqhdr_t;

/* `bytes` is rounded up to a power of two, at least 64 KiB. */
int apc__lq_new(apc__lq_t **out, size_t bytes);
void apc__lq_free(apc__lq_t *q);

/* 0, or APC_ELIMIT when full (the record is dropped and counted) or larger than the ring. */
int apc__lq_push(apc__lq_t *q, const apc__lqhdr_t *h, const uint8_t *data);
/* The oldest record, or NULL when empty; *data points into the ring until apc__lq_pop. */
const apc__lqhdr_t *apc__lq_peek(apc__lq_t *q, const uint8_t **data);
void apc__lq_pop(apc__lq_t *q);

uint64_t apc__lq_pushed(const apc__lq_t *q);
uint64_t apc__lq_drops(const apc__lq_t *q);
size_t apc__lq_capacity(const apc__lq_t *q);

#endif
