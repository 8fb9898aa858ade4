/* SPDX-License-Identifier: MIT */
/*
 * MIME parts of a message (libapc/src/extract/mime.c): what comes out of well-formed parts, and
 * the reason each kind of bad input gives (a base64 part cut inside a byte, a part past the cap,
 * a message that ends before its closing boundary), on messages fed in pieces of every size.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "extract/mime.h"

typedef struct got {
    int n;              /* parts begun */
    char name[4][256];  /* their names */
    char ctype[4][256]; /* their types */
    uint8_t body[4][4096];
    size_t len[4];
    char reason[4][128]; /* "" complete */
    int open;
} got_t;

static void on_begin(void *u, const char *name, const char *ctype)
{
    got_t *g = u;
    assert_false(g->open);
    assert_true(g->n < 4);
    snprintf(g->name[g->n], sizeof g->name[0], "%s", name);
    snprintf(g->ctype[g->n], sizeof g->ctype[0], "%s", ctype);
    g->open = 1;
}

static void on_body(void *u, const uint8_t *data, size_t len)
{
    got_t *g = u;
    assert_true(g->open && len > 0);
    assert_true(g->len[g->n] + len <= sizeof g->body[0]);
    memcpy(g->body[g->n] + g->len[g->n], data, len);
    g->len[g->n] += len;
}

static void on_end(void *u, const char *reason)
{
    got_t *g = u;
    assert_true(g->open);
    snprintf(g->reason[g->n], sizeof g->reason[0], "%s", reason ? reason : "");
    g->open = 0;
    g->n++;
}

/* Parses msg fed in pieces of `piece` bytes, with a cap; the message ends cleanly. */
static void parse(got_t *g, const char *msg, size_t piece, uint64_t cap)
{
    memset(g, 0, sizeof *g);
    apc__mime_sink_t sink = {on_begin, on_body, on_end, g};
    apc__mime_t *m = apc__mime_new(cap, &sink);
    assert_non_null(m);
    size_t n = strlen(msg);
    for (size_t i = 0; i < n; i += piece)
        apc__mime_feed(m, (const uint8_t *)msg + i, n - i < piece ? n - i : piece);
    apc__mime_close(m, NULL);
    apc__mime_free(m);
    assert_false(g->open);
}

#define HEAD "Subject: x\r\nContent-Type: multipart/mixed; boundary=\"b 1\"\r\n\r\npreamble\r\n"

static const char good[] =
    HEAD "--b 1\r\nContent-Type: text/plain\r\n\r\njust text\r\n"
         "--b 1\r\nContent-Type: application/octet-stream\r\n"
         "Content-Disposition: attachment;\r\n filename*=UTF-8''r%C3%A9sum%C3%A9.bin\r\n"
         "Content-Transfer-Encoding: base64\r\n\r\naGVsbG8g\r\nd29ybGQ=\r\n"
         "--b 1\r\nContent-Type: text/plain; name=notes.txt\r\n"
         "Content-Transfer-Encoding: quoted-printable\r\n\r\ncaf=C3=A9 =3D soft=\r\nly  \r\nend\r\n"
         "--b 1--\r\nepilogue\r\n";

static void test_parts(void **state)
{
    (void)state;
    for (size_t piece = 1; piece <= sizeof good; piece += piece < 8 ? 1 : 37) {
        got_t g;
        parse(&g, good, piece, 1 << 20);
        assert_int_equal(g.n, 2); /* the text part has no name: no file */
        assert_string_equal(g.name[0], "r\xc3\xa9sum\xc3\xa9.bin"); /* RFC 2231, folded */
        assert_string_equal(g.ctype[0], "application/octet-stream");
        assert_int_equal(g.len[0], 11);
        assert_memory_equal(g.body[0], "hello world", 11);
        assert_string_equal(g.reason[0], "");
        assert_string_equal(g.name[1], "notes.txt");
        /* soft break joined, trailing spaces dropped, the break before the boundary not kept */
        assert_int_equal(g.len[1], strlen("caf\xc3\xa9 = softly\r\nend"));
        assert_memory_equal(g.body[1], "caf\xc3\xa9 = softly\r\nend", g.len[1]);
        assert_string_equal(g.reason[1], "");
    }
}

static void test_bad_input(void **state)
{
    (void)state;
    got_t g;
    /* base64 cut inside a byte: what decodes is kept, the part is partial */
    parse(&g,
          HEAD "--b 1\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n\r\n"
               "aGVsbG8gd\r\n--b 1--\r\n",
          5, 1 << 20);
    assert_int_equal(g.n, 1);
    assert_memory_equal(g.body[0], "hello ", 6);
    assert_string_equal(g.reason[0], "base64 ends inside a byte");
    /* a part past the cap */
    parse(&g, HEAD "--b 1\r\nContent-Type: application/zip\r\n\r\n0123456789abcdef\r\n--b 1--\r\n",
          3, 10);
    assert_int_equal(g.n, 1);
    assert_int_equal(g.len[0], 10);
    assert_string_equal(g.reason[0], "file size cap");
    /* the message ends before the closing boundary */
    parse(&g, HEAD "--b 1\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.4\r\n", 7, 1 << 20);
    assert_int_equal(g.n, 1);
    assert_string_equal(g.reason[0], "the message ended before the part's boundary");
    /* no multipart, no name, text: nothing; a multipart without boundary: nothing */
    parse(&g, "Subject: y\r\n\r\nbody\r\n", 4, 1 << 20);
    assert_int_equal(g.n, 0);
    parse(&g, "Content-Type: multipart/mixed\r\n\r\n--\r\nContent-Type: image/gif\r\n\r\nx\r\n", 2,
          1 << 20);
    assert_int_equal(g.n, 0);
}

/* An over-long header field is cut, and what follows it on its line is no field of its own. */
static void test_long_field(void **state)
{
    (void)state;
    char msg[8192];
    int n = snprintf(msg, sizeof msg, HEAD "--b 1\r\nX-Long: ");
    /* the line's first 1024 bytes (mime.c's LINE_MAX) are the field's start; the rest of the
     * line begins with what would be a Content-Type field */
    int pad = 1024 - (int)strlen("X-Long: ");
    memset(msg + n, 'a', (size_t)pad);
    n += pad;
    snprintf(msg + n, sizeof msg - (size_t)n, "Content-Type: image/gif\r\n\r\nGIF\r\n--b 1--\r\n");
    got_t g;
    parse(&g, msg, 100, 1 << 20);
    assert_int_equal(g.n, 0); /* the Content-Type inside X-Long's line is not read as a field */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parts),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_long_field),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
