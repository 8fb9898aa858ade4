/* SPDX-License-Identifier: MIT */
/*
 * Tests of module export: the pcapng writer read back by our reader, the comment groups, the
 * per-job cancel flag of the pool, exports of ptcpdump corpus files (same comments as the
 * originals), export roots and the filter refusal. test_export_store.c has the rest.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
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

#include "core/jobs.h"
#include "export/comments.h"
#include "export/pcapng_out.h"
#include "source/reader.h"
#include "test_export.h"
#include "../corpus_skip.h"

apc_ctx_t *ctx;
char tmpdir[64];

const char *corpus(const char *rel)
{
    static char buf[4096];
    snprintf(buf, sizeof buf, "%s/%s", apc_test_corpus_or_skip(), rel);
    return buf;
}

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(p);
}

int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/apc-export-test-XXXXXX");
    if (!mkdtemp(tmpdir))
        return -1;
    apc_ctx_options_t o;
    apc_ctx_options_init(&o, APC_CTX_OPTIONS_VERSION);
    o.data_dir = tmpdir;
    o.log_level = APC_LOG_ERROR;
    if (apc_ctx_open(&ctx, &o) < 0) {
        fprintf(stderr, "apc_ctx_open: %s\n", apc_last_error_message());
        return -1;
    }
    return 0;
}

/* Closes the context and opens it again on the same data directory with the operator's
 * export roots `roots` (the API cannot set them). */
void reopen_with_roots(const char *roots)
{
    apc_ctx_close(ctx);
    ctx = NULL;
    apc_ctx_options_t o;
    apc_ctx_options_init(&o, APC_CTX_OPTIONS_VERSION);
    o.data_dir = tmpdir;
    o.log_level = APC_LOG_ERROR;
    o.export_roots = roots;
    assert_int_equal(apc_ctx_open(&ctx, &o), 0);
}

int teardown(void **state)
{
    (void)state;
    apc_ctx_close(ctx);
    ctx = NULL;
    nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    return 0;
}

int64_t ingest(const char *rel)
{
    int64_t id = 0;
    int rc = apc_ingest_file(ctx, corpus(rel), NULL, &id);
    if (rc < 0)
        fail_msg("ingest %s: %s", rel, apc_last_error_message());
    assert_int_equal(apc_capture_wait(ctx, id, -1), 0);
    return id;
}

apc_command_t *export_wait(int64_t id, const char *path, int overwrite, int expect_state)
{
    char *uid = NULL;
    int rc = apc_export_start(ctx, id, path, NULL, overwrite, &uid);
    if (rc < 0)
        fail_msg("apc_export_start: %s", apc_last_error_message());
    assert_int_equal(strlen(uid), 36);
    assert_int_equal(apc_command_wait(ctx, uid, 60000), 0);
    apc_command_t *c = NULL;
    assert_int_equal(apc_command_get(ctx, uid, &c), 0);
    apc_free(uid);
    if (c->state != expect_state)
        fail_msg("command ended %s (%s), expected %s", apc_command_state_name(c->state), c->error,
                 apc_command_state_name(expect_state));
    return c;
}

static uint32_t rd32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

size_t epb_comments(const char *path, size_t n, char out[][512], size_t max, uint32_t *pid,
                    uint32_t *tid, int *has_pid_tid)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static uint8_t buf[1 << 20];
    size_t seen = 0, count = 0;
    *has_pid_tid = 0;
    for (;;) {
        uint8_t h[8];
        if (fread(h, 1, 8, f) != 8)
            break;
        uint32_t type = rd32(h), len = rd32(h + 4);
        assert_true(len >= 12 && len - 8 <= sizeof buf);
        assert_int_equal(fread(buf, 1, len - 8, f), len - 8);
        if (type != 6)
            continue;
        if (seen++ != n)
            continue;
        uint32_t caplen = rd32(buf + 12);
        size_t off = 20 + ((caplen + 3) & ~3u), end = len - 12;
        while (off + 4 <= end) {
            uint16_t code, olen;
            memcpy(&code, buf + off, 2);
            memcpy(&olen, buf + off + 2, 2);
            if (code == 0)
                break;
            if (code == 1 && count < max) {
                snprintf(out[count++], 512, "%.*s", (int)olen, (const char *)buf + off + 4);
            } else if (code == 8 && olen == 8) {
                *has_pid_tid = 1;
                *pid = rd32(buf + off + 4);
                *tid = rd32(buf + off + 8);
            }
            off += 4 + ((olen + 3u) & ~3u);
        }
        break;
    }
    fclose(f);
    return count;
}

