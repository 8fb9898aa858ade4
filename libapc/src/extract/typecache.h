/* SPDX-License-Identifier: MIT */
/* MIME types already computed, keyed by the exact head bytes libmagic was given (issue 10):
 * files of one site often share their first 4 KiB (the same image, script or page served
 * again), and libmagic costs about 2 M instructions per head. Bounded: TYPECACHE_SLOTS heads. */
#ifndef APC_EXTRACT_TYPECACHE_H
#define APC_EXTRACT_TYPECACHE_H

#include <stddef.h>
#include <stdint.h>

#define TYPECACHE_SLOTS 256 /* at most 256 heads of 4 KiB: about 1 MiB */

typedef struct apc__typecache apc__typecache_t;

/* A new empty cache (the caller owns it: apc__typecache_free); NULL when out of memory. */
apc__typecache_t *apc__typecache_new(void);
void apc__typecache_free(apc__typecache_t *tc);
/* The type stored for exactly these len bytes, or NULL. The string is the cache's, valid until
 * the next apc__typecache_put or apc__typecache_free. */
const char *apc__typecache_get(const apc__typecache_t *tc, const uint8_t *head, size_t len);
/* Stores a copy of head and type (it may replace another head of the same slot); the stored
 * type, owned by the cache as above, or NULL when out of memory (nothing stored). */
const char *apc__typecache_put(apc__typecache_t *tc, const uint8_t *head, size_t len,
                               const char *type);

#endif
