/* SPDX-License-Identifier: MIT */
/* Unit tests of module core: error codes and messages, time conversion, jobs, context. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include <apc/apc.h>

#include "core/ctx.h"
#include "core/error.h"
#include "core/fsutil.h"
#include "core/jobs.h"
#include "util/array.h"
#include "util/prefault.h"

static void test_error_names(void **state)
{
    (void)state;
    assert_string_equal(apc_err_name(APC_ENOTFOUND), "APC_ENOTFOUND");
    assert_string_equal(apc_strerror(APC_EFORMAT), "malformed input");
    assert_string_equal(apc_err_name(-ENOSPC), "APC_ENOSPC");
    assert_string_equal(apc_err_name(-ENOENT), "APC_ENOTFOUND");
    assert_string_equal(apc_err_name(-EMFILE), "EMFILE");
    assert_string_equal(apc_strerror(0), "success");
    assert_string_equal(apc_err_name(12345), "APC_EUNKNOWN");
}

/* Codes with an errno meaning are that -errno (Knot's way); ours are from -1000 down; the list
 * read through apc_error_at is the X-macro's, with no gaps or duplicates. */
static void test_error_values(void **state)
{
    (void)state;
    assert_int_equal(APC_EINVAL, -EINVAL);
    assert_int_equal(APC_ENOMEM, -ENOMEM);
    assert_int_equal(APC_ENOTFOUND, -ENOENT);
    assert_int_equal(APC_EEXISTS, -EEXIST);
    assert_int_equal(APC_EBUSY, -EBUSY);
    assert_int_equal(APC_ENOTSUP, -ENOTSUP);
    assert_int_equal(APC_EIO, -EIO);
    assert_int_equal(APC_ECANCELED, -ECANCELED);
    size_t n = 0;
    int code, seen_einval = 0;
    for (const char *name; (name = apc_error_at(n, &code)) != NULL; n++) {
        assert_string_equal(apc_err_name(code), name);
        assert_true(code < 0);
        for (size_t j = 0; j < n; j++) {
            int other;
            apc_error_at(j, &other);
            assert_int_not_equal(other, code);
        }
        seen_einval |= code == APC_EINVAL;
    }
    assert_true(n >= 20);
    assert_true(seen_einval);
}

/* Wrapping the message set by a failing call below: the old message is kept after the prefix
 * (formatting the thread-local buffer into itself was undefined behaviour). */
static void test_error_wrap(void **state)
{
    (void)state;
    apc__err(APC_EFORMAT, "segment 3 offset %d: block length 7 below minimum 12", 4096);
    int rc = apc__err_wrap(APC_EFORMAT, "capture %d packet %d", 12, 345);
    assert_int_equal(rc, APC_EFORMAT);
    assert_string_equal(apc_last_error_message(),
                        "capture 12 packet 345: segment 3 offset 4096: block length 7 below "
                        "minimum 12");
    apc__err_clear();
    apc__err_wrap(APC_EIO, "nothing below");
    assert_string_equal(apc_last_error_message(), "nothing below");
}

static void test_error_message(void **state)
{
    (void)state;
    int rc = apc__err(APC_EINVAL, "port %d out of range", 70000);
    assert_int_equal(rc, APC_EINVAL);
    assert_string_equal(apc_last_error_message(), "port 70000 out of range");
    rc = apc__err_errno(ENOENT, "cannot open '%s'", "x");
    assert_int_equal(rc, -ENOENT);
    assert_string_equal(apc_last_error_message(), "cannot open 'x': No such file or directory");
    apc__err_clear();
    assert_string_equal(apc_last_error_message(), "");
}

static void test_filetime(void **state)
{
    (void)state;
    /* 1970-01-01 is FILETIME 116444736000000000 */
    assert_int_equal(apc_time_to_filetime(0), 116444736000000000LL);
    assert_int_equal(apc_time_from_filetime(116444736000000000LL), 0);
    apc_time_t t = 1700000000123456700LL;
    assert_int_equal(apc_time_from_filetime(apc_time_to_filetime(t)), t);
}

static int counter;
static pthread_mutex_t counter_mu = PTHREAD_MUTEX_INITIALIZER;
static void count_job(void *arg, const volatile int *cancelled)
{
    (void)cancelled;
    pthread_mutex_lock(&counter_mu);
    counter += *(int *)arg;
    pthread_mutex_unlock(&counter_mu);
    free(arg);
}

