/* SPDX-License-Identifier: MIT */
/* libFuzzer target: TFTP datagrams (libapc/src/extract/tftp.c) on arbitrary bytes. What it
 * fills must stay inside the datagram and its own buffers. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "extract/tftp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* an exact copy: a read past the datagram is caught by ASan */
    uint8_t *p = malloc(size ? size : 1);
    if (!p)
        return 0;
    memcpy(p, data, size);
    apc__tftp_t t;
    if (apc__tftp_parse(p, size, &t) == 0) {
        if (strlen(t.name) >= sizeof t.name || strlen(t.msg) >= sizeof t.msg)
            abort();
        if (t.data && (t.data < p || t.data + t.len > p + size))
            abort();
        if (t.blksize && (t.blksize < 8 || t.blksize > 65464))
            abort();
    }
    free(p);
    return 0;
}
