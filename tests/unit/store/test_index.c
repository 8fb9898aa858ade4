/* SPDX-License-Identifier: MIT */
/*
 * The packet index (store/index.c, store/index_codec.c): the block codec's round trips and its
 * refusals, the files across block boundaries, flushes of partial blocks, reopening after a
 * cut, damage, and format-1 files written before format 2.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <cmocka.h>

#include <apc/apc.h>
#include "core/fsutil.h"
#include "store/index.h"
#include "store/index_codec.h"

static char tmpdir[64];

static int setup(void **state)
{
    (void)state;
    strcpy(tmpdir, "/tmp/apc-test-index-XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    return apc__rm_rf(tmpdir);
}

/* Records like a capture's: times in microseconds or nanoseconds, sometimes backwards,
 * locations growing by frame sizes across segments, connections among `flows`. */
static void make(apc__idxrec_t *r, size_t n, unsigned seed, int ns, uint32_t flows)
{
    srand(seed);
    int64_t ts = 1733300000000000000LL;
    uint64_t loc = 0;
    for (size_t i = 0; i < n; i++) {
        ts += (int64_t)(rand() % 2000) * (ns ? 1 : 1000) - (rand() % 50 == 0 ? 5000000 : 0);
        loc += 60 + (uint64_t)(rand() % 1500);
        if (rand() % 1000 == 0)
            loc = ((loc >> 48) + 1) << 48;
        r[i].ts_ns = ts;
        r[i].loc = loc;
        r[i].conn_id = (uint32_t)rand() % flows;
        /* a connection's packets belong to one process, mostly */
        r[i].proc = APC_IDX_PROC(r[i].conn_id % 40, rand() % 50 ? 1 : 3);
    }
}

static void test_codec_roundtrip(void **state)
{
    (void)state;
    static apc__idxrec_t in[APC_IDX_BLOCK], out[APC_IDX_BLOCK];
    static uint8_t b[APC_IDX_BLOCK_MAX];
    for (unsigned seed = 1; seed <= 40; seed++) {
        size_t n = 1 + (size_t)(seed * 37) % APC_IDX_BLOCK;
        make(in, n, seed, seed % 2, seed % 3 ? 5000 : 3);
        size_t len = apc__idxblk_encode(in, n, b);
        assert_true(len <= APC_IDX_BLOCK_MAX);
        assert_int_equal(apc__idxblk_decode(b, len, out), (int)n);
        assert_memory_equal(in, out, n * sizeof *in);
    }
    /* The extremes of every field, and times before 1970. */
    apc__idxrec_t x[4] = {
        {INT64_MIN, UINT64_MAX, UINT32_MAX, UINT32_MAX},
        {INT64_MAX, 0, 0, 0},
        {-1000, 1ULL << 63, 1, UINT32_MAX},
        {0, UINT64_MAX, UINT32_MAX, 0},
    };
    size_t len = apc__idxblk_encode(x, 4, b);
    assert_int_equal(apc__idxblk_decode(b, len, out), 4);
    assert_memory_equal(x, out, sizeof x);
}

static void test_codec_size(void **state)
{
    (void)state;
    /* 5,000 interleaved flows, microsecond times: the reason for format 2. */
    static apc__idxrec_t in[APC_IDX_BLOCK];
    static uint8_t b[APC_IDX_BLOCK_MAX];
    make(in, APC_IDX_BLOCK, 7, 0, 5000);
    size_t len = apc__idxblk_encode(in, APC_IDX_BLOCK, b);
    print_message("a block of 256 records: %zu bytes, %.1f a record\n", len,
                  (double)len / APC_IDX_BLOCK);
    assert_true(len < APC_IDX_BLOCK * 9);
}

