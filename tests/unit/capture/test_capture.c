/* SPDX-License-Identifier: MIT */
/*
 * Tests of module capture through the typed API: ingest of real corpus files, attribution from
 * ptcpdump's comments, paging, failed ingests, and repair after kill -9 in the middle of one.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <apc/apc.h>

#include "core/fsutil.h"
#include "../corpus_skip.h"
#include "../test_ctx.h"

static char tmpdir[64];
static apc_ctx_t *ctx;

static const char *corpus(const char *rel)
{
    static char buf[4096];
    snprintf(buf, sizeof buf, "%s/%s", apc_test_corpus_or_skip(), rel);
    return buf;
}

static int setup(void **state)
{
    (void)state;
    return apc_test_ctx_open(&ctx, tmpdir, sizeof tmpdir, "capture");
}

static int teardown(void **state)
{
    (void)state;
    apc_ctx_close(ctx);
    ctx = NULL;
    char cmd[256];
    snprintf(cmd, sizeof cmd, "umount '%s/full' 2>/dev/null", tmpdir); /* after a failed test */
    if (system(cmd) != 0) {
        /* nothing was mounted */
    }
    return apc__rm_rf(tmpdir);
}

static int64_t ingest(const char *path, int expect_state)
{
    int64_t id = 0;
    int rc = apc_ingest_file(ctx, path, NULL, &id);
    if (rc != 0)
        fail_msg("ingest %s: %s", path, apc_last_error_message());
    assert_int_equal(apc_capture_wait(ctx, id, 60000), 0);
    apc_capture_t *c;
    assert_int_equal(apc_capture_get(ctx, id, &c), 0);
    if (c->state != expect_state)
        fail_msg("%s: state %s, error '%s'", path, apc_capture_state_name(c->state), c->error);
    apc_capture_free(c);
    return id;
}

/* Capture ids are never reused: a new capture must not be given the id (and the directory) of
 * one just deleted, whose files may still be being removed. */
static void test_ids_not_reused(void **state)
{
    (void)state;
    char path[4200];
    apc_test_capture(path, sizeof path, "vlan.pcap");
    int64_t a = ingest(path, APC_STATE_COMPLETED);
    int64_t b = ingest(path, APC_STATE_COMPLETED);
    assert_int_equal(apc_capture_delete(ctx, b), 0);
    int64_t c = ingest(path, APC_STATE_COMPLETED);
    assert_true(c > b);
    assert_int_equal(apc_capture_delete(ctx, c), 0);
    assert_int_equal(apc_capture_delete(ctx, a), 0);
    int64_t d = ingest(path, APC_STATE_COMPLETED);
    assert_true(d > c);
}

static void test_ptcpdump_attribution(void **state)
{
    (void)state;
    int64_t id = ingest(corpus("ptcpdump/curl-thread.pcapng"), APC_STATE_COMPLETED);
    apc_packet_page_t *pg;
    assert_int_equal(apc_capture_read(ctx, id, 0, 0, 0, &pg), 0);
    assert_int_equal(pg->count, 10);
    int with_tid = 0;
    for (size_t i = 0; i < pg->count; i++) {
        apc_packet_t *p = &pg->packets[i];
        assert_int_equal(p->id, (int64_t)i + 1);
        assert_int_equal(p->pid, 122868);
        assert_string_equal(p->process_name, "curl");
        assert_int_equal(p->attribution, APC_ATTR_FILE);
        assert_true(p->process_id > 0);
        /* 3 of the 10 packets carry "ThreadId: 122868" (tshark -e frame.comment). */
        if (p->tid) {
            assert_int_equal(p->tid, 122868);
            with_tid++;
        }
    }
    assert_int_equal(with_tid, 3);
    apc_packet_page_free(pg);

    apc_process_page_t *pp;
    assert_int_equal(apc_capture_get_processes(ctx, id, 0, 0, &pp), 0);
    assert_int_equal(pp->count, 1);
    assert_int_equal(pp->procs[0].pid, 122868);
    assert_int_equal(pp->procs[0].ppid, 53229);
    assert_string_equal(pp->procs[0].path, "/usr/bin/curl");
    assert_string_equal(pp->procs[0].cmdline, "curl kernel.com");
    assert_int_equal(pp->procs[0].packets, 10);
    apc_process_page_free(pp);

    int64_t id2 = ingest(corpus("ptcpdump/tcp.pcapng"), APC_STATE_COMPLETED);
    assert_int_equal(apc_capture_read(ctx, id2, 0, 1000, APC_READ_BYTES, &pg), 0);
    assert_int_equal(pg->count, 24);
    assert_int_equal(pg->more, 0);
    for (size_t i = 0; i < pg->count; i++) {
        assert_int_equal(pg->packets[i].pid, 345650);
        assert_string_equal(pg->packets[i].process_name, "curl");
        assert_non_null(pg->packets[i].data);
        assert_int_equal(pg->packets[i].conn_id, 1);
    }
    assert_string_equal(pg->packets[0].src_ip, "127.0.0.1");
    assert_int_equal(pg->packets[0].dst_port, 8000);
    assert_int_equal(pg->packets[0].tcp_flags, 0x02);
    apc_packet_page_free(pg);

    apc_conn_page_t *cp;
    assert_int_equal(apc_capture_list_conns(ctx, id2, 0, 0, &cp), 0);
    assert_int_equal(cp->count, 1);
    assert_int_equal(cp->conns[0].pid, 345650);
    assert_string_equal(cp->conns[0].process_name, "curl");
    assert_int_equal(cp->conns[0].src_port, 58694);
    assert_int_equal(cp->conns[0].packets_out + cp->conns[0].packets_in, 24);
    apc_conn_page_free(cp);
}

