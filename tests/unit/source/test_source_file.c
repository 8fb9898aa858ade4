/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of reading regular files (issue 16 item 1): the reader reads them through a moving
 * window with pread(), so the files here are several windows long, hold records larger than a
 * window and blocks skipped by their trailer only, and one is truncated while it is read.
 */
#include "test_source.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <apc/common.h>

/* A growable little-endian byte buffer (struct tb is too small for multi-megabyte files). */
struct big {
    uint8_t *b;
    size_t n, cap;
};

static void big_put(struct big *g, const void *p, size_t n)
{
    if (g->n + n > g->cap) {
        size_t cap = g->cap ? g->cap : 1 << 16;
        while (cap < g->n + n)
            cap *= 2;
        g->b = realloc(g->b, cap);
        assert_non_null(g->b);
        g->cap = cap;
    }
    memcpy(g->b + g->n, p, n);
    g->n += n;
}

static void big_u32(struct big *g, uint32_t v)
{
    uint8_t b[4] = {v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >> 24};
    big_put(g, b, 4);
}

static void big_u16(struct big *g, uint16_t v)
{
    uint8_t b[2] = {v & 0xff, v >> 8};
    big_put(g, b, 2);
}

/* Record k's bytes: depend on k and the position, so a record read from a wrong offset or a
 * stale window is noticed. */
static void big_data(struct big *g, uint32_t k, uint32_t len)
{
    for (uint32_t i = 0; i < len; i++) {
        uint8_t v = (uint8_t)(k * 31 + i * 7);
        big_put(g, &v, 1);
    }
}

/* Size of record k: mostly small and odd, with a few larger than the 1 MiB window. */
static uint32_t rec_len(uint32_t k)
{
    if (k % 97 == 50)
        return (3u << 20) / 2 + k; /* 1.5 MiB: only D-Bus (231) allows it */
    return 1 + (k * 2654435761u) % 4000;
}

static void make_pcap(struct big *g, uint32_t nrec)
{
    big_u32(g, 0xa1b2c3d4u);
    big_u16(g, 2);
    big_u16(g, 4);
    big_u32(g, 0);
    big_u32(g, 0);
    big_u32(g, 128u << 20);
    big_u32(g, 231); /* LINKTYPE_DBUS */
    for (uint32_t k = 0; k < nrec; k++) {
        uint32_t len = rec_len(k);
        big_u32(g, k);
        big_u32(g, k % 1000000);
        big_u32(g, len);
        big_u32(g, len);
        big_data(g, k, len);
    }
}

static void ng_block(struct big *g, uint32_t type, const struct big *body)
{
    uint32_t len = (uint32_t)(12 + ((body->n + 3) & ~(size_t)3));
    big_u32(g, type);
    big_u32(g, len);
    big_put(g, body->b, body->n);
    static const uint8_t zero[4];
    big_put(g, zero, (4 - body->n % 4) % 4);
    big_u32(g, len);
}

/* SHB, IDB (D-Bus), then EPBs with an unknown custom block of 2.5 MiB every 40 records. */
static void make_pcapng(struct big *g, uint32_t nrec)
{
    struct big b = {0};
    big_u32(&b, 0x1a2b3c4du);
    big_u16(&b, 1);
    big_u16(&b, 0);
    big_u32(&b, 0xffffffffu);
    big_u32(&b, 0xffffffffu);
    ng_block(g, 0x0a0d0d0au, &b);
    b.n = 0;
    big_u16(&b, 231);
    big_u16(&b, 0);
    big_u32(&b, 128u << 20);
    ng_block(g, 1, &b);
    for (uint32_t k = 0; k < nrec; k++) {
        if (k % 40 == 7) {
            b.n = 0;
            big_u32(&b, 32473); /* private enterprise number of the examples */
            big_data(&b, k, (5u << 20) / 2);
            ng_block(g, 0x40000bad, &b);
        }
        uint32_t len = rec_len(k);
        b.n = 0;
        big_u32(&b, 0);
        big_u32(&b, 0);
        big_u32(&b, k);
        big_u32(&b, len);
        big_u32(&b, len);
        big_data(&b, k, len);
        ng_block(g, 6, &b);
    }
    free(b.b);
}

static void write_temp(char *path, const struct big *g)
{
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    size_t done = 0;
    while (done < g->n) {
        ssize_t w = write(fd, g->b + done, g->n - done);
        assert_true(w > 0);
        done += (size_t)w;
    }
    assert_int_equal(close(fd), 0);
}

