/* SPDX-License-Identifier: MIT */
/* Unit tests of TCP reassembly (flow/reasm.c): in order, shuffled, retransmitted, overlapping
 * with different contents (first wins), gaps, stream and pool caps, sequence wrap-around, two
 * directions. Every result is checked against an oracle computed here from the segments sent:
 * the first byte seen at each offset. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "flow/reasm.h"

#define MAXLEN 65536

/* What the sink saw. */
typedef struct got {
    uint8_t buf[MAXLEN];
    uint8_t have[MAXLEN]; /* 1 delivered, 2 reported missing */
    uint64_t next;        /* offsets must be contiguous: data and gaps tile the stream */
    uint64_t gap_bytes[3];
    size_t ngaps;
} got_t;

static void on_data(void *p, uint64_t off, const uint8_t *d, size_t len)
{
    got_t *g = p;
    assert_int_equal(off, g->next);
    assert_true(off + len <= MAXLEN);
    memcpy(g->buf + off, d, len);
    memset(g->have + off, 1, len);
    g->next = off + len;
}

static void on_gap(void *p, uint64_t off, uint64_t len, enum apc__reasm_gap_reason why)
{
    got_t *g = p;
    assert_int_equal(off, g->next);
    assert_true(len > 0);
    assert_true(why == APC__REASM_GAP_LOST || why == APC__REASM_GAP_CAP);
    assert_true(off + len <= MAXLEN);
    memset(g->have + off, 2, len);
    g->gap_bytes[why] += len;
    g->ngaps++;
    g->next = off + len;
}

/* Oracle: the first byte sent at each offset. */
typedef struct oracle {
    uint8_t buf[MAXLEN];
    uint8_t set[MAXLEN];
} oracle_t;

typedef struct seg {
    uint64_t off;
    size_t len;
    uint8_t fill; /* contents: fill + offset, so copies of one range can differ */
} seg_t;

static uint32_t rng_state;
static uint32_t rnd(void)
{
    rng_state = rng_state * 1103515245u + 12345u;
    return rng_state >> 8;
}

static void shuffle(seg_t *s, size_t n)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = rnd() % i;
        seg_t t = s[i - 1];
        s[i - 1] = s[j];
        s[j] = t;
    }
}

/* Sends segments (offsets relative to isn) to r, updating the oracle; checks the caps after
 * every segment. */
static void send_segs(apc__reasm_t *r, oracle_t *o, uint32_t isn, const seg_t *s, size_t n)
{
    uint8_t tmp[MAXLEN];
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < s[i].len; k++) {
            uint64_t off = s[i].off + k;
            tmp[k] = (uint8_t)(s[i].fill + off * 7 + (off >> 8));
            if (o && !o->set[off]) {
                o->set[off] = 1;
                o->buf[off] = tmp[k];
            }
        }
        assert_int_equal(apc__reasm_add(r, isn + (uint32_t)s[i].off, 0, tmp, s[i].len), 0);
        if (r->cap)
            assert_true(r->used <= r->cap);
        if (r->pool && r->pool->cap)
            assert_true(r->pool->used <= r->pool->cap);
    }
}

static void init(apc__reasm_t *r, got_t *g, apc__reasm_pool_t *pool, size_t cap, uint32_t isn)
{
    memset(g, 0, sizeof(*g));
    apc__reasm_sink_t sink = {on_data, on_gap, g};
    apc__reasm_init(r, pool, cap, &sink);
    /* The SYN fixes offset 0 at isn. */
    assert_int_equal(apc__reasm_add(r, isn - 1, 1, NULL, 0), 0);
}

/* Delivered bytes equal the oracle; with no gap expected, every byte up to total arrived. */
static void check(const got_t *g, const oracle_t *o, uint64_t total, int gaps_allowed)
{
    assert_int_equal(g->next, total);
    for (uint64_t i = 0; i < total; i++) {
        if (g->have[i] == 1) {
            assert_true(o->set[i]);
            assert_int_equal(g->buf[i], o->buf[i]);
        } else {
            assert_int_equal(g->have[i], 2);
            assert_true(gaps_allowed);
        }
    }
}

