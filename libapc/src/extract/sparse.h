/* SPDX-License-Identifier: MIT */
/*
 * A file put together from pieces at any offsets (module extract): SMB reads and writes carry
 * a file's bytes at offsets the traffic chooses, in any order, possibly overlapping. The
 * first copy of a byte wins (as in flow/reasm.h); bytes never received read as zeros.
 *
 * Memory: the buffer grows to the highest byte received, never past `file_cap`, and is counted
 * in a pool shared by every file of a run (and by whatever else the caller counts there);
 * bytes that would pass either cap are dropped and the file marked `capped`. Not thread-safe.
 */
#ifndef APC_EXTRACT_SPARSE_H
#define APC_EXTRACT_SPARSE_H

#include <stddef.h>
#include <stdint.h>

/* Bytes held by several files (and their caller's other buffers): used never passes cap. */
typedef struct apc__sparse_pool {
    size_t cap, used;
} apc__sparse_pool_t;

typedef struct apc__sparse {
    uint8_t *buf; /* [0, alloc): the file's bytes, zeros where none was received */
    size_t alloc;
    struct apc__sparse_iv {
        uint64_t a, b; /* [a, b) received */
    } * iv;            /* sorted, disjoint, not touching */
    size_t n_iv, cap_iv;
    uint64_t end; /* the highest byte received + 1 */
    uint64_t got; /* bytes received (the sum of iv) */
    int capped;   /* bytes were dropped: a cap */
} apc__sparse_t;

/* Takes n bytes from the pool: 1, or 0 (nothing taken) when that would pass its cap. */
int apc__sparse_take(apc__sparse_pool_t *pool, size_t n);

/* Puts data[0..len) at offset off where no byte was received before. s starts zeroed. 0, or
 * -1 when out of memory (the piece is then lost). */
int apc__sparse_put(apc__sparse_t *s, apc__sparse_pool_t *pool, size_t file_cap, uint64_t off,
                    const uint8_t *data, size_t len);

/* Frees s's memory, gives it back to the pool, and zeroes s. */
void apc__sparse_free(apc__sparse_t *s, apc__sparse_pool_t *pool);

#endif