/* The writer's blocks read back by our pcapng reader, field by field. */
static void test_writer_roundtrip(void **state)
{
    (void)state;
    char path[] = "/tmp/apc-ngw-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    apc__ngw_t *w;
    assert_int_equal(apc__ngw_open(&w, fd, path), 0);
    assert_int_equal(apc__ngw_shb(w, "capture notes", "test"), 0);
    assert_int_equal(apc__ngw_idb(w, 1, 262144, "eth0", "first"), 0);
    assert_int_equal(apc__ngw_idb(w, 101, 65535, NULL, NULL), 0);
    uint8_t data[61];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)i;
    const char *cm[] = {"PID: 7\nCmd: /bin/x\nArgs: x -y", "ThreadId: 8\nThreadName: x"};
    apc__ngpkt_t p = {.iface = 1,
                      .ts_ns = 1700000000123456789LL,
                      .caplen = 61,
                      .wirelen = 1500,
                      .data = data,
                      .direction = 2,
                      .has_pid_tid = 1,
                      .pid = 7,
                      .tid = 8,
                      .n_comments = 2,
                      .comments = cm};
    assert_int_equal(apc__ngw_epb(w, &p), 0);
    apc__ngpkt_t q = {.iface = 0, .ts_ns = 5, .caplen = 0, .wirelen = 0};
    assert_int_equal(apc__ngw_epb(w, &q), 0);
    assert_int_equal(apc__ngw_flush(w), 0);
    apc__ngw_free(w);
    close(fd);

    apc__reader_t *r;
    assert_int_equal(apc__reader_open(&r, path), 0);
    apc__rec_t rec;
    assert_int_equal(apc__reader_next(r, &rec), 1);
    assert_int_equal(apc__reader_iface_count(r), 2);
    assert_int_equal(apc__reader_iface(r, 0)->linktype, 1);
    assert_string_equal(apc__reader_iface(r, 0)->name, "eth0");
    assert_int_equal(apc__reader_iface(r, 1)->linktype, 101);
    assert_int_equal(apc__reader_iface(r, 1)->tsresol_num, 1000000000ULL);
    assert_string_equal(apc__reader_section_comment(r), "capture notes");
    assert_int_equal(rec.iface, 1);
    assert_int_equal(rec.ts_ns, 1700000000123456789LL);
    assert_int_equal(rec.caplen, 61);
    assert_int_equal(rec.wirelen, 1500);
    assert_memory_equal(rec.data, data, 61);
    assert_int_equal(rec.direction, 2);
    assert_int_equal(rec.has_pid_tid, 1);
    assert_int_equal(rec.pid, 7);
    assert_int_equal(rec.tid, 8);
    assert_string_equal(rec.comment, "PID: 7\nCmd: /bin/x\nArgs: x -y\nThreadId: 8\nThreadName: x");
    assert_int_equal(apc__reader_next(r, &rec), 1);
    assert_int_equal(rec.caplen, 0);
    assert_null(rec.comment);
    assert_int_equal(rec.has_pid_tid, 0);
    assert_int_equal(apc__reader_next(r, &rec), 0);
    apc__reader_close(r);
    char c[4][512];
    uint32_t pid = 0, tid = 0;
    int has = 0;
    assert_int_equal(epb_comments(path, 0, c, 4, &pid, &tid, &has), 2);
    assert_string_equal(c[0], cm[0]);
    assert_string_equal(c[1], cm[1]);
    unlink(path);
}

