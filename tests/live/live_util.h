/* SPDX-License-Identifier: MIT */
/* Helpers shared by the live tests (tests/live/test_*.c). */
#ifndef APC_TESTS_LIVE_UTIL_H
#define APC_TESTS_LIVE_UTIL_H

#include <fcntl.h>
#include <ftw.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <apc/apc.h>

#include "attrib/ebpf.h"

/* Runs a shell command line (printf format); its exit status, -1 when it did not exit. */
static inline int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline int sh(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int r = system(cmd);
    return WIFEXITED(r) ? WEXITSTATUS(r) : -1;
}

static inline int live_rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(p);
}

/* Removes a directory tree (the test's data directory). */
static inline void rm_tree(const char *dir)
{
    nftw(dir, live_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Seconds on the monotonic clock: polls wait for a condition up to a limit in seconds (a hang
 * ends the test with a failure, never a slow machine). */
static inline double mono_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

/* Starts the context's process table from the initial network namespace (the proc connector
 * only talks to it), keeps that namespace in *root_fd and enters network namespace `ns`
 * (made by `ip netns add`). 0 or -1. */
static inline int live_enter(apc_ctx_t *ctx, const char *ns, int *root_fd)
{
    apc_process_page_t *pg = NULL;
    if (apc_process_list_running(ctx, &pg) < 0)
        return -1;
    apc_process_page_free(pg);
    *root_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    char p[128];
    snprintf(p, sizeof p, "/var/run/netns/%s", ns);
    int fd = open(p, O_RDONLY | O_CLOEXEC);
    int r = fd >= 0 ? setns(fd, CLONE_NEWNET) : -1;
    if (fd >= 0)
        close(fd);
    return r;
}

/* Starts a live capture of one adapter: a process capture of pid, or a system capture when
 * pid is 0. Its id, or -1 with the library's message printed. */
static inline int64_t live_start(apc_ctx_t *ctx, const char *adapter, int64_t pid, uint32_t flags,
                                 const char *filter)
{
    apc_live_options_t o;
    apc_live_options_init(&o, APC_LIVE_OPTIONS_VERSION);
    const char *ad[] = {adapter};
    o.adapters = ad;
    o.n_adapters = 1;
    o.filter = filter;
    o.flags = flags;
    o.pid = pid;
    int64_t id = 0;
    int rc = pid ? apc_capture_start_process(ctx, &o, &id) : apc_capture_start_system(ctx, &o, &id);
    if (rc < 0) {
        fprintf(stderr, "starting a capture of %s: %s\n", adapter, apc_last_error_message());
        return -1;
    }
    return id;
}

/* Back to the namespace live_enter left. */
static inline void live_leave(int *root_fd)
{
    if (*root_fd >= 0) {
        setns(*root_fd, CLONE_NEWNET);
        close(*root_fd);
    }
    *root_fd = -1;
}

/* Makes network namespaces a and b joined by a veth pair (va in a with address ip_a/24, vb in
 * b with ip_b/24), every link up; 0, or -1 with a message. */
static inline int live_make_ns(const char *a, const char *b, const char *va, const char *vb,
                               const char *ip_a, const char *ip_b)
{
    if (sh("ip netns add %s && ip netns add %s && ip link add %s netns %s type veth peer name %s "
           "netns %s && ip -n %s addr add %s/24 dev %s && ip -n %s addr add %s/24 dev %s && "
           "ip -n %s link set %s up && ip -n %s link set lo up && ip -n %s link set %s up && "
           "ip -n %s link set lo up",
           a, b, va, a, vb, b, a, ip_a, va, b, ip_b, vb, a, va, a, b, vb, b) == 0)
        return 0;
    fprintf(stderr, "cannot make the test namespaces\n");
    return -1;
}

/* Runs the shell command `cmd` every 100 ms until it succeeds (servers starting); 0, or -1
 * with `what` printed when limit_s seconds pass. */
static inline int live_wait_sh(const char *cmd, double limit_s, const char *what)
{
    for (double end = mono_s() + limit_s; mono_s() < end; usleep(100000))
        if (sh("%s", cmd) == 0)
            return 0;
    fprintf(stderr, "%s did not start\n", what);
    return -1;
}

/* A live test group's teardown: the context closed, back to the initial namespace, the
 * test's namespaces and servers gone (cleanup), its directory tree removed. */
static inline void live_teardown(apc_ctx_t **ctx, int *root_fd, void (*cleanup)(void),
                                 const char *dir)
{
    apc_ctx_close(*ctx);
    *ctx = NULL;
    live_leave(root_fd);
    cleanup();
    rm_tree(dir);
}

/* The namespaces and veth names of the live tests are fixed: two checkouts running them at
 * once (two developers, or CI beside a developer) would tear down each other's. Waits our
 * turn; the lock is held until the process exits. */
static inline void live_lock(void)
{
    int lock = open("/run/apc-live-tests.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (lock >= 0 && flock(lock, LOCK_EX) != 0)
        perror("flock /run/apc-live-tests.lock");
}

static inline void live_probe_cb(const struct apc_pktev *ev, void *p)
{
    (void)ev, (void)p;
}

/* 1 when the eBPF attribution programs load and attach here; else 0 with why filled. */
static inline int ebpf_loads(char *why, size_t n)
{
    apc__ebpf_t *probe = NULL;
    if (apc__ebpf_open(live_probe_cb, NULL, &probe, why, n) < 0)
        return 0;
    apc__ebpf_close(probe);
    return 1;
}

#endif
