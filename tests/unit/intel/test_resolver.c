/* SPDX-License-Identifier: MIT */
/*
 * The reverse-lookup resolver (intel/resolver.h): queue bound and drops, one lookup per
 * address (negative answers cached), addresses with a name skipped, the per-second bound, and
 * stopping while a lookup hangs. The lookup function is substituted (the resolver's documented
 * test hook) only to count calls and to make a lookup slow; one test runs the production
 * getnameinfo path on 127.0.0.1 and compares with getnameinfo itself.
 */
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <apc/common.h>

#include "core/error.h"
#include "intel/resolver.h"

#define MAX_CALLS 256

typedef struct fake {
    pthread_mutex_t m;
    pthread_cond_t c;
    int block;   /* lookups wait while set */
    int started; /* lookups entered */
    int calls;   /* lookups returned */
    int64_t at[MAX_CALLS];
    /* names reported through on_name */
    int named;
    char names[MAX_CALLS][64];
    uint8_t known_addr[4]; /* known() says 1 for this IPv4 address */
} fake_t;

static int64_t mono_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* Names "v4-<last byte>" for 10.0.0.x with an even x, none for odd x; v6 "v6-<last byte>". */
static int fake_lookup(int ver, const uint8_t *addr, char *name, size_t n, void *arg)
{
    fake_t *f = arg;
    pthread_mutex_lock(&f->m);
    f->started++;
    pthread_cond_broadcast(&f->c);
    while (f->block)
        pthread_cond_wait(&f->c, &f->m);
    if (f->calls < MAX_CALLS)
        f->at[f->calls] = mono_ns();
    f->calls++;
    pthread_mutex_unlock(&f->m);
    uint8_t last = ver == 4 ? addr[3] : addr[15];
    if (ver == 4 && last % 2)
        return 0;
    snprintf(name, n, "v%d-%u", ver, last);
    return 1;
}

static int fake_known(int ver, const uint8_t *addr, void *arg)
{
    fake_t *f = arg;
    return ver == 4 && memcmp(addr, f->known_addr, 4) == 0;
}

static void fake_named(int ver, const uint8_t *addr, const char *name, void *arg)
{
    (void)ver, (void)addr;
    fake_t *f = arg;
    pthread_mutex_lock(&f->m);
    if (f->named < MAX_CALLS)
        snprintf(f->names[f->named], sizeof f->names[0], "%s", name);
    f->named++;
    pthread_mutex_unlock(&f->m);
}

static fake_t *fake_new(void)
{
    fake_t *f = calloc(1, sizeof *f);
    assert_non_null(f);
    pthread_mutex_init(&f->m, NULL);
    pthread_cond_init(&f->c, NULL);
    return f;
}

static void fake_free(fake_t *f)
{
    pthread_mutex_destroy(&f->m);
    pthread_cond_destroy(&f->c);
    free(f);
}

static void set_block(fake_t *f, int b)
{
    pthread_mutex_lock(&f->m);
    f->block = b;
    pthread_cond_broadcast(&f->c);
    pthread_mutex_unlock(&f->m);
}

/* Waits (at most 5 s) until `*field` reaches `want`. */
static int wait_for(fake_t *f, const int *field, int want)
{
    int64_t end = mono_ns() + 5000000000LL;
    for (;;) {
        pthread_mutex_lock(&f->m);
        int v = *field;
        pthread_mutex_unlock(&f->m);
        if (v >= want)
            return v;
        if (mono_ns() > end)
            return v;
        usleep(1000);
    }
}

static void wait_idle(apc__resolver_t *r, uint64_t done)
{
    int64_t end = mono_ns() + 10000000000LL;
    apc__resolver_stats_t st;
    do {
        usleep(1000);
        apc__resolver_get_stats(r, &st);
    } while (st.answered < done && mono_ns() < end);
}

static apc__resolver_t *start(fake_t *f, size_t pending, unsigned per_second)
{
    apc__resolver_cfg_t cfg = {
        .max_pending = pending,
        .per_second = per_second,
        .stop_wait_ms = 50,
        .lookup = fake_lookup,
        .lookup_arg = f,
        .known = fake_known,
        .on_name = fake_named,
        .arg = f,
    };
    apc__resolver_t *r = NULL;
    assert_int_equal(apc__resolver_start(&cfg, &r), 0);
    assert_non_null(r);
    return r;
}

static void v4(uint8_t *a, uint8_t last)
{
    a[0] = 10, a[1] = 0, a[2] = 0, a[3] = last;
}

