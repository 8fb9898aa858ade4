/* SPDX-License-Identifier: MIT */
/* Unit tests of the capture file readers: pcap over crafted buffers, and the test main. */
#include "test_source.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <apc/common.h>

void tb_u8(struct tb *t, uint8_t v)
{
    assert_true(t->n < sizeof t->b);
    t->b[t->n++] = v;
}

void tb_u16(struct tb *t, uint16_t v)
{
    tb_u8(t, t->be ? v >> 8 : v & 0xff);
    tb_u8(t, t->be ? v & 0xff : v >> 8);
}

void tb_u32(struct tb *t, uint32_t v)
{
    if (t->be) {
        tb_u16(t, v >> 16);
        tb_u16(t, v & 0xffff);
    } else {
        tb_u16(t, v & 0xffff);
        tb_u16(t, v >> 16);
    }
}

void tb_u64(struct tb *t, uint64_t v)
{
    if (t->be) {
        tb_u32(t, v >> 32);
        tb_u32(t, (uint32_t)v);
    } else {
        tb_u32(t, (uint32_t)v);
        tb_u32(t, v >> 32);
    }
}

void tb_bytes(struct tb *t, const void *p, size_t n)
{
    assert_true(t->n + n <= sizeof t->b);
    memcpy(t->b + t->n, p, n);
    t->n += n;
}

void tb_pad4(struct tb *t)
{
    while (t->n % 4)
        tb_u8(t, 0);
}

void tb_opt(struct tb *t, uint16_t code, const void *v, uint16_t len)
{
    tb_u16(t, code);
    tb_u16(t, len);
    tb_bytes(t, v, len);
    tb_pad4(t);
}

void tb_block_begin(struct tb *t, uint32_t type)
{
    t->blk = t->n;
    tb_u32(t, type);
    tb_u32(t, 0);
}

void tb_block_end(struct tb *t)
{
    tb_pad4(t);
    uint32_t len = (uint32_t)(t->n + 4 - t->blk);
    tb_u32(t, len);
    size_t save = t->n;
    t->n = t->blk + 4;
    tb_u32(t, len);
    t->n = save;
}

void tb_shb(struct tb *t, const char *comment)
{
    tb_block_begin(t, 0x0a0d0d0a);
    tb_u32(t, 0x1a2b3c4d);
    tb_u16(t, 1);
    tb_u16(t, 0);
    tb_u64(t, UINT64_MAX);
    if (comment) {
        tb_opt(t, 1, comment, (uint16_t)strlen(comment));
        tb_opt(t, 0, "", 0);
    }
    tb_block_end(t);
}

void tb_idb(struct tb *t, uint16_t linktype, uint32_t snaplen, int tsresol)
{
    tb_block_begin(t, 1);
    tb_u16(t, linktype);
    tb_u16(t, 0);
    tb_u32(t, snaplen);
    if (tsresol >= 0) {
        uint8_t v = (uint8_t)tsresol;
        tb_opt(t, 9, &v, 1);
    }
    tb_block_end(t);
}

void tb_epb(struct tb *t, uint32_t ifid, uint64_t ts, const void *data, uint32_t caplen)
{
    tb_block_begin(t, 6);
    tb_u32(t, ifid);
    tb_u32(t, (uint32_t)(ts >> 32));
    tb_u32(t, (uint32_t)ts);
    tb_u32(t, caplen);
    tb_u32(t, caplen + 10);
    tb_bytes(t, data, caplen);
    tb_block_end(t);
}

int open_copy(apc__reader_t **r, const uint8_t *buf, size_t len, uint8_t **copy)
{
    *copy = malloc(len ? len : 1);
    assert_non_null(*copy);
    if (len)
        memcpy(*copy, buf, len);
    return apc__reader_open_mem(r, *copy, len);
}

int read_all(apc__reader_t *r, size_t *n)
{
    apc__rec_t rec;
    int rc;
    volatile unsigned sum = 0;
    *n = 0;
    while ((rc = apc__reader_next(r, &rec)) == 1) {
        for (uint32_t i = 0; i < rec.caplen; i++)
            sum += rec.data[i];
        for (size_t i = 0; rec.comment && i <= rec.comment_len; i++)
            sum += (unsigned char)rec.comment[i];
        (*n)++;
    }
    (void)sum;
    return rc;
}