/* A full device: the error names the file and says what happened, and stays. */
static void test_writer_enospc(void **state)
{
    (void)state;
    int fd = open("/dev/full", O_WRONLY);
    if (fd < 0)
        skip();
    apc__ngw_t *w;
    assert_int_equal(apc__ngw_open(&w, fd, "/dev/full"), 0);
    assert_int_equal(apc__ngw_shb(w, NULL, NULL), 0);
    assert_int_equal(apc__ngw_flush(w), -ENOSPC);
    assert_string_equal(apc_last_error_message(),
                        "writing '/dev/full': no space left on the device");
    assert_int_equal(apc__ngw_idb(w, 1, 0, NULL, NULL), -ENOSPC);
    apc__ngw_free(w);
    close(fd);
}

static void test_comments(void **state)
{
    (void)state;
    apc__cmts_t c;
    memset(&c, 0, sizeof c);
    const char joined[] = "PID: 122868\nCmd: /usr/bin/curl\nArgs: curl kernel.com\nThreadId: "
                          "122868\nThreadName: curl\nParentPID: 53229\nParentCmd: /usr/bin/bash\n"
                          "ParentArgs: -bash";
    assert_int_equal(apc__cmts_add_stored(&c, joined, strlen(joined)), 0);
    size_t n;
    const char *const *p = apc__cmts_ptrs(&c, &n);
    assert_int_equal(n, 3);
    assert_string_equal(p[0], "PID: 122868\nCmd: /usr/bin/curl\nArgs: curl kernel.com");
    assert_string_equal(p[1], "ThreadId: 122868\nThreadName: curl");
    assert_string_equal(p[2], "ParentPID: 53229\nParentCmd: /usr/bin/bash\nParentArgs: -bash");
    /* Text that is not process metadata stays one comment, newlines and all. */
    apc__cmts_reset(&c);
    assert_int_equal(apc__cmts_add_stored(&c, "hello\nThreadId: 3", 17), 0);
    p = apc__cmts_ptrs(&c, &n);
    assert_int_equal(n, 1);
    assert_string_equal(p[0], "hello\nThreadId: 3");
    apc__cmts_reset(&c);
    apc__cmt_proc_t pr = {.pid = 5,
                          .tid = 6,
                          .ppid = 1,
                          .cmd = "/bin/a",
                          .args = "a b",
                          .thread_name = "t",
                          .parent_cmd = NULL,
                          .parent_args = "init"};
    assert_int_equal(apc__cmts_add_proc(&c, &pr), 0);
    pr.tid = 0;
    pr.ppid = 0;
    assert_int_equal(apc__cmts_add_proc(&c, &pr), 0);
    p = apc__cmts_ptrs(&c, &n);
    assert_int_equal(n, 4);
    assert_string_equal(p[0], "PID: 5\nCmd: /bin/a\nArgs: a b");
    assert_string_equal(p[1], "ThreadId: 6\nThreadName: t");
    assert_string_equal(p[2], "ParentPID: 1\nParentCmd: \nParentArgs: init");
    assert_string_equal(p[3], "PID: 5\nCmd: /bin/a\nArgs: a b");
    apc__cmts_free(&c);
}

static volatile int job_done[2];

static void spin_job(void *arg, const volatile int *cancelled)
{
    int i = (int)(intptr_t)arg;
    time_t end = time(NULL) + 10;
    while (!*cancelled && time(NULL) < end && !(i == 1 && job_done[0]))
        usleep(1000);
    job_done[i] = *cancelled ? 2 : 1;
}

/* Cancelling one job leaves the other running: each has its own flag. */
static void test_job_cancel(void **state)
{
    (void)state;
    apc__jobs_t *j = apc__jobs_new(2);
    assert_non_null(j);
    uint64_t a = 0, b = 0;
    job_done[0] = job_done[1] = 0;
    assert_int_equal(apc__jobs_submit_id(j, spin_job, (void *)(intptr_t)0, &a), 0);
    assert_int_equal(apc__jobs_submit_id(j, spin_job, (void *)(intptr_t)1, &b), 0);
    assert_true(a != 0 && b != 0 && a != b);
    assert_int_equal(apc__jobs_cancel(j, a), 1);
    for (int i = 0; i < 5000 && !job_done[1]; i++)
        usleep(1000);
    assert_int_equal(job_done[0], 2);            /* cancelled */
    assert_int_equal(job_done[1], 1);            /* ran to its end, not cancelled */
    assert_int_equal(apc__jobs_cancel(j, a), 0); /* ended */
    assert_int_equal(apc__jobs_cancel(j, 9999), 0);
    apc__jobs_free(j);
}

