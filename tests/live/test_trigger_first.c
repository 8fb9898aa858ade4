/* SPDX-License-Identifier: MIT */
/*
 * Triggers from the first packet (issue 9, docs/triggers.md "How a firing gets its first
 * packet"), as root:
 *   - a trigger on a COPY of curl at a temporary path; 20 runs, each fetching a page from a
 *     python3 HTTP server inside a network namespace this test makes (veth apc_tf0/apc_tf1),
 *     give 20 captures, each holding its run's first SYN and its FINs, every packet with that
 *     run's pid; an EXPORT action leaves 20 pcapng files tshark reads, with the pid in the
 *     packet comments;
 *   - 50 starts a second of a copy of sleep(1) for 3 s: every start gets a capture. Each
 *     sleeps until the test has seen every firing (then it is killed): this part checks the
 *     firings of live processes, matched on /proc/PID/exe; the next, programs already gone;
 *   - programs gone before their path is read: 150 starts of a copy of true(1), half through a
 *     symbolic link, with the setting trigger.exe_from_names=1 (the reader skips /proc/PID/exe
 *     and matches on the name recorded by the exec tracepoint, attrib/exec_names.h): every
 *     start fires, each capture ends. Skipped without the kernel's BTF.
 * Under the sanitizers (APC_SANITIZED) the same checks run on 8 curl runs and 50 starts.
 * Waits only on conditions (generous limits). Skips with the reason without the process
 * connector, eBPF attribution, curl, python3, tshark or ip.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <glob.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "live_util.h"
#include "trigger_util.h"

#include <apc/apc.h>

#define WAIT_S TRIG_WAIT_S
#define RUNS 20
#define NS "apc_tfS"
#define HOST_IP "10.231.9.1"
#define NS_IP "10.231.9.2"
#define PORT 18089

/* Under the sanitizers (APC_SANITIZED, set by scripts/test) each start costs several times
 * more and the plain build has already run the full counts: the same checks run on fewer
 * starts (the 50-a-second pace is kept, over 1 s instead of 3). */
static int runs = RUNS;

static char tmp[] = "/tmp/apc-trigger-first-XXXXXX";
static char data[600], exports[600], bin[600];
static apc_ctx_t *ctx;
static pid_t server;

static apc_trigger_t *trigger(int64_t id)
{
    return trig_get(ctx, id);
}

static int armed_or_skip(int64_t tid)
{
    return trig_armed(ctx, tid);
}

static int64_t wait_fired(int64_t tid, uint64_t n)
{
    return trig_wait_fired(ctx, tid, n);
}

static void wait_done(int64_t cid)
{
    trig_wait_done(ctx, cid);
}

static size_t count_files(const char *pattern)
{
    glob_t g;
    size_t n = glob(pattern, 0, NULL, &g) == 0 ? g.gl_pathc : 0;
    globfree(&g);
    return n;
}

static pid_t run(const char *prog, char *const argv[])
{
    return trig_run(prog, argv);
}

/* Every packet of capture cid is pid's; *first_syn: the first is a SYN alone (RFC 9293
 * section 3.5, the handshake's first segment); *fins the packets with FIN. Packet count. */
static uint64_t check_packets(int64_t cid, int64_t pid, int *first_syn, int *fins)
{
    uint64_t n = 0;
    int64_t last = 0;
    *first_syn = 0;
    *fins = 0;
    for (;;) {
        apc_packet_page_t *pg = NULL;
        assert_int_equal(apc_capture_read(ctx, cid, last, 0, 0, &pg), 0);
        for (size_t i = 0; i < pg->count; i++) {
            const apc_packet_t *p = &pg->packets[i];
            last = p->id;
            assert_int_equal(p->pid, pid);
            if (p->tcp_flags >= 0) {
                if (n == 0)
                    *first_syn = p->tcp_flags == 0x02;
                *fins += (p->tcp_flags & 0x01) != 0;
            }
            n++;
        }
        int more = pg->more && pg->count;
        apc_packet_page_free(pg);
        if (!more)
            break;
    }
    return n;
}

