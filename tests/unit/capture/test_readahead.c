/* SPDX-License-Identifier: MIT */
/*
 * The ingest's read-ahead (capture/readahead.h) gives exactly what the reader gives: every
 * record in order with its bytes, times and comment intact although the reader has moved on,
 * the bytes consumed so far, and a defect only after every record before it, with the
 * reader's message and offset. The file is built here (pcapng, RFC draft-ietf-opsawg-pcapng:
 * SHB, IDB, EPBs with and without opt_comment, the last one cut).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <apc/apc.h>

#include "capture/readahead.h"
#include "core/error.h"
#include "source/reader.h"

static uint8_t file[8 << 20]; /* several of the reader's 1 MiB windows */
static size_t flen;

static void u32(uint32_t v)
{
    memcpy(file + flen, &v, 4);
    flen += 4;
}

static void bytes(const void *p, size_t n)
{
    memcpy(file + flen, p, n);
    flen += n;
    while (flen % 4)
        file[flen++] = 0;
}

/* One EPB of `len` bytes (an Ethernet/IPv4/UDP frame, pattern bytes after the headers). */
static void epb(uint32_t i, uint32_t len, const char *comment)
{
    uint8_t d[2048];
    static const uint8_t head[] = {2,    0, 0,  0, 0, 2, 2,    0,    0,  0,  0, 1, 8,  0,
                                   0x45, 0, 0,  0, 0, 0, 0,    0,    64, 17, 0, 0, 10, 0,
                                   0,    1, 10, 0, 0, 2, 0x30, 0x39, 0,  53, 0, 0, 0,  0};
    memcpy(d, head, sizeof head);
    for (uint32_t k = sizeof head; k < len; k++)
        d[k] = (uint8_t)(i * 7 + k);
    d[16] = (uint8_t)((len - 14) >> 8); /* IPv4 total length */
    d[17] = (uint8_t)(len - 14);
    size_t clen = comment ? strlen(comment) : 0;
    uint32_t blen = 28 + (len + 3) / 4 * 4 + (comment ? 4 + (clen + 3) / 4 * 4 + 4 : 0) + 4;
    u32(6);
    u32(blen);
    u32(0);
    uint64_t ts = 1700000000000000ULL + i; /* microseconds (if_tsresol default) */
    u32((uint32_t)(ts >> 32));
    u32((uint32_t)ts);
    u32(len);
    u32(len);
    bytes(d, len);
    if (comment) {
        uint16_t code = 1, l = (uint16_t)clen;
        memcpy(file + flen, &code, 2);
        memcpy(file + flen + 2, &l, 2);
        flen += 4;
        bytes(comment, clen);
        u32(0); /* opt_endofopt */
    }
    u32(blen);
}

static size_t build(int cut)
{
    flen = 0;
    u32(0x0A0D0D0A);
    u32(28);
    u32(0x1A2B3C4D);
    u32(1); /* major 1, minor 0 */
    u32(0xffffffff);
    u32(0xffffffff);
    u32(28);
    u32(1);
    u32(20);
    u32(1); /* LINKTYPE_ETHERNET, reserved 0 */
    u32(65535);
    u32(20);
    size_t n = 0;
    for (uint32_t i = 0; i < 5000; i++, n++)
        epb(i, 42 + (i * 37) % 1400, i % 3 == 0 ? "pid 42 comm curl" : NULL);
    if (cut)
        flen -= 10; /* the last block ends early */
    return n;
}

/* The same records, and the same end, from the reader alone and through the read-ahead. */
static void same(int cut)
{
    size_t n = build(cut);
    /* The read-ahead reads the file from disk: the reader's buffer is reused record after
     * record, so a record not copied would show the next one's bytes. */
    char path[] = "/tmp/apc-readahead-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, file, flen), (ssize_t)flen);
    apc__reader_t *r1, *r2;
    assert_int_equal(apc__reader_open_mem(&r1, file, flen), 0);
    assert_int_equal(apc__reader_open_fd(&r2, fd, path), 0);
    close(fd);
    unlink(path);
    apc__ahead_t a;
    apc__ahead_init(&a, r2, NULL);
    size_t got = 0;
    for (;;) {
        apc__rec_t want;
        int rw = apc__reader_next(r1, &want);
        char want_msg[1024] = "";
        uint64_t want_off = apc__reader_offset(r1);
        if (rw < 0)
            apc__err_copy(want_msg, sizeof want_msg);
        apc__ahead_slot_t *s = NULL;
        int ra = apc__ahead_next(&a, &s);
        assert_int_equal(ra, rw);
        if (rw <= 0) {
            if (rw < 0) {
                assert_string_equal(a.err, want_msg);
                assert_string_equal(apc_last_error_message(), want_msg);
                assert_int_equal(a.err_off, want_off);
                assert_int_equal(apc__ahead_offset(&a), want_off);
            } else {
                assert_int_equal(apc__ahead_offset(&a), flen);
            }
            break;
        }
        got++;
        /* The reader is ahead, yet the record given out is whole. */
        assert_int_equal(s->rec.ts_ns, want.ts_ns);
        assert_int_equal(s->rec.caplen, want.caplen);
        assert_int_equal(s->rec.wirelen, want.wirelen);
        assert_int_equal(s->rec.offset, want.offset);
        assert_memory_equal(s->rec.data, want.data, want.caplen);
        assert_int_equal(s->rec.comment_len, want.comment_len);
        if (want.comment)
            assert_string_equal(s->rec.comment, want.comment);
        else
            assert_null(s->rec.comment);
        assert_int_equal(s->d.ip_ver, 4);
        assert_int_equal(s->d.dport, 53);
        /* Consumed: up to the record after this one. */
        assert_true(apc__ahead_offset(&a) > want.offset);
        assert_true(apc__ahead_offset(&a) <= want_off + 1024);
    }
    assert_int_equal(got, cut ? n - 1 : n);
    apc__ahead_free(&a);
    apc__reader_close(r1);
    apc__reader_close(r2);
}

static void test_whole_file(void **st)
{
    (void)st;
    same(0);
}

static void test_cut_file(void **st)
{
    (void)st;
    same(1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_whole_file),
        cmocka_unit_test(test_cut_file),
    };
    return cmocka_run_group_tests_name("ingest read-ahead", tests, NULL, NULL);
}