/* Contiguous segments of random sizes covering [0, total). */
static size_t cut(seg_t *s, uint64_t total, size_t maxseg, uint8_t fill)
{
    size_t n = 0;
    for (uint64_t off = 0; off < total;) {
        size_t len = 1 + rnd() % maxseg;
        if (off + len > total)
            len = (size_t)(total - off);
        s[n++] = (seg_t){off, len, fill};
        off += len;
    }
    return n;
}

static seg_t segs[8192];
static got_t g1, g2;
static oracle_t o1, o2;

static void test_in_order(void **state)
{
    (void)state;
    rng_state = 1;
    apc__reasm_t r;
    init(&r, &g1, NULL, 0, 1000);
    memset(&o1, 0, sizeof(o1));
    size_t n = cut(segs, 20000, 1460, 3);
    send_segs(&r, &o1, 1000, segs, n);
    assert_int_equal(r.used, 0); /* nothing needed buffering */
    apc__reasm_finish(&r);
    check(&g1, &o1, 20000, 0);
    assert_int_equal(g1.ngaps, 0);
    assert_int_equal(r.delivered, 20000);
}

static void test_shuffled(void **state)
{
    (void)state;
    for (uint32_t seed = 1; seed <= 20; seed++) {
        rng_state = seed;
        apc__reasm_t r;
        init(&r, &g1, NULL, 0, seed * 77777u);
        memset(&o1, 0, sizeof(o1));
        size_t n = cut(segs, 30000, 700, (uint8_t)seed);
        if (seed == 1) { /* fully reversed */
            for (size_t i = 0; i < n / 2; i++) {
                seg_t t = segs[i];
                segs[i] = segs[n - 1 - i];
                segs[n - 1 - i] = t;
            }
        } else {
            shuffle(segs, n);
        }
        send_segs(&r, &o1, seed * 77777u, segs, n);
        /* Every byte arrived: all is delivered before finish, nothing stays buffered. */
        assert_int_equal(g1.next, 30000);
        assert_int_equal(r.used, 0);
        apc__reasm_finish(&r);
        check(&g1, &o1, 30000, 0);
        assert_int_equal(g1.ngaps, 0);
    }
}

/* Retransmissions and overlapping segments whose contents differ from the first copy: the
 * first byte to arrive at an offset is the one delivered, whether the earlier copy was
 * already delivered or still buffered. */
static void test_overlaps_first_wins(void **state)
{
    (void)state;
    for (uint32_t seed = 1; seed <= 20; seed++) {
        rng_state = seed * 31u;
        apc__reasm_t r;
        init(&r, &g1, NULL, 0, 5);
        memset(&o1, 0, sizeof(o1));
        size_t n = cut(segs, 20000, 900, 1);
        /* Add overlapping copies with other contents, anywhere, then shuffle everything. */
        size_t extra = 1500;
        for (size_t i = 0; i < extra; i++) {
            uint64_t off = rnd() % 20000;
            size_t len = 1 + rnd() % 1200;
            if (off + len > 20000)
                len = (size_t)(20000 - off);
            segs[n++] = (seg_t){off, len, (uint8_t)(2 + rnd() % 250)};
        }
        shuffle(segs, n);
        send_segs(&r, &o1, 5, segs, n);
        apc__reasm_finish(&r);
        check(&g1, &o1, 20000, 0);
        assert_int_equal(g1.ngaps, 0);
        assert_true(r.dup_bytes > 0);
        assert_int_equal(r.used, 0);
    }
}

/* A hand-made overlap, so the policy is visible without the oracle: "AAAA" buffered at 4..8,
 * then "BBBBBBBB" at 2..10, then "CC" at 0..2. */