static void test_paging_every_packet_once(void **state)
{
    (void)state;
    int64_t id = ingest(corpus("zeek/echo-connections.pcap"), APC_STATE_COMPLETED);
    apc_capture_t *c;
    assert_int_equal(apc_capture_get(ctx, id, &c), 0);
    uint64_t total = c->packets;
    apc_capture_free(c);
    assert_int_equal(total, 82582); /* capinfos -c */
    int64_t last = 0, expect = 1;
    uint64_t seen = 0;
    int more = 1;
    while (more) {
        apc_packet_page_t *pg;
        assert_int_equal(apc_capture_read(ctx, id, last, 1000, 0, &pg), 0);
        for (size_t i = 0; i < pg->count; i++)
            assert_int_equal(pg->packets[i].id, expect++);
        seen += pg->count;
        more = pg->more;
        assert_true(pg->count > 0 || !more);
        last = pg->last_id;
        apc_packet_page_free(pg);
    }
    assert_int_equal(seen, total);
}

static void test_bad_inputs(void **state)
{
    (void)state;
    int64_t id;
    assert_int_equal(apc_ingest_file(ctx, "/nonexistent/x.pcap", NULL, &id), APC_ENOTFOUND);
    assert_non_null(strstr(apc_last_error_message(), "/nonexistent/x.pcap"));
    assert_int_equal(apc_ingest_file(ctx, "/tmp", NULL, &id), APC_EINVAL);
    /* Unknown magic: refused before any capture exists. */
    assert_int_equal(apc_ingest_file(ctx, corpus("README.md"), NULL, &id), APC_EFORMAT);
    apc_capture_list_t *l;
    assert_int_equal(apc_capture_list(ctx, APC_LIST_ALL, &l), 0);
    assert_int_equal(l->count, 0);
    apc_capture_list_free(l);

    /* A file cut in the middle of a packet: the packets before are kept, the capture says
     * where and why reading stopped. */
    char cut[128];
    snprintf(cut, sizeof cut, "%s/cut.pcap", tmpdir);
    char cmd[4300];
    snprintf(cmd, sizeof cmd, "head -c 5000 '%s' > '%s'", corpus("zeek/http_bro.org.pcap"), cut);
    assert_int_equal(system(cmd), 0);
    id = ingest(cut, APC_STATE_FAILED);
    apc_capture_t *c;
    assert_int_equal(apc_capture_get(ctx, id, &c), 0);
    assert_true(c->packets > 0);
    assert_true(c->error_offset > 0 && c->error_offset <= 5000);
    assert_true(strlen(c->error) > 0);
    apc_packet_page_t *pg;
    assert_int_equal(apc_capture_read(ctx, id, 0, 1000, 0, &pg), 0);
    assert_int_equal(pg->count, c->packets);
    apc_packet_page_free(pg);
    apc_capture_free(c);

    assert_int_equal(apc_capture_get(ctx, 999, &c), APC_ENOTFOUND);
    assert_int_equal(apc_capture_read(ctx, 999, 0, 0, 0, &pg), APC_ENOTFOUND);
    apc_packet_t *p;
    assert_int_equal(apc_capture_get_packet(ctx, id, 100000, &p), APC_ENOTFOUND);
    assert_int_equal(apc_capture_set_notes(ctx, id, 100000, "x"), APC_ENOTFOUND);
}