/* The file read through the window gives exactly the records of the same bytes in memory. */
static void same_as_memory(const struct big *g, uint32_t nrec)
{
    char path[] = "/tmp/apc_test_source_file_XXXXXX";
    write_temp(path, g);
    apc__reader_t *f, *m;
    assert_int_equal(apc__reader_open(&f, path), 0);
    assert_int_equal(apc__reader_open_mem(&m, g->b, g->n), 0);
    assert_int_equal(apc__reader_size(f), g->n);
    uint32_t n = 0;
    for (;;) {
        apc__rec_t a, b;
        int ra = apc__reader_next(f, &a), rb = apc__reader_next(m, &b);
        assert_int_equal(ra, rb);
        if (ra <= 0)
            break;
        assert_int_equal(a.caplen, b.caplen);
        assert_int_equal(a.caplen, rec_len(n));
        assert_int_equal(a.ts_ns, b.ts_ns);
        assert_int_equal(a.offset, b.offset);
        assert_memory_equal(a.data, b.data, a.caplen);
        n++;
    }
    assert_int_equal(n, nrec);
    assert_int_equal(apc__reader_offset(f), g->n);
    apc__reader_close(f);
    apc__reader_close(m);
    unlink(path);
}

static void test_file_window_pcap(void **state)
{
    (void)state;
    struct big g = {0};
    make_pcap(&g, 400); /* about 7 MiB: several windows, 4 records larger than one */
    same_as_memory(&g, 400);
    free(g.b);
}

static void test_file_window_pcapng(void **state)
{
    (void)state;
    struct big g = {0};
    make_pcapng(&g, 200); /* 5 skipped blocks of 2.5 MiB, 2 records of 1.5 MiB */
    same_as_memory(&g, 200);
    free(g.b);
}

/* Issue 16 item 1: a file truncated after the reader opened it. A mapping of it died with
 * SIGBUS on the first record past the new end; now the records before stay readable and the
 * read fails with a clear error. Truncating between open and the reads makes it deterministic. */
static void test_file_truncated_while_read(void **state)
{
    (void)state;
    struct big g = {0};
    make_pcap(&g, 400);
    for (int ng = 0; ng < 2; ng++) {
        if (ng) {
            g.n = 0;
            make_pcapng(&g, 200);
        }
        char path[] = "/tmp/apc_test_source_trunc_XXXXXX";
        write_temp(path, &g);
        apc__reader_t *r;
        assert_int_equal(apc__reader_open(&r, path), 0);
        assert_int_equal(truncate(path, (off_t)(g.n / 3)), 0);
        size_t n = 0;
        int rc = read_all(r, &n);
        expect_fmt_err(rc, "file shrank or changed while being read");
        assert_true(n > 0); /* the records of the first window were read */
        /* The error names where the file now ends, and stays. */
        char want[64];
        snprintf(want, sizeof want, "it ends at %zu", g.n / 3);
        assert_non_null(strstr(apc_last_error_message(), want));
        apc__rec_t rec;
        assert_int_equal(apc__reader_next(r, &rec), APC_EFORMAT);
        apc__reader_close(r);
        unlink(path);
    }
    free(g.b);
}

/* A directory is refused at open; a descriptor may be closed by the caller at once. */
static void test_file_open_fd(void **state)
{
    (void)state;
    apc__reader_t *r = (void *)1;
    int d = open("/tmp", O_RDONLY | O_CLOEXEC);
    assert_true(d >= 0);
    assert_true(apc__reader_open_fd(&r, d, "/tmp") < 0);
    assert_null(r);
    assert_non_null(strstr(apc_last_error_message(), "is a directory"));
    close(d);
    struct big g = {0};
    make_pcap(&g, 100);
    char path[] = "/tmp/apc_test_source_fd_XXXXXX";
    write_temp(path, &g);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    assert_true(fd >= 0);
    assert_int_equal(apc__reader_open_fd(&r, fd, path), 0);
    close(fd);
    unlink(path);
    size_t n = 0;
    assert_int_equal(read_all(r, &n), 0);
    assert_int_equal(n, 100);
    apc__reader_close(r);
    free(g.b);
}

const struct CMUnitTest apc_test_file[] = {
    cmocka_unit_test(test_file_window_pcap),
    cmocka_unit_test(test_file_window_pcapng),
    cmocka_unit_test(test_file_truncated_while_read),
    cmocka_unit_test(test_file_open_fd),
};
const size_t apc_test_file_count = sizeof apc_test_file / sizeof apc_test_file[0];
