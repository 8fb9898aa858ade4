/* SPDX-License-Identifier: MIT */
/* Unit tests of module store: segments, index, migrations, repair of torn tails. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <apc/apc.h>

#include "core/ctx.h"
#include "core/fsutil.h"
#include "store/sql.h"
#include "store/store.h"
#include "store/cursor.h"
#include "store/index.h"
#include "store/segment.h"

static char tmpdir[64];

static int setup(void **state)
{
    (void)state;
    strcpy(tmpdir, "/tmp/apc-store-XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    return apc__rm_rf(tmpdir);
}

static void test_segment_roundtrip(void **state)
{
    (void)state;
    apc__segw_t *w;
    assert_int_equal(apc__segw_open(&w, tmpdir, 0, 0, 0), 0);
    assert_int_equal(apc__segw_add_iface(w, 0, 1, 65535, "eth0"), 0);
    assert_int_equal(apc__segw_add_iface(w, 2, 1, 65535, "bad"), APC_EINVAL);
    uint8_t data[61];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)i;
    uint64_t locs[3];
    const char *comments[3] = {NULL, "abc", "four"};
    for (int i = 0; i < 3; i++) {
        apc__segpkt_t p = {.iface = 0,
                           .ts_ns = 1700000000123456789LL + i,
                           .caplen = (uint32_t)(sizeof data - (size_t)i),
                           .wirelen = 100,
                           .data = data,
                           .direction = i,
                           .has_pid_tid = i == 1,
                           .pid = 42,
                           .tid = 43,
                           .comment = comments[i],
                           .comment_len = comments[i] ? strlen(comments[i]) : 0};
        assert_int_equal(apc__segw_append(w, &p, &locs[i]), 0);
    }
    apc__segpkt_t bad = {.iface = 5, .data = data};
    uint64_t l;
    assert_int_equal(apc__segw_append(w, &bad, &l), APC_EINVAL);
    assert_int_equal(apc__segw_flush(w), 0);
    apc__segw_close(w);

    apc__segr_t *r;
    assert_int_equal(apc__segr_open(&r, tmpdir), 0);
    for (int i = 2; i >= 0; i--) {
        apc__segrec_t rec;
        assert_int_equal(apc__segr_read(r, locs[i], &rec), 0);
        assert_int_equal(rec.ts_ns, 1700000000123456789LL + i);
        assert_int_equal(rec.caplen, sizeof data - (size_t)i);
        assert_int_equal(rec.wirelen, 100);
        assert_memory_equal(rec.data, data, rec.caplen);
        assert_int_equal(rec.direction, i);
        assert_int_equal(rec.has_pid_tid, i == 1);
        if (i == 1) {
            assert_int_equal(rec.pid, 42);
            assert_int_equal(rec.tid, 43);
        }
        if (comments[i])
            assert_string_equal(rec.comment, comments[i]);
        else
            assert_null(rec.comment);
    }
    apc__segrec_t rec;
    /* An offset inside a block is not a packet block. */
    assert_int_equal(apc__segr_read(r, locs[0] + 4, &rec), APC_EFORMAT);
    assert_int_equal(apc__segr_read(r, APC_SEG_LOC(7, 0), &rec), -ENOENT);
    apc__segr_close(r);

    /* The file is a pcapng that tcpdump reads back with the same packet count. */
    char path[256], cmd[512];
    apc__seg_path(path, sizeof path, tmpdir, 0);
    if (access("/usr/bin/capinfos", X_OK) == 0) {
        snprintf(cmd, sizeof cmd, "capinfos -c -M '%s' 2>&1 | grep -q 'Number of packets: *3$'",
                 path);
        assert_int_equal(system(cmd), 0);
    }

    /* Scan finds the end of the last whole block; a torn tail is not counted. */
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    uint64_t good;
    assert_int_equal(apc__seg_scan(path, (uint64_t)st.st_size, &good), 0);
    assert_int_equal(good, (uint64_t)st.st_size);
    assert_int_equal(apc__seg_scan(path, (uint64_t)st.st_size - 3, &good), 0);
    assert_int_equal(good, APC_SEG_OFF(locs[2]));
}

