/* SPDX-License-Identifier: MIT */
/*
 * The segments' write-behind (store/writebehind.c): once a writer has written its threshold,
 * the pages far enough behind it leave the page cache and the last ones stay; before that
 * nothing leaves; the count goes on across the writer's files; the work is done on a thread of
 * its own, not by the writer. The settings are shrunk from megabytes to pages' worth, and each
 * write is made clean (fdatasync) before it is reported, so what the thread drops does not
 * depend on how fast the disk is; each check first waits for the thread to have done what was
 * reported (apc__wb_settle).
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/fsutil.h"
#include "store/writebehind.h"

#define MIB (1u << 20)

static char tmpdir[64];
static uint8_t block[MIB];

static int setup(void **state)
{
    (void)state;
    strcpy(tmpdir, "/var/tmp/apc-test-wb-XXXXXX"); /* on disk: tmpfs pages cannot be dropped */
    if (!mkdtemp(tmpdir))
        return -1;
    memset(block, 0xa5, sizeof block);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return apc__rm_rf(tmpdir);
}

static int open_file(const char *name)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    assert_true(fd >= 0);
    return fd;
}

/* Pages of [off, off + len) of fd in the page cache. */
static size_t resident(int fd, uint64_t off, uint64_t len)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE), n = len / page, got = 0;
    void *m = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, (off_t)off);
    assert_true(m != MAP_FAILED);
    unsigned char *vec = malloc(n);
    assert_non_null(vec);
    assert_int_equal(mincore(m, len, vec), 0);
    for (size_t i = 0; i < n; i++)
        got += vec[i] & 1;
    free(vec);
    munmap(m, len);
    return got;
}

/* Whether this file system lets clean pages go on POSIX_FADV_DONTNEED (tmpfs does not). */
static int drops_pages(void)
{
    int fd = open_file("probe");
    assert_int_equal(write(fd, block, MIB), (ssize_t)MIB);
    assert_int_equal(fdatasync(fd), 0);
    (void)posix_fadvise(fd, 0, MIB, POSIX_FADV_DONTNEED);
    size_t left = resident(fd, 0, MIB);
    close(fd);
    return left == 0;
}

/* Skips the test where the file system keeps them. */
static void need_drops(void)
{
    if (!drops_pages()) {
        fprintf(stderr, "skipped: %s keeps clean pages on POSIX_FADV_DONTNEED\n", tmpdir);
        skip();
    }
}

static size_t pages(size_t bytes)
{
    return bytes / (size_t)sysconf(_SC_PAGESIZE);
}

/* A writer's state with the settings shrunk to MiBs (`after` as given). */
static void small(apc__wb_t *wb, uint64_t after)
{
    apc__wb_init(wb);
    wb->after = after;
    wb->chunk = MIB;
    wb->keep = 2 * MIB;
    wb->retry = 8 * MIB;
    wb->ahead = 4 * MIB;
}

/* A writer with small settings (`after` as given), on a new file `name`. */
static int start(apc__wb_t *wb, uint64_t after, const char *name)
{
    small(wb, after);
    int fd = open_file(name);
    apc__wb_file(wb, fd, 0);
    return fd;
}

/* Appends `mib` MiB to fd in 1 MiB writes, each made clean and then reported; then waits for
 * the write-behind to have done its part. */
static void append(apc__wb_t *wb, int fd, unsigned mib)
{
    for (unsigned i = 0; i < mib; i++) {
        assert_int_equal(write(fd, block, MIB), (ssize_t)MIB);
        assert_int_equal(fdatasync(fd), 0);
        off_t size = lseek(fd, 0, SEEK_CUR);
        apc__wb_wrote(wb, (uint64_t)size, MIB);
    }
    apc__wb_settle(wb);
}

static void test_drops_behind_keeps_tail(void **state)
{
    (void)state;
    need_drops();
    apc__wb_t wb;
    int fd = start(&wb, 4 * MIB, "seg-0");
    append(&wb, fd, 16);
    assert_int_equal(wb.mode, 1); /* on its thread */
    /* Everything up to `keep` behind the end went, including what came before `after`. */
    assert_int_equal(resident(fd, 0, 14 * MIB), 0);
    assert_int_equal(resident(fd, 14 * MIB, 2 * MIB), pages(2 * MIB));
    apc__wb_fini(&wb);
    close(fd);
}

