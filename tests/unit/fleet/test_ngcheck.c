/* SPDX-License-Identifier: MIT */
/*
 * The check of the pcapng an owning node streams for an export (fleet/ngcheck.h): an export
 * made by our own encoder passes whole and unchanged however the network cuts it; each kind
 * of bad block is refused with its reason, before any of it is passed on.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <apc/common.h>

#include "fleet/ngcheck.h"
#include "store/pcapng_enc.h"

typedef struct out {
    uint8_t buf[8192];
    size_t len;
    int blocks, packets;
} out_t;

static int keep(const uint8_t *b, size_t len, int is_packet, void *payload)
{
    out_t *o = payload;
    assert_true(o->len + len <= sizeof o->buf);
    memcpy(o->buf + o->len, b, len);
    o->len += len;
    o->blocks++;
    o->packets += is_packet;
    return 0;
}

/* An export as ours: SHB (a comment), two IDBs, three EPBs (options, an odd length). */
static size_t make_export(uint8_t *buf, size_t cap)
{
    static const uint8_t data[61] = {1, 2, 3};
    const char *cmts[] = {"PID: 42\nCmd: /usr/bin/curl", "a note"};
    size_t n = 0, k;
    k = apc__ng_shb_size("capture notes", "test");
    assert_true(n + k <= cap);
    apc__ng_shb_put(buf + n, k, "capture notes", "test");
    n += k;
    for (int i = 0; i < 2; i++) {
        k = apc__ng_idb_size("eth0", "");
        assert_true(n + k <= cap);
        apc__ng_idb_put(buf + n, k, 1, 65535, "eth0", "");
        n += k;
    }
    for (uint32_t i = 0; i < 3; i++) {
        apc__ng_epb_t p = {.iface = i % 2,
                           .ts_ns = 1700000000123456789LL + i,
                           .caplen = 61 - i,
                           .wirelen = 100,
                           .data = data,
                           .direction = 1,
                           .has_pid_tid = 1,
                           .pid = 42,
                           .tid = 43,
                           .n_comments = 2,
                           .comments = cmts};
        k = apc__ng_epb_size(&p);
        assert_true(n + k <= cap);
        apc__ng_epb_put(buf + n, k, &p);
        n += k;
    }
    return n;
}

/* Feeds s in pieces of `piece` bytes; the first error or the end's answer. */
static int feed(const uint8_t *s, size_t n, size_t piece, out_t *o)
{
    apc__ngchk_t c;
    memset(&c, 0, sizeof c);
    c.node = "nodeC";
    int rc = 0;
    for (size_t at = 0; rc == 0 && at < n; at += piece)
        rc = apc__ngchk_feed(&c, s + at, n - at < piece ? n - at : piece, keep, o);
    if (rc == 0)
        rc = apc__ngchk_end(&c);
    if (rc == 0)
        assert_int_equal(c.packets, (uint64_t)o->packets);
    apc__ngchk_free(&c);
    return rc;
}

static void test_whole_in_any_pieces(void **state)
{
    (void)state;
    uint8_t s[4096];
    size_t n = make_export(s, sizeof s);
    static const size_t pieces[] = {1, 3, 7, 12, 13, 64, 4096};
    for (size_t i = 0; i < sizeof pieces / sizeof *pieces; i++) {
        out_t o = {0};
        assert_int_equal(feed(s, n, pieces[i], &o), 0);
        assert_int_equal(o.blocks, 6);
        assert_int_equal(o.packets, 3);
        assert_int_equal(o.len, n);
        assert_memory_equal(o.buf, s, n); /* unchanged */
    }
}

/* Offsets into make_export's stream. */
static size_t block_at(const uint8_t *s, int nth)
{
    size_t at = 0;
    for (int i = 0; i < nth; i++) {
        uint32_t len;
        memcpy(&len, s + at + 4, 4);
        at += len;
    }
    return at;
}

static void put32(uint8_t *p, uint32_t v)
{
    memcpy(p, &v, 4);
}

/* Changes the export with fn, then expects a refusal whose message holds `why`, and that
 * nothing from the bad block on was passed on. */