/* A capture of 10000 packets written through the segment and index writers; the cursor yields
 * exactly the records its predicates pass, in order, with the right bytes in both modes, and
 * keeps its position across batches and seeks. */
static void test_cursor(void **state)
{
    (void)state;
    enum { N = 10000 };
    apc__segw_t *w;
    apc__idxw_t *iw;
    assert_int_equal(apc__segw_open(&w, tmpdir, 0, 0, 256 * 1024), 0); /* several segments */
    assert_int_equal(apc__segw_add_iface(w, 0, 1, 65535, "eth0"), 0);
    assert_int_equal(apc__idxw_open(&iw, tmpdir, 0), 0);
    uint8_t data[200];
    for (uint32_t i = 0; i < N; i++) {
        memset(data, (int)(i & 0xff), sizeof data);
        uint32_t len = 60 + i % 140;
        apc__segpkt_t p = {.ts_ns = 1000 + (int64_t)i, .caplen = len, .wirelen = len, .data = data};
        apc__idxrec_t rec = {.ts_ns = p.ts_ns, .conn_id = i % 7, .proc = APC_IDX_PROC(i % 3, 1)};
        assert_int_equal(apc__segw_append(w, &p, &rec.loc), 0);
        assert_int_equal(apc__idxw_append(iw, &rec), 0);
    }
    assert_int_equal(apc__segw_flush(w), 0);
    assert_int_equal(apc__idxw_flush(iw), 0);
    apc__segw_close(w);
    apc__idxw_close(iw);

    for (int seq = 0; seq < 2; seq++) {
        /* connection 3, process 2, time 1000+2000 .. 1000+8000, from packet 1001 */
        apc__cursor_opts_t o = {.first = 1000,
                                .conn_id = 3,
                                .process_id = 2,
                                .time_from = 3000,
                                .time_to = 9000,
                                .batch = 333,
                                .sequential = seq};
        apc__cursor_t *c;
        assert_int_equal(apc__cursor_open(&c, tmpdir, N, &o), 0);
        int64_t id;
        const apc__idxrec_t *rec;
        uint32_t want = 0, got = 0;
        for (uint32_t i = 0; i < N; i++)
            want += i >= 1000 && i % 7 == 3 && i % 3 == 2 && i >= 2000 && i <= 8000;
        int64_t last = 0;
        int r;
        while ((r = apc__cursor_next(c, &id, &rec)) == 1) {
            uint32_t i = (uint32_t)id - 1;
            assert_true(id > last);
            last = id;
            assert_true(i % 7 == 3 && i % 3 == 2 && i >= 2000 && i <= 8000);
            apc__segrec_t sr;
            assert_int_equal(apc__cursor_bytes(c, rec, &sr), 0);
            assert_int_equal(sr.caplen, 60 + i % 140);
            assert_int_equal(sr.data[0], i & 0xff);
            assert_int_equal(sr.data[sr.caplen - 1], i & 0xff);
            got++;
        }
        assert_int_equal(r, 0);
        assert_int_equal(got, want);
        assert_int_equal(apc__cursor_pos(c), N);
        /* seek: records 5010..5029 only, every one passing the same predicates */
        apc__cursor_seek(c, 5010, 5030);
        got = 0;
        while (apc__cursor_next(c, &id, &rec) == 1) {
            assert_true(id > 5010 && id <= 5030);
            got++;
        }
        want = 0;
        for (uint32_t i = 5010; i < 5030; i++)
            want += i % 7 == 3 && i % 3 == 2;
        assert_int_equal(got, want);
        assert_int_equal(apc__cursor_pos(c), 5030);
        apc__cursor_close(c);
    }

    /* more packets than the index holds: the shortfall is an error, not a silent end */
    apc__cursor_t *c;
    assert_int_equal(apc__cursor_open(&c, tmpdir, N + 5, NULL), 0);
    int64_t id;
    const apc__idxrec_t *rec;
    int r;
    uint32_t n = 0;
    while ((r = apc__cursor_next(c, &id, &rec)) == 1)
        n++;
    assert_int_equal(n, N);
    assert_int_equal(r, APC_ESTORE);
    apc__cursor_close(c);
}

