/* SPDX-License-Identifier: MIT */
/*
 * Issue 16 items 2 and 6: apc_ingest_file opens the path once and reads only that descriptor.
 * Anything but a regular file (a FIFO, a directory, a device) is refused at once with a message
 * naming what it is, a FIFO never blocks the caller, a symlink to a capture is still followed,
 * and a refused file's contents never appear in the error. No corpus needed: the captures are
 * written by the tests.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <apc/apc.h>

#include "core/fsutil.h"

static char tmpdir[64];
static apc_ctx_t *ctx;

static int setup(void **state)
{
    (void)state;
    strcpy(tmpdir, "/tmp/apc-ingest-open-XXXXXX");
    if (!mkdtemp(tmpdir))
        return -1;
    char data[128];
    snprintf(data, sizeof data, "%s/data", tmpdir);
    apc_ctx_options_t o;
    apc_ctx_options_init(&o, APC_CTX_OPTIONS_VERSION);
    o.data_dir = data;
    o.log_level = APC_LOG_ERROR;
    /* A hang in an open of a FIFO would stop the test here rather than at meson's limit. */
    alarm(120);
    return apc_ctx_open(&ctx, &o);
}

static int teardown(void **state)
{
    (void)state;
    alarm(0);
    apc_ctx_close(ctx);
    ctx = NULL;
    return apc__rm_rf(tmpdir);
}

static void put_file(const char *path, const void *b, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(b, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

/* A pcap (µs, little-endian, Ethernet) with `n` records of 60 zero bytes. */
static void put_pcap(const char *path, int n)
{
    uint8_t b[24 + 8 * 76];
    assert_true(n <= 8);
    uint32_t hdr[6] = {0xa1b2c3d4u, 2u | (4u << 16), 0, 0, 65535, 1};
    memcpy(b, hdr, sizeof hdr);
    size_t off = 24;
    for (int k = 0; k < n; k++) {
        uint32_t rec[4] = {1700000000u + (uint32_t)k, 0, 60, 60};
        memcpy(b + off, rec, sizeof rec);
        memset(b + off + 16, 0, 60);
        off += 76;
    }
    put_file(path, b, off);
}

static void expect_refused(const char *path, int code, const char *what)
{
    int64_t id = -1;
    int rc = apc_ingest_file(ctx, path, NULL, &id);
    const char *msg = apc_last_error_message();
    if (rc != code || !strstr(msg, what) || !strstr(msg, path))
        fail_msg("%s: expected %d with '%s' and the path, got %d '%s'", path, code, what, rc, msg);
    apc_capture_list_t *l;
    assert_int_equal(apc_capture_list(ctx, APC_LIST_ALL, &l), 0);
    assert_int_equal(l->count, 0); /* refused before any capture exists */
    apc_capture_list_free(l);
}

static void test_fifo_refused_at_once(void **state)
{
    (void)state;
    char fifo[128], link[128];
    snprintf(fifo, sizeof fifo, "%s/fifo", tmpdir);
    snprintf(link, sizeof link, "%s/link.pcap", tmpdir);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    /* No writer ever opens it: an open without O_NONBLOCK would wait for ever. */
    expect_refused(fifo, APC_EINVAL, "not a regular file: a FIFO");
    /* Through a symlink (what a swapped link points at): the same. */
    assert_int_equal(symlink(fifo, link), 0);
    expect_refused(link, APC_EINVAL, "not a regular file: a FIFO");
}

static void test_directory_and_device_refused(void **state)
{
    (void)state;
    expect_refused(tmpdir, APC_EINVAL, "not a regular file: a directory");
    if (access("/dev/null", R_OK) == 0)
        expect_refused("/dev/null", APC_EINVAL, "not a regular file: a character device");
    else
        print_message("/dev/null not readable here: device case skipped\n");
}

/* A symlink to a capture is legitimate: followed, and the capture records the real file. */
static void test_symlink_to_capture_followed(void **state)
{
    (void)state;
    char file[128], link[128];
    snprintf(file, sizeof file, "%s/real.pcap", tmpdir);
    snprintf(link, sizeof link, "%s/link.pcap", tmpdir);
    put_pcap(file, 3);
    assert_int_equal(symlink(file, link), 0);
    int64_t id = 0;
    if (apc_ingest_file(ctx, link, NULL, &id) != 0)
        fail_msg("ingest %s: %s", link, apc_last_error_message());
    /* The descriptor is what is read: the link may go at once. */
    assert_int_equal(unlink(link), 0);
    assert_int_equal(apc_capture_wait(ctx, id, 60000), 0);
    apc_capture_t *c;
    assert_int_equal(apc_capture_get(ctx, id, &c), 0);
    if (c->state != APC_STATE_COMPLETED)
        fail_msg("state %s, error '%s'", apc_capture_state_name(c->state), c->error);
    assert_int_equal(c->packets, 3);
    char real[PATH_MAX];
    assert_non_null(realpath(file, real));
    assert_string_equal(c->source_file, real);
    apc_capture_free(c);
}

/* Item 6: /etc/shadow answered "unknown magic 0x726f6f74", i.e. "root". */
static void test_refused_contents_not_shown(void **state)
{
    (void)state;
    char file[128];
    snprintf(file, sizeof file, "%s/shadow", tmpdir);
    static const char secret[] = "root:$6$s3cr3t:19000:0:99999:7:::\n";
    put_file(file, secret, sizeof secret - 1);
    expect_refused(file, APC_EFORMAT, "not a pcap or pcapng file (unknown magic number)");
    const char *msg = apc_last_error_message();
    assert_null(strstr(msg, "726f6f74"));
    assert_null(strstr(msg, "root"));
    assert_null(strstr(msg, "s3cr3t"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_fifo_refused_at_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_directory_and_device_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_symlink_to_capture_followed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refused_contents_not_shown, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