static void test_notes_delete(void **state)
{
    (void)state;
    int64_t id = ingest(corpus("ptcpdump/dns.pcapng"), APC_STATE_COMPLETED);
    assert_int_equal(apc_capture_set_notes(ctx, id, 0, "capture note"), 0);
    assert_int_equal(apc_capture_set_notes(ctx, id, 2, "packet note"), 0);
    apc_capture_t *c;
    assert_int_equal(apc_capture_get(ctx, id, &c), 0);
    assert_string_equal(c->notes, "capture note");
    apc_capture_free(c);
    apc_packet_t *p;
    assert_int_equal(apc_capture_get_packet(ctx, id, 2, &p), 0);
    assert_string_equal(p->notes, "packet note");
    apc_packet_free(p);
    assert_int_equal(apc_capture_set_notes(ctx, id, 2, NULL), 0);
    assert_int_equal(apc_capture_get_packet(ctx, id, 2, &p), 0);
    assert_string_equal(p->notes, "");
    apc_packet_free(p);

    /* DNS answers name the addresses they resolve. */
    apc_ip_page_t *ips;
    assert_int_equal(apc_ip_list(ctx, id, 0, 0, &ips), 0);
    int named = 0;
    for (size_t i = 0; i < ips->count; i++)
        if (strcmp(ips->ips[i].host_name, "example.com") == 0)
            named++;
    assert_true(named > 0);
    apc_ip_page_free(ips);

    char dir[256];
    snprintf(dir, sizeof dir, "%s/captures/%lld", tmpdir, (long long)id);
    assert_int_equal(access(dir, F_OK), 0);
    assert_int_equal(apc_capture_delete(ctx, id), 0);
    assert_int_equal(access(dir, F_OK), -1);
    assert_int_equal(apc_capture_get(ctx, id, &c), APC_ENOTFOUND);
    assert_int_equal(apc_capture_delete(ctx, id), APC_ENOTFOUND);
}

static void test_ip_data(void **state)
{
    (void)state;
    int64_t id = ingest(corpus("ptcpdump/tcp.pcapng"), APC_STATE_COMPLETED);
    apc_ip_t *ip;
    assert_int_equal(apc_ip_get(ctx, id, "127.0.0.1", &ip), 0);
    assert_int_equal(ip->packets, 24);
    apc_ip_free(ip);
    assert_int_equal(apc_ip_set_data(ctx, id, "127.0.0.1", "loopback"), 0);
    assert_int_equal(apc_ip_set_geo(ctx, 0, "127.0.0.1", "localhost", "ZZ", "Here", 1.5, -2.5), 0);
    assert_int_equal(apc_ip_get(ctx, 0, "127.0.0.1", &ip), 0);
    assert_string_equal(ip->user_data, "loopback");
    assert_string_equal(ip->country, "ZZ");
    assert_true(ip->has_geo);
    apc_ip_free(ip);
    assert_int_equal(apc_ip_get(ctx, 0, "10.9.9.9", &ip), APC_ENOTFOUND);
    assert_int_equal(apc_ip_get(ctx, 0, "not-an-ip", &ip), APC_EINVAL);
    assert_int_equal(apc_ip_set_geo(ctx, 0, "127.0.0.1", NULL, NULL, NULL, 91, 0), APC_EINVAL);
}

/* Writes a pcap of n IPv4/UDP packets of 200 bytes. */
static void write_big_pcap(const char *path, unsigned n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    uint32_t gh[6] = {0xa1b2c3d4, 0x00040002, 0, 0, 65535, 101};
    fwrite(gh, 4, 6, f);
    uint8_t pkt[200] = {0x45, 0, 0, 200, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2};
    for (unsigned i = 0; i < n; i++) {
        uint32_t ph[4] = {1700000000 + i / 1000, i % 1000, 200, 200};
        pkt[20] = 0x40; /* 256 source ports: 256 connections */
        pkt[21] = (uint8_t)i;
        pkt[23] = 53;
        pkt[25] = 180;
        fwrite(ph, 4, 4, f);
        fwrite(pkt, 1, sizeof pkt, f);
    }
    assert_int_equal(fclose(f), 0);
}

