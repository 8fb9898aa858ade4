/* SPDX-License-Identifier: MIT */
/* A file put together from pieces at any offsets (extract/sparse.h). */
#include "extract/sparse.h"

#include <stdlib.h>
#include <string.h>

#include "util/array.h"

#define FIRST_ALLOC 4096 /* then doubled: a file read in order grows in few reallocations */

int apc__sparse_take(apc__sparse_pool_t *pool, size_t n)
{
    if (n > pool->cap - pool->used)
        return 0;
    pool->used += n;
    return 1;
}

void apc__sparse_free(apc__sparse_t *s, apc__sparse_pool_t *pool)
{
    pool->used -= s->alloc;
    free(s->buf);
    free(s->iv);
    memset(s, 0, sizeof *s);
}

/* Marks [a, b) received, merging with the ranges it overlaps or touches. */
static int iv_add(apc__sparse_t *s, uint64_t a, uint64_t b)
{
    size_t i = 0;
    while (i < s->n_iv && s->iv[i].b < a)
        i++;
    size_t j = i;
    while (j < s->n_iv && s->iv[j].a <= b) {
        if (s->iv[j].a < a)
            a = s->iv[j].a;
        if (s->iv[j].b > b)
            b = s->iv[j].b;
        j++;
    }
    if (j == i) { /* touches none: a new range at i */
        if (apc__grow((void **)&s->iv, &s->cap_iv, s->n_iv + 1, sizeof *s->iv) < 0)
            return -1;
        memmove(&s->iv[i + 1], &s->iv[i], (s->n_iv - i) * sizeof *s->iv);
        s->n_iv++;
    } else if (j > i + 1) { /* several merge into i */
        memmove(&s->iv[i + 1], &s->iv[j], (s->n_iv - j) * sizeof *s->iv);
        s->n_iv -= j - i - 1;
    }
    s->iv[i].a = a;
    s->iv[i].b = b;
    return 0;
}

/* Grows the buffer to hold [0, want): doubling while the pool allows, else exactly. 1, 0 when
 * a cap stops it, -1 when out of memory. */
static int grow(apc__sparse_t *s, apc__sparse_pool_t *pool, size_t file_cap, size_t want)
{
    size_t n = s->alloc ? s->alloc : FIRST_ALLOC;
    while (n < want)
        n = n > file_cap / 2 ? file_cap : n * 2;
    if (n > file_cap)
        n = file_cap;
    if (!apc__sparse_take(pool, n - s->alloc)) {
        n = want;
        if (!apc__sparse_take(pool, n - s->alloc))
            return 0;
    }
    uint8_t *b = realloc(s->buf, n);
    if (!b) {
        pool->used -= n - s->alloc;
        return -1;
    }
    memset(b + s->alloc, 0, n - s->alloc);
    s->buf = b;
    s->alloc = n;
    return 1;
}

int apc__sparse_put(apc__sparse_t *s, apc__sparse_pool_t *pool, size_t file_cap, uint64_t off,
                    const uint8_t *data, size_t len)
{
    if (len == 0)
        return 0;
    if (off >= file_cap) {
        s->capped = 1;
        return 0;
    }
    if (len > file_cap - off) {
        len = (size_t)(file_cap - off);
        s->capped = 1;
    }
    uint64_t stop = off + len;
    if (stop > s->alloc) {
        int r = grow(s, pool, file_cap, (size_t)stop);
        if (r <= 0) {
            s->capped |= r == 0;
            return r;
        }
    }
    /* copy only into the holes: the first copy of a byte wins */
    uint64_t pos = off, fresh = 0;
    for (size_t i = 0; i < s->n_iv && pos < stop; i++) {
        if (s->iv[i].b <= pos)
            continue;
        if (s->iv[i].a >= stop)
            break;
        if (s->iv[i].a > pos) {
            memcpy(s->buf + pos, data + (pos - off), (size_t)(s->iv[i].a - pos));
            fresh += s->iv[i].a - pos;
        }
        pos = s->iv[i].b;
    }
    if (pos < stop) {
        memcpy(s->buf + pos, data + (pos - off), (size_t)(stop - pos));
        fresh += stop - pos;
    }
    if (iv_add(s, off, stop) < 0)
        return -1;
    s->got += fresh;
    if (stop > s->end)
        s->end = stop;
    return 0;
}
