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

/* Makes room for at least `need` elements of `elem` bytes in *items (capacity *cap), doubling
 * from 8 so appends cost amortised O(1). Returns 0, or -ENOMEM (also on size overflow) with
 * *items and *cap unchanged. */
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
    void *p = realloc(*items, n * elem);
    if (!p)
        return -ENOMEM;
    *items = p;
    *cap = n;
    return 0;
}

#endif
