/* SPDX-License-Identifier: MIT */
/* DNS answers (RFC 1035, RFC 3596) and address text (RFC 5952) of module decode. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pktbuild.h"
#include "tests.h"

typedef struct seen {
    char text[16][300];
    int n;
} seen_t;

static void collect(const char *name, int ver, const uint8_t *addr, void *payload)
{
    seen_t *s = payload;
    char a[64];
    apc__addr_format(a, sizeof(a), ver, addr);
    if (s->n < 16)
        snprintf(s->text[s->n], sizeof(s->text[0]), "%s %s", name, a);
    s->n++;
}

/* Header: id, flags, counts. */
static void dns_hdr(pb_t *b, unsigned flags, unsigned qd, unsigned an)
{
    pb_u16(b, 0x1234);
    pb_u16(b, flags);
    pb_u16(b, qd);
    pb_u16(b, an);
    pb_u16(b, 0);
    pb_u16(b, 0);
}

static void test_dns_cname_chain(void **state)
{
    (void)state;
    pb_t b = {.len = 0};
    dns_hdr(&b, 0x8180, 1, 3);
    /* question: WWW.Example.COM A IN (offset 12) */
    pb_bytes(&b,
             "\x03WWW\x07"
             "Example\x03"
             "COM\x00",
             17);
    pb_u16(&b, 1);
    pb_u16(&b, 1);
    /* www.example.com CNAME cdn.example.net (rdata at offset 45) */
    pb_u16(&b, 0xc00c);
    pb_bytes(&b, "\x00\x05\x00\x01\x00\x00\x00\x3c\x00\x11", 10);
    pb_bytes(&b,
             "\x03"
             "cdn\x07"
             "example\x03"
             "net\x00",
             17);
    /* cdn.example.net A 192.0.2.1, owner by pointer to offset 45 */
    pb_u16(&b, 0xc000 | 45);
    pb_bytes(&b, "\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04\xc0\x00\x02\x01", 14);
    /* cdn.example.net AAAA 2001:db8::5 */
    pb_u16(&b, 0xc000 | 45);
    pb_bytes(&b, "\x00\x1c\x00\x01\x00\x00\x00\x3c\x00\x10", 10);
    pb_bytes(&b, "\x20\x01\x0d\xb8\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x05", 16);
    seen_t s = {.n = 0};
    assert_int_equal(apc__dns_answers(b.d, b.len, collect, &s), 4);
    assert_int_equal(s.n, 4);
    assert_string_equal(s.text[0], "cdn.example.net 192.0.2.1");
    assert_string_equal(s.text[1], "www.example.com 192.0.2.1");
    assert_string_equal(s.text[2], "cdn.example.net 2001:db8::5");
    assert_string_equal(s.text[3], "www.example.com 2001:db8::5");

    /* Cut inside the last record: the complete ones are still reported. */
    s.n = 0;
    assert_int_equal(apc__dns_answers(b.d, b.len - 3, collect, &s), 2);
    assert_string_equal(s.text[0], "cdn.example.net 192.0.2.1");

    /* A query is not a response. */
    b.d[2] = 0x01;
    assert_int_equal(apc__dns_answers(b.d, b.len, collect, &s), -1);
    assert_int_equal(apc__dns_answers(b.d, 11, collect, &s), -1);
}