static int64_t committed_packets(const char *dir)
{
    char path[256];
    snprintf(path, sizeof path, "%s/apc.db", dir);
    sqlite3 *db;
    int64_t n = -1;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(db, "SELECT packets FROM captures WHERE id=1", -1, &st, NULL) ==
            SQLITE_OK) {
            if (sqlite3_step(st) == SQLITE_ROW)
                n = sqlite3_column_int64(st, 0);
            sqlite3_finalize(st);
        }
    }
    sqlite3_close(db);
    return n;
}

/* The kill -9 test's progress callback: the ingest just committed; it goes no further. */
static void stall_forever(int64_t id, uint64_t done, uint64_t total, uint64_t packets, void *p)
{
    (void)id, (void)done, (void)total, (void)packets, (void)p;
    for (;;)
        pause();
}

static void test_kill9_repair(void **state)
{
    (void)state;
    /* Our own context must not hold the directory: the child owns it. */
    apc_ctx_close(ctx);
    ctx = NULL;
    char dir[128], big[128];
    snprintf(dir, sizeof dir, "%s/k9", tmpdir);
    snprintf(big, sizeof big, "%s/big.pcap", tmpdir);
    write_big_pcap(big, 3000000);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        apc_ctx_options_t o;
        apc_ctx_options_init(&o, APC_CTX_OPTIONS_VERSION);
        o.data_dir = dir;
        apc_ctx_t *c;
        int64_t id;
        apc_ingest_options_t io;
        apc_ingest_options_init(&io, APC_INGEST_OPTIONS_VERSION);
        io.progress_cb = stall_forever;
        if (apc_ctx_open(&c, &o) != 0 || apc_ingest_file(c, big, &io, &id) != 0)
            _exit(3);
        apc_capture_wait(c, id, -1);
        _exit(4); /* finished before the kill: the test could not interrupt it */
    }
    /* Kill once the first commit is visible, while the ingest is still running. An ingest
     * commits every 2 s (or 1 GiB), and this file may take less than 2 s on a fast machine:
     * the child runs one fifth of the time (stopped 20 ms, continued 5 ms) until its first
     * commit, so it cannot reach the end first, and its progress callback (called after each
     * commit) stalls it there. The limit is generous; nothing depends on the machine's speed. */
    int64_t n = 0;
    for (int i = 0; i < 4000 && n <= 0; i++) {
        kill(pid, SIGSTOP);
        usleep(20000);
        kill(pid, SIGCONT);
        usleep(5000);
        n = committed_packets(dir);
    }
    kill(pid, SIGKILL);
    int status;
    waitpid(pid, &status, 0);
    assert_true(WIFSIGNALED(status));
    assert_true(n > 0);

    apc_ctx_options_t o;
    apc_ctx_options_init(&o, APC_CTX_OPTIONS_VERSION);
    o.data_dir = dir;
    o.log_level = APC_LOG_ERROR;
    assert_int_equal(apc_ctx_open(&ctx, &o), 0);
    apc_capture_t *c;
    assert_int_equal(apc_capture_get(ctx, 1, &c), 0);
    assert_int_equal(c->state, APC_STATE_INTERRUPTED);
    assert_true(c->packets >= (uint64_t)n && c->packets < 3000000);
    assert_non_null(strstr(c->error, "interrupted"));
    /* Every committed packet reads back, and the last page ends exactly at the count. */
    apc_packet_page_t *pg;
    assert_int_equal(apc_capture_read(ctx, 1, (int64_t)c->packets - 5, 100, 0, &pg), 0);
    assert_int_equal(pg->count, 5);
    assert_int_equal(pg->more, 0);
    assert_int_equal(pg->packets[4].id, (int64_t)c->packets);
    apc_packet_page_free(pg);
    /* The segment file was cut to what was committed: capinfos agrees with our count. */
    char cmd[512];
    snprintf(cmd, sizeof cmd,
             "test \"$(capinfos -c -M %s/captures/1/seg-000000.pcapng 2>/dev/null | "
             "awk '/Number of packets/ {print $4}')\" = %llu",
             dir, (unsigned long long)c->packets);
    if (access("/usr/bin/capinfos", X_OK) == 0)
        assert_int_equal(system(cmd), 0);
    apc_capture_free(c);
    apc_ctx_close(ctx);
    ctx = NULL;

    char path[256];
    snprintf(path, sizeof path, "%s/apc.db", dir);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "ok");
    sqlite3_finalize(st);
    sqlite3_close(db);
}

