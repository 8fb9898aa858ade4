/* SPDX-License-Identifier: MIT */
/* SMB2 messages (libapc/src/extract/smb2.c): [MS-SMB2] 2.1 framing, the 2.2.1 header and
 * compounds, CREATE names (UTF-16LE to UTF-8), READ/WRITE data bounds, CLOSE attributes,
 * error responses, and the TRANSFORM, compression and SMB1 headers. SMB1 (smb1.c, [MS-CIFS]):
 * NT_CREATE_ANDX chained to READ_ANDX, READ_ANDX replies, errors, bad AndX offsets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "extract/smb1.h"
#include "extract/smb2.h"

#define MAXC 8

typedef struct got {
    apc__smb2_cmd_t c[MAXC];
    int n;
} got_t;

static void collect(void *payload, const apc__smb2_cmd_t *x)
{
    got_t *g = payload;
    if (g->n < MAXC)
        g->c[g->n] = *x;
    g->n++;
}

static void le16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void le32(uint8_t *p, uint32_t v)
{
    le16(p, v & 0xffff);
    le16(p + 2, v >> 16);
}

static void le64(uint8_t *p, uint64_t v)
{
    le32(p, (uint32_t)v);
    le32(p + 4, (uint32_t)(v >> 32));
}

/* A 64-byte sync header at p. */
static void hdr(uint8_t *p, unsigned cmd, uint64_t mid, uint32_t flags, uint32_t status,
                uint32_t next)
{
    memset(p, 0, 64);
    memcpy(p, "\xfeSMB", 4);
    le16(p + 4, 64);
    le32(p + 8, status);
    le16(p + 12, cmd);
    le32(p + 16, flags);
    le32(p + 20, next);
    le64(p + 24, mid);
}

static int parse(const uint8_t *m, size_t n, got_t *g)
{
    memset(g, 0, sizeof *g);
    return apc__smb2_parse(m, n, collect, g);
}

static void test_frame(void **state)
{
    (void)state;
    size_t len = 0;
    assert_int_equal(apc__smb2_frame((const uint8_t *)"\0\0\1\0", 4, &len), 0);
    assert_int_equal(len, 256);
    assert_int_equal(apc__smb2_frame((const uint8_t *)"\0\xff\xff\xff", 4, &len), 0);
    assert_int_equal(len, 0xffffff);
    /* the NetBIOS session service's other packets (RFC 1002 4.3): skipped, 17-bit lengths */
    assert_int_equal(apc__smb2_frame((const uint8_t *)"\x85\0\0\0", 4, &len), 1);
    assert_int_equal(len, 0);
    assert_int_equal(apc__smb2_frame((const uint8_t *)"\x81\1\0\x44", 4, &len), 1);
    assert_int_equal(len, 0x10044);
    /* any other type, or flags other than the length extension: not SMB framing */
    assert_int_equal(apc__smb2_frame((const uint8_t *)"\x86\0\0\0", 4, &len), -1);
    assert_int_equal(apc__smb2_frame((const uint8_t *)"\x82\2\0\0", 4, &len), -1);
    assert_int_equal(apc__smb2_frame((const uint8_t *)"\0\0\1", 3, &len), -1);
}

static void test_create_name(void **state)
{
    (void)state;
    uint8_t m[64 + 56 + 32];
    /* "a\xe9" + U+1F600 (a surrogate pair) + a tab (dropped) + a lone high surrogate + "z" */
    static const uint16_t name[] = {'a', 0xe9, 0xd83d, 0xde00, '\t', 0xd800, 'z'};
    size_t nb = sizeof name;
    hdr(m, APC__SMB2_CREATE, 7, 0, 0, 0);
    memset(m + 64, 0, 56);
    le16(m + 64, 57);
    le16(m + 64 + 44, 120);
    le16(m + 64 + 46, (unsigned)nb);
    for (size_t i = 0; i < nb / 2; i++)
        le16(m + 120 + 2 * i, name[i]);
    got_t g;
    assert_int_equal(parse(m, 120 + nb, &g), APC__SMB2_OK);
    assert_int_equal(g.n, 1);
    assert_int_equal(g.c[0].command, APC__SMB2_CREATE);
    assert_false(g.c[0].response);
    assert_int_equal(g.c[0].msg_id, 7);
    assert_string_equal(g.c[0].name, "a\xc3\xa9\xf0\x9f\x98\x80\xef\xbf\xbdz");
    /* the name runs past the message: malformed, nothing reported */
    assert_int_equal(parse(m, 120 + nb - 2, &g), APC__SMB2_MALFORMED);
    assert_int_equal(g.n, 0);
}

