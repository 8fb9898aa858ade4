/* SPDX-License-Identifier: MIT */
/*
 * CAPTURE_FLAG_RESOLVE_IPS on a real capture (as root): a system capture of the loopback
 * interface of a network namespace made for the test, while python3 sends UDP datagrams to
 * 127.0.0.1. With the flag, ip_query shows HostName "localhost" for 127.0.0.1 within a few
 * seconds: the name getnameinfo finds in /etc/hosts (no DNS answer is in the traffic, so the
 * resolver is the only source). Without the flag, no name appears. The test without the flag
 * runs first: names are kept per address, so after the other test 127.0.0.1 has one.
 */
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ftw.h>
#include <time.h>
#include <unistd.h>
#include <cJSON.h>
#include <cmocka.h>

#include "live_util.h"

#include <apc/apc.h>

static apc_ctx_t *ctx;
static char data_dir[] = "/tmp/apc-resolve-test-XXXXXX";

static int64_t mono_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* ip_query through the action table; the IP object, or NULL when the address is not known. */
static cJSON *ip_query(int64_t capture_id, const char *ip)
{
    apc_params_t *p = NULL;
    char id[32];
    snprintf(id, sizeof id, "%lld", (long long)capture_id);
    assert_int_equal(apc_params_new(&p), 0);
    assert_int_equal(apc_params_add(p, "capture_id", id), 0);
    assert_int_equal(apc_params_add(p, "ip", ip), 0);
    char *json = NULL;
    int code = apc_op_call(ctx, NULL, "ip_query", p, &json);
    apc_params_free(p);
    assert_non_null(json);
    cJSON *r = cJSON_Parse(json);
    apc_free(json);
    assert_non_null(r);
    cJSON *o = NULL;
    if (code == 0)
        o = cJSON_DetachItemFromObject(r, "ReturnValue");
    cJSON_Delete(r);
    return o;
}

static const char *str_field(const cJSON *o, const char *name)
{
    const cJSON *f = cJSON_GetObjectItem(o, name);
    assert_true(cJSON_IsString(f));
    return f->valuestring;
}

static double num_field(const cJSON *o, const char *name)
{
    const cJSON *f = cJSON_GetObjectItem(o, name);
    assert_non_null(f);
    return cJSON_IsNumber(f) ? f->valuedouble : atof(f->valuestring);
}

/* UDP datagrams to 127.0.0.1:9 (nothing listens: the kernel answers with ICMP, also on lo),
 * one every 30 ms for `ms`. Runs in the background. */
static void send_udp(int ms)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd,
             "python3 -c \"import socket,time\n"
             "s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
             "end=time.time()+%g\n"
             "while time.time()<end:\n"
             "  s.sendto(b'resolve-test',('127.0.0.1',9)); time.sleep(0.03)\n\" &",
             ms / 1000.0);
    assert_int_equal(system(cmd), 0);
}

static int64_t start_lo(uint32_t flags)
{
    apc_live_options_t o;
    apc_live_options_init(&o, APC_LIVE_OPTIONS_VERSION);
    const char *lo[] = {"lo"};
    o.adapters = lo;
    o.n_adapters = 1;
    o.flags = flags | APC_CAPTURE_FLAG_NO_EBPF; /* attribution is not what this tests */
    int64_t id = 0;
    int rc = apc_capture_start_system(ctx, &o, &id);
    if (rc < 0)
        fprintf(stderr, "capture_start_system: %s\n", apc_last_error_message());
    assert_int_equal(rc, 0);
    return id;
}

