/* SPDX-License-Identifier: MIT */
/* Unit tests of the pcapng reader over crafted buffers (draft-ietf-opsawg-pcapng). */
#include "test_source.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apc/common.h>

static const uint8_t payload[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};

/* Two sections (LE then BE) with every block kind we read or skip. */
static void build_rich(struct tb *t)
{
    tb_shb(t, "made by test");
    tb_block_begin(t, 1); /* IDB 0 */
    tb_u16(t, 1);
    tb_u16(t, 0);
    tb_u32(t, 128);
    tb_opt(t, 2, "eth0", 4);
    tb_opt(t, 3, "first nic\0", 10);
    uint8_t v = 9, fcs = 32;
    tb_opt(t, 9, &v, 1);
    tb_opt(t, 13, &fcs, 1);
    struct tb o = {.be = t->be};
    tb_u64(&o, 10);
    tb_opt(t, 14, o.b, 8);
    tb_opt(t, 0, "", 0);
    tb_block_end(t);
    static const uint32_t skipped[] = {4, 0xBAD, 0x40000BAD, 5, 0x0A, 0x12345};
    for (size_t k = 0; k < 6; k++) {
        tb_block_begin(t, skipped[k]);
        tb_bytes(t, "skip me", 7);
        tb_block_end(t);
    }
    tb_block_begin(t, 6); /* EPB with three comments, flags and pid/tid */
    tb_u32(t, 0);
    uint64_t ts = 1700000000123456789ull;
    tb_u32(t, (uint32_t)(ts >> 32));
    tb_u32(t, (uint32_t)ts);
    tb_u32(t, 5);
    tb_u32(t, 60);
    tb_bytes(t, payload, 5);
    tb_pad4(t);
    tb_opt(t, 1, "PID: 1\nCmd: a", 13);
    tb_opt(t, 1, "ThreadId: 2\0", 12);
    struct tb f = {.be = t->be};
    tb_u32(&f, 2);
    tb_opt(t, 2, f.b, 4);
    tb_opt(t, 1, "ParentPID: 3", 12);
    f.n = 0;
    tb_u32(&f, 1234);
    tb_u32(&f, 5678);
    tb_opt(t, 8, f.b, 8);
    tb_opt(t, 0, "", 0);
    tb_block_end(t);
    tb_idb(t, 101, 4, -1); /* IDB 1, microseconds */
    tb_block_begin(t, 3);  /* SPB: interface 0, snaplen 128 */
    tb_u32(t, 10);
    tb_bytes(t, payload, 10);
    tb_block_end(t);
    tb_block_begin(t, 2); /* obsolete PB on interface 1 */
    tb_u16(t, 1);
    tb_u16(t, 0);
    ts = 1700000000000001ull;
    tb_u32(t, (uint32_t)(ts >> 32));
    tb_u32(t, (uint32_t)ts);
    tb_u32(t, 3);
    tb_u32(t, 3);
    tb_bytes(t, payload, 3);
    tb_pad4(t);
    tb_opt(t, 1, "pb", 2);
    f.n = 0;
    tb_u32(&f, 1);
    tb_opt(t, 2, f.b, 4);
    tb_block_end(t);
    t->be = !t->be; /* second section in the other byte order */
    tb_shb(t, "two");
    tb_idb(t, 113, 0, 0x80 | 10);
    tb_epb(t, 0, 5 * 1024, payload, 16);
}