static void test_jobs(void **state)
{
    (void)state;
    apc__jobs_t *j = apc__jobs_new(3);
    assert_non_null(j);
    counter = 0;
    for (int i = 1; i <= 100; i++) {
        int *a = malloc(sizeof *a);
        *a = i;
        assert_int_equal(apc__jobs_submit(j, count_job, a), 0);
    }
    apc__jobs_free(j); /* runs what was queued, then joins */
    assert_int_equal(counter, 5050);
}

static int own_ended;
static void own_job(void *arg, const volatile int *cancelled)
{
    (void)arg;
    struct timespec ms = {0, 1000000};
    while (!*cancelled)
        nanosleep(&ms, NULL);
    pthread_mutex_lock(&counter_mu);
    own_ended++;
    pthread_mutex_unlock(&counter_mu);
}

static int counted(void)
{
    pthread_mutex_lock(&counter_mu);
    int c = counter;
    pthread_mutex_unlock(&counter_mu);
    return c;
}

/* A job on a thread of its own (apc__jobs_submit_own: extraction following a live capture)
 * holds no worker: with the only worker free, a queued job runs while it lasts; cancel stops
 * it, and the pool's end cancels and waits for the ones still running. */
static void test_jobs_own(void **state)
{
    (void)state;
    apc__jobs_t *j = apc__jobs_new(1);
    assert_non_null(j);
    counter = own_ended = 0;
    uint64_t a_id = 0, b_id = 0;
    assert_int_equal(apc__jobs_submit_own(j, own_job, NULL, &a_id), 0);
    assert_int_equal(apc__jobs_submit_own(j, own_job, NULL, &b_id), 0);
    assert_true(a_id != 0 && b_id != a_id);
    int *one = malloc(sizeof *one);
    *one = 1;
    assert_int_equal(apc__jobs_submit(j, count_job, one), 0);
    struct timespec ms = {0, 1000000};
    for (int i = 0; i < 60000 && counted() != 1; i++) /* a generous limit, not a timing */
        nanosleep(&ms, NULL);
    assert_int_equal(counted(), 1);
    assert_int_equal(apc__jobs_cancel(j, a_id), 1);
    for (int i = 0; i < 60000 && apc__jobs_cancel(j, a_id) == 1; i++)
        nanosleep(&ms, NULL);
    assert_int_equal(apc__jobs_cancel(j, a_id), 0); /* it has ended */
    apc__jobs_free(j);                              /* cancels b and waits for it */
    assert_int_equal(own_ended, 2);
}

static void test_ctx_open_bad_dir(void **state)
{
    (void)state;
    apc_ctx_options_t o;
    assert_int_equal(apc_ctx_options_init(&o, 99), APC_EINVAL);
    assert_int_equal(apc_ctx_options_init(&o, APC_CTX_OPTIONS_VERSION), 0);
    o.data_dir = "/proc/version/sub"; /* a file, not a directory */
    apc_ctx_t *ctx = NULL;
    int rc = apc_ctx_open(&ctx, &o);
    assert_true(rc < 0);
    assert_null(ctx);
    assert_non_null(strstr(apc_last_error_message(), "/proc/version"));
}

static void test_ctx_open_close(void **state)
{
    (void)state;
    char dir[] = "/tmp/apc-core-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char sub[300];
    snprintf(sub, sizeof sub, "%s/a/b", dir);
    apc_ctx_options_t o;
    apc_ctx_options_init(&o, APC_CTX_OPTIONS_VERSION);
    o.data_dir = sub;
    apc_ctx_t *ctx = NULL;
    assert_int_equal(apc_ctx_open(&ctx, &o), 0);
    char real[PATH_MAX];
    assert_non_null(realpath(sub, real)); /* the context keeps the absolute, resolved path */
    assert_string_equal(apc_ctx_data_dir(ctx), real);
    apc_ctx_close(ctx);
    apc_ctx_close(NULL);
    assert_int_equal(apc__rm_rf(dir), 0);
}

static int calls;
static int done_on_third(void *payload)
{
    (void)payload;
    return ++calls >= 3;
}
static int never(void *payload)
{
    (void)payload;
    calls++;
    return 0;
}
static int fails(void *payload)
{
    (void)payload;
    return apc__err(APC_ENOTFOUND, "gone");
}

