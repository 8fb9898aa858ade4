/* SPDX-License-Identifier: MIT */
/* Unit tests of HTTP/1.x framing for extraction (extract/http.c): Content-Length, chunked with
 * extensions and trailers, bodiless statuses, body until close, pipelining, names, the file cap,
 * gaps, early close, malformed heads and chunks. Every stream is fed whole, byte by byte and in
 * random pieces, and must give the same files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <zlib.h>

#include "extract/http.h"

typedef struct file {
    char name[600], ctype[300];
    int has_name, has_ctype;
    int64_t length;
    char body[70000];
    size_t len;
    int ended;
    char reason[100];
} file_t;

typedef struct files {
    file_t f[8];
    size_t n;
} files_t;

static void on_begin(void *p, const char *name, const char *ctype, int64_t length)
{
    files_t *fs = p;
    assert_true(fs->n < 8);
    assert_true(fs->n == 0 || fs->f[fs->n - 1].ended); /* one file at a time */
    file_t *f = &fs->f[fs->n++];
    memset(f, 0, sizeof(*f));
    if (name) {
        f->has_name = 1;
        snprintf(f->name, sizeof(f->name), "%s", name);
    }
    if (ctype) {
        f->has_ctype = 1;
        snprintf(f->ctype, sizeof(f->ctype), "%s", ctype);
    }
    f->length = length;
}

static void on_body(void *p, const uint8_t *d, size_t n)
{
    files_t *fs = p;
    assert_true(fs->n > 0);
    file_t *f = &fs->f[fs->n - 1];
    assert_false(f->ended);
    assert_true(n > 0);
    assert_true(f->len + n <= sizeof(f->body));
    memcpy(f->body + f->len, d, n);
    f->len += n;
}

static void on_end(void *p, const char *reason)
{
    files_t *fs = p;
    assert_true(fs->n > 0);
    file_t *f = &fs->f[fs->n - 1];
    assert_false(f->ended);
    f->ended = 1;
    if (reason)
        snprintf(f->reason, sizeof(f->reason), "%s", reason);
}

static files_t got[3];

/* Feeds s to a new parser three ways (whole, byte by byte, random pieces) into got[0..2],
 * then closes (if close_at_end); checks the three agree; returns the failure reason or NULL. */
static const char *run(int is_request, uint64_t max_file, const char *s, size_t n, int close_at_end)
{
    const char *failed[3];
    uint32_t rng = 12345;
    for (int way = 0; way < 3; way++) {
        memset(&got[way], 0, sizeof(got[way]));
        apc__http_sink_t sink = {on_begin, on_body, on_end, NULL, &got[way]};
        apc__http_t *h = apc__http_new(is_request, max_file, &sink);
        assert_non_null(h);
        for (size_t i = 0; i < n;) {
            size_t k = n - i;
            if (way == 1)
                k = 1;
            else if (way == 2) {
                rng = rng * 1103515245u + 12345u;
                k = 1 + (rng >> 8) % 40;
                if (k > n - i)
                    k = n - i;
            }
            apc__http_feed(h, (const uint8_t *)s + i, k);
            i += k;
        }
        if (close_at_end)
            apc__http_close(h);
        failed[way] = apc__http_failed(h);
        apc__http_free(h);
    }
    for (int way = 1; way < 3; way++) {
        assert_int_equal(got[way].n, got[0].n);
        for (size_t i = 0; i < got[0].n; i++) {
            assert_int_equal(got[way].f[i].len, got[0].f[i].len);
            assert_memory_equal(got[way].f[i].body, got[0].f[i].body, got[0].f[i].len);
            assert_string_equal(got[way].f[i].reason, got[0].f[i].reason);
            assert_string_equal(got[way].f[i].name, got[0].f[i].name);
        }
        assert_true((failed[way] == NULL) == (failed[0] == NULL));
    }
    return failed[0];
}

#define RUN(req, cap, lit, close) run(req, cap, lit, sizeof(lit) - 1, close)

