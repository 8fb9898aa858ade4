/* SPDX-License-Identifier: MIT */
/* Helpers shared by the trigger live tests (test_trigger_first.c, test_trigger_limits.c):
 * polls on conditions with a generous limit (a hang fails the test, a slow machine does not). */
#ifndef APC_TESTS_LIVE_TRIGGER_UTIL_H
#define APC_TESTS_LIVE_TRIGGER_UTIL_H

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <apc/apc.h>

#include "live_util.h"

#define TRIG_WAIT_S 120

static inline apc_trigger_t *trig_get(apc_ctx_t *ctx, int64_t id)
{
    apc_trigger_t *t = NULL;
    assert_int_equal(apc_trigger_get(ctx, id, &t), 0);
    return t;
}

/* 1 when the watcher is armed (else the test skips: no connector here). */
static inline int trig_armed(apc_ctx_t *ctx, int64_t tid)
{
    apc_trigger_t *t = trig_get(ctx, tid);
    printf("# watcher: %s\n", t->watcher);
    int ok = strcmp(t->watcher, "armed") == 0;
    apc_trigger_free(t);
    return ok;
}

/* Polls until the trigger has fired n times; its last capture id. */
static inline int64_t trig_wait_fired(apc_ctx_t *ctx, int64_t tid, uint64_t n)
{
    for (int i = 0; i < TRIG_WAIT_S * 10; i++) {
        apc_trigger_t *t = trig_get(ctx, tid);
        uint64_t fired = t->times_fired;
        int64_t cid = t->last_capture_id;
        if (*t->last_error)
            fprintf(stderr, "trigger error: %s\n", t->last_error);
        apc_trigger_free(t);
        if (fired >= n)
            return cid;
        usleep(100000);
    }
    fail_msg("trigger %lld did not fire %llu times within %d s", (long long)tid,
             (unsigned long long)n, TRIG_WAIT_S);
    return -1;
}

/* Polls until capture cid is no longer live (its tree exited, its route ended). */
static inline void trig_wait_done(apc_ctx_t *ctx, int64_t cid)
{
    for (int i = 0; i < TRIG_WAIT_S * 10; i++) {
        if (!apc_capture_is_live(ctx, cid))
            return;
        usleep(100000);
    }
    fail_msg("capture %lld still live after %d s", (long long)cid, TRIG_WAIT_S);
}

/* In a child: its output to /dev/null. */
static inline void trig_quiet(void)
{
    int null = open("/dev/null", O_WRONLY);
    if (null >= 0) {
        dup2(null, 1);
        dup2(null, 2);
    }
}

/* Starts prog with argv, its output to /dev/null. */
static inline pid_t trig_run(const char *prog, char *const argv[])
{
    pid_t p = fork();
    if (p == 0) {
        trig_quiet();
        execv(prog, argv);
        _exit(127);
    }
    return p;
}

/* Network namespace ns and a veth pair: host_if (host_ip/24, here) and ns_if (ns_ip/24, in
 * ns), both up, and ns's lo. 0 or the shell's status. */
static inline int trig_veth(const char *ns, const char *host_if, const char *ns_if,
                            const char *host_ip, const char *ns_ip)
{
    return sh("ip netns add %s && ip link add %s type veth peer name %s && ip link set %s netns "
              "%s && ip addr add %s/24 dev %s && ip link set %s up && ip -n %s addr add %s/24 dev "
              "%s && ip -n %s link set %s up && ip -n %s link set lo up",
              ns, host_if, ns_if, ns_if, ns, host_ip, host_if, host_if, ns, ns_ip, ns_if, ns, ns_if,
              ns);
}

/* python3's HTTP server on ip:port inside namespace ns, serving dir; its pid once it answers
 * (-1 when it does not within 60 s). */
static inline pid_t trig_serve(const char *ns, const char *ip, int port, const char *dir)
{
    pid_t p = fork();
    if (p == 0) {
        trig_quiet();
        char ps[16];
        snprintf(ps, sizeof ps, "%d", port);
        if (chdir(dir) != 0)
            _exit(127);
        execlp("ip", "ip", "netns", "exec", ns, "python3", "-m", "http.server", "--bind", ip, ps,
               (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 600; i++) {
        if (sh("curl -s -o /dev/null --max-time 1 http://%s:%d/", ip, port) == 0)
            return p;
        usleep(100000);
    }
    return -1;
}

/* Ends child *p (SIGTERM) and reaps it; NULL-safe on a pid <= 0. */
static inline void trig_stop(pid_t *p)
{
    if (*p > 0) {
        kill(*p, SIGTERM);
        waitpid(*p, NULL, 0);
        *p = 0;
    }
}

/* 0 when the trigger live tests can run here: root, the tools (curl, python3, ip, and tshark
 * when need_tshark), eBPF attribution; else prints why and returns 77 (skip). */
static inline int trig_can_run(int need_tshark)
{
    if (geteuid() != 0) {
        printf("SKIP: trigger live tests need root (proc connector, packet capture)\n");
        return 77;
    }
    if (system("command -v curl >/dev/null && command -v python3 >/dev/null && "
               "command -v ip >/dev/null") != 0 ||
        (need_tshark && system("command -v tshark >/dev/null") != 0)) {
        printf("SKIP: needs curl, python3, ip%s\n", need_tshark ? " and tshark" : "");
        return 77;
    }
    char why[512] = "";
    if (!ebpf_loads(why, sizeof why)) {
        printf("SKIP: eBPF attribution does not load here (%s); the packets a program sends "
               "before its firing need its socket owners\n",
               why);
        return 77;
    }
    return 0;
}

#endif