void expect_fmt_err(int rc, const char *sub)
{
    const char *msg = apc_last_error_message();
    if (rc != APC_EFORMAT || !strstr(msg, sub))
        fail_msg("expected APC_EFORMAT with \"%s\", got %d \"%s\"", sub, rc, msg);
}

/* pcap file header + records with 4 data bytes each; ns selects the nanosecond magic. */
static void pcap_hdr(struct tb *t, bool ns, uint16_t major, uint16_t minor, uint32_t lt)
{
    tb_u32(t, ns ? 0xa1b23c4d : 0xa1b2c3d4);
    tb_u16(t, major);
    tb_u16(t, minor);
    tb_u32(t, 0);
    tb_u32(t, 0);
    tb_u32(t, 65535);
    tb_u32(t, lt);
}

static void pcap_rec(struct tb *t, uint32_t sec, uint32_t frac, uint32_t caplen)
{
    tb_u32(t, sec);
    tb_u32(t, frac);
    tb_u32(t, caplen);
    tb_u32(t, caplen + 100);
    for (uint32_t i = 0; i < caplen; i++)
        tb_u8(t, (uint8_t)(0xa0 + i));
}

static void test_pcap_both_orders(void **state)
{
    for (int be = 0; be < 2; be++) {
        for (int ns = 0; ns < 2; ns++) {
            struct tb t = {.be = be};
            pcap_hdr(&t, ns, 2, 4, 1);
            pcap_rec(&t, 1700000000, 123456, 4);
            pcap_rec(&t, 4294967295u, 999999999, 3);
            apc__reader_t *r;
            uint8_t *c;
            assert_int_equal(open_copy(&r, t.b, t.n, &c), 0);
            assert_int_equal(apc__reader_format(r), APC_FMT_PCAP);
            assert_int_equal(apc__reader_iface_count(r), 1);
            const apc__iface_t *i = apc__reader_iface(r, 0);
            assert_int_equal(i->linktype, 1);
            assert_int_equal(i->snaplen, 65535);
            assert_int_equal(i->tsresol_num, ns ? 1000000000 : 1000000);
            apc__rec_t rec;
            assert_int_equal(apc__reader_next(r, &rec), 1);
            assert_int_equal(rec.ts_ns, 1700000000LL * 1000000000 + 123456 * (ns ? 1 : 1000));
            assert_int_equal(rec.caplen, 4);
            assert_int_equal(rec.wirelen, 104);
            assert_int_equal(rec.offset, 24);
            assert_ptr_equal(rec.data, c + 40); /* zero copy */
            assert_int_equal(rec.data[3], 0xa3);
            assert_null(rec.comment);
            assert_int_equal(apc__reader_next(r, &rec), 1);
            /* Largest pcap timestamp stays exact in int64 ns. */
            assert_int_equal(rec.ts_ns,
                             4294967295LL * 1000000000 + (ns ? 999999999LL : 999999999LL * 1000));
            assert_int_equal(apc__reader_next(r, &rec), 0);
            assert_int_equal(apc__reader_next(r, &rec), 0);
            assert_int_equal(apc__reader_offset(r), t.n);
            assert_int_equal(apc__reader_size(r), t.n);
            apc__reader_close(r);
            free(c);
        }
    }
}

static void test_pcap_bad_magic(void **state)
{
    static const uint8_t b[24] = {0x12, 0x34, 0x56, 0x78};
    apc__reader_t *r = (void *)1;
    uint8_t *c;
    expect_fmt_err(open_copy(&r, b, sizeof b, &c),
                   "not a pcap or pcapng file (unknown magic number)");
    assert_null(r);
    /* The file's bytes are not echoed (issue 16 item 6): it may be a secret. */
    assert_null(strstr(apc_last_error_message(), "12345678"));
    assert_null(strstr(apc_last_error_message(), "0x"));
    free(c);
    expect_fmt_err(open_copy(&r, b, 0, &c), "file too short (0 bytes)");
    free(c);
}

static void test_pcap_bad_version(void **state)
{
    static const uint16_t v[][2] = {{2, 5}, {1, 0}, {3, 4}};
    for (size_t k = 0; k < 3; k++) {
        struct tb t = {0};
        pcap_hdr(&t, false, v[k][0], v[k][1], 1);
        char want[64];
        snprintf(want, sizeof want, "offset 4: unsupported pcap version %u.%u", v[k][0], v[k][1]);
        apc__reader_t *r;
        uint8_t *c;
        expect_fmt_err(open_copy(&r, t.b, t.n, &c), want);
        free(c);
    }
}

