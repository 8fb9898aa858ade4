/* SPDX-License-Identifier: MIT */
/*
 * The clock (module `util`: helpers shared by libapc, apcd and apcctl, with no dependency on
 * any other module). Two clocks, both in nanoseconds:
 *   apc__real_ns  wall time since the Unix epoch (UTC): what is stored and shown (apc_time_t);
 *   apc__mono_ns  monotonic time: what measures intervals, deadlines and rates, immune to the
 *                 wall clock being set.
 * Header-only, so programs that link only the public libapc can use it too.
 */
#ifndef APC_UTIL_CLOCK_H
#define APC_UTIL_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline int64_t apc__ts_ns(const struct timespec *t)
{
    return (int64_t)t->tv_sec * 1000000000LL + t->tv_nsec;
}

static inline int64_t apc__real_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return apc__ts_ns(&t);
}

static inline int64_t apc__mono_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return apc__ts_ns(&t);
}

/* The timespec `ns` nanoseconds (>= 0) after `t` (deadlines for pthread_cond_timedwait). */
static inline struct timespec apc__ts_after_ns(struct timespec t, int64_t ns)
{
    t.tv_sec += (time_t)(ns / 1000000000LL);
    t.tv_nsec += (long)(ns % 1000000000LL);
    if (t.tv_nsec >= 1000000000L) {
        t.tv_sec++;
        t.tv_nsec -= 1000000000L;
    }
    return t;
}

/* The same `ms` milliseconds after `t`. */
static inline struct timespec apc__ts_after_ms(struct timespec t, long ms)
{
    return apc__ts_after_ns(t, (int64_t)ms * 1000000LL);
}

/* `ns` nanoseconds from now on clock `clock` (the clock of the condition variable waited on). */
static inline struct timespec apc__deadline_ns(clockid_t clock, int64_t ns)
{
    struct timespec t;
    clock_gettime(clock, &t);
    return apc__ts_after_ns(t, ns);
}

#endif