static void test_queue_bound(void **st)
{
    (void)st;
    fake_t *f = fake_new();
    set_block(f, 1);
    apc__resolver_t *r = start(f, 4, 1000);
    uint8_t a[4];
    v4(a, 2);
    assert_int_equal(apc__resolver_submit(r, 4, a), 1);
    /* The thread takes it off the queue and hangs in the lookup: the queue is empty again. */
    assert_int_equal(wait_for(f, &f->started, 1), 1);
    for (uint8_t i = 3; i < 7; i++) {
        v4(a, i);
        assert_int_equal(apc__resolver_submit(r, 4, a), 1);
    }
    v4(a, 7);
    assert_int_equal(apc__resolver_submit(r, 4, a), APC_ELIMIT);
    assert_non_null(strstr(apc_last_error_message(), "resolver queue full (4 addresses"));
    apc__resolver_stats_t s;
    apc__resolver_get_stats(r, &s);
    assert_int_equal(s.submitted, 5);
    assert_int_equal(s.dropped, 1);
    assert_int_equal(s.pending, 4);
    assert_int_equal(s.lookups, 1);
    /* A dropped address was not remembered: it can be queued once there is room. */
    set_block(f, 0);
    wait_idle(r, 5);
    assert_int_equal(apc__resolver_submit(r, 4, a), 1);
    wait_idle(r, 6);
    apc__resolver_get_stats(r, &s);
    assert_int_equal(s.lookups, 6);
    assert_int_equal(s.names, 3); /* .2 .4 .6 have names; .3 .5 .7 none */
    apc__resolver_stop(r);
    assert_int_equal(f->calls, 6);
    assert_int_equal(f->named, 3);
    assert_string_equal(f->names[0], "v4-2");
    assert_int_equal(apc__resolver_threads(), 0);
    fake_free(f);
}

static void test_once_per_address(void **st)
{
    (void)st;
    fake_t *f = fake_new();
    apc__resolver_t *r = start(f, 64, 1000);
    uint8_t a[16] = {0}, b[16] = {0};
    v4(a, 8); /* has a name */
    v4(b, 9); /* has none: the negative answer is remembered too */
    uint8_t six[16] = {0x20, 0x01, 0x0d, 0xb8};
    six[15] = 8;
    uint8_t same_prefix[16] = {10, 0, 0, 8}; /* the v4 address's bytes, as an IPv6 address */
    assert_int_equal(apc__resolver_submit(r, 4, a), 1);
    assert_int_equal(apc__resolver_submit(r, 4, a), 0); /* still queued or being looked up */
    assert_int_equal(apc__resolver_submit(r, 4, b), 1);
    assert_int_equal(apc__resolver_submit(r, 6, six), 1);
    assert_int_equal(apc__resolver_submit(r, 6, same_prefix), 1);
    wait_idle(r, 4);
    /* Answered, with a name or without: never again. */
    for (int i = 0; i < 3; i++) {
        assert_int_equal(apc__resolver_submit(r, 4, a), 0);
        assert_int_equal(apc__resolver_submit(r, 4, b), 0);
        assert_int_equal(apc__resolver_submit(r, 6, six), 0);
    }
    usleep(20000);
    apc__resolver_stats_t s;
    apc__resolver_get_stats(r, &s);
    assert_int_equal(s.submitted, 4);
    assert_int_equal(s.repeated, 10);
    assert_int_equal(s.lookups, 4);
    assert_int_equal(s.names, 3);
    apc__resolver_stop(r);
    assert_int_equal(f->calls, 4);
    assert_int_equal(f->named, 3);
    fake_free(f);
}

static void test_bad_version(void **st)
{
    (void)st;
    fake_t *f = fake_new();
    apc__resolver_t *r = start(f, 4, 10);
    uint8_t a[16] = {0};
    assert_int_equal(apc__resolver_submit(r, 5, a), APC_EINVAL);
    assert_string_equal(apc_last_error_message(), "IP version 5 is not 4 or 6");
    apc__resolver_stop(r);
    assert_int_equal(f->calls, 0);
    fake_free(f);
}

static void test_known_not_looked_up(void **st)
{
    (void)st;
    fake_t *f = fake_new();
    v4(f->known_addr, 20);
    apc__resolver_t *r = start(f, 16, 1000);
    uint8_t a[4];
    v4(a, 20);
    assert_int_equal(apc__resolver_submit(r, 4, a), 1);
    v4(a, 22);
    assert_int_equal(apc__resolver_submit(r, 4, a), 1);
    wait_idle(r, 2);
    apc__resolver_stats_t s;
    apc__resolver_get_stats(r, &s);
    assert_int_equal(s.known, 1);
    assert_int_equal(s.lookups, 1);
    apc__resolver_stop(r);
    assert_int_equal(f->calls, 1);
    assert_int_equal(f->named, 1);
    assert_string_equal(f->names[0], "v4-22");
    fake_free(f);
}

