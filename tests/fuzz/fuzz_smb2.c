/* SPDX-License-Identifier: MIT */
/* libFuzzer target: SMB2 and SMB1 messages (libapc/src/extract/smb2.c, smb1.c) on arbitrary
 * bytes, read as the
 * Direct TCP transport stream of a connection to port 445: each 4-byte prefix gives the length
 * of the message that follows. Each message is parsed from an exact-size copy, so a read past
 * it is caught by ASan; what the parser reports must lie inside the message. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "extract/smb1.h"
#include "extract/smb2.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct span {
    const uint8_t *p;
    size_t n;
    unsigned cmds;
} span_t;

static void check(void *payload, const apc__smb2_cmd_t *x)
{
    span_t *m = payload;
    m->cmds++;
    if (x->data &&
        (x->data < m->p || x->data_len > m->n || (size_t)(x->data - m->p) > m->n - x->data_len))
        abort();
    if (!x->data && x->data_len)
        abort();
    if (strlen(x->name) >= sizeof x->name)
        abort();
    /* a compound holds at most one command per 64 bytes (each header is 64); an SMB1 AndX
     * chain one per 3 bytes after its 32-byte header (word count and byte count) */
    if (m->cmds > m->n / 64 && m->cmds > (m->n - 32) / 3)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t at = 0;
    while (size - at >= 4) {
        size_t len = 0;
        if (apc__smb2_frame(data + at, size - at, &len) < 0)
            len = data[at + 3]; /* not framing: still parse what follows */
        at += 4;
        if (len > size - at)
            len = size - at;
        uint8_t *msg = malloc(len ? len : 1);
        if (!msg)
            return 0;
        memcpy(msg, data + at, len);
        span_t m = {msg, len, 0};
        int r = apc__smb2_parse(msg, len, check, &m);
        if (r == APC__SMB2_SMB1) {
            m.cmds = 0;
            r = apc__smb1_parse(msg, len, check, &m);
        }
        if (r > 0 || r < APC__SMB2_SMB1)
            abort();
        free(msg);
        at += len;
    }
    return 0;
}
