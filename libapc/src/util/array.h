/* SPDX-License-Identifier: MIT */
/*
 * The growable array (module `util`): one growth rule for every list built by appending.
 *
 *     if (apc__grow((void **)&l->items, &l->cap, l->count + 1, sizeof *l->items) < 0)
 *         return apc__err(APC_ENOMEM, "out of memory");
 *     l->items[l->count++] = x;
 *
 * Header-only, so apcd and apcctl use it too.
 */
#ifndef APC_UTIL_ARRAY_H
#define APC_UTIL_ARRAY_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/prefault.h"

/* Makes room for at least `need` elements of `elem` bytes in *items (capacity *cap), doubling
 * from 8 so appends cost amortised O(1). A large array's pages are mapped at once when it
 * moves (util/prefault.h). Returns 0, or -ENOMEM (also on size overflow) with *items and *cap
 * unchanged. */
static inline int apc__grow(void **items, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t n = *cap ? *cap : 8;
    while (n < need) {
        if (n > SIZE_MAX / 2)
            return -ENOMEM;
        n *= 2;
    }
    if (n > SIZE_MAX / elem)
        return -ENOMEM;
    void *p;
    if (n * elem >= APC__PREFAULT_MIN) {
        /* Not realloc: its copy would touch the new pages one fault at a time. */
        if (!(p = malloc(n * elem)))
            return -ENOMEM;
        apc__prefault(p, n * elem);
        if (*cap)
            memcpy(p, *items, *cap * elem);
        free(*items);
    } else if (!(p = realloc(*items, n * elem))) {
        return -ENOMEM;
    }
    *items = p;
    *cap = n;
    return 0;
}

/* The first of n elements of `elem` bytes at base whose int64_t key (at byte offset `off` in
 * each) is >= key, or n: the elements must be sorted by that key. For sorted lists that are
 * looked up by id (a packet's notes, a connection's files). */
static inline size_t apc__lower_bound_i64(const void *base, size_t n, size_t elem, size_t off,
                                          int64_t key)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int64_t k;
        memcpy(&k, (const char *)base + mid * elem + off, sizeof k);
        if (k < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

#endif
