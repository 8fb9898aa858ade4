/* SPDX-License-Identifier: MIT */
/* Unit tests of module core: error codes and messages, time conversion, jobs, context. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <apc/apc.h>

#include "core/error.h"
#include "core/fsutil.h"
#include "core/jobs.h"

static void test_error_names(void **state)
{
    (void)state;
    assert_string_equal(apc_err_name(APC_ENOTFOUND), "APC_ENOTFOUND");
    assert_string_equal(apc_strerror(APC_EFORMAT), "malformed input");
    assert_string_equal(apc_err_name(-ENOSPC), "ENOSPC");
    assert_string_equal(apc_strerror(0), "success");
    assert_string_equal(apc_err_name(12345), "APC_EUNKNOWN");
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
    assert_string_equal(apc_ctx_data_dir(ctx), sub);
    apc_ctx_close(ctx);
    apc_ctx_close(NULL);
    assert_int_equal(apc__rm_rf(dir), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_error_names),      cmocka_unit_test(test_error_message),
        cmocka_unit_test(test_filetime),         cmocka_unit_test(test_jobs),
        cmocka_unit_test(test_ctx_open_bad_dir), cmocka_unit_test(test_ctx_open_close),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