static void refused(void (*fn)(uint8_t *s, size_t *n), const char *why, int blocks_before)
{
    uint8_t s[4096];
    size_t n = make_export(s, sizeof s);
    fn(s, &n);
    out_t o = {0};
    int rc = feed(s, n, 5, &o);
    assert_int_equal(rc, APC_EFORMAT);
    const char *msg = apc_last_error_message();
    if (!strstr(msg, why) || !strstr(msg, "node 'nodeC'"))
        fail_msg("message '%s' lacks '%s'", msg, why);
    assert_int_equal(o.blocks, blocks_before);
}

static void no_magic(uint8_t *s, size_t *n)
{
    (void)n;
    put32(s + 8, 0x12345678);
}
static void second_shb(uint8_t *s, size_t *n)
{
    size_t shb = block_at(s, 1);
    memmove(s + shb, s, shb); /* the SHB again where the first IDB was */
    *n = 2 * shb;
}
static void idb_first(uint8_t *s, size_t *n)
{
    size_t shb = block_at(s, 1);
    memmove(s, s + shb, *n - shb);
    *n -= shb;
}
static void odd_length(uint8_t *s, size_t *n)
{
    (void)n;
    put32(s + block_at(s, 1) + 4, 22);
}
static void huge_length(uint8_t *s, size_t *n)
{
    (void)n;
    put32(s + block_at(s, 3) + 4, APC_NGCHK_BLOCK_MAX + 4);
}
static void trailer_differs(uint8_t *s, size_t *n)
{
    (void)n;
    put32(s + block_at(s, 4) - 4, 1000);
}
static void unknown_iface(uint8_t *s, size_t *n)
{
    (void)n;
    put32(s + block_at(s, 3) + 8, 2);
}
static void caplen_beyond(uint8_t *s, size_t *n)
{
    (void)n;
    put32(s + block_at(s, 3) + 20, 200);
}
static void caplen_huge(uint8_t *s, size_t *n)
{
    (void)n;
    put32(s + block_at(s, 3) + 20, APC_NGCHK_SNAP_MAX + 1);
}
static void option_overflows(uint8_t *s, size_t *n)
{
    (void)n;
    /* The first option of the SHB (its comment) claims more than the block holds. */
    uint16_t big = 4000;
    memcpy(s + 24 + 2, &big, 2);
}
static void other_block(uint8_t *s, size_t *n)
{
    (void)n;
    put32(s + block_at(s, 3), 5); /* an Interface Statistics Block */
}
static void cut_short(uint8_t *s, size_t *n)
{
    (void)s;
    *n -= 6;
}

static void test_refusals(void **state)
{
    (void)state;
    refused(no_magic, "byte-order magic", 0);
    refused(second_shb, "a second section", 1);
    refused(idb_first, "does not start with a Section Header Block", 0);
    refused(odd_length, "not a multiple of 4", 1);
    refused(huge_length, "over 16 MiB", 3);
    refused(trailer_differs, "trailing length", 3);
    refused(unknown_iface, "interface not described", 3);
    refused(caplen_beyond, "beyond its block", 3);
    refused(caplen_huge, "over 256 KiB", 3);
    refused(option_overflows, "an option longer than its block", 0);
    refused(other_block, "a type an export does not write", 3);
    refused(cut_short, "ended inside a block", 5);
}

static void test_empty_and_swapped(void **state)
{
    (void)state;
    out_t o = {0};
    assert_int_equal(feed((const uint8_t *)"", 0, 1, &o), APC_EFORMAT);
    assert_non_null(strstr(apc_last_error_message(), "no section"));
    /* A section of the other byte order: lengths read swapped, the bytes passed on as sent. */
    uint8_t s[28] = {0x0A, 0x0D, 0x0D, 0x0A, 0,    0,    0,    28,   0x1A, 0x2B, 0x3C, 0x4D, 0, 1,
                     0,    0,    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0,    0,    0, 28};
    assert_int_equal(feed(s, sizeof s, 3, &o), 0);
    assert_int_equal(o.blocks, 1);
    assert_memory_equal(o.buf, s, sizeof s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_whole_in_any_pieces),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_empty_and_swapped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