static void test_curl_first_packet(void **st)
{
    (void)st;
    char prog[700], url[128], filter[64];
    snprintf(prog, sizeof prog, "%s/curl", bin);
    snprintf(url, sizeof url, "http://" NS_IP ":%d/", PORT);
    snprintf(filter, sizeof filter, "tcp port %d", PORT);
    int64_t tid = 0, eid = 0;
    /* Each firing is handled 300 ms after its exec (read when the triggers load), long after
     * curl sent its SYN: the packets can only come from the pre-roll. */
    assert_int_equal(apc_settings_set(ctx, "trigger.fire_delay_ms", "300"), 0);
    assert_int_equal(
        apc_trigger_add(ctx, "curl copy", APC_TRIGGER_TYPE_ON_START, prog, filter, 0, &tid), 0);
    if (!armed_or_skip(tid))
        skip();
    assert_int_equal(
        apc_action_add(ctx, "export", APC_ACTION_TYPE_EXPORT, exports, NULL, tid, &eid), 0);
    pid_t pids[RUNS];
    for (int i = 0; i < runs; i++) {
        /* No wait for the firing before the run connects: its first packets are the point. */
        char *argv[] = {"curl", "-s", "-o", "/dev/null", "--max-time", "60", url, NULL};
        pids[i] = run(prog, argv);
        int status = 0;
        assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        /* The watcher reads /proc/PID/exe when it handles an exec: the next run starts once
         * this one has fired, so no run has exited before its exec is judged. */
        wait_fired(tid, (uint64_t)i + 1);
    }
    wait_fired(tid, (uint64_t)runs);
    char pattern[800];
    snprintf(pattern, sizeof pattern, "%s/trigger%lld-curl-*.pcapng", exports, (long long)tid);
    for (int i = 0; i < WAIT_S * 10 && count_files(pattern) < (size_t)runs; i++)
        usleep(100000);
    assert_int_equal(count_files(pattern), (size_t)runs);
    int found = 0;
    apc_trigger_t *t = trigger(tid);
    int64_t lastcid = t->last_capture_id;
    apc_trigger_free(t);
    for (int64_t cid = 1; cid <= lastcid; cid++) {
        apc_capture_t *c = NULL;
        if (apc_capture_get(ctx, cid, &c) != 0)
            continue;
        int64_t pid = c->pid;
        apc_capture_free(c);
        int k = 0;
        while (k < runs && pids[k] != pid)
            k++;
        if (k == runs)
            continue;
        wait_done(cid);
        assert_int_equal(apc_capture_get(ctx, cid, &c), 0);
        assert_string_equal(apc_capture_state_name(c->state), "completed");
        printf("# run %d pid %lld: capture %lld, %llu packets, drops %llu\n", k, (long long)pid,
               (long long)cid, (unsigned long long)c->packets,
               (unsigned long long)c->drops + c->kernel_drops);
        apc_capture_free(c);
        int syn, fins;
        uint64_t n = check_packets(cid, pid, &syn, &fins);
        assert_true(n >= 6); /* SYN, SYN-ACK, ACK, request, answer, FINs */
        assert_true(syn);    /* the run's first packet, sent before the firing was handled */
        assert_true(fins >= 2);
        /* Its export: the same packets, the pid in the packet comments. */
        char file[900], cmd[1200];
        snprintf(file, sizeof file, "%s/trigger%lld-curl-%lld-*.pcapng", exports, (long long)tid,
                 (long long)pid);
        glob_t g;
        assert_int_equal(glob(file, 0, NULL, &g), 0);
        snprintf(cmd, sizeof cmd, "tshark -r '%s' 2>/dev/null | wc -l", g.gl_pathv[0]);
        FILE *f = popen(cmd, "r");
        unsigned long lines = 0;
        assert_int_equal(fscanf(f, "%lu", &lines), 1);
        pclose(f);
        assert_int_equal(lines, n);
        assert_int_equal(
            sh("tshark -r '%s' -T fields -e frame.comment 2>/dev/null | grep -q 'PID: %lld'",
               g.gl_pathv[0], (long long)pid),
            0);
        assert_int_not_equal(sh("tshark -r '%s' -T fields -e frame.comment 2>/dev/null | grep "
                                "'PID: ' | grep -vq 'PID: %lld'",
                                g.gl_pathv[0], (long long)pid),
                             0);
        globfree(&g);
        found++;
    }
    assert_int_equal(found, runs);
    assert_int_equal(apc_settings_set(ctx, "trigger.fire_delay_ms", "0"), 0);
    assert_int_equal(apc_trigger_remove(ctx, tid), 0); /* reloads: no delay any more */
}

/* 50 starts a second for 3 s (the pace is not asserted: only the count is). */
enum { STARTS = 150 };
static int starts = STARTS;    /* 50 under the sanitizers */
static pid_t sleepers[STARTS]; /* killed by teardown too, when a check fails first */
static int sleepers_alive;

/* Trigger tid fired exactly `starts` times without an error, and each of pids[] has a capture (up
 * to capture id last) that ends. */
static void check_each_start(int64_t tid, int64_t last, const pid_t *pids, const char *what)
{
    apc_trigger_t *t = trigger(tid);
    printf("# %d %s: fired %llu, last error '%s'\n", starts, what,
           (unsigned long long)t->times_fired, t->last_error);
    assert_int_equal(t->times_fired, starts);
    assert_string_equal(t->last_error, "");
    apc_trigger_free(t);
    int got = 0;
    for (int64_t cid = 1; cid <= last; cid++) {
        apc_capture_t *c = NULL;
        if (apc_capture_get(ctx, cid, &c) != 0)
            continue;
        int mine = 0;
        for (int i = 0; i < starts && !mine; i++)
            mine = c->pid == pids[i];
        apc_capture_free(c);
        if (!mine)
            continue;
        wait_done(cid);
        got++;
    }
    assert_int_equal(got, starts);
}