static void test_overlap_explicit(void **state)
{
    (void)state;
    apc__reasm_t r;
    init(&r, &g1, NULL, 0, 100);
    assert_int_equal(apc__reasm_add(&r, 104, 0, (const uint8_t *)"AAAA", 4), 0);
    assert_int_equal(apc__reasm_add(&r, 102, 0, (const uint8_t *)"BBBBBBBB", 8), 0);
    assert_int_equal(g1.next, 0);
    assert_int_equal(apc__reasm_add(&r, 100, 0, (const uint8_t *)"CC", 2), 0);
    /* Retransmission of delivered bytes with other contents changes nothing. */
    assert_int_equal(apc__reasm_add(&r, 100, 0, (const uint8_t *)"DDDD", 4), 0);
    apc__reasm_finish(&r);
    assert_int_equal(g1.next, 10);
    assert_memory_equal(g1.buf, "CCBBAAAABB", 10);
    assert_int_equal(r.dup_bytes, 4 + 4);
}

/* Missing segments: finish reports each hole (reason LOST) at its offset and length, and
 * delivers what came after it. */
static void test_gaps(void **state)
{
    (void)state;
    rng_state = 9;
    apc__reasm_t r;
    init(&r, &g1, NULL, 0, 42);
    memset(&o1, 0, sizeof(o1));
    size_t n = cut(segs, 10000, 500, 4);
    /* Drop three segments, not the last one; remember what they covered. */
    uint64_t lost = 0;
    size_t dropped = 0;
    for (size_t i = 1; i + 1 < n && dropped < 3; i += n / 4) {
        lost += segs[i].len;
        segs[i].len = 0;
        dropped++;
    }
    shuffle(segs, n);
    send_segs(&r, &o1, 42, segs, n);
    assert_true(g1.next < 10000);
    assert_true(r.used > 0);
    apc__reasm_finish(&r);
    assert_int_equal(r.used, 0);
    check(&g1, &o1, 10000, 1);
    assert_int_equal(g1.gap_bytes[APC__REASM_GAP_LOST], lost);
    assert_int_equal(g1.gap_bytes[APC__REASM_GAP_CAP], 0);
    assert_int_equal(g1.ngaps, dropped);
    for (uint64_t i = 0; i < 10000; i++)
        assert_int_equal(g1.have[i] == 2, !o1.set[i]);
}

/* Stream cap: out-of-order data past the cap is not buffered; the stream skips its first hole
 * (reason CAP) instead, and memory stays under the cap after every segment (send_segs). */
static void test_stream_cap(void **state)
{
    (void)state;
    for (uint32_t seed = 1; seed <= 10; seed++) {
        rng_state = seed * 1000u;
        apc__reasm_t r;
        size_t cap = 4096;
        init(&r, &g1, NULL, cap, 7);
        memset(&o1, 0, sizeof(o1));
        size_t n = cut(segs, 40000, 1000, 9);
        shuffle(segs, n);
        send_segs(&r, &o1, 7, segs, n);
        apc__reasm_finish(&r);
        check(&g1, &o1, 40000, 1);
        assert_true(g1.gap_bytes[APC__REASM_GAP_CAP] > 0);
        assert_int_equal(r.used, 0);
        assert_int_equal(r.delivered + r.gap_bytes, 40000);
    }
}

/* A segment larger than the cap, after a hole: skipped to and delivered at once, never
 * buffered. */
static void test_segment_larger_than_cap(void **state)
{
    (void)state;
    apc__reasm_t r;
    init(&r, &g1, NULL, 100, 0);
    uint8_t big[1000];
    memset(big, 'x', sizeof(big));
    assert_int_equal(apc__reasm_add(&r, 500, 0, big, sizeof(big)), 0);
    assert_int_equal(r.used, 0);
    assert_int_equal(g1.next, 1500);
    assert_int_equal(g1.gap_bytes[APC__REASM_GAP_CAP], 500);
    /* The hole's data arriving late is a duplicate of skipped bytes: ignored. */
    assert_int_equal(apc__reasm_add(&r, 0, 0, big, 500), 0);
    assert_int_equal(g1.next, 1500);
    apc__reasm_finish(&r);
}