/* Our export of a ptcpdump file carries the same comments, packet by packet, as the original,
 * plus epb_processid_threadid where the thread is known, and the notes. */
static void test_ptcpdump_comments(void **state)
{
    (void)state;
    const char *files[] = {"ptcpdump/curl-thread.pcapng", "ptcpdump/tcp.pcapng",
                           "ptcpdump/dns.pcapng", "ptcpdump/icmp.pcapng"};
    for (size_t k = 0; k < sizeof files / sizeof files[0]; k++) {
        int64_t id = ingest(files[k]);
        if (k == 0) {
            assert_int_equal(apc_capture_set_notes(ctx, id, 0, "seen on host a"), 0);
            assert_int_equal(apc_capture_set_notes(ctx, id, 2, "look here"), 0);
        }
        apc_command_t *c = export_wait(id, NULL, 0, APC_CMD_COMPLETED);
        apc_capture_t *cap;
        assert_int_equal(apc_capture_get(ctx, id, &cap), 0);
        assert_int_equal(c->packets, cap->packets);
        assert_int_equal(c->progress, 100);
        assert_int_equal(c->capture_id, id);
        assert_string_equal(c->type, "export");
        assert_true(c->created > 0 && c->started >= c->created && c->finished >= c->started);
        for (size_t i = 0; i < cap->packets; i++) {
            char a[8][512], b[8][512];
            uint32_t pa = 0, ta = 0, pb = 0, tb = 0;
            int ha, hb;
            size_t na = epb_comments(corpus(files[k]), i, a, 8, &pa, &ta, &ha);
            size_t nb = epb_comments(c->result, i, b, 8, &pb, &tb, &hb);
            size_t extra = (k == 0 && i == 1) ? 1 : 0;
            assert_int_equal(nb, na + extra);
            for (size_t m = 0; m < na; m++)
                assert_string_equal(a[m], b[m]);
            if (extra)
                assert_string_equal(b[na], "look here");
            if (na && strstr(a[0], "PID:") && strstr(b[1 < nb ? 1 : 0], "ThreadId:")) {
                assert_int_equal(hb, 1);
                assert_int_equal(pb, (uint32_t)atoi(a[0] + 5));
                assert_int_equal(tb, (uint32_t)atoi(b[1] + 10));
            }
        }
        if (k == 0) {
            apc__reader_t *r;
            apc__rec_t rec;
            assert_int_equal(apc__reader_open(&r, c->result), 0);
            assert_int_equal(apc__reader_next(r, &rec), 1);
            assert_string_equal(apc__reader_section_comment(r), "seen on host a");
            apc__reader_close(r);
        }
        apc_capture_free(cap);
        apc_command_free(c);
    }
}

static void expect_start(int code, const char *msg, int64_t id, const char *path,
                         const char *filter, int overwrite)
{
    char *uid = (char *)"x";
    assert_int_equal(apc_export_start(ctx, id, path, filter, overwrite, &uid), code);
    assert_null(uid);
    if (msg)
        assert_string_equal(apc_last_error_message(), msg);
}