static void test_pcap_short_header(void **state)
{
    struct tb t = {0};
    pcap_hdr(&t, false, 2, 4, 1);
    apc__reader_t *r;
    uint8_t *c;
    expect_fmt_err(open_copy(&r, t.b, 20, &c), "pcap file header truncated: 20 of 24 bytes");
    free(c);
}

static void test_pcap_linktype_field(void **state)
{
    struct tb t = {0};
    /* FCS present (bit 26) with 2 16-bit words, Ethernet. */
    pcap_hdr(&t, false, 2, 4, 0x04000000u | (2u << 28) | 1);
    apc__reader_t *r;
    uint8_t *c;
    assert_int_equal(open_copy(&r, t.b, t.n, &c), 0);
    assert_int_equal(apc__reader_iface(r, 0)->linktype, 1);
    assert_int_equal(apc__reader_iface(r, 0)->fcs_len, 4);
    apc__reader_close(r);
    free(c);
    /* Reserved bits set: kept in the link type as libpcap does (tcpdump: link-type 3145728). */
    t.n = 0;
    pcap_hdr(&t, false, 2, 4, 0x00300000u);
    assert_int_equal(open_copy(&r, t.b, t.n, &c), 0);
    assert_int_equal(apc__reader_iface(r, 0)->linktype, 3145728);
    assert_int_equal(apc__reader_iface(r, 0)->fcs_len, 0);
    apc__reader_close(r);
    free(c);
}

static void test_pcap_caplen_limits(void **state)
{
    struct tb t = {0};
    pcap_hdr(&t, false, 2, 4, 1);
    pcap_rec(&t, 1, 2, 4);
    size_t second = t.n;
    tb_u32(&t, 1);
    tb_u32(&t, 2);
    tb_u32(&t, 262145);
    tb_u32(&t, 262145);
    apc__reader_t *r;
    uint8_t *c;
    size_t n;
    assert_int_equal(open_copy(&r, t.b, t.n, &c), 0);
    char want[80];
    snprintf(want, sizeof want, "offset %zu: record caplen 262145 exceeds the maximum 262144",
             second);
    expect_fmt_err(read_all(r, &n), want);
    assert_int_equal(n, 1);
    /* Sticky: the same error again. */
    apc__rec_t rec;
    expect_fmt_err(apc__reader_next(r, &rec), want);
    apc__reader_close(r);
    free(c);
}

static void test_pcap_old_swapped_lengths(void **state)
{
    struct tb t = {0};
    pcap_hdr(&t, false, 2, 2, 1);
    tb_u32(&t, 1);
    tb_u32(&t, 2);
    tb_u32(&t, 60); /* len first before 2.3 */
    tb_u32(&t, 4);
    tb_u32(&t, 0);
    apc__reader_t *r;
    uint8_t *c;
    assert_int_equal(open_copy(&r, t.b, t.n, &c), 0);
    apc__rec_t rec;
    assert_int_equal(apc__reader_next(r, &rec), 1);
    assert_int_equal(rec.caplen, 4);
    assert_int_equal(rec.wirelen, 60);
    apc__reader_close(r);
    free(c);
}

/* Every prefix of a valid file: no crash, records wholly inside the prefix are returned, the end
 * is clean exactly at a record boundary and "truncated" otherwise. */
void truncation_loop(const uint8_t *b, size_t len, size_t hdr_len, bool strict)
{
    apc__reader_t *r;
    uint8_t *c;
    size_t ends[64], nends = 0, n;
    assert_int_equal(open_copy(&r, b, len, &c), 0);
    apc__rec_t rec;
    while (apc__reader_next(r, &rec) == 1) {
        assert_true(nends < 64);
        ends[nends++] = apc__reader_offset(r);
    }
    apc__reader_close(r);
    free(c);
    for (size_t cut = 0; cut <= len; cut++) {
        int rc = open_copy(&r, b, cut, &c);
        if (cut < hdr_len) {
            assert_int_equal(rc, APC_EFORMAT);
            free(c);
            continue;
        }
        assert_int_equal(rc, 0);
        rc = read_all(r, &n);
        size_t want = 0;
        bool boundary = cut == hdr_len;
        for (size_t k = 0; k < nends; k++) {
            want += ends[k] <= cut;
            boundary |= ends[k] == cut;
        }
        assert_int_equal(n, want);
        if (boundary)
            assert_int_equal(rc, 0);
        else if (strict || rc != 0)
            expect_fmt_err(rc, "truncated");
        apc__reader_close(r);
        free(c);
    }
}

