/* SPDX-License-Identifier: MIT */
/* Sequential packet-block reader (segscan.c): the cursor's way to read bytes in order. */
#ifndef APC_STORE_SEGSCAN_H
#define APC_STORE_SEGSCAN_H

#include <stddef.h>
#include <stdint.h>

#include "store/segment.h"

typedef struct apc__segscan {
    const char *dir;
    int fd;
    uint32_t seg;
    uint8_t *buf;
    size_t cap, len;
    uint64_t base; /* file offset of buf[0] */
} apc__segscan_t;

void apc__segscan_init(apc__segscan_t *s, const char *dir);
/* Reads the block at `loc`; out->data stays valid until the next read. */
int apc__segscan_read(apc__segscan_t *s, uint64_t loc, apc__segrec_t *out);
void apc__segscan_close(apc__segscan_t *s);

#endif