static void test_responses_pipelined(void **state)
{
    (void)state;
    const char *failed =
        RUN(0, 0,
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\n"
            "hello"
            "HTTP/1.1 100 Continue\r\n\r\n"
            "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n"
            "Content-Disposition: attachment; filename=\"a b.txt\"\r\n\r\n"
            "4;ext=1\r\nabcd\r\nA\r\n0123456789\r\n0\r\nX-Trailer: y\r\n\r\n"
            "HTTP/1.1 204 No Content\r\n\r\n"
            "HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n"
            "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
            "HTTP/1.0 200 OK\r\n\r\nuntil the close",
            1);
    assert_null(failed);
    assert_int_equal(got[0].n, 3);
    file_t *f = got[0].f;
    assert_int_equal(f[0].len, 5);
    assert_memory_equal(f[0].body, "hello", 5);
    assert_string_equal(f[0].ctype, "text/plain");
    assert_false(f[0].has_name);
    assert_int_equal(f[0].length, 5);
    assert_true(f[0].ended);
    assert_string_equal(f[0].reason, "");
    assert_int_equal(f[1].len, 14);
    assert_memory_equal(f[1].body, "abcd0123456789", 14);
    assert_string_equal(f[1].name, "a b.txt");
    assert_int_equal(f[1].length, -1);
    assert_string_equal(f[1].reason, "");
    assert_int_equal(f[2].len, 15);
    assert_memory_equal(f[2].body, "until the close", 15);
    assert_string_equal(f[2].reason, "");
}

static void test_requests(void **state)
{
    (void)state;
    const char *failed = RUN(1, 0,
                             "GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n"
                             "POST /upload/form?x=1 HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc"
                             "PUT /f HTTP/1.1\r\nContent-Disposition: form-data; "
                             "filename=../../etc/passwd\r\nContent-Length: 2\r\n\r\nzz"
                             "\r\n"
                             "POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                             "3\r\nxyz\r\n0\r\n\r\n",
                             1);
    assert_null(failed);
    assert_int_equal(got[0].n, 3);
    assert_string_equal(got[0].f[0].name, "/upload/form?x=1");
    assert_memory_equal(got[0].f[0].body, "abc", 3);
    /* The name is metadata: kept as seen, never used as a path. */
    assert_string_equal(got[0].f[1].name, "../../etc/passwd");
    assert_memory_equal(got[0].f[1].body, "zz", 2);
    assert_string_equal(got[0].f[2].name, "/c");
    assert_memory_equal(got[0].f[2].body, "xyz", 3);
}

static void test_file_cap(void **state)
{
    (void)state;
    const char *failed = RUN(0, 4,
                             "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789"
                             "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc",
                             1);
    assert_null(failed);
    assert_int_equal(got[0].n, 2);
    assert_int_equal(got[0].f[0].len, 4);
    assert_memory_equal(got[0].f[0].body, "0123", 4);
    assert_string_equal(got[0].f[0].reason, "file size cap");
    /* The next message is still found, complete. */
    assert_int_equal(got[0].f[1].len, 3);
    assert_string_equal(got[0].f[1].reason, "");
}