/* Ingests n generated packets into a data directory on a tmpfs of `size`, larger than it
 * holds: the ingest stops with a clear "disk full" error, keeps what it stored before the
 * stop, and the store still opens and reads every kept packet. Needs root for the mount. */
static void disk_full(const char *size, unsigned n)
{
    if (geteuid() != 0) {
        fprintf(stderr, "skipped: mounting a small tmpfs needs root\n");
        skip();
    }
    apc_ctx_close(ctx);
    ctx = NULL;
    char dir[128], big[128], cmd[512];
    snprintf(dir, sizeof dir, "%s/full", tmpdir);
    snprintf(big, sizeof big, "%s/big.pcap", tmpdir);
    assert_int_equal(mkdir(dir, 0700), 0);
    snprintf(cmd, sizeof cmd, "mount -t tmpfs -o size=%s tmpfs '%s'", size, dir);
    if (system(cmd) != 0) {
        fprintf(stderr, "skipped: cannot mount a tmpfs here\n");
        skip();
    }
    write_big_pcap(big, n);
    apc_ctx_options_t o;
    apc_ctx_options_init(&o, APC_CTX_OPTIONS_VERSION);
    o.data_dir = dir;
    o.log_level = -1; /* silence the expected failure */
    assert_int_equal(apc_ctx_open(&ctx, &o), 0);
    int64_t id;
    assert_int_equal(apc_ingest_file(ctx, big, NULL, &id), 0);
    assert_int_equal(apc_capture_wait(ctx, id, 60000), 0);
    apc_capture_t *c;
    assert_int_equal(apc_capture_get(ctx, id, &c), 0);
    assert_int_equal(c->state, APC_STATE_FAILED);
    if (!strstr(c->error, "disk full") && !strstr(c->error, "No space left"))
        fail_msg("unexpected error: %s", c->error);
    if (!(c->packets > 0 && c->packets < n))
        fail_msg("%llu of %u packets kept", (unsigned long long)c->packets, n);
    uint64_t kept = c->packets;
    apc_capture_free(c);
    apc_ctx_close(ctx);
    ctx = NULL;
    /* Reopen: nothing to repair, every kept packet reads back. */
    assert_int_equal(apc_ctx_open(&ctx, &o), 0);
    assert_int_equal(apc_capture_get(ctx, id, &c), 0);
    assert_int_equal(c->packets, kept);
    apc_capture_free(c);
    apc_packet_page_t *pg;
    assert_int_equal(apc_capture_read(ctx, id, (int64_t)kept - 3, 10, 0, &pg), 0);
    assert_int_equal(pg->count, 3);
    assert_int_equal(pg->more, 0);
    assert_int_equal(pg->packets[2].caplen, 200);
    apc_packet_page_free(pg);
    apc_ctx_close(ctx);
    ctx = NULL;
    snprintf(cmd, sizeof cmd, "umount '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

static void test_disk_full(void **state)
{
    (void)state;
    disk_full("200m", 1200000); /* 260 MB; an ingest commits every 128 MiB */
}

/* A tmpfs smaller than one ingest commit (128 MiB): the stop for free space comes before any
 * periodic commit, and what was stored before it is still kept (it used to keep 0 packets). */
static void test_disk_full_before_first_commit(void **state)
{
    (void)state;
    disk_full("64m", 500000); /* 108 MB */
}

static void test_lock(void **state)
{
    (void)state;
    apc_ctx_options_t o;
    apc_ctx_options_init(&o, APC_CTX_OPTIONS_VERSION);
    o.data_dir = tmpdir;
    apc_ctx_t *second = NULL;
    assert_int_equal(apc_ctx_open(&second, &o), APC_EBUSY);
    assert_non_null(strstr(apc_last_error_message(), "in use by another process"));
    assert_null(second);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_ptcpdump_attribution, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ids_not_reused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_paging_every_packet_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_inputs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_notes_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ip_data, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kill9_repair, setup, teardown),
        cmocka_unit_test_setup_teardown(test_disk_full, setup, teardown),
        cmocka_unit_test_setup_teardown(test_disk_full_before_first_commit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lock, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