static void check_rich(bool be)
{
    struct tb t = {.be = be};
    build_rich(&t);
    apc__reader_t *r;
    uint8_t *c;
    assert_int_equal(open_copy(&r, t.b, t.n, &c), 0);
    assert_int_equal(apc__reader_format(r), APC_FMT_PCAPNG);
    apc__rec_t rec;
    assert_int_equal(apc__reader_next(r, &rec), 1);
    assert_int_equal(rec.iface, 0);
    assert_int_equal(rec.linktype, 1);
    assert_int_equal(rec.ts_ns, 1700000000123456789ll + 10000000000ll);
    assert_int_equal(rec.caplen, 5);
    assert_int_equal(rec.wirelen, 60);
    assert_memory_equal(rec.data, payload, 5);
    assert_string_equal(rec.comment, "PID: 1\nCmd: a\nThreadId: 2\nParentPID: 3");
    assert_int_equal(rec.comment_len, strlen(rec.comment));
    assert_int_equal(rec.direction, 2);
    assert_int_equal(rec.has_pid_tid, 1);
    assert_int_equal(rec.pid, 1234);
    assert_int_equal(rec.tid, 5678);
    const apc__iface_t *i = apc__reader_iface(r, 0);
    assert_string_equal(i->name, "eth0");
    assert_string_equal(i->description, "first nic");
    assert_int_equal(i->tsresol_num, 1000000000);
    assert_int_equal(i->tsoffset_sec, 10);
    assert_int_equal(i->fcs_len, 4);
    assert_int_equal(i->snaplen, 128);

    assert_int_equal(apc__reader_next(r, &rec), 1); /* SPB */
    assert_int_equal(rec.iface, 0);
    assert_int_equal(rec.caplen, 10);
    assert_int_equal(rec.wirelen, 10);
    assert_int_equal(rec.ts_ns, 0);
    assert_null(rec.comment);
    assert_int_equal(rec.direction, 0);
    assert_int_equal(rec.has_pid_tid, 0);
    assert_memory_equal(rec.data, payload, 10);

    assert_int_equal(apc__reader_next(r, &rec), 1); /* PB */
    assert_int_equal(rec.iface, 1);
    assert_int_equal(rec.linktype, 101);
    assert_int_equal(rec.ts_ns, 1700000000000001000ll);
    assert_string_equal(rec.comment, "pb");
    assert_int_equal(rec.direction, 1);

    assert_int_equal(apc__reader_next(r, &rec), 1); /* second section */
    assert_int_equal(rec.iface, 2);
    assert_int_equal(rec.linktype, 113);
    assert_int_equal(rec.ts_ns, 5000000000ll);
    assert_memory_equal(rec.data, payload, 16);
    assert_int_equal(apc__reader_iface(r, 2)->tsresol_num, 1024);
    assert_int_equal(apc__reader_next(r, &rec), 0);
    assert_int_equal(apc__reader_iface_count(r), 3);
    assert_null(apc__reader_iface(r, 3));
    assert_string_equal(apc__reader_section_comment(r), "made by test\ntwo");
    apc__reader_close(r);
    free(c);
}

static void test_ng_rich(void **state)
{
    check_rich(false);
    check_rich(true);
}

static void test_ng_truncated_everywhere(void **state)
{
    struct tb t = {0};
    build_rich(&t);
    truncation_loop(t.b, t.n, 48, false); /* first SHB: 28 + comment 16 + end 4 */
}

/* Opens t and reads to the end; expects the error `sub` and `nrec` records before it. */
static void expect_ng_err(struct tb *t, const char *sub, size_t nrec)
{
    apc__reader_t *r;
    uint8_t *c;
    size_t n = 0;
    int rc = open_copy(&r, t->b, t->n, &c);
    if (rc == 0) {
        rc = read_all(r, &n);
        apc__reader_close(r);
    }
    expect_fmt_err(rc, sub);
    assert_int_equal(n, nrec);
    free(c);
}

static void test_ng_bad_header(void **state)
{
    static const uint16_t vers[][2] = {{0, 1}, {1, 1}, {2, 0}};
    for (size_t k = 0; k < 3; k++) {
        struct tb t = {0};
        tb_shb(&t, NULL);
        t.b[12] = (uint8_t)vers[k][0];
        t.b[14] = (uint8_t)vers[k][1];
        char want[64];
        snprintf(want, sizeof want, "offset 12: unsupported pcapng version %u.%u", vers[k][0],
                 vers[k][1]);
        expect_ng_err(&t, want, 0);
    }
    struct tb t = {0};
    tb_shb(&t, NULL);
    t.b[8] = 0x11;
    expect_ng_err(&t, "offset 8: bad byte-order magic", 0);
    t.n = 0;
    tb_shb(&t, NULL);
    expect_ng_err(&(struct tb){.b = {0x0a, 0x0d, 0x0d, 0x0a, 0x1c}, .n = 10},
                  "offset 0: file truncated in a section header block (10 bytes)", 0);
    t.b[4] = 24;
    expect_ng_err(&t, "offset 0: section header block length 24 below minimum 28", 0);
}