static void test_pcap_truncated_everywhere(void **state)
{
    struct tb t = {0};
    pcap_hdr(&t, true, 2, 4, 101);
    pcap_rec(&t, 1, 2, 5);
    pcap_rec(&t, 3, 4, 0);
    pcap_rec(&t, 5, 6, 9);
    truncation_loop(t.b, t.n, 24, true);
    /* The last record cut: earlier ones kept, message names the offset. */
    apc__reader_t *r;
    uint8_t *c;
    size_t n;
    assert_int_equal(open_copy(&r, t.b, t.n - 1, &c), 0);
    expect_fmt_err(read_all(r, &n), "offset 61: file truncated in a record: caplen 9, 8 bytes");
    assert_int_equal(n, 2);
    apc__reader_close(r);
    free(c);
}

static void test_open_path_errors(void **state)
{
    apc__reader_t *r;
    int rc = apc__reader_open(&r, "/nonexistent/x.pcap");
    assert_int_equal(rc, -2); /* -ENOENT */
    assert_non_null(strstr(apc_last_error_message(), "/nonexistent/x.pcap"));
    char path[] = "/tmp/apc_test_source_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    struct tb t = {0};
    pcap_hdr(&t, false, 2, 4, 1);
    pcap_rec(&t, 7, 8, 6);
    assert_int_equal(write(fd, t.b, t.n), (ssize_t)t.n);
    close(fd);
    assert_int_equal(apc__reader_open(&r, path), 0);
    size_t n;
    assert_int_equal(read_all(r, &n), 0);
    assert_int_equal(n, 1);
    apc__reader_close(r);
    /* An empty regular file: a clear format error, not an I/O one. */
    assert_int_equal(truncate(path, 0), 0);
    expect_fmt_err(apc__reader_open(&r, path), "file too short (0 bytes)");
    assert_non_null(strstr(apc_last_error_message(), path));
    unlink(path);
}

/* A stream (a FIFO) is read whole into memory first and gives the same records. */
static void test_open_fifo(void **state)
{
    char dir[] = "/tmp/apc_test_fifo_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[64];
    snprintf(path, sizeof path, "%s/in", dir);
    assert_int_equal(mkfifo(path, 0600), 0);
    struct tb t = {0};
    pcap_hdr(&t, false, 2, 4, 1);
    for (int k = 0; k < 100; k++)
        pcap_rec(&t, (uint32_t)k, 0, 32);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* The header, then the 100 records 20 times: 96 KB, more than the first buffer. */
        int fd = open(path, O_WRONLY);
        int ok = fd >= 0 && write(fd, t.b, t.n) == (ssize_t)t.n;
        for (int k = 1; ok && k < 20; k++)
            ok = write(fd, t.b + 24, t.n - 24) == (ssize_t)(t.n - 24);
        _exit(ok ? 0 : 1);
    }
    apc__reader_t *r;
    assert_int_equal(apc__reader_open(&r, path), 0);
    size_t n;
    assert_int_equal(read_all(r, &n), 0);
    assert_int_equal(n, 2000);
    assert_int_equal(apc__reader_size(r), 24 + 20 * (t.n - 24));
    apc__reader_close(r);
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest pcap_tests[] = {
        cmocka_unit_test(test_pcap_both_orders),
        cmocka_unit_test(test_pcap_bad_magic),
        cmocka_unit_test(test_pcap_bad_version),
        cmocka_unit_test(test_pcap_short_header),
        cmocka_unit_test(test_pcap_linktype_field),
        cmocka_unit_test(test_pcap_caplen_limits),
        cmocka_unit_test(test_pcap_old_swapped_lengths),
        cmocka_unit_test(test_pcap_truncated_everywhere),
        cmocka_unit_test(test_open_path_errors),
        cmocka_unit_test(test_open_fifo),
    };
    int fails = cmocka_run_group_tests_name("source_pcap", pcap_tests, NULL, NULL);
    fails += _cmocka_run_group_tests("source_pcapng", apc_test_ng, apc_test_ng_count, NULL, NULL);
    fails += _cmocka_run_group_tests("source_file", apc_test_file, apc_test_file_count, NULL, NULL);
    fails += _cmocka_run_group_tests("source_corpus", apc_test_corpus, apc_test_corpus_count, NULL,
                                     NULL);
    return fails ? 1 : 0;
}