static void test_nothing_before_threshold(void **state)
{
    (void)state;
    apc__wb_t wb;
    int fd = start(&wb, 64 * MIB, "seg-0");
    append(&wb, fd, 16);
    assert_int_equal(wb.mode, 0); /* no thread either */
    assert_int_equal(resident(fd, 0, 16 * MIB), pages(16 * MIB));
    apc__wb_fini(&wb);
    close(fd);
}

/* The threshold counts over the writer's files: the second starts past it. */
static void test_counts_across_files(void **state)
{
    (void)state;
    need_drops();
    apc__wb_t wb;
    int fd = start(&wb, 6 * MIB, "seg-0");
    append(&wb, fd, 4); /* 4 MiB: under the threshold */
    assert_int_equal(resident(fd, 0, 4 * MIB), pages(4 * MIB));
    close(fd);
    fd = open_file("seg-1");
    apc__wb_file(&wb, fd, 0);
    append(&wb, fd, 6); /* 10 MiB in all: past it */
    assert_int_equal(resident(fd, 0, 4 * MIB), 0);
    assert_int_equal(resident(fd, 4 * MIB, 2 * MIB), pages(2 * MIB));
    apc__wb_fini(&wb);
    /* Reopened at 6 MiB by a new writer (as segment.c's reopening): grows to 9, and what lies
     * before the reopening may go too. */
    small(&wb, MIB);
    apc__wb_file(&wb, fd, 6 * MIB);
    append(&wb, fd, 3);
    assert_int_equal(resident(fd, 7 * MIB, 2 * MIB), pages(2 * MIB));
    assert_int_equal(resident(fd, 0, 7 * MIB), 0);
    apc__wb_fini(&wb);
    close(fd);
}

/* Bytes of disk allocated to fd. */
static uint64_t allocated(int fd)
{
    struct stat st;
    assert_int_equal(fstat(fd, &st), 0);
    return (uint64_t)st.st_blocks * 512;
}

/* Blocks are allocated ahead of the writer, and given back past the end once it is done with
 * the file: when it moves to the next one, and when it stops. */
static void test_allocates_ahead_gives_back(void **state)
{
    (void)state;
    apc__wb_t wb;
    int fd = start(&wb, 2 * MIB, "seg-0");
    append(&wb, fd, 8);
    if (allocated(fd) < 12 * MIB) {
        fprintf(stderr, "skipped: %s does not allocate ahead (fallocate)\n", tmpdir);
        apc__wb_fini(&wb);
        close(fd);
        skip();
    }
    int fd2 = open_file("seg-1");
    apc__wb_file(&wb, fd2, 0);
    append(&wb, fd2, 2);
    assert_true(allocated(fd) <= 8 * MIB + 64 * 1024); /* the file's own blocks, and metadata */
    struct stat st;
    assert_int_equal(fstat(fd, &st), 0);
    assert_int_equal(st.st_size, 8 * MIB); /* the length was never changed */
    append(&wb, fd2, 4);
    assert_true(allocated(fd2) >= 10 * MIB);
    apc__wb_fini(&wb);
    assert_true(allocated(fd2) <= 6 * MIB + 64 * 1024);
    assert_int_equal(fstat(fd2, &st), 0);
    assert_int_equal(st.st_size, 6 * MIB);
    close(fd);
    close(fd2);
}

/* The writer moves to a new file and stops before reporting a write to it: the thread has not
 * taken the new file yet, and what it gives back on stopping is the old file's, cut at the old
 * file's length (not the new one's: that emptied a finished segment). */
static void test_stop_before_new_file_taken(void **state)
{
    (void)state;
    apc__wb_t wb;
    int fd = start(&wb, 2 * MIB, "seg-0");
    append(&wb, fd, 8);
    assert_int_equal(wb.mode, 1);
    int fd2 = open_file("seg-1");
    apc__wb_file(&wb, fd2, 0); /* no write reported to it: the thread stays on seg-0 */
    apc__wb_fini(&wb);
    struct stat st;
    assert_int_equal(fstat(fd, &st), 0);
    assert_int_equal(st.st_size, 8 * MIB);
    assert_true(allocated(fd) >= 8 * MIB);
    assert_true(allocated(fd) <= 8 * MIB + 64 * 1024); /* and nothing left past its end */
    close(fd);
    close(fd2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_drops_behind_keeps_tail),
        cmocka_unit_test(test_nothing_before_threshold),
        cmocka_unit_test(test_counts_across_files),
        cmocka_unit_test(test_allocates_ahead_gives_back),
        cmocka_unit_test(test_stop_before_new_file_taken),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
