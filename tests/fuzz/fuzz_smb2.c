/* SPDX-License-Identifier: MIT */
/* libFuzzer target: SMB2 and SMB1 messages (libapc/src/extract/smb2.c, smb1.c) on arbitrary
 * bytes, read as the stream of a connection to port 445 or 139: each 4-byte prefix gives the
 * length of the message that follows. Each message is parsed from an exact-size copy, so a
 * read past it is caught by ASan; what the parser reports must lie inside the message. The
 * data of every command is put into one file (extract/sparse.c) at the offsets the input
 * gives; its ranges and memory must stay sane, and all of it is given back. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "extract/smb1.h"
#include "extract/smb2.h"
#include "extract/sparse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FILE_CAP (1u << 20)

typedef struct span {
    const uint8_t *p;
    size_t n;
    unsigned cmds;
    apc__sparse_t *file; /* every command's data goes in, at offsets the input chooses */
    apc__sparse_pool_t *pool;
} span_t;

static void check_file(const apc__sparse_t *f, const apc__sparse_pool_t *pool)
{
    uint64_t sum = 0;
    for (size_t i = 0; i < f->n_iv; i++) {
        if (f->iv[i].a >= f->iv[i].b || (i && f->iv[i].a <= f->iv[i - 1].b))
            abort();
        sum += f->iv[i].b - f->iv[i].a;
    }
    if (sum != f->got || f->end > f->alloc || f->alloc > FILE_CAP || pool->used > pool->cap)
        abort();
}

static void check(void *payload, const apc__smb2_cmd_t *x)
{
    span_t *m = payload;
    m->cmds++;
    if (x->data &&
        (x->data < m->p || x->data_len > m->n || (size_t)(x->data - m->p) > m->n - x->data_len))
        abort();
    if (!x->data && x->data_len)
        abort();
    /* a READ response has no offset of its own: its MessageId stands in for one */
    if (x->data_len &&
        (apc__sparse_put(m->file, m->pool, FILE_CAP, x->response ? x->msg_id : x->offset, x->data,
                         x->data_len) < 0))
        abort();
    check_file(m->file, m->pool);
    if (strlen(x->name) >= sizeof x->name)
        abort();
    /* a compound holds at most one command per 64 bytes (each header is 64); an SMB1 AndX
     * chain one per 3 bytes after its 32-byte header (word count and byte count) */
    if (m->cmds > m->n / 64 && m->cmds > (m->n - 32) / 3)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apc__sparse_pool_t pool = {.cap = 2 * FILE_CAP};
    apc__sparse_t file;
    memset(&file, 0, sizeof file);
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
        span_t m = {msg, len, 0, &file, &pool};
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
    apc__sparse_free(&file, &pool);
    if (pool.used)
        abort();
    return 0;
}
