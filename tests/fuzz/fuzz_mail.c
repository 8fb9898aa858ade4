/* SPDX-License-Identifier: MIT */
/* libFuzzer target: SMTP and POP3 sessions (libapc/src/extract/mail.c) on arbitrary bytes. The
 * first byte picks the protocol (bit 2: IMAP, else bit 0: POP3, else SMTP) and the client's
 * direction; the rest is cut into chunks (each prefixed by a byte: its direction, its length, a
 * hole). Checked: the sink never gets an empty chunk (a fuzz run once found that at the cap), begin
 * and end pair up per direction, and no message grows past the (small) cap. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "extract/mail.h"

#define CAP 300

static int open_[2];
static uint64_t size_[2];

static void on_begin(void *u, int dir, const char *name)
{
    (void)u;
    if (open_[dir] || !name || !*name || strlen(name) >= 200)
        abort();
    open_[dir] = 1;
    size_[dir] = 0;
}

static void on_body(void *u, int dir, const uint8_t *data, size_t len)
{
    (void)u;
    if (!open_[dir] || !len || !data)
        abort();
    size_[dir] += len;
    if (size_[dir] > CAP)
        abort();
    volatile uint8_t x = data[0] ^ data[len - 1]; /* ASan: the chunk is readable */
    (void)x;
}

static void on_end(void *u, int dir, const char *reason)
{
    (void)u;
    (void)reason;
    if (!open_[dir])
        abort();
    open_[dir] = 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    open_[0] = open_[1] = 0;
    apc__mail_sink_t sink = {on_begin, on_body, on_end, NULL};
    apc__mail_t *m = apc__mail_new(data[0] & 4   ? APC__MAIL_IMAP
                                   : data[0] & 1 ? APC__MAIL_POP3
                                                 : APC__MAIL_SMTP,
                                   (data[0] >> 1) & 1, CAP, &sink);
    if (!m)
        return 0;
    size_t i = 1;
    while (i < size) {
        uint8_t h = data[i++];
        int dir = h & 1;
        if ((h & 0x7e) == 0x7e) {
            apc__mail_gap(m, dir);
            continue;
        }
        size_t n = (size_t)(h >> 1) + 1;
        if (n > size - i)
            n = size - i;
        uint8_t *p = malloc(n ? n : 1); /* an exact copy: a read past it is caught by ASan */
        if (!p)
            break;
        memcpy(p, data + i, n);
        apc__mail_feed(m, dir, p, n);
        free(p);
        i += n;
    }
    apc__mail_close(m, NULL);
    if (open_[0] || open_[1])
        abort();
    apc__mail_free(m);
    return 0;
}
