/* SPDX-License-Identifier: MIT */
/* Files put together from pieces (libapc/src/extract/sparse.c): pieces in any order and
 * overlapping with different contents checked against an oracle (the first byte put at each
 * offset wins, zeros elsewhere), the ranges kept sorted and disjoint, the file cap, the pool
 * cap shared by two files, and the pool given back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "extract/sparse.h"

#define SIZE 20000

static uint32_t rng = 12345;

static uint32_t next(void)
{
    rng = rng * 1103515245u + 12345u; /* deterministic: the same pieces on every run */
    return rng >> 8;
}

static void check_ranges(const apc__sparse_t *s, const uint8_t *seen, uint64_t limit)
{
    uint64_t sum = 0, last = 0;
    for (size_t i = 0; i < s->n_iv; i++) {
        assert_true(s->iv[i].a < s->iv[i].b);
        assert_true(i == 0 || s->iv[i].a > last); /* sorted, not touching */
        last = s->iv[i].b;
        sum += s->iv[i].b - s->iv[i].a;
    }
    assert_int_equal(sum, s->got);
    for (uint64_t k = 0; k < limit; k++) {
        int in = 0;
        for (size_t i = 0; i < s->n_iv; i++)
            in |= k >= s->iv[i].a && k < s->iv[i].b;
        assert_int_equal(in, seen[k]);
    }
}

static void test_oracle(void **state)
{
    (void)state;
    static uint8_t want[SIZE], seen[SIZE], piece[2000];
    memset(want, 0, sizeof want);
    memset(seen, 0, sizeof seen);
    apc__sparse_pool_t pool = {.cap = 1u << 20};
    apc__sparse_t s;
    memset(&s, 0, sizeof s);
    for (int round = 0; round < 400; round++) {
        uint64_t off = next() % SIZE;
        size_t len = 1 + next() % sizeof piece;
        if (off + len > SIZE)
            len = (size_t)(SIZE - off);
        for (size_t i = 0; i < len; i++)
            piece[i] = (uint8_t)next(); /* every copy differs: only the first may stay */
        assert_int_equal(apc__sparse_put(&s, &pool, SIZE, off, piece, len), 0);
        for (size_t i = 0; i < len; i++)
            if (!seen[off + i]) {
                seen[off + i] = 1;
                want[off + i] = piece[i];
            }
        if (round % 50 == 0)
            check_ranges(&s, seen, SIZE);
    }
    check_ranges(&s, seen, SIZE);
    assert_false(s.capped);
    assert_true(s.alloc >= s.end && s.alloc <= SIZE);
    assert_memory_equal(s.buf, want, (size_t)s.end);
    assert_int_equal(pool.used, s.alloc);
    apc__sparse_free(&s, &pool);
    assert_int_equal(pool.used, 0);
}

static void test_caps(void **state)
{
    (void)state;
    static uint8_t data[10000];
    memset(data, 7, sizeof data);
    apc__sparse_pool_t pool = {.cap = 12000};
    apc__sparse_t a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    /* past the file cap: dropped, or cut at it */
    assert_int_equal(apc__sparse_put(&a, &pool, 8000, 8000, data, 10), 0);
    assert_true(a.capped);
    assert_int_equal(a.n_iv, 0);
    assert_int_equal(apc__sparse_put(&a, &pool, 8000, 7000, data, 2000), 0);
    assert_int_equal(a.end, 8000);
    assert_int_equal(a.got, 1000);
    assert_int_equal(a.alloc, 8000);
    /* a second file: the pool has 4000 left, so 5000 bytes do not fit, 4000 do */
    assert_int_equal(apc__sparse_put(&b, &pool, 8000, 0, data, 5000), 0);
    assert_true(b.capped);
    assert_int_equal(b.got, 0);
    assert_int_equal(apc__sparse_put(&b, &pool, 8000, 0, data, 4000), 0);
    assert_int_equal(b.got, 4000);
    assert_int_equal(pool.used, 12000);
    apc__sparse_free(&a, &pool);
    apc__sparse_free(&b, &pool);
    assert_int_equal(pool.used, 0);
    /* offsets near 2^64 do not wrap */
    assert_int_equal(apc__sparse_put(&a, &pool, 8000, UINT64_MAX - 2, data, 10), 0);
    assert_true(a.capped);
    assert_int_equal(pool.used, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_oracle),
        cmocka_unit_test(test_caps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