static void test_rate_bound(void **st)
{
    (void)st;
    fake_t *f = fake_new();
    const unsigned per_second = 10;
    const int n = 25;
    apc__resolver_t *r = start(f, 64, per_second);
    int64_t t0 = mono_ns();
    uint8_t a[4];
    for (int i = 0; i < n; i++) {
        v4(a, (uint8_t)(100 + i));
        assert_int_equal(apc__resolver_submit(r, 4, a), 1);
    }
    usleep(500000);
    pthread_mutex_lock(&f->m);
    int early = f->calls;
    pthread_mutex_unlock(&f->m);
    /* The first second allows `per_second` and not one more. */
    if (mono_ns() - t0 < 1000000000LL)
        assert_int_equal(early, (int)per_second);
    wait_idle(r, (uint64_t)n);
    int64_t took = mono_ns() - t0;
    apc__resolver_stop(r);
    assert_int_equal(f->calls, n);
    /* In no window of one second more than per_second lookups: the (k+per_second)-th starts a
     * second or more after the k-th. */
    for (int k = 0; k + (int)per_second < n; k++)
        assert_true(f->at[k + per_second] - f->at[k] >= 1000000000LL);
    assert_true(took >= 2000000000LL); /* 25 lookups at 10/s: 3 windows */
    fake_free(f);
}

static void test_stop_during_stuck_lookup(void **st)
{
    (void)st;
    fake_t *f = fake_new();
    set_block(f, 1);
    apc__resolver_t *r = start(f, 16, 1000);
    uint8_t a[4];
    v4(a, 40);
    assert_int_equal(apc__resolver_submit(r, 4, a), 1);
    v4(a, 42);
    assert_int_equal(apc__resolver_submit(r, 4, a), 1);
    assert_int_equal(wait_for(f, &f->started, 1), 1);
    assert_int_equal(apc__resolver_threads(), 1);
    int64_t t0 = mono_ns();
    apc__resolver_stop(r); /* waits 50 ms, then leaves the lookup to its thread */
    int64_t took = mono_ns() - t0;
    assert_true(took >= 40000000LL);
    assert_true(took < 1000000000LL);
    assert_int_equal(apc__resolver_threads(), 1); /* detached, still in the lookup */
    /* The lookup returns after the stop: its name is not handed back, the queued address is
     * not looked up, and the thread frees the resolver and ends. */
    set_block(f, 0);
    int64_t end = mono_ns() + 5000000000LL;
    while (apc__resolver_threads() > 0 && mono_ns() < end)
        usleep(1000);
    assert_int_equal(apc__resolver_threads(), 0);
    assert_int_equal(f->calls, 1);
    assert_int_equal(f->named, 0);
    fake_free(f);
}

static void test_stop_idle_joins(void **st)
{
    (void)st;
    fake_t *f = fake_new();
    apc__resolver_t *r = start(f, 16, 10);
    assert_int_equal(apc__resolver_threads(), 1);
    int64_t t0 = mono_ns();
    apc__resolver_stop(r);
    assert_true(mono_ns() - t0 < 50000000LL);
    assert_int_equal(apc__resolver_threads(), 0); /* joined, not detached */
    apc__resolver_stop(NULL);
    fake_free(f);
}

/* The production path: getnameinfo(NI_NAMEREQD) on the resolver thread. 127.0.0.1 is in
 * /etc/hosts here (checked first, so that no DNS query leaves the machine). */
typedef struct got {
    pthread_mutex_t m;
    char name[NI_MAXHOST];
} got_t;

static void got_name(int ver, const uint8_t *addr, const char *name, void *arg)
{
    (void)ver, (void)addr;
    got_t *g = arg;
    pthread_mutex_lock(&g->m);
    snprintf(g->name, sizeof g->name, "%s", name);
    pthread_mutex_unlock(&g->m);
}

static void test_getnameinfo_path(void **st)
{
    (void)st;
    if (system("grep -qE '^127\\.0\\.0\\.1[[:space:]]' /etc/hosts") != 0)
        skip();
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001)};
    char want[NI_MAXHOST];
    assert_int_equal(
        getnameinfo((struct sockaddr *)&sin, sizeof sin, want, sizeof want, NULL, 0, NI_NAMEREQD),
        0);
    got_t g = {.m = PTHREAD_MUTEX_INITIALIZER};
    apc__resolver_cfg_t cfg = {.on_name = got_name, .arg = &g};
    apc__resolver_t *r = NULL;
    assert_int_equal(apc__resolver_start(&cfg, &r), 0);
    const uint8_t lo[4] = {127, 0, 0, 1};
    assert_int_equal(apc__resolver_submit(r, 4, lo), 1);
    wait_idle(r, 1);
    apc__resolver_stats_t s;
    apc__resolver_get_stats(r, &s);
    apc__resolver_stop(r);
    assert_int_equal(s.lookups, 1);
    assert_int_equal(s.names, 1);
    assert_string_equal(g.name, want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_queue_bound),     cmocka_unit_test(test_once_per_address),
        cmocka_unit_test(test_bad_version),     cmocka_unit_test(test_known_not_looked_up),
        cmocka_unit_test(test_rate_bound),      cmocka_unit_test(test_stop_during_stuck_lookup),
        cmocka_unit_test(test_stop_idle_joins), cmocka_unit_test(test_getnameinfo_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