/* A valid SHB + IDB, then the caller's block. */
static void ng_start(struct tb *t)
{
    t->n = 0;
    tb_shb(t, NULL);
    tb_idb(t, 1, 0, -1);
}

static void test_ng_block_lengths(void **state)
{
    struct tb t = {0};
    ng_start(&t);
    tb_epb(&t, 0, 1, payload, 4);
    size_t off = t.n;
    tb_u32(&t, 6);
    tb_u32(&t, 8);
    tb_u32(&t, 8);
    char want[96];
    snprintf(want, sizeof want, "offset %zu: block type 0x00000006: length 8 below minimum 12",
             off);
    expect_ng_err(&t, want, 1);

    ng_start(&t);
    off = t.n;
    tb_block_begin(&t, 6);
    tb_bytes(&t, payload, 8);
    tb_block_end(&t);
    t.b[off + 4] = 18; /* not a multiple of 4 */
    snprintf(want, sizeof want, "offset %zu: block type 0x00000006: length 18 not a multiple of 4",
             off);
    expect_ng_err(&t, want, 0);

    ng_start(&t);
    off = t.n;
    tb_epb(&t, 0, 1, payload, 4);
    t.b[t.n - 4] += 4;
    snprintf(want, sizeof want, "offset %zu: block type 0x00000006: trailing length 40 differs",
             off);
    expect_ng_err(&t, want, 0);

    /* Block longer than the file: a truncated file, earlier packets kept. */
    ng_start(&t);
    tb_epb(&t, 0, 1, payload, 4);
    off = t.n;
    tb_epb(&t, 0, 1, payload, 8);
    t.n -= 4;
    snprintf(want, sizeof want, "offset %zu: file truncated in a block of type 0x00000006", off);
    expect_ng_err(&t, want, 1);
}

static void test_ng_option_overflow(void **state)
{
    struct tb t = {0};
    tb_shb(&t, NULL);
    size_t off = t.n;
    tb_block_begin(&t, 1);
    tb_u32(&t, 1);
    tb_u32(&t, 0);
    tb_u16(&t, 2);
    tb_u16(&t, 100); /* if_name claims 100 bytes, the block has 4 */
    tb_u32(&t, 0);
    tb_block_end(&t);
    char want[96];
    snprintf(want, sizeof want, "offset %zu: option 2 of length 100 overflows its block", off + 16);
    expect_ng_err(&t, want, 0);

    t.n = 0; /* same in the SHB, as libpcap's shb-option-too-long.pcapng */
    tb_block_begin(&t, 0x0a0d0d0a);
    tb_u32(&t, 0x1a2b3c4d);
    tb_u32(&t, 1);
    tb_u64(&t, UINT64_MAX);
    tb_u16(&t, 1);
    tb_u16(&t, 0x3030);
    tb_u32(&t, 0x30303030);
    tb_block_end(&t);
    expect_ng_err(&t, "offset 24: option 1 of length 12336 overflows its block (4 bytes left)", 0);

    /* A padded option one byte too long for an EPB's option area. */
    ng_start(&t);
    off = t.n;
    tb_epb(&t, 0, 1, payload, 4);
    t.n -= 4;
    tb_u16(&t, 1);
    tb_u16(&t, 5);
    tb_u32(&t, 0x41414141);
    tb_block_end(&t);
    snprintf(want, sizeof want, "offset %zu: option 1 of length 5 overflows", off + 32);
    expect_ng_err(&t, want, 0);
}

static void test_ng_caplen_over_block(void **state)
{
    struct tb t = {0};
    ng_start(&t);
    size_t off = t.n;
    tb_epb(&t, 0, 1, payload, 4);
    t.b[off + 20] = 100; /* caplen */
    char want[96];
    snprintf(want, sizeof want, "offset %zu: EPB caplen 100 exceeds the block (4 bytes", off);
    expect_ng_err(&t, want, 0);

    ng_start(&t); /* SPB whose original length (no snaplen) exceeds its data */
    off = t.n;
    tb_block_begin(&t, 3);
    tb_u32(&t, 9);
    tb_bytes(&t, payload, 8);
    tb_block_end(&t);
    snprintf(want, sizeof want, "offset %zu: SPB packet length 9 exceeds the block", off);
    expect_ng_err(&t, want, 0);
}