static void test_codec_damage(void **state)
{
    (void)state;
    static apc__idxrec_t in[APC_IDX_BLOCK], out[APC_IDX_BLOCK];
    static uint8_t b[APC_IDX_BLOCK_MAX];
    make(in, 100, 3, 0, 50);
    size_t len = apc__idxblk_encode(in, 100, b);
    for (size_t i = 0; i < len; i++) { /* any changed byte is seen */
        b[i] ^= 0x10;
        assert_int_equal(apc__idxblk_decode(b, len, out), -1);
        b[i] ^= 0x10;
    }
    assert_int_equal(apc__idxblk_decode(b, len - 1, out), -1);
    assert_int_equal(apc__idxblk_decode(b, 3, out), -1);
    assert_int_equal(apc__idxblk_decode(b, 0, out), -1);
    assert_int_equal(apc__idxblk_decode(b, len, out), 100);
}

/* The block format before the move-to-front list (flags 0x01-0x02 only), written as the
 * encoder of 2026-12-03 did: every field a zigzag difference, the connection's shifted left
 * with the process bit. A store made then must read the same after the change. */
static void put(uint8_t *b, size_t *p, uint64_t v)
{
    while (v >= 0x80) {
        b[(*p)++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    b[(*p)++] = (uint8_t)v;
}

static uint64_t zz(int64_t v)
{
    return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static size_t old_encode(const apc__idxrec_t *r, size_t n, uint8_t *b)
{
    size_t p = 7;
    uint64_t ts = 0, loc = 0, conn = 0, proc = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t t = (uint64_t)r[i].ts_ns; /* nanoseconds, bytes: flags 0 */
        put(b, &p, zz((int64_t)(t - ts)));
        put(b, &p, zz((int64_t)(r[i].loc - loc)));
        int d = r[i].proc != proc;
        put(b, &p, zz((int64_t)r[i].conn_id - (int64_t)conn) << 1 | (uint64_t)d);
        if (d)
            put(b, &p, zz((int64_t)r[i].proc - (int64_t)proc));
        ts = t;
        loc = r[i].loc;
        conn = r[i].conn_id;
        proc = r[i].proc;
    }
    b[4] = (uint8_t)n;
    b[5] = (uint8_t)(n >> 8);
    b[6] = 0;
    uint32_t crc = (uint32_t)crc32(0L, b + 4, (uInt)(p - 4));
    for (int i = 0; i < 4; i++)
        b[i] = (uint8_t)(crc >> (8 * i));
    return p;
}

static void test_codec_old_blocks(void **state)
{
    (void)state;
    static apc__idxrec_t in[APC_IDX_BLOCK], out[APC_IDX_BLOCK];
    static uint8_t b[APC_IDX_BLOCK_MAX];
    for (unsigned seed = 1; seed <= 10; seed++) {
        size_t n = 1 + (size_t)(seed * 53) % APC_IDX_BLOCK;
        make(in, n, seed, 1, 5000);
        size_t len = old_encode(in, n, b);
        assert_int_equal(apc__idxblk_decode(b, len, out), (int)n);
        assert_memory_equal(in, out, n * sizeof *in);
        /* A block without the list claiming a newer bit is damaged. */
        b[6] = 0x20;
        uint32_t crc = (uint32_t)crc32(0L, b + 4, (uInt)(len - 4));
        for (int i = 0; i < 4; i++)
            b[i] = (uint8_t)(crc >> (8 * i));
        assert_int_equal(apc__idxblk_decode(b, len, out), -1);
    }
}

/* The new block's choices: one process stored once, rising fields, a connection list entry
 * that does not exist yet refused. */
static void test_codec_choices(void **state)
{
    (void)state;
    static apc__idxrec_t in[APC_IDX_BLOCK], out[APC_IDX_BLOCK];
    static uint8_t b[APC_IDX_BLOCK_MAX];
    for (size_t i = 0; i < APC_IDX_BLOCK; i++) {
        in[i].ts_ns = 1733300000000000000LL + (int64_t)i * 1000;
        in[i].loc = 64 + i * 128;
        in[i].conn_id = (uint32_t)(i % 7) + 100;
        in[i].proc = APC_IDX_PROC(5, 1);
    }
    size_t len = apc__idxblk_encode(in, APC_IDX_BLOCK, b);
    assert_int_equal(b[6], 0x3f); /* us, 4-byte units, list, rising, one process */
    assert_int_equal(apc__idxblk_decode(b, len, out), APC_IDX_BLOCK);
    assert_memory_equal(in, out, sizeof in);
    /* 7 connections taking turns: after their first packets each record is 3 bytes. */
    print_message("one process, 7 flows: %zu bytes for %d records\n", len, APC_IDX_BLOCK);
    assert_true(len < 7 + 10 + 7 * 12 + (APC_IDX_BLOCK - 7) * 3 + 1);
    /* A first record naming list entry 3 of an empty list: damaged. */
    size_t p = 7;
    put(b, &p, 0);
    put(b, &p, 0);
    put(b, &p, 0);
    put(b, &p, 3 << 1);
    b[4] = 1;
    b[5] = 0;
    b[6] = 0x04;
    uint32_t crc = (uint32_t)crc32(0L, b + 4, (uInt)(p - 4));
    for (int i = 0; i < 4; i++)
        b[i] = (uint8_t)(crc >> (8 * i));
    assert_int_equal(apc__idxblk_decode(b, p, out), -1);
}

static void write_n(const apc__idxrec_t *r, size_t n, uint64_t committed, size_t flush_every)
{
    apc__idxw_t *w;
    assert_int_equal(apc__idxw_open(&w, tmpdir, committed), 0);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(apc__idxw_append(w, &r[i]), 0);
        if (flush_every && i % flush_every == flush_every - 1)
            assert_int_equal(apc__idxw_flush(w), 0);
    }
    apc__idxw_close(w);
}

static void check_all(const apc__idxrec_t *r, size_t n)
{
    apc__idxrec_t *out = calloc(n + 10, sizeof *out);
    assert_non_null(out);
    assert_int_equal(apc__idx_read(tmpdir, 0, n + 10, out), (long)n);
    assert_memory_equal(r, out, n * sizeof *r);
    /* Reads from any record, across blocks, and past the end. */
    for (uint64_t first = 0; first < n; first += 97) {
        long k = apc__idx_read(tmpdir, first, 300, out);
        assert_int_equal(k, (long)(n - first < 300 ? n - first : 300));
        assert_memory_equal(r + first, out, (size_t)k * sizeof *r);
    }
    assert_int_equal(apc__idx_read(tmpdir, n, 5, out), 0);
    assert_int_equal(apc__idx_read(tmpdir, n + 1000, 5, out), 0);
    free(out);
}

static void test_file_blocks_and_flushes(void **state)
{
    (void)state;
    enum { N = 5000 };
    static apc__idxrec_t r[N];
    make(r, N, 11, 1, 5000);
    /* Flushed every 77 records (partial blocks written again and again), then read. */
    write_n(r, N, 0, 77);
    check_all(r, N);
    /* No flush but the close's. */
    write_n(r, N, 0, 0);
    check_all(r, N);
    /* What a reader sees between flushes is what was flushed. */
    apc__idxw_t *w;
    assert_int_equal(apc__idxw_open(&w, tmpdir, 0), 0);
    apc__idxrec_t out[400];
    for (size_t i = 0; i < 700; i++) {
        assert_int_equal(apc__idxw_append(w, &r[i]), 0);
        if (i == 299) {
            assert_int_equal(apc__idxw_flush(w), 0);
            assert_int_equal(apc__idx_read(tmpdir, 0, 400, out), 300);
            assert_memory_equal(r, out, 300 * sizeof *r);
        }
    }
    assert_int_equal(apc__idxw_flush(w), 0);
    assert_int_equal(apc__idx_read(tmpdir, 300, 400, out), 400);
    assert_memory_equal(r + 300, out, 400 * sizeof *r);
    apc__idxw_close(w);
}

static void test_file_small_records(void **state)
{
    (void)state;
    /* Records of 3 bytes (one flow, steady times and sizes): many blocks fit the writer's
     * buffer, more than its directory entries would if sized for larger ones. */
    enum { N = 200000 };
    apc__idxrec_t *r = calloc(N, sizeof *r);
    assert_non_null(r);
    for (size_t i = 0; i < N; i++) {
        r[i].ts_ns = 1733300000000000000LL + (int64_t)i * 1000;
        r[i].loc = 28 + i * 96;
        r[i].conn_id = 1;
        r[i].proc = APC_IDX_PROC(1, 1);
    }
    write_n(r, N, 0, 0);
    check_all(r, N);
    free(r);
}

static void test_file_cut_and_reopen(void **state)
{
    (void)state;
    enum { N = 3000 };
    static apc__idxrec_t r[N], r2[N];
    make(r, N, 21, 0, 300);
    make(r2, N, 22, 0, 300);
    write_n(r, N, 0, 500);
    /* A cut in the middle of a block (crash repair), then the rest written after it. */
    assert_int_equal(apc__idx_truncate(tmpdir, 1000), 0);
    check_all(r, 1000);
    memcpy(r + 1000, r2, (N - 1000) * sizeof *r);
    write_n(r + 1000, N - 1000, 1000, 333);
    check_all(r, N);
    /* A cut on a block boundary, and a reopen for appending after 513 records. */
    assert_int_equal(apc__idx_truncate(tmpdir, 512), 0);
    check_all(r, 512);
    write_n(r + 512, 1, 512, 0);
    check_all(r, 513);
    assert_int_equal(apc__idx_truncate(tmpdir, 0), 0);
    check_all(r, 0);
    /* Reopening after more records than the index holds is refused, not made up. */
    apc__idxw_t *w;
    write_n(r, 10, 0, 0);
    assert_int_equal(apc__idxw_open(&w, tmpdir, 20), APC_ESTORE);
}

static void test_file_damaged(void **state)
{
    (void)state;
    enum { N = 1000 };
    static apc__idxrec_t r[N], out[N];
    make(r, N, 31, 0, 30);
    write_n(r, N, 0, 0);
    char path[256];
    uint64_t off; /* where the second block starts: its directory entry */
    snprintf(path, sizeof path, "%s/index.apx", tmpdir);
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(pread(fd, &off, 8, 16 + 16), 8);
    close(fd);
    snprintf(path, sizeof path, "%s/index.apd", tmpdir);
    fd = open(path, O_RDWR);
    assert_true(fd >= 0);
    uint8_t c;
    assert_int_equal(pread(fd, &c, 1, (off_t)off + 20), 1);
    c ^= 0xff;
    assert_int_equal(pwrite(fd, &c, 1, (off_t)off + 20), 1);
    close(fd);
    assert_int_equal(apc__idx_read(tmpdir, 0, 100, out), 100); /* the first block is fine */
    assert_int_equal(apc__idx_read(tmpdir, 0, N, out), APC_ESTORE);
    assert_non_null(strstr(apc_last_error_message(), "is damaged"));
}

static void test_file_format1(void **state)
{
    (void)state;
    /* A format-1 index (16-byte header, 24-byte records) from before: read, cut, appended to. */
    enum { N = 600 };
    static apc__idxrec_t r[N];
    make(r, N, 41, 1, 10);
    char path[256];
    snprintf(path, sizeof path, "%s/index.apx", tmpdir);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    uint8_t hdr[16] = {'A', 'P', 'C', 'I', 'D', 'X', '1', '\0', 1, 0, 0, 0, 24, 0, 0, 0};
    assert_int_equal(fwrite(hdr, 16, 1, f), 1);
    assert_int_equal(fwrite(r, sizeof *r, 500, f), 500);
    fclose(f);
    check_all(r, 500);
    assert_int_equal(apc__idx_truncate(tmpdir, 400), 0);
    check_all(r, 400);
    write_n(r + 400, 200, 400, 50);
    check_all(r, N);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_codec_roundtrip),
        cmocka_unit_test(test_codec_size),
        cmocka_unit_test(test_codec_damage),
        cmocka_unit_test(test_codec_old_blocks),
        cmocka_unit_test(test_codec_choices),
        cmocka_unit_test_setup_teardown(test_file_blocks_and_flushes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_small_records, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_cut_and_reopen, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_damaged, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_format1, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