static void test_fifty_a_second(void **st)
{
    (void)st;
    char prog[700];
    snprintf(prog, sizeof prog, "%s/sleep", bin);
    assert_int_equal(apc_settings_set(ctx, "trigger.fire_delay_ms", "0"), 0); /* read at add */
    int64_t tid = 0;
    assert_int_equal(
        apc_trigger_add(ctx, "sleep copy", APC_TRIGGER_TYPE_ON_START, prog, "", 0, &tid), 0);
    if (!armed_or_skip(tid))
        skip();
    pid_t *pids = sleepers;
    for (int i = 0; i < starts; i++) {
        char *argv[] = {"sleep", "600", NULL};
        pids[i] = run(prog, argv);
        sleepers_alive = 1;
        usleep(20000);
    }
    int64_t last = wait_fired(tid, (uint64_t)starts);
    for (int i = 0; i < starts; i++) {
        kill(pids[i], SIGTERM);
        waitpid(pids[i], NULL, 0);
    }
    sleepers_alive = 0;
    /* Every start has its own capture, and each ends. */
    check_each_start(tid, last, pids, "starts");
    assert_int_equal(apc_trigger_remove(ctx, tid), 0);
}

/* Short-lived programs matched on the name recorded at their exec (no /proc/PID/exe). */
static void test_gone_before_read(void **st)
{
    (void)st;
    if (access("/sys/kernel/btf/vmlinux", R_OK) != 0)
        skip(); /* the exec-name program needs the kernel's BTF (CO-RE) */
    char prog[700], link[720];
    snprintf(prog, sizeof prog, "%s/true", bin);
    snprintf(link, sizeof link, "%s/true-link", bin);
    assert_int_equal(apc_settings_set(ctx, "trigger.exe_from_names", "1"), 0); /* read at add */
    int64_t tid = 0;
    assert_int_equal(
        apc_trigger_add(ctx, "true copy", APC_TRIGGER_TYPE_ON_START, prog, "", 0, &tid), 0);
    if (!armed_or_skip(tid))
        skip();
    static pid_t pids[STARTS];
    for (int i = 0; i < starts; i++) {
        char *argv[] = {"true", NULL};
        pids[i] = run(i % 2 ? link : prog, argv);
        waitpid(pids[i], NULL, 0); /* gone, and reaped: no /proc/PID left at all */
        usleep(20000);
    }
    int64_t last = wait_fired(tid, (uint64_t)starts);
    check_each_start(tid, last, pids, "short-lived starts");
    assert_int_equal(apc_trigger_remove(ctx, tid), 0);
    assert_int_equal(apc_settings_set(ctx, "trigger.exe_from_names", "0"), 0);
}

static void net_down(void)
{
    sh("ip netns del " NS " 2>/dev/null; ip link del apc_tf0 2>/dev/null");
}

static int setup(void **st)
{
    (void)st;
    if (!mkdtemp(tmp))
        return -1;
    snprintf(data, sizeof data, "%s/data", tmp);
    snprintf(exports, sizeof exports, "%s/exports", tmp);
    snprintf(bin, sizeof bin, "%s/bin", tmp);
    if (mkdir(data, 0755) || mkdir(exports, 0755) || mkdir(bin, 0755))
        return -1;
    if (sh("cp \"$(command -v curl)\" '%s/curl' && cp \"$(command -v sleep)\" '%s/sleep' && "
           "cp /usr/bin/true '%s/true' && ln -s true '%s/true-link'",
           bin, bin, bin, bin) != 0)
        return -1;
    net_down();
    if (trig_veth(NS, "apc_tf0", "apc_tf1", HOST_IP, NS_IP) != 0)
        return -1;
    server = trig_serve(NS, NS_IP, PORT, tmp);
    if (server <= 0)
        return -1;
    apc_ctx_options_t co;
    apc_ctx_options_init(&co, APC_CTX_OPTIONS_VERSION);
    co.data_dir = data;
    co.export_roots = exports;
    return apc_ctx_open(&ctx, &co) == 0 ? 0 : -1;
}

static int teardown(void **st)
{
    (void)st;
    for (int i = 0; sleepers_alive && i < starts; i++)
        if (sleepers[i] > 0) {
            kill(sleepers[i], SIGTERM);
            waitpid(sleepers[i], NULL, 0);
        }
    apc_ctx_close(ctx);
    trig_stop(&server);
    net_down();
    rm_tree(tmp);
    return 0;
}

int main(void)
{
    int skip = trig_can_run(1);
    if (skip)
        return skip;
    if (getenv("APC_SANITIZED")) {
        runs = 8;
        starts = 50;
    }
    live_lock();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_curl_first_packet),
        cmocka_unit_test(test_fifty_a_second),
        cmocka_unit_test(test_gone_before_read),
    };
    return cmocka_run_group_tests_name("triggers from the first packet", tests, setup, teardown);
}