/* A READ response at p carrying `len` bytes at data offset `off` (from the header). */
static size_t read_resp(uint8_t *p, uint64_t mid, unsigned off, uint32_t len, uint32_t next)
{
    hdr(p, APC__SMB2_READ, mid, 1, 0, next);
    memset(p + 64, 0, 16);
    le16(p + 64, 17);
    p[66] = (uint8_t)off;
    le32(p + 68, len);
    for (uint32_t i = 0; i < len && off + i < 200; i++)
        p[off + i] = (uint8_t)('A' + i);
    return 80 + len;
}

static void test_read_write(void **state)
{
    (void)state;
    uint8_t m[256];
    got_t g;
    size_t n = read_resp(m, 3, 80, 10, 0);
    assert_int_equal(parse(m, n, &g), APC__SMB2_OK);
    assert_true(g.c[0].response);
    assert_int_equal(g.c[0].data_len, 10);
    assert_ptr_equal(g.c[0].data, m + 80);
    /* data past the end, or inside the header: malformed */
    assert_int_equal(parse(m, n - 1, &g), APC__SMB2_MALFORMED);
    read_resp(m, 3, 40, 10, 0);
    assert_int_equal(parse(m, 120, &g), APC__SMB2_MALFORMED);
    /* a WRITE request: offset, FileId, data */
    hdr(m, APC__SMB2_WRITE, 4, 0, 0, 0);
    memset(m + 64, 0, 48);
    le16(m + 64, 49);
    le16(m + 66, 112);
    le32(m + 68, 5);
    le64(m + 72, 1000);
    memset(m + 80, 0x42, 16);
    memcpy(m + 112, "hello", 5);
    assert_int_equal(parse(m, 117, &g), APC__SMB2_OK);
    assert_int_equal(g.c[0].offset, 1000);
    assert_true(g.c[0].has_file_id);
    assert_int_equal(g.c[0].file_id[15], 0x42);
    assert_memory_equal(g.c[0].data, "hello", 5);
    le32(m + 68, 6); /* one byte more than there is */
    assert_int_equal(parse(m, 117, &g), APC__SMB2_MALFORMED);
}

static void test_compound(void **state)
{
    (void)state;
    uint8_t m[512];
    memset(m, 0, sizeof m);
    /* READ response (80 + 3 bytes, padded to 88), a CLOSE response with attributes, an error */
    read_resp(m, 10, 80, 3, 88);
    hdr(m + 88, APC__SMB2_CLOSE, 11, 1 | 4, 0, 128);
    le16(m + 88 + 64, 60);
    le16(m + 88 + 66, 1);
    le64(m + 88 + 64 + 48, 12345);
    hdr(m + 216, APC__SMB2_CREATE, 12, 1 | 4, 0xC0000034u, 0);
    le16(m + 216 + 64, 9);
    got_t g;
    assert_int_equal(parse(m, 216 + 64 + 9, &g), APC__SMB2_OK);
    assert_int_equal(g.n, 3);
    assert_int_equal(g.c[0].msg_id, 10);
    assert_false(g.c[0].related);
    assert_int_equal(g.c[1].command, APC__SMB2_CLOSE);
    assert_true(g.c[1].related);
    assert_true(g.c[1].has_eof);
    assert_int_equal(g.c[1].eof, 12345);
    assert_int_equal(g.c[2].status, 0xC0000034u);
    assert_false(g.c[2].has_file_id);
    /* NextCommand not a multiple of 8, or past the end: malformed after what came before */
    le32(m + 88 + 20, 124);
    assert_int_equal(parse(m, 216 + 64 + 9, &g), APC__SMB2_MALFORMED);
    assert_int_equal(g.n, 1);
    le32(m + 88 + 20, 4096);
    assert_int_equal(parse(m, 216 + 64 + 9, &g), APC__SMB2_MALFORMED);
    /* the READ's data may not reach into the next command */
    le32(m + 88 + 20, 128);
    le32(m + 68, 9);
    assert_int_equal(parse(m, 216 + 64 + 9, &g), APC__SMB2_MALFORMED);
    assert_int_equal(g.n, 0);
}

