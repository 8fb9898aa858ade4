/* SPDX-License-Identifier: MIT */
/* Helpers shared by the trigger live tests (test_trigger_first.c, test_trigger_limits.c):
 * polls on conditions with a generous limit (a hang fails the test, a slow machine does not). */
#ifndef APC_TESTS_LIVE_TRIGGER_UTIL_H
#define APC_TESTS_LIVE_TRIGGER_UTIL_H

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <apc/apc.h>

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

/* Starts prog with argv, its output to /dev/null. */
static inline pid_t trig_run(const char *prog, char *const argv[])
{
    pid_t p = fork();
    if (p == 0) {
        int null = open("/dev/null", O_WRONLY);
        if (null >= 0) {
            dup2(null, 1);
            dup2(null, 2);
        }
        execv(prog, argv);
        _exit(127);
    }
    return p;
}

#endif