static void test_ctx_wait(void **state)
{
    (void)state;
    char dir[] = "/tmp/apc-core-XXXXXX";
    assert_non_null(mkdtemp(dir));
    apc_ctx_options_t o;
    apc_ctx_options_init(&o, APC_CTX_OPTIONS_VERSION);
    o.data_dir = dir;
    apc_ctx_t *ctx = NULL;
    assert_int_equal(apc_ctx_open(&ctx, &o), 0);
    /* Done after polls: 0. */
    calls = 0;
    assert_int_equal(apc__ctx_wait(ctx, 5000, 10, done_on_third, NULL), 0);
    assert_int_equal(calls, 3);
    /* Never done: 1 once the time has run out, after polling more than once. */
    calls = 0;
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    assert_int_equal(apc__ctx_wait(ctx, 120, 20, never, NULL), 1);
    clock_gettime(CLOCK_MONOTONIC, &b);
    long ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
    assert_true(ms >= 100);
    assert_true(calls >= 2);
    /* The check's error comes back as is. */
    assert_int_equal(apc__ctx_wait(ctx, -1, 10, fails, NULL), APC_ENOTFOUND);
    apc_ctx_close(ctx);
    assert_int_equal(apc__rm_rf(dir), 0);
}

static int never_counted(void *payload)
{
    (void)payload;
    __atomic_add_fetch(&calls, 1, __ATOMIC_RELAXED);
    return 0;
}

static void *wait_forever(void *arg)
{
    static int rc;
    rc = apc__ctx_wait(arg, -1, 200, never_counted, NULL);
    return &rc;
}

/* apc_ctx_interrupt ends a wait with no time limit (apcd's SIGTERM with wait=1 calls in
 * flight), and every later wait at once. Without it the join below never returns. */
static void test_ctx_interrupt(void **state)
{
    (void)state;
    char dir[] = "/tmp/apc-core-XXXXXX";
    assert_non_null(mkdtemp(dir));
    apc_ctx_options_t o;
    apc_ctx_options_init(&o, APC_CTX_OPTIONS_VERSION);
    o.data_dir = dir;
    apc_ctx_t *ctx = NULL;
    assert_int_equal(apc_ctx_open(&ctx, &o), 0);
    calls = 0;
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, wait_forever, ctx), 0);
    while (__atomic_load_n(&calls, __ATOMIC_RELAXED) < 2) /* the waiter is polling */
        sched_yield();
    apc_ctx_interrupt(ctx);
    void *res = NULL;
    assert_int_equal(pthread_join(t, &res), 0);
    assert_int_equal(*(int *)res, APC_ECANCELED);
    assert_int_equal(apc_capture_wait(ctx, 1, -1), APC_ECANCELED);
    assert_non_null(strstr(apc_last_error_message(), "interrupted"));
    assert_int_equal(apc_command_wait(ctx, "no-such-command", -1), APC_ECANCELED);
    apc_ctx_interrupt(NULL);
    apc_ctx_close(ctx);
    assert_int_equal(apc__rm_rf(dir), 0);
}

/* Growing arrays keep their contents across moves, the large ones (256 KiB and more, copied
 * into pages mapped first) as the small ones (realloc); sizes that overflow are refused. */
static void test_grow_and_mapped(void **st)
{
    (void)st;
    uint32_t *v = NULL;
    size_t cap = 0;
    for (uint32_t i = 0; i < 600000; i++) { /* 2.4 MB: several moves past the threshold */
        assert_int_equal(apc__grow((void **)&v, &cap, i + 1, sizeof *v), 0);
        v[i] = i * 2654435761u;
    }
    for (uint32_t i = 0; i < 600000; i++)
        assert_int_equal(v[i], i * 2654435761u);
    assert_int_equal(apc__grow((void **)&v, &cap, SIZE_MAX / 2, 8), -ENOMEM);
    assert_true(cap >= 600000); /* unchanged by the refusal */
    free(v);
    for (size_t n = 1000; n <= 1000000; n *= 1000) { /* below and above the threshold */
        uint8_t *z = apc__calloc_mapped(n, 4);
        assert_non_null(z);
        for (size_t i = 0; i < n * 4; i++)
            assert_int_equal(z[i], 0);
        free(z);
    }
    assert_null(apc__calloc_mapped(SIZE_MAX / 2, 4));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_error_names),    cmocka_unit_test(test_error_message),
        cmocka_unit_test(test_error_values),   cmocka_unit_test(test_error_wrap),
        cmocka_unit_test(test_filetime),       cmocka_unit_test(test_jobs),
        cmocka_unit_test(test_jobs_own),       cmocka_unit_test(test_ctx_open_bad_dir),
        cmocka_unit_test(test_ctx_open_close), cmocka_unit_test(test_ctx_wait),
        cmocka_unit_test(test_ctx_interrupt),  cmocka_unit_test(test_grow_and_mapped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
