/* SPDX-License-Identifier: MIT */
/* libFuzzer target: MIME parts of a message (libapc/src/extract/mime.c) on arbitrary bytes. The
 * first byte picks the size of the pieces the message is fed in (so lines and boundaries fall
 * across pieces; its low 7 bits) and, with its high bit, the form-data mode of HTTP uploads
 * (apc__mime_new_form); the rest is the message. Checked: the sink never gets an empty chunk, begin
 * and end pair up, no part grows past the (small) cap, names and types are NUL-terminated
 * text of bounded length, and no more parts are reported than APC__MIME_FILES. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "extract/mime.h"

#define CAP 500

static int open_, parts;
static uint64_t size_;

static void on_begin(void *u, const char *name, const char *ctype)
{
    (void)u;
    if (open_ || !name || !ctype || strlen(name) > 255 || strlen(ctype) > 255 ||
        ++parts > APC__MIME_FILES)
        abort();
    open_ = 1;
    size_ = 0;
}

static void on_body(void *u, const uint8_t *data, size_t len)
{
    (void)u;
    if (!open_ || !len || !data)
        abort();
    size_ += len;
    if (size_ > CAP)
        abort();
    volatile uint8_t x = data[0] ^ data[len - 1]; /* ASan: the chunk is readable */
    (void)x;
}

static void on_end(void *u, const char *reason)
{
    (void)u;
    (void)reason;
    if (!open_)
        abort();
    open_ = 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    open_ = parts = 0;
    apc__mime_sink_t sink = {on_begin, on_body, on_end, NULL};
    apc__mime_t *m = (data[0] & 0x80) ? apc__mime_new_form(CAP, &sink) : apc__mime_new(CAP, &sink);
    if (!m)
        return 0;
    size_t piece = (size_t)(data[0] & 0x7f) + 1, i = 1;
    while (i < size) {
        size_t n = piece < size - i ? piece : size - i;
        uint8_t *p = malloc(n); /* an exact copy: a read past it is caught by ASan */
        if (!p)
            break;
        memcpy(p, data + i, n);
        apc__mime_feed(m, p, n);
        free(p);
        i += n;
    }
    apc__mime_close(m, (data[0] & 1) ? "cut" : NULL);
    if (open_)
        abort();
    apc__mime_free(m);
    return 0;
}
