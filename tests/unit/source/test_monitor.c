/* SPDX-License-Identifier: MIT */
/*
 * Monitor mode through nl80211 (source/monitor.c). No wireless adapter exists on the test
 * machines (and their kernel may have no cfg80211), so what is checked is what a user without
 * one meets: an unknown interface is "no such interface"; asking for a non-wireless interface
 * gets the kernel's refusal or "no nl80211", naming it; and the interface comes back as it was
 * (the switch takes it down first). The last runs in a network namespace of its own, so the
 * loopback interface it takes down is not the one other tests use.
 */
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include <apc/common.h>

#include "source/monitor.h"

static void test_unknown_interface(void **state)
{
    (void)state;
    assert_int_equal(apc__monitor_switch("apc-no-such0", 1), APC_ENOTFOUND);
    assert_string_equal(apc_last_error_message(),
                        "monitor mode on 'apc-no-such0': no such interface");
}

static short lo_flags(int sock)
{
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    strcpy(ifr.ifr_name, "lo");
    return ioctl(sock, SIOCGIFFLAGS, &ifr) < 0 ? -1 : ifr.ifr_flags;
}

/* In a child in a new network namespace: lo up, the switch refused, lo up again. Exit code 0
 * when all held; the reasons on stderr. */
static int child(void)
{
    int sock = socket(AF_INET, SOCK_DGRAM, 0);
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    strcpy(ifr.ifr_name, "lo");
    ifr.ifr_flags = IFF_UP;
    if (sock < 0 || ioctl(sock, SIOCSIFFLAGS, &ifr) < 0) {
        fprintf(stderr, "cannot bring lo up in the namespace: %s\n", strerror(errno));
        return 2;
    }
    int rc = apc__monitor_switch("lo", 1);
    const char *msg = apc_last_error_message();
    fprintf(stderr, "monitor mode on lo: %d, %s\n", rc, msg);
    if (rc >= 0 || !strstr(msg, "'lo'"))
        return 3;
    /* Either the kernel has no nl80211 (nothing was touched), or it refused the change. */
    if (!strstr(msg, "no nl80211") && !strstr(msg, "the kernel refused"))
        return 4;
    if (!(lo_flags(sock) & IFF_UP)) {
        fprintf(stderr, "lo was left down\n");
        return 5;
    }
    close(sock);
    return 0;
}

static void test_not_wireless_left_as_it_was(void **state)
{
    (void)state;
    if (geteuid() != 0) {
        fprintf(stderr, "SKIP: a network namespace of its own needs root\n");
        skip();
    }
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (unshare(CLONE_NEWNET) != 0) {
            fprintf(stderr, "unshare(CLONE_NEWNET): %s\n", strerror(errno));
            _exit(77);
        }
        _exit(child());
    }
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    if (WEXITSTATUS(st) == 77) {
        fprintf(stderr, "SKIP: no network namespace here\n");
        skip();
    }
    assert_int_equal(WEXITSTATUS(st), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unknown_interface),
        cmocka_unit_test(test_not_wireless_left_as_it_was),
    };
    return cmocka_run_group_tests_name("monitor", tests, NULL, NULL);
}