static void test_ng_undefined_interface(void **state)
{
    struct tb t = {0};
    ng_start(&t);
    size_t off = t.n;
    tb_epb(&t, 1, 1, payload, 4);
    char want[96];
    snprintf(want, sizeof want,
             "offset %zu: packet refers to interface 1 but its section defines 1", off);
    expect_ng_err(&t, want, 0);

    /* A new section forgets the interfaces of the previous one. */
    ng_start(&t);
    tb_epb(&t, 0, 1, payload, 4);
    tb_shb(&t, NULL);
    off = t.n;
    tb_epb(&t, 0, 1, payload, 4);
    snprintf(want, sizeof want,
             "offset %zu: packet refers to interface 0 but its section defines 0", off);
    expect_ng_err(&t, want, 1);

    t.n = 0; /* SPB before any IDB */
    tb_shb(&t, NULL);
    tb_block_begin(&t, 3);
    tb_u32(&t, 0);
    tb_block_end(&t);
    expect_ng_err(&t, "offset 28: packet refers to interface 0 but its section defines 0", 0);
}

static void test_ng_timestamps(void **state)
{
    struct {
        int tsresol;
        int64_t tsoffset;
        uint64_t ts;
        int64_t want;
    } cases[] = {
        {0, 0, UINT64_MAX, INT64_MAX},             /* seconds: saturates, no overflow */
        {0x80 | 63, 0, UINT64_MAX, 1999999999},    /* 2^-63 s units */
        {19, 0, UINT64_MAX, 1844674407},           /* 10^-19 s units */
        {9, -10, 0, -10000000000ll},               /* negative offset */
        {6, INT64_MIN / 2, UINT64_MAX, INT64_MIN}, /* far past offset: saturates */
        {6, INT64_MAX / 2, UINT64_MAX, INT64_MAX}, /* far future */
        {0x80 | 0, 0, 3, 3000000000ll},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        struct tb t = {0};
        tb_shb(&t, NULL);
        tb_block_begin(&t, 1);
        tb_u32(&t, 1);
        tb_u32(&t, 0);
        uint8_t v = (uint8_t)cases[k].tsresol;
        tb_opt(&t, 9, &v, 1);
        struct tb o = {0};
        tb_u64(&o, (uint64_t)cases[k].tsoffset);
        tb_opt(&t, 14, o.b, 8);
        tb_block_end(&t);
        tb_epb(&t, 0, cases[k].ts, payload, 1);
        apc__reader_t *r;
        uint8_t *c;
        apc__rec_t rec;
        assert_int_equal(open_copy(&r, t.b, t.n, &c), 0);
        assert_int_equal(apc__reader_next(r, &rec), 1);
        if (rec.ts_ns != cases[k].want)
            fail_msg("case %zu: ts_ns %lld, want %lld", k, (long long)rec.ts_ns,
                     (long long)cases[k].want);
        apc__reader_close(r);
        free(c);
    }
    static const int bad[] = {20, 0x80 | 64, 0xff};
    for (size_t k = 0; k < 3; k++) {
        struct tb t = {0};
        tb_shb(&t, NULL);
        tb_idb(&t, 1, 0, bad[k]);
        expect_ng_err(&t, "offset 44: if_tsresol", 0);
    }
}

const struct CMUnitTest apc_test_ng[] = {
    cmocka_unit_test(test_ng_rich),
    cmocka_unit_test(test_ng_truncated_everywhere),
    cmocka_unit_test(test_ng_bad_header),
    cmocka_unit_test(test_ng_block_lengths),
    cmocka_unit_test(test_ng_option_overflow),
    cmocka_unit_test(test_ng_caplen_over_block),
    cmocka_unit_test(test_ng_undefined_interface),
    cmocka_unit_test(test_ng_timestamps),
};
const size_t apc_test_ng_count = sizeof apc_test_ng / sizeof apc_test_ng[0];