static void test_dns_bad_names(void **state)
{
    (void)state;
    seen_t s = {.n = 0};
    pb_t b = {.len = 0};
    /* question name is a pointer to itself: a loop */
    dns_hdr(&b, 0x8180, 1, 0);
    pb_u16(&b, 0xc00c);
    pb_u16(&b, 1);
    pb_u16(&b, 1);
    assert_int_equal(apc__dns_answers(b.d, b.len, collect, &s), -1);

    /* a forward pointer (to a label after it) is refused as well */
    b.len = 0;
    dns_hdr(&b, 0x8180, 1, 0);
    pb_u16(&b, 0xc000 | 18);
    pb_u16(&b, 1);
    pb_u16(&b, 1);
    pb_bytes(&b,
             "\x01"
             "a\x00",
             3);
    assert_int_equal(apc__dns_answers(b.d, b.len, collect, &s), -1);

    /* two labels pointing at each other through an answer owner */
    b.len = 0;
    dns_hdr(&b, 0x8180, 0, 1);
    pb_bytes(&b,
             "\x01"
             "a\xc0\x0e",
             4); /* offset 12: "a" then pointer to 14 (itself) */
    pb_bytes(&b, "\x00\x01\x00\x01\x00\x00\x00\x01\x00\x04\x01\x02\x03\x04", 14);
    assert_int_equal(apc__dns_answers(b.d, b.len, collect, &s), -1);

    /* extended label type 0x40 */
    b.len = 0;
    dns_hdr(&b, 0x8180, 1, 0);
    pb_bytes(&b,
             "\x41"
             "a\x00\x00\x01\x00\x01",
             7);
    assert_int_equal(apc__dns_answers(b.d, b.len, collect, &s), -1);

    /* a name longer than 255 octets */
    b.len = 0;
    dns_hdr(&b, 0x8180, 1, 0);
    for (int i = 0; i < 5; i++) {
        pb_u8(&b, 63);
        memset(b.d + b.len, 'x', 63);
        b.len += 63;
    }
    pb_bytes(&b, "\x00\x00\x01\x00\x01", 5);
    assert_int_equal(apc__dns_answers(b.d, b.len, collect, &s), -1);
    assert_int_equal(s.n, 0);

    /* odd bytes in labels come back escaped, the root as "." */
    b.len = 0;
    dns_hdr(&b, 0x8180, 0, 2);
    pb_bytes(&b,
             "\x03"
             "a.\x01\x00",
             5);
    pb_bytes(&b, "\x00\x01\x00\x01\x00\x00\x00\x01\x00\x04\x01\x02\x03\x04", 14);
    pb_bytes(&b, "\x00\x00\x01\x00\x01\x00\x00\x00\x01\x00\x04\x05\x06\x07\x08", 15);
    assert_int_equal(apc__dns_answers(b.d, b.len, collect, &s), 2);
    assert_string_equal(s.text[0], "a\\.\\001 1.2.3.4");
    assert_string_equal(s.text[1], ". 5.6.7.8");
}

static void test_addr_format(void **state)
{
    (void)state;
    static const char *const cases[] = {
        "::",
        "::1",
        "2001:db8::1",
        "2001:db8:0:0:1:0:0:1",
        "2001:0:0:1::1",
        "fe80::1:2:3:4",
        "1:0:0:0:0:0:0:0",
        "2001:db8:1:1:1:1:1:1",
        "::ffff:192.0.2.1",
        "::192.0.2.1",
        "1::",
        "1:2:3:4:5:6:7::",
        "0:1:0:1:0:1:0:1",
        "ff02::fb",
    };
    char out[64], ref[64];
    uint8_t a[16];
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(inet_pton(AF_INET6, cases[i], a), 1);
        apc__addr_format(out, sizeof(out), 6, a);
        inet_ntop(AF_INET6, a, ref, sizeof(ref));
        assert_string_equal(out, ref);
    }
    /* random addresses with many zero fields */
    srand(7);
    for (int i = 0; i < 20000; i++) {
        for (int j = 0; j < 16; j += 2) {
            int z = rand() % 3 != 0;
            a[j] = z ? 0 : (uint8_t)rand();
            a[j + 1] = z ? 0 : (uint8_t)rand();
        }
        apc__addr_format(out, sizeof(out), 6, a);
        inet_ntop(AF_INET6, a, ref, sizeof(ref));
        assert_string_equal(out, ref);
        apc__addr_format(out, sizeof(out), 4, a);
        inet_ntop(AF_INET, a, ref, sizeof(ref));
        assert_string_equal(out, ref);
    }
    apc__addr_format(out, 5, 4, (const uint8_t *)"\xc0\xa8\x01\x01");
    assert_string_equal(out, "192.");
}

int run_dns_tests(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dns_cname_chain),
        cmocka_unit_test(test_dns_bad_names),
        cmocka_unit_test(test_addr_format),
    };
    return cmocka_run_group_tests_name("decode dns and addresses", tests, NULL, NULL);
}
