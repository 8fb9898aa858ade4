/* SPDX-License-Identifier: MIT */
/*
 * A doorbell between capture threads (producers) and the one thread that drains their queues:
 * the drainer sleeps on an eventfd until a producer has put packets in a queue, instead of
 * polling on a timer. A producer pays one fence and one load per batch; the system call
 * happens only when the drainer is asleep.
 *
 * The drainer: apc__bell_prepare, then look at every queue (and its stop flag) once more; if
 * something is there apc__bell_cancel, else apc__bell_wait. A producer: apc__bell_ring after
 * publishing. Each side writes its flag before reading the other's (a full fence between), so
 * either the drainer sees the work or the producer sees the drainer asleep (Dekker): no lost
 * wake-up.
 */
#ifndef APC_SOURCE_BELL_H
#define APC_SOURCE_BELL_H

#include <stdatomic.h>

typedef struct apc__bell {
    int fd; /* eventfd */
    atomic_int sleeping;
} apc__bell_t;

/* 0, or < 0 with the message set (no eventfd). */
int apc__bell_init(apc__bell_t *b);
void apc__bell_destroy(apc__bell_t *b);
/* Producers (any thread): wakes the drainer if it is asleep or about to be. */
void apc__bell_ring(apc__bell_t *b);
/* The drainer: announces a sleep; then checks for work; then cancels or waits. */
void apc__bell_prepare(apc__bell_t *b);
void apc__bell_cancel(apc__bell_t *b);
/* Sleeps until rung or timeout_ms passed (the drainer's own timed duties: commits, counters). */
void apc__bell_wait(apc__bell_t *b, int timeout_ms);

#endif
