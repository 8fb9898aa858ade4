/* SPDX-License-Identifier: MIT */
/* eBPF attribution helpers: packet identity keys (a decoded packet and the hook's header fields
 * give the same key), the match table's bounds and time limit, the cookie cache, and the
 * cgroup2 mount point parser. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <apc/common.h>

#include "attrib/ebpf.h"
#include "attrib/pktmatch.h"
#include "decode/decode.h"

/* Ethernet + IPv4 (id 0x1234, total length 52) + TCP 10.0.0.1:40000 -> 10.0.0.2:80, seq 1000,
 * ack 2000, flags PSH|ACK, 12 bytes payload. */
static const uint8_t tcp4[] = {
    0,    1,    2,    3,    4,   5,   6,    7,    8,   9,   10,   11,   0x08, 0x00, 0x45, 0, 0,
    52,   0x12, 0x34, 0x40, 0,   64,  6,    0,    0,   10,  0,    0,    1,    10,   0,    0, 2,
    0x9c, 0x40, 0,    80,   0,   0,   0x03, 0xe8, 0,   0,   0x07, 0xd0, 0x50, 0x18, 0x01, 0, 0,
    0,    0,    0,    'h',  'e', 'l', 'l',  'o',  ' ', 'w', 'o',  'r',  'l',  'd',  '!'};

static void test_key_same_both_sides(void **st)
{
    (void)st;
    apc__pkt_t d;
    apc__decode(&d, tcp4, sizeof tcp4, sizeof tcp4, APC_LINKTYPE_ETHERNET);
    const uint8_t s[16] = {10, 0, 0, 1}, t[16] = {10, 0, 0, 2};
    uint64_t k = apc__pm_key(4, 6, s, t, 40000, 80, 0x1234, 52, 1000, 2000, 0x18);
    assert_int_equal(apc__pm_key_pkt(&d), k);
    /* every identifying field matters */
    assert_int_not_equal(apc__pm_key(4, 6, s, t, 40000, 80, 0x1235, 52, 1000, 2000, 0x18), k);
    assert_int_not_equal(apc__pm_key(4, 6, s, t, 40000, 80, 0x1234, 52, 1001, 2000, 0x18), k);
    assert_int_not_equal(apc__pm_key(4, 6, t, s, 80, 40000, 0x1234, 52, 1000, 2000, 0x18), k);
    assert_int_not_equal(apc__pm_key(4, 17, s, t, 40000, 80, 0x1234, 52, 0, 0, 0), k);
    /* not TCP/UDP over IP: no key */
    apc__pkt_t arp;
    memset(&arp, 0, sizeof arp);
    assert_int_equal(apc__pm_key_pkt(&arp), 0);
}

static void test_match_table(void **st)
{
    (void)st;
    apc__pmtab_t *t = apc__pm_new(1); /* one set of APC_PM_WAYS ways */
    assert_non_null(t);
    apc__pmev_t e = {.key = 42, .cookie = 7, .t_ns = 1000, .owner_pid = 100, .dir = 2};
    apc__pm_add(t, &e);
    e.cookie = 8;
    e.t_ns = 900; /* the other end's copy, hooked earlier */
    e.dir = 1;
    apc__pm_add(t, &e);
    apc__pmev_t out[APC_PM_WAYS];
    assert_int_equal(apc__pm_find(t, 42, 2000, out, APC_PM_WAYS), 2);
    assert_int_equal(out[0].cookie, 8); /* oldest first */
    assert_int_equal(out[1].cookie, 7);
    assert_int_equal(apc__pm_find(t, 43, 2000, out, APC_PM_WAYS), 0);
    /* time limit */
    assert_int_equal(apc__pm_find(t, 42, 900 + APC_PM_TTL_NS, out, APC_PM_WAYS), 1);
    /* bounded: more keys than ways push the oldest out, and count it */
    for (uint64_t k = 100; k < 100 + APC_PM_WAYS; k++) {
        apc__pmev_t x = {.key = k, .t_ns = 2000 + (int64_t)k};
        apc__pm_add(t, &x);
    }
    assert_int_equal(apc__pm_find(t, 42, 3000, out, APC_PM_WAYS), 0);
    assert_int_equal(apc__pm_replaced(t), 2);
    assert_int_equal(apc__pm_find(t, 100, 3000, out, APC_PM_WAYS), 1);
    apc__pm_free(t);
}

static void test_cookie_cache(void **st)
{
    (void)st;
    apc__cookiecache_t *c = apc__cc_new(1);
    uint32_t pid = 0, tid = 0;
    assert_false(apc__cc_get(c, 5, &pid, &tid));
    apc__cc_put(c, 5, 1234, 1235);
    assert_true(apc__cc_get(c, 5, &pid, &tid));
    assert_int_equal(pid, 1234);
    assert_int_equal(tid, 1235);
    apc__cc_put(c, 6, 99, 0); /* one slot: replaces */
    assert_false(apc__cc_get(c, 5, &pid, &tid));
    assert_false(apc__cc_get(c, 0, &pid, &tid));
    apc__cc_free(c);
}

static void test_cgroup2_root(void **st)
{
    (void)st;
    char b[256];
    assert_int_equal(apc__cgroup2_root_parse("sysfs /sys sysfs rw 0 0\n"
                                             "cgroup /sys/fs/cgroup/memory cgroup rw,memory 0 0\n"
                                             "cgroup2 /sys/fs/cgroup/unified cgroup2 rw 0 0\n",
                                             b, sizeof b),
                     0);
    assert_string_equal(b, "/sys/fs/cgroup/unified");
    assert_int_equal(apc__cgroup2_root_parse("none /my\\040cg cgroup2 rw 0 0", b, sizeof b), 0);
    assert_string_equal(b, "/my cg");
    assert_int_equal(apc__cgroup2_root_parse("sysfs /sys sysfs rw 0 0\n", b, sizeof b),
                     APC_ENOTFOUND);
    assert_string_equal(apc_last_error_message(), "no cgroup2 file system in /proc/mounts");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_same_both_sides),
        cmocka_unit_test(test_match_table),
        cmocka_unit_test(test_cookie_cache),
        cmocka_unit_test(test_cgroup2_root),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
