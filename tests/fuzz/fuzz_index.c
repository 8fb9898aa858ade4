/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the packet index's block codec (libapc/src/store/index_codec.c), which
 * reads index.apd blocks from disk: a damaged or hostile file must give -1, never a read out of
 * bounds. Input byte 0 picks the direction:
 *  - even: the rest is a block; when it decodes, encoding its records and decoding again must
 *    give the same records;
 *  - odd: the rest is up to 256 raw records; encoding them and decoding must give them back.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/index_codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static apc__idxrec_t recs[APC_IDX_BLOCK], back[APC_IDX_BLOCK];
static uint8_t block[APC_IDX_BLOCK_MAX];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t n;
    if (data[0] % 2 == 0) {
        /* A copy of exactly its size, so that a read past the end is seen by ASan. */
        uint8_t *b = malloc(size - 1 ? size - 1 : 1);
        if (!b)
            return 0;
        memcpy(b, data + 1, size - 1);
        int k = apc__idxblk_decode(b, size - 1, recs);
        free(b);
        if (k == -1)
            return 0;
        if (k < 1 || k > APC_IDX_BLOCK)
            abort();
        n = (size_t)k;
    } else {
        n = (size - 1) / sizeof *recs;
        if (n > APC_IDX_BLOCK)
            n = APC_IDX_BLOCK;
        if (n == 0)
            return 0;
        memcpy(recs, data + 1, n * sizeof *recs);
    }
    size_t len = apc__idxblk_encode(recs, n, block);
    if (len > APC_IDX_BLOCK_MAX || apc__idxblk_decode(block, len, back) != (int)n ||
        memcmp(recs, back, n * sizeof *recs) != 0)
        abort();
    return 0;
}