static void test_segment_rollover(void **state)
{
    (void)state;
    apc__segw_t *w;
    assert_int_equal(apc__segw_open(&w, tmpdir, 0, 0, 8192), 0);
    assert_int_equal(apc__segw_add_iface(w, 0, 101, 65535, NULL), 0);
    uint8_t data[1000] = {0x45};
    uint64_t locs[40];
    for (int i = 0; i < 40; i++) {
        apc__segpkt_t p = {.iface = 0, .ts_ns = i, .caplen = 1000, .wirelen = 1000, .data = data};
        data[1] = (uint8_t)i;
        assert_int_equal(apc__segw_append(w, &p, &locs[i]), 0);
    }
    assert_true(apc__segw_seg_no(w) >= 4);
    apc__segw_close(w);
    apc__segr_t *r;
    assert_int_equal(apc__segr_open(&r, tmpdir), 0);
    for (int i = 0; i < 40; i++) {
        apc__segrec_t rec;
        assert_int_equal(apc__segr_read(r, locs[i], &rec), 0);
        assert_int_equal(rec.data[1], i);
    }
    apc__segr_close(r);
}

static void test_index(void **state)
{
    (void)state;
    apc__idxw_t *w;
    assert_int_equal(apc__idxw_open(&w, tmpdir, 0), 0);
    for (uint32_t i = 0; i < 20000; i++) {
        apc__idxrec_t rec = {
            .ts_ns = i, .loc = i * 10, .conn_id = i % 7, .proc = APC_IDX_PROC(i, i % 5)};
        assert_int_equal(apc__idxw_append(w, &rec), 0);
    }
    apc__idxw_close(w);
    apc__idxrec_t out[10];
    assert_int_equal(apc__idx_read(tmpdir, 19995, 10, out), 5);
    assert_int_equal(out[4].ts_ns, 19999);
    assert_int_equal(APC_IDX_PROC_ID(out[4].proc), 19999);
    assert_int_equal(APC_IDX_ATTR(out[4].proc), 19999 % 5);
    /* Reopening after 100 committed records cuts the rest. */
    assert_int_equal(apc__idxw_open(&w, tmpdir, 100), 0);
    apc__idxw_close(w);
    assert_int_equal(apc__idx_read(tmpdir, 95, 10, out), 5);
    assert_int_equal(out[4].conn_id, 99 % 7);
}

static void test_store_version_newer(void **state)
{
    (void)state;
    /* A store written by a newer library is refused with a message, not damaged. */
    char dir[128], cmd[512];
    snprintf(dir, sizeof dir, "%s/newer", tmpdir);
    apc_ctx_options_t o;
    apc_ctx_options_init(&o, APC_CTX_OPTIONS_VERSION);
    o.data_dir = dir;
    apc_ctx_t *ctx;
    assert_int_equal(apc_ctx_open(&ctx, &o), 0);
    apc_ctx_close(ctx);
    snprintf(cmd, sizeof cmd, "sqlite3 '%s/apc.db' 'PRAGMA user_version=999' 2>/dev/null", dir);
    if (system(cmd) != 0) {
        skip(); /* sqlite3 CLI not installed */
    }
    assert_true(apc_ctx_open(&ctx, &o) < 0);
    assert_non_null(strstr(apc_last_error_message(), "newer than this library"));
}

static void put_file(const char *dir, const char *name, time_t age)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    assert_int_equal(apc__mkdir_p(dir, 0700), 0);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("half-written", f);
    fclose(f);
    if (age) {
        struct timespec t[2] = {{time(NULL) - age, 0}, {time(NULL) - age, 0}};
        assert_int_equal(utimensat(AT_FDCWD, path, t, 0), 0);
    }
}

static int there(const char *dir, const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    struct stat st;
    return lstat(path, &st) == 0;
}

/* What a killed process left half-written (uploads, export temporaries) is gone at the next
 * open; everything else stays. */