static void test_roots_and_filter(void **state)
{
    (void)state;
    int64_t id = ingest("ptcpdump/dns.pcapng");
    char root[128], other[128], buf[512], msg[1024];
    snprintf(root, sizeof root, "%s/root", tmpdir);
    snprintf(other, sizeof other, "%s/other", tmpdir);
    assert_int_equal(mkdir(root, 0755), 0);
    assert_int_equal(mkdir(other, 0755), 0);
    /* Default root is <data>/exports: anything else is refused, naming the roots. */
    snprintf(buf, sizeof buf, "%s/x.pcapng", other);
    char *exports = NULL;
    assert_true(asprintf(&exports, "%s/exports", tmpdir) > 0);
    snprintf(msg, sizeof msg,
             "'%s' is outside the export roots (%s); choose a path inside one (the operator "
             "sets export_roots in apcd's config)",
             buf, exports);
    expect_start(APC_EPERM, msg, id, buf, NULL, 0);
    free(exports);
    expect_start(APC_EINVAL, "export path 'rel/x.pcapng' is not absolute", id, "rel/x.pcapng", NULL,
                 0);
    /* the filter is the search language: a bad one is refused with the checker's message */
    expect_start(APC_EINVAL,
                 "bad filter: unknown field `ip.adr` \xe2\x80\x94 did you mean `ip.addr`? (at "
                 "offset 0)",
                 id, NULL, "ip.adr == 1.2.3.4", 0);
    expect_start(APC_ENOTFOUND, "capture 999 not found", 999, NULL, NULL, 0);
    /* The API cannot widen the roots (issue 16 item 4); it reads them. */
    assert_int_equal(apc_settings_set(ctx, "export_roots", "/"), APC_EPERM);
    char *shown = NULL;
    assert_int_equal(apc_settings_get(ctx, "export_roots", &shown), 0);
    assert_true(strlen(shown) > 8 && strcmp(shown + strlen(shown) - 8, "/exports") == 0);
    apc_free(shown);
    /* An operator's root; "..", symlinks out of it are refused. */
    reopen_with_roots(root);
    snprintf(buf, sizeof buf, "%s/../other/y.pcapng", root);
    expect_start(APC_EPERM, NULL, id, buf, NULL, 0);
    char link[256];
    snprintf(link, sizeof link, "%s/out", root);
    assert_int_equal(symlink(other, link), 0);
    snprintf(buf, sizeof buf, "%s/out/y.pcapng", root);
    expect_start(APC_EPERM, NULL, id, buf, NULL, 0);
    snprintf(buf, sizeof buf, "%s/none/y.pcapng", root);
    char want[600];
    snprintf(want, sizeof want, "directory '%s/none' does not exist", root);
    expect_start(APC_ENOTFOUND, want, id, buf, NULL, 0);
    /* Inside: written; again: refused unless overwrite=1. A directory gets a generated name. */
    snprintf(buf, sizeof buf, "%s/y.pcapng", root);
    apc_command_t *c = export_wait(id, buf, 0, APC_CMD_COMPLETED);
    char *real_root = realpath(root, NULL);
    snprintf(want, sizeof want, "%s/y.pcapng", real_root);
    assert_string_equal(c->result, want);
    apc_command_free(c);
    snprintf(msg, sizeof msg, "'%s' already exists; pass overwrite=1 to replace it", want);
    expect_start(APC_EEXISTS, msg, id, buf, NULL, 0);
    c = export_wait(id, buf, 1, APC_CMD_COMPLETED);
    apc_command_free(c);
    c = export_wait(id, root, 0, APC_CMD_COMPLETED);
    assert_true(strncmp(c->result, real_root, strlen(real_root)) == 0);
    assert_non_null(strstr(c->result, "/capture-"));
    apc_command_free(c);
    /* Several roots, ':'-separated. */
    snprintf(buf, sizeof buf, "/nonexistent:%s:%s", root, other);
    reopen_with_roots(buf);
    snprintf(buf, sizeof buf, "%s/z.pcapng", other);
    c = export_wait(id, buf, 0, APC_CMD_COMPLETED);
    apc_command_free(c);
    free(real_root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_writer_roundtrip),
        cmocka_unit_test(test_writer_enospc),
        cmocka_unit_test(test_comments),
        cmocka_unit_test(test_job_cancel),
        cmocka_unit_test_setup_teardown(test_ptcpdump_comments, setup, teardown),
        cmocka_unit_test_setup_teardown(test_roots_and_filter, setup, teardown),
        cmocka_unit_test_setup_teardown(test_export_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_export_list_roots, setup, teardown),
        cmocka_unit_test_setup_teardown(test_interrupted_command, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cancel, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delete_shrinks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flush, setup, teardown),
        cmocka_unit_test_setup_teardown(test_disk_full, setup, teardown),
        cmocka_unit_test_setup_teardown(test_search_export_multi, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flush_searches, setup, teardown),
    };
    return cmocka_run_group_tests_name("export", tests, NULL, NULL);
}
