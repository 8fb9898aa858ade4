/* SPDX-License-Identifier: MIT */
/*
 * The trigger router's pre-roll ring (capture/preroll.h): packets come out oldest first and
 * byte for byte across the wrap of the ring; the byte limit evicts the oldest and counts them;
 * the age limit evicts quietly; the log of packets gone tells a route starting later how many
 * of its own it lost (issue 9: drops are never silent).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "capture/preroll.h"

#define SEC 1000000000LL

static void push(apc__preroll_t *p, int64_t pid, int64_t ts, uint32_t len, uint8_t fill)
{
    uint8_t data[2000];
    memset(data, fill, len);
    apc__attr_t a = {.pid = pid};
    apc__preroll_push(p, &a, 0, ts, data, len, len + 4);
}

/* Checks the entries are in time order and hold their fill bytes; returns how many. */
static size_t walk(const apc__preroll_t *p, int64_t *first_ts, int64_t *last_ts)
{
    apc__preroll_cur_t c;
    size_t n = 0;
    int64_t prev = -1;
    for (const apc__held_t *h = apc__preroll_first(p, &c); h; h = apc__preroll_next(p, &c)) {
        assert_true(h->ts_ns > prev);
        prev = h->ts_ns;
        if (!n)
            *first_ts = h->ts_ns;
        *last_ts = h->ts_ns;
        assert_int_equal(h->wirelen, h->caplen + 4);
        for (uint32_t i = 0; i < h->caplen; i++)
            assert_int_equal(h->data[i], (uint8_t)h->ts_ns);
        n++;
    }
    return n;
}

static void ring_wraps_in_order(void **state)
{
    (void)state;
    apc__preroll_t p;
    assert_int_equal(apc__preroll_init(&p, 8192, 3 * SEC), 0);
    /* Sizes that do not divide the ring: many wraps, each leaving a gap at the end. */
    for (int64_t i = 1; i <= 2000; i++) {
        push(&p, 7, i, (uint32_t)(100 + (i * 37) % 900), (uint8_t)i);
        int64_t f = 0, l = 0;
        size_t n = walk(&p, &f, &l);
        assert_int_equal(n, p.count);
        assert_int_equal(l, i);                  /* the newest is always kept */
        assert_int_equal((int64_t)n, l - f + 1); /* and everything since the oldest kept */
    }
    assert_true(p.evicted > 1900); /* the byte limit pushed the oldest out */
    apc__preroll_free(&p);
}

static void age_limit_quiet(void **state)
{
    (void)state;
    apc__preroll_t p;
    assert_int_equal(apc__preroll_init(&p, 1 << 20, 3 * SEC), 0);
    push(&p, 7, 1 * SEC, 100, (uint8_t)(1 * SEC));
    push(&p, 7, 2 * SEC, 100, (uint8_t)(2 * SEC));
    push(&p, 7, 4 * SEC + 1, 100, (uint8_t)(4 * SEC + 1)); /* 1 s is now too old */
    assert_int_equal(p.count, 2);
    assert_int_equal(p.evicted, 0);
    apc__preroll_free(&p);
}

static int is_seven(void *arg, int64_t pid)
{
    (void)arg;
    return pid == 7;
}

static void lost_counts_own_packets(void **state)
{
    (void)state;
    apc__preroll_t p;
    assert_int_equal(apc__preroll_init(&p, 4096, 3 * SEC), 0);
    /* pid 7 and pid 8 alternate, 1000-byte packets: the 4 KiB ring keeps three. */
    for (int64_t i = 1; i <= 20; i++)
        push(&p, i % 2 ? 7 : 8, i, 1000, (uint8_t)i);
    assert_int_equal(p.count, 3);
    assert_int_equal(p.evicted, 17);
    /* Of the 17 gone, pid 7 owned 1, 3, ..., 17: 9; from time 11 on: 11, 13, 15, 17. */
    assert_int_equal(apc__preroll_lost_for(&p, 0, is_seven, NULL), 9);
    assert_int_equal(apc__preroll_lost_for(&p, 11, is_seven, NULL), 4);
    /* A packet larger than the ring is not held, and counted. */
    push(&p, 7, 21, 2000, 21);
    apc__preroll_t big;
    assert_int_equal(apc__preroll_init(&big, 4096, 3 * SEC), 0);
    uint8_t huge[8192] = {0};
    apc__attr_t a = {.pid = 7};
    apc__preroll_push(&big, &a, 0, 1, huge, sizeof huge, sizeof huge);
    assert_int_equal(big.count, 0);
    assert_int_equal(big.evicted, 1);
    assert_int_equal(apc__preroll_lost_for(&big, 0, is_seven, NULL), 1);
    apc__preroll_free(&big);
    apc__preroll_free(&p);
}

static void log_overflow_counted(void **state)
{
    (void)state;
    apc__preroll_t p;
    assert_int_equal(apc__preroll_init(&p, 4096, 3 * SEC), 0);
    size_t cap = p.log_cap;
    /* More packets gone than the log keeps: the overwritten ones still count (by second). */
    for (size_t i = 0; i < cap + 100; i++)
        push(&p, 7, SEC + (int64_t)i, 1000, (uint8_t)(SEC + (int64_t)i));
    uint64_t lost = apc__preroll_lost_for(&p, SEC, is_seven, NULL);
    assert_int_equal(lost, p.evicted);
    apc__preroll_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ring_wraps_in_order),
        cmocka_unit_test(age_limit_quiet),
        cmocka_unit_test(lost_counts_own_packets),
        cmocka_unit_test(log_overflow_counted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