/* Pool cap: two streams (the two directions of a connection) share a total; the total never
 * exceeds it, and each stream's output is still its own oracle's. */
static void test_pool_cap_two_directions(void **state)
{
    (void)state;
    rng_state = 4242;
    apc__reasm_pool_t pool = {.cap = 6000};
    apc__reasm_t a, b;
    init(&a, &g1, &pool, 0, 1);
    init(&b, &g2, &pool, 0, 0xfffff000u); /* b's sequence numbers wrap */
    memset(&o1, 0, sizeof(o1));
    memset(&o2, 0, sizeof(o2));
    static seg_t sa[4096], sb[4096];
    size_t na = cut(sa, 30000, 800, 1);
    size_t nb = cut(sb, 30000, 800, 2);
    shuffle(sa, na);
    shuffle(sb, nb);
    size_t ia = 0, ib = 0;
    while (ia < na || ib < nb) {
        if (ia < na && (ib >= nb || rnd() % 2))
            send_segs(&a, &o1, 1, &sa[ia++], 1);
        else
            send_segs(&b, &o2, 0xfffff000u, &sb[ib++], 1);
        assert_int_equal(pool.used, a.used + b.used);
    }
    apc__reasm_finish(&a);
    apc__reasm_finish(&b);
    check(&g1, &o1, 30000, 1);
    check(&g2, &o2, 30000, 1);
    assert_true(g1.gap_bytes[APC__REASM_GAP_CAP] + g2.gap_bytes[APC__REASM_GAP_CAP] > 0);
    assert_int_equal(pool.used, 0);
}

/* Sequence numbers wrapping past 2^32 in one direction, in shuffled order, without caps. */
static void test_wraparound(void **state)
{
    (void)state;
    rng_state = 77;
    apc__reasm_t r;
    uint32_t isn = 0xffffffffu - 5000;
    init(&r, &g1, NULL, 0, isn);
    memset(&o1, 0, sizeof(o1));
    size_t n = cut(segs, 20000, 1460, 5);
    shuffle(segs, n);
    send_segs(&r, &o1, isn, segs, n);
    apc__reasm_finish(&r);
    check(&g1, &o1, 20000, 0);
    assert_int_equal(g1.ngaps, 0);
}

/* Without a SYN the first data segment seen fixes offset 0; earlier bytes arriving later are
 * before the stream's start and ignored; free releases buffered memory without the sink. */
static void test_no_syn_and_free(void **state)
{
    (void)state;
    apc__reasm_pool_t pool = {0};
    apc__reasm_t r;
    memset(&g1, 0, sizeof(g1));
    apc__reasm_sink_t sink = {on_data, on_gap, &g1};
    apc__reasm_init(&r, &pool, 0, &sink);
    assert_int_equal(apc__reasm_add(&r, 5000, 0, NULL, 0), 0); /* bare ACK: not a start */
    assert_int_equal(apc__reasm_add(&r, 9000, 0, (const uint8_t *)"abc", 3), 0);
    assert_int_equal(g1.next, 3);
    assert_int_equal(apc__reasm_add(&r, 8990, 0, (const uint8_t *)"0123456789", 10), 0);
    assert_int_equal(g1.next, 3);
    assert_int_equal(apc__reasm_add(&r, 9010, 0, (const uint8_t *)"zz", 2), 0);
    assert_true(pool.used > 0);
    apc__reasm_free(&r);
    assert_int_equal(pool.used, 0);
    assert_int_equal(g1.next, 3);
    assert_memory_equal(g1.buf, "abc", 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_in_order),
        cmocka_unit_test(test_shuffled),
        cmocka_unit_test(test_overlaps_first_wins),
        cmocka_unit_test(test_overlap_explicit),
        cmocka_unit_test(test_gaps),
        cmocka_unit_test(test_stream_cap),
        cmocka_unit_test(test_segment_larger_than_cap),
        cmocka_unit_test(test_pool_cap_two_directions),
        cmocka_unit_test(test_wraparound),
        cmocka_unit_test(test_no_syn_and_free),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