static void test_leftovers_removed_at_open(void **state)
{
    (void)state;
    char dir[128], up[160], ex[160], sub[192], root[160], other[160];
    snprintf(dir, sizeof dir, "%s/data", tmpdir);
    snprintf(up, sizeof up, "%s/uploads", dir);
    snprintf(ex, sizeof ex, "%s/exports", dir);
    snprintf(sub, sizeof sub, "%s/exports/sub", dir);
    snprintf(root, sizeof root, "%s/root", tmpdir);
    snprintf(other, sizeof other, "%s/other", tmpdir);
    apc_ctx_options_t o;
    apc_ctx_options_init(&o, APC_CTX_OPTIONS_VERSION);
    o.data_dir = dir;
    /* An export root outside the data directory, as the operator sets it. */
    char roots[400];
    snprintf(roots, sizeof roots, "%s:%s", ex, root);
    o.export_roots = roots;
    apc_ctx_t *ctx;
    assert_int_equal(apc_ctx_open(&ctx, &o), 0);
    apc_ctx_close(ctx);

    put_file(up, "upload-0123456789abcdef0123456789abcdef", 0);
    put_file(up, "notes.txt", 0);
    put_file(ex, ".cap1.pcapng.AbC123", 0);
    put_file(ex, ".cap3.pcapng.0a1b2c3d4e5f", 0); /* today's temporaries: 12 hex digits */
    put_file(ex, "cap1.pcapng", 0);
    put_file(ex, ".hidden", 0);
    put_file(ex, ".cap2.pcapng.AbC12", 0); /* five characters: not a temporary */
    put_file(sub, ".deep.pcapng.x9Y8z7", 0);
    /* Outside the data directory a temporary goes only when old (another process may be
     * writing a young one), and a symbolic link is never followed. */
    put_file(root, ".old.pcapng.QwErTy", 3600);
    put_file(root, ".young.pcapng.QwErTz", 0);
    put_file(other, ".linked.pcapng.Abcdef", 3600);
    char link[400];
    snprintf(link, sizeof link, "%s/link", root);
    assert_int_equal(symlink(other, link), 0);

    assert_int_equal(apc_ctx_open(&ctx, &o), 0);
    assert_false(there(up, "upload-0123456789abcdef0123456789abcdef"));
    assert_true(there(up, "notes.txt"));
    assert_false(there(ex, ".cap1.pcapng.AbC123"));
    assert_false(there(ex, ".cap3.pcapng.0a1b2c3d4e5f"));
    assert_true(there(ex, "cap1.pcapng"));
    assert_true(there(ex, ".hidden"));
    assert_true(there(ex, ".cap2.pcapng.AbC12"));
    assert_false(there(sub, ".deep.pcapng.x9Y8z7"));
    assert_false(there(root, ".old.pcapng.QwErTy"));
    assert_true(there(root, ".young.pcapng.QwErTz"));
    assert_true(there(other, ".linked.pcapng.Abcdef"));
    apc_ctx_close(ctx);
}

/* The store holds password hashes and session tokens: apc.db is private whatever the umask,
 * and one left readable by an older version is made private at open. */
static void test_store_file_mode(void **state)
{
    (void)state;
    char dir[128], db[160];
    snprintf(dir, sizeof dir, "%s/mode", tmpdir);
    snprintf(db, sizeof db, "%s/apc.db", dir);
    mode_t old = umask(022);
    apc_ctx_options_t o;
    apc_ctx_options_init(&o, APC_CTX_OPTIONS_VERSION);
    o.data_dir = dir;
    apc_ctx_t *ctx;
    assert_int_equal(apc_ctx_open(&ctx, &o), 0);
    struct stat st;
    assert_int_equal(stat(db, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    apc_ctx_close(ctx);
    assert_int_equal(chmod(db, 0644), 0);
    assert_int_equal(apc_ctx_open(&ctx, &o), 0);
    assert_int_equal(stat(db, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    apc_ctx_close(ctx);
    umask(old);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_segment_roundtrip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_segment_rollover, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cursor, setup, teardown),
        cmocka_unit_test_setup_teardown(test_index, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_version_newer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_leftovers_removed_at_open, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_file_mode, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
