/* SPDX-License-Identifier: MIT */
/* MIME types by head (libapc/src/extract/typecache.c): a hit needs the exact bytes (a head
 * differing in its last byte, or one byte shorter, misses), a type survives until its slot is
 * taken, the cache stays bounded when many heads go through it, and the empty head works. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "extract/typecache.h"

#define HEAD 4096

static void fill(uint8_t *b, size_t n, uint32_t seed)
{
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u; /* deterministic */
        b[i] = (uint8_t)(seed >> 16);
    }
}

static void test_exact(void **state)
{
    (void)state;
    apc__typecache_t *tc = apc__typecache_new();
    assert_non_null(tc);
    static uint8_t a[HEAD], b[HEAD];
    fill(a, HEAD, 1);
    memcpy(b, a, HEAD);
    assert_null(apc__typecache_get(tc, a, HEAD));
    assert_string_equal(apc__typecache_put(tc, a, HEAD, "image/png"), "image/png");
    assert_string_equal(apc__typecache_get(tc, b, HEAD), "image/png");
    b[HEAD - 1] ^= 1;
    assert_null(apc__typecache_get(tc, b, HEAD));
    assert_null(apc__typecache_get(tc, a, HEAD - 1));
    /* the empty head (a file of no bytes has its own type upstream, but the cache must cope) */
    assert_string_equal(apc__typecache_put(tc, a, 0, "application/x-empty"), "application/x-empty");
    assert_string_equal(apc__typecache_get(tc, b, 0), "application/x-empty");
    apc__typecache_free(tc);
    apc__typecache_free(NULL);
}

/* Many more heads than slots: every answer is still the one stored for those bytes (or a miss),
 * never another head's type. */
static void test_many(void **state)
{
    (void)state;
    apc__typecache_t *tc = apc__typecache_new();
    assert_non_null(tc);
    static uint8_t h[HEAD];
    char want[32];
    size_t hits = 0;
    for (uint32_t i = 0; i < 8 * TYPECACHE_SLOTS; i++) {
        fill(h, 64, i);
        snprintf(want, sizeof want, "type/%u", i);
        assert_non_null(apc__typecache_put(tc, h, 64, want));
    }
    for (uint32_t i = 0; i < 8 * TYPECACHE_SLOTS; i++) {
        fill(h, 64, i);
        snprintf(want, sizeof want, "type/%u", i);
        const char *got = apc__typecache_get(tc, h, 64);
        if (got) {
            assert_string_equal(got, want);
            hits++;
        }
    }
    /* direct-mapped: at most one head per slot, and the last ones put are still there */
    assert_true(hits > 0 && hits <= TYPECACHE_SLOTS);
    fill(h, 64, 8 * TYPECACHE_SLOTS - 1);
    assert_non_null(apc__typecache_get(tc, h, 64));
    apc__typecache_free(tc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact),
        cmocka_unit_test(test_many),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
