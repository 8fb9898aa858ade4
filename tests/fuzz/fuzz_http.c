/* SPDX-License-Identifier: MIT */
/* libFuzzer target: HTTP/1.x framing for extraction (libapc/src/extract/http.c) fed through
 * TCP reassembly (libapc/src/flow/reasm.c). Byte 0: bit 0 request/response, bits 1-3 the file
 * cap, bit 4 whether to reorder; byte 1: piece size. The rest is the stream, cut into pieces
 * given to the reassembler (in order, or odd pieces after even ones, one piece dropped when
 * bit 1 of byte 1 is set, to make gaps) under a small stream cap, which hands the stream to the
 * parser. Checks: a file's body never exceeds the cap, begin/end pair up, nothing is reported after
 * the parser failed, reassembly tiles the stream and frees everything. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "extract/http.h"
#include "flow/reasm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct state {
    apc__http_t *h;
    uint64_t cap, in_file, next;
    int open, failed_seen;
} state_t;

static void on_begin(void *p, const char *name, const char *ctype, int64_t length)
{
    state_t *s = p;
    (void)length;
    if (s->open || s->failed_seen)
        abort();
    if ((name && strlen(name) >= 512) || (ctype && strlen(ctype) >= 256))
        abort();
    s->open = 1;
    s->in_file = 0;
}

static void on_body(void *p, const uint8_t *d, size_t n)
{
    state_t *s = p;
    if (!s->open || n == 0)
        abort();
    volatile uint8_t sink = d[0] ^ d[n - 1]; /* the bytes must be readable */
    (void)sink;
    s->in_file += n;
    if (s->cap && s->in_file > s->cap)
        abort();
}

static void on_end(void *p, const char *reason)
{
    state_t *s = p;
    (void)reason;
    if (!s->open)
        abort();
    s->open = 0;
}

static void r_data(void *p, uint64_t off, const uint8_t *d, size_t n)
{
    state_t *s = p;
    if (off != s->next)
        abort();
    s->next += n;
    if (!s->failed_seen) {
        apc__http_feed(s->h, d, n);
        if (apc__http_failed(s->h))
            s->failed_seen = 1;
    }
}

static void r_gap(void *p, uint64_t off, uint64_t len, enum apc__reasm_gap_reason why)
{
    state_t *s = p;
    (void)why;
    if (off != s->next || len == 0)
        abort();
    s->next += len;
    if (!s->failed_seen) {
        apc__http_gap(s->h, len);
        if (!apc__http_failed(s->h))
            abort();
        s->failed_seen = 1;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    uint8_t mode = data[0], piece = (uint8_t)(data[1] | 1);
    data += 2;
    size -= 2;
    state_t s;
    memset(&s, 0, sizeof(s));
    static const uint64_t caps[8] = {0, 1, 7, 100, 1000, 4096, 65536, 3};
    s.cap = caps[(mode >> 1) & 7];
    apc__http_sink_t hs = {on_begin, on_body, on_end, NULL, &s};
    s.h = apc__http_new(mode & 1, s.cap, &hs);
    if (!s.h)
        return 0;
    apc__reasm_pool_t pool = {.cap = 8192};
    apc__reasm_t r;
    apc__reasm_sink_t rs = {r_data, r_gap, &s};
    apc__reasm_init(&r, &pool, 4096, &rs);
    const uint32_t isn = 0xfffffff0u; /* wraps after 16 bytes */
    apc__reasm_add(&r, isn - 1, 1, NULL, 0);
    size_t npieces = (size + piece - 1) / piece;
    /* Never the last piece: bytes missing at the end are no gap anyone can see. */
    size_t drop = (data[-1] & 2) && npieces > 2 ? npieces / 2 : (size_t)-1;
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < npieces; i++) {
            if ((mode & 16) && (i % 2) != (size_t)(pass == 0))
                continue;
            if (!(mode & 16) && pass == 1)
                break;
            if (i == drop)
                continue;
            size_t off = i * piece, n = size - off < piece ? size - off : piece;
            apc__reasm_add(&r, isn + (uint32_t)off, 0, data + off, n);
            if (r.used > 4096 || pool.used > 8192)
                abort();
        }
    }
    apc__reasm_finish(&r);
    if (r.used != 0 || pool.used != 0 || s.next != size)
        abort();
    if (!s.failed_seen)
        apc__http_close(s.h);
    if (s.open) /* every file begun was ended, complete or partial */
        abort();
    apc__http_free(s.h);
    return 0;
}
