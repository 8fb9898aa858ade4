/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the check of the pcapng stream an owning node sends for an export
 * (src/fleet/ngcheck.c), on arbitrary bytes fed in pieces as a network would cut them: the
 * first byte sets the piece size (1 to 256). Every block passed on must be whole by its own
 * lengths: a multiple of 4, at least 12, both lengths equal, within the bound. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fleet/ngcheck.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int on_block(const uint8_t *b, size_t len, int is_packet, void *payload)
{
    (void)is_packet;
    uint32_t head, tail;
    if (len < 12 || len % 4 || len > APC_NGCHK_BLOCK_MAX)
        abort();
    memcpy(&head, b + 4, 4);
    memcpy(&tail, b + len - 4, 4);
    if (head != tail && __builtin_bswap32(head) != tail)
        abort();
    (*(uint64_t *)payload)++;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t piece = (size_t)data[0] + 1;
    apc__ngchk_t c;
    memset(&c, 0, sizeof c);
    c.node = "fuzz";
    uint64_t blocks = 0;
    int rc = 0;
    for (size_t at = 1; rc == 0 && at < size; at += piece) {
        size_t n = size - at < piece ? size - at : piece;
        /* A copy of exactly the piece: reading past it is ASan's to catch. */
        uint8_t *buf = malloc(n);
        if (!buf)
            break;
        memcpy(buf, data + at, n);
        rc = apc__ngchk_feed(&c, buf, n, on_block, &blocks);
        free(buf);
    }
    if (rc == 0)
        (void)apc__ngchk_end(&c);
    if (c.packets > blocks)
        abort();
    apc__ngchk_free(&c);
    return 0;
}