static void test_close_and_gap(void **state)
{
    (void)state;
    const char *failed = RUN(0, 0, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n01234", 1);
    assert_non_null(failed);
    assert_int_equal(got[0].n, 1);
    assert_int_equal(got[0].f[0].len, 5);
    assert_string_equal(got[0].f[0].reason, "connection closed before the end of the body");

    files_t fs;
    memset(&fs, 0, sizeof(fs));
    apc__http_sink_t sink = {on_begin, on_body, on_end, NULL, &fs};
    apc__http_t *h = apc__http_new(0, 0, &sink);
    assert_non_null(h);
    const char *a = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n8\r\nabc";
    apc__http_feed(h, (const uint8_t *)a, strlen(a));
    apc__http_gap(h, 100);
    apc__http_feed(h, (const uint8_t *)"HTTP/1.1 200 OK\r\n\r\nmore", 23);
    apc__http_close(h);
    assert_string_equal(apc__http_failed(h), "gap in the capture");
    apc__http_free(h);
    assert_int_equal(fs.n, 1);
    assert_int_equal(fs.f[0].len, 3);
    assert_string_equal(fs.f[0].reason, "gap in the capture");
}

static void test_malformed(void **state)
{
    (void)state;
    assert_non_null(RUN(0, 0, "HTTP/1.1 2x0 OK\r\n\r\n", 1));
    assert_int_equal(got[0].n, 0);
    assert_non_null(RUN(1, 0, "GET\r\n\r\n", 1));
    assert_non_null(RUN(0, 0, "HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", 1));
    assert_non_null(
        RUN(0, 0, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 1));
    assert_non_null(RUN(0, 0, "HTTP/1.1 200 OK\r\nContent-Length: -3\r\n\r\nabcd", 1));
    assert_non_null(RUN(0, 0, "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nabcd", 1));
    /* A chunk size that overflows 64 bits, then one with junk. */
    assert_string_equal(RUN(0, 0,
                            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                            "2\r\nok\r\nfffffffffffffffffff\r\n",
                            1),
                        "chunk size too large");
    assert_int_equal(got[0].n, 1);
    assert_string_equal(got[0].f[0].reason, "chunk size too large");
    assert_string_equal(RUN(0, 0,
                            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                            "2\r\nokXX",
                            1),
                        "missing CRLF after chunk data");
    assert_string_equal(got[0].f[0].reason, "missing CRLF after chunk data");
    /* A head that never ends stops at the limit, without a file. */
    static char big[APC__HTTP_MAX_HEAD + 100];
    memcpy(big, "HTTP/1.1 200 OK\r\nX: ", 20);
    memset(big + 20, 'a', sizeof(big) - 20);
    assert_string_equal(run(0, 0, big, sizeof(big), 1), "HTTP head too long");
    assert_int_equal(got[0].n, 0);
}

/* Compresses src with zlib (window_bits 31: gzip, 15: zlib-wrapped deflate) into dst. */
static size_t compress_to(uint8_t *dst, size_t cap, const uint8_t *src, size_t n, int window_bits)
{
    z_stream z;
    memset(&z, 0, sizeof(z));
    assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY), Z_OK);
    z.next_in = (Bytef *)(uintptr_t)src;
    z.avail_in = (uInt)n;
    z.next_out = dst;
    z.avail_out = (uInt)cap;
    assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
    size_t out = cap - z.avail_out;
    deflateEnd(&z);
    return out;
}

static char msg[200000];

/* gzip in a chunked body, zlib-wrapped deflate with a Content-Length, a gzip bomb stopped at
 * the file cap, corrupt data (partial, the next message still read), and a coding we do not
 * decode (stored as carried). */