static void test_without_flag_no_lookup(void **st)
{
    (void)st;
    int64_t id = start_lo(0);
    send_udp(1500);
    /* Waits for the capture to have seen the address (a commit: slow on a busy machine)... */
    cJSON *o = NULL;
    for (int64_t t0 = mono_ms(); mono_ms() - t0 < 60000; usleep(50000)) {
        if ((o = ip_query(id, "127.0.0.1")) && num_field(o, "Packets") > 0)
            break;
        cJSON_Delete(o);
        o = NULL;
    }
    assert_non_null(o);
    cJSON_Delete(o);
    /* ...then as long again as a lookup takes on a quiet machine: nobody looked it up. */
    usleep(2000000);
    o = ip_query(id, "127.0.0.1");
    assert_non_null(o);
    assert_string_equal(str_field(o, "HostName"), "");
    cJSON_Delete(o);
    assert_int_equal(apc_capture_stop(ctx, id, 0), 0);
    o = ip_query(0, "127.0.0.1");
    assert_non_null(o);
    assert_string_equal(str_field(o, "HostName"), "");
    cJSON_Delete(o);
}

static void test_with_flag_reverse_lookup(void **st)
{
    (void)st;
    int64_t id = start_lo(APC_CAPTURE_FLAG_RESOLVE_IPS);
    int64_t t0 = mono_ms();
    send_udp(1500);
    char name[256] = "";
    int64_t took = -1;
    while (mono_ms() - t0 < 60000) { /* a limit for a hang: a busy machine is slow */
        cJSON *o = ip_query(id, "127.0.0.1");
        if (o) {
            snprintf(name, sizeof name, "%s", str_field(o, "HostName"));
            cJSON_Delete(o);
        }
        if (*name) {
            took = mono_ms() - t0;
            break;
        }
        usleep(50000);
    }
    printf("127.0.0.1 named '%s' after %lld ms\n", name, (long long)took);
    assert_string_equal(name, "localhost");
    assert_int_equal(apc_capture_stop(ctx, id, 0), 0);
    /* Kept in the capture's row and in the global one. */
    cJSON *o = ip_query(id, "127.0.0.1");
    assert_non_null(o);
    assert_string_equal(str_field(o, "HostName"), "localhost");
    assert_true(num_field(o, "Packets") > 0);
    cJSON_Delete(o);
    o = ip_query(0, "127.0.0.1");
    assert_non_null(o);
    assert_string_equal(str_field(o, "HostName"), "localhost");
    cJSON_Delete(o);
}

static int setup(void **st)
{
    (void)st;
    apc_ctx_options_t co;
    apc_ctx_options_init(&co, APC_CTX_OPTIONS_VERSION);
    co.data_dir = data_dir;
    if (!mkdtemp(data_dir) || apc_ctx_open(&ctx, &co) < 0)
        return -1;
    /* The process table listens to the proc connector from the initial namespace. */
    apc_process_page_t *pg = NULL;
    if (apc_process_list_running(ctx, &pg) < 0)
        return -1;
    apc_process_page_free(pg);
    /* Our own loopback: only the test's packets on it. */
    if (unshare(CLONE_NEWNET) != 0 || system("ip link set lo up") != 0) {
        fprintf(stderr, "cannot make a network namespace\n");
        return -1;
    }
    return 0;
}

static int teardown(void **st)
{
    (void)st;
    apc_ctx_close(ctx);
    rm_tree(data_dir);
    return 0;
}

int main(void)
{
    if (geteuid() != 0) {
        printf("SKIP: the resolve test needs root (network namespace, packet capture)\n");
        return 77;
    }
    if (system("command -v python3 >/dev/null && command -v ip >/dev/null") != 0) {
        printf("SKIP: needs python3 and ip\n");
        return 77;
    }
    if (system("grep -qE '^127\\.0\\.0\\.1[[:space:]]+localhost([[:space:]]|$)' /etc/hosts") != 0) {
        printf("SKIP: /etc/hosts does not name 127.0.0.1 localhost first\n");
        return 77;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_without_flag_no_lookup),
        cmocka_unit_test(test_with_flag_reverse_lookup),
    };
    return cmocka_run_group_tests_name("resolve", tests, setup, teardown);
}