static void test_other_headers(void **state)
{
    (void)state;
    uint8_t m[80];
    got_t g;
    memset(m, 0, sizeof m);
    memcpy(m, "\xfdSMB", 4);
    assert_int_equal(parse(m, sizeof m, &g), APC__SMB2_ENCRYPTED);
    memcpy(m, "\xfcSMB", 4);
    assert_int_equal(parse(m, sizeof m, &g), APC__SMB2_COMPRESSED);
    memcpy(m, "\xffSMB", 4);
    assert_int_equal(parse(m, sizeof m, &g), APC__SMB2_SMB1);
    memcpy(m, "\xfeSMX", 4);
    assert_int_equal(parse(m, sizeof m, &g), APC__SMB2_MALFORMED);
    assert_int_equal(parse(m, 3, &g), APC__SMB2_MALFORMED);
    /* a header whose StructureSize is not 64, or a message shorter than a header */
    hdr(m, APC__SMB2_CLOSE, 1, 0, 0, 0);
    assert_int_equal(parse(m, 63, &g), APC__SMB2_MALFORMED);
    le16(m + 4, 65);
    assert_int_equal(parse(m, sizeof m, &g), APC__SMB2_MALFORMED);
    assert_int_equal(g.n, 0);
}

/* An SMB1 header at p ([MS-CIFS] 2.2.3.1): Unicode names, NT status. */
static void hdr1(uint8_t *p, unsigned cmd, unsigned mid, int reply, uint32_t status)
{
    memset(p, 0, 32);
    memcpy(p, "\xffSMB", 4);
    p[4] = (uint8_t)cmd;
    le32(p + 5, status);
    p[9] = reply ? 0x98 : 0x18;
    le16(p + 10, 0xc801);
    le16(p + 24, 1);    /* TID */
    le16(p + 26, 100);  /* PID */
    le16(p + 28, 2048); /* UID */
    le16(p + 30, (uint16_t)mid);
}

static void test_smb1(void **state)
{
    (void)state;
    uint8_t m[256];
    memset(m, 0, sizeof m);
    /* NT_CREATE_ANDX (24 words, then the bytes: a pad byte and "a\b" in UTF-16LE with its
     * terminator) chained to READ_ANDX (12 words) at offset 96 */
    hdr1(m, 0xa2, 9, 0, 0);
    m[32] = 24;
    m[33] = 0x2e;
    le16(m + 35, 96);
    le16(m + 33 + 5, 8);
    le16(m + 81, 9);
    memcpy(m + 84, "a\0\\\0b\0\0\0", 8);
    m[96] = 12;
    m[97] = 0xff;
    le16(m + 97 + 4, 0x4001);
    le32(m + 97 + 6, 70000);
    le16(m + 97 + 10, 512);
    le32(m + 97 + 20, 1);
    got_t g;
    memset(&g, 0, sizeof g);
    assert_int_equal(apc__smb1_parse(m, 123, collect, &g), APC__SMB2_OK);
    assert_int_equal(g.n, 2);
    assert_int_equal(g.c[0].command, APC__SMB2_CREATE);
    assert_string_equal(g.c[0].name, "a\\b");
    assert_int_equal(g.c[1].command, APC__SMB2_READ);
    assert_int_equal(g.c[1].offset, 70000 + (1ull << 32));
    assert_int_equal(g.c[1].file_id[0] | g.c[1].file_id[1] << 8, 0x4001);
    assert_int_equal(g.c[0].msg_id, g.c[1].msg_id);
    /* an AndX offset that goes back: malformed after the first command */
    le16(m + 35, 20);
    memset(&g, 0, sizeof g);
    assert_int_equal(apc__smb1_parse(m, 123, collect, &g), APC__SMB2_MALFORMED);
    assert_int_equal(g.n, 1);
    /* a READ_ANDX reply: 20 bytes at offset 60; then its data said to run past the message */
    hdr1(m, 0x2e, 10, 1, 0);
    m[32] = 12;
    m[33] = 0xff;
    le16(m + 33 + 10, 20);
    le16(m + 33 + 12, 60);
    memset(&g, 0, sizeof g);
    assert_int_equal(apc__smb1_parse(m, 80, collect, &g), APC__SMB2_OK);
    assert_true(g.c[0].response);
    assert_ptr_equal(g.c[0].data, m + 60);
    assert_int_equal(g.c[0].data_len, 20);
    assert_int_equal(apc__smb1_parse(m, 79, collect, &g), APC__SMB2_MALFORMED);
    /* an error reply: no words, the status */
    hdr1(m, 0xa2, 11, 1, 0xc0000034u);
    m[32] = 0;
    memset(&g, 0, sizeof g);
    assert_int_equal(apc__smb1_parse(m, 35, collect, &g), APC__SMB2_OK);
    assert_int_equal(g.c[0].status, 0xc0000034u);
    assert_int_equal(apc__smb1_parse(m, 33, collect, &g), APC__SMB2_MALFORMED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_frame),         cmocka_unit_test(test_create_name),
        cmocka_unit_test(test_read_write),    cmocka_unit_test(test_compound),
        cmocka_unit_test(test_other_headers), cmocka_unit_test(test_smb1),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