/* RFC 9110 14.4: what a 206 answer's Content-Range says, and what is refused. */
static void test_content_range(void **state)
{
    (void)state;
    uint64_t a = 0, b = 0, t = 0;
    assert_int_equal(apc__http_content_range("bytes 0-9999/30000", &a, &b, &t), 0);
    assert_true(a == 0 && b == 9999 && t == 30000);
    assert_int_equal(apc__http_content_range("BYTES 5-5/*", &a, &b, &t), 0);
    assert_true(a == 5 && b == 5 && t == UINT64_MAX);
    assert_int_equal(apc__http_content_range("bytes 21010-47021/47022", &a, &b, &t), 0);
    assert_true(a == 21010 && b == 47021 && t == 47022);
    static const char *const bad[] = {
        "bytes */47022",                                   /* unsatisfied-range (a 416's) */
        "bytes 10-5/100",                                  /* last before first */
        "bytes 0-100/100",                                 /* past the complete length */
        "bytes 0-1/100 ",                                  /* trailing junk */
        "items 0-1/100",                                   /* another unit */
        "bytes -1-5/100",                                  /* no first */
        "bytes 0-1",                                       /* no length */
        "bytes 0-1/",                                      /* empty length */
        "bytes 1234567890123456789-1234567890123456790/*", /* over 18 digits */
        "",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(apc__http_content_range(bad[i], &a, &b, &t), -1);
}

static void test_content_coding(void **state)
{
    (void)state;
    static uint8_t plain[50000], z1[60000], z2[60000];
    for (size_t i = 0; i < sizeof(plain); i++)
        plain[i] = (uint8_t)("the quick brown fox "[i % 20] + (i / 1000) % 3);
    size_t n1 = compress_to(z1, sizeof(z1), plain, sizeof(plain), 31);
    size_t n2 = compress_to(z2, sizeof(z2), plain, 1000, 15);
    size_t m = (size_t)snprintf(msg, sizeof(msg),
                                "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n"
                                "Transfer-Encoding: chunked\r\n\r\n%zx\r\n",
                                n1 - 10);
    memcpy(msg + m, z1, n1 - 10);
    m += n1 - 10;
    m += (size_t)snprintf(msg + m, sizeof(msg) - m, "\r\na\r\n");
    memcpy(msg + m, z1 + n1 - 10, 10);
    m += 10;
    m += (size_t)snprintf(msg + m, sizeof(msg) - m,
                          "\r\n0\r\n\r\nHTTP/1.1 200 OK\r\nContent-Encoding: deflate\r\n"
                          "Content-Length: %zu\r\n\r\n",
                          n2);
    memcpy(msg + m, z2, n2);
    m += n2;
    /* Corrupt: a gzip header, then junk. */
    static const char bad[] =
        "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 14\r\n\r\n"
        "\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\xff\xff\xff\xff"
        "HTTP/1.1 200 OK\r\nContent-Encoding: br\r\nContent-Length: 3\r\n\r\nxyz";
    memcpy(msg + m, bad, sizeof(bad) - 1); /* holds NUL bytes */
    m += sizeof(bad) - 1;
    assert_null(run(0, 0, msg, m, 1));
    assert_int_equal(got[0].n, 4);
    assert_int_equal(got[0].f[0].len, sizeof(plain));
    assert_memory_equal(got[0].f[0].body, plain, sizeof(plain));
    assert_string_equal(got[0].f[0].reason, "");
    assert_int_equal(got[0].f[0].length, -1);
    assert_int_equal(got[0].f[1].len, 1000);
    assert_memory_equal(got[0].f[1].body, plain, 1000);
    assert_string_equal(got[0].f[1].reason, "");
    assert_string_equal(got[0].f[2].reason, "bad compressed data");
    assert_int_equal(got[0].f[3].len, 3);
    assert_memory_equal(got[0].f[3].body, "xyz", 3);
    assert_string_equal(got[0].f[3].reason, "");

    /* A gzip bomb: 64 MiB of zeros (about 64 KiB compressed) stops at a 4096-byte cap. */
    size_t big = 64u << 20;
    uint8_t *zeros = calloc(1, big);
    uint8_t *zb = malloc(big / 100);
    assert_non_null(zeros);
    assert_non_null(zb);
    size_t nb = compress_to(zb, big / 100, zeros, big, 31);
    free(zeros);
    m = (size_t)snprintf(msg, sizeof(msg),
                         "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %zu\r\n\r\n",
                         nb);
    assert_true(m + nb < sizeof(msg));
    memcpy(msg + m, zb, nb);
    m += nb;
    free(zb);
    assert_null(run(0, 4096, msg, m, 1));
    assert_int_equal(got[0].n, 1);
    assert_int_equal(got[0].f[0].len, 4096);
    assert_string_equal(got[0].f[0].reason, "file size cap");

    m = (size_t)snprintf(msg, sizeof(msg), "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n\r\n");
    memcpy(msg + m, z1, 100);
    assert_null(run(0, 0, msg, m + 100, 1));
    assert_int_equal(got[0].n, 1);
    assert_string_equal(got[0].f[0].reason, "compressed data cut short");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_responses_pipelined),
        cmocka_unit_test(test_requests),
        cmocka_unit_test(test_file_cap),
        cmocka_unit_test(test_close_and_gap),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_content_coding),
        cmocka_unit_test(test_content_range),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
