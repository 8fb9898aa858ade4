/* SPDX-License-Identifier: MIT */
/* Unit tests of module attrib: the ptcpdump packet-comment parser (filemeta). The comments
 * are copied from the corpus (the ptcpdump folder's pcapng files), joined with "\n" as our reader
 * gives them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "attrib/filemeta.h"

static void assert_slice(apc__slice_t s, const char *want)
{
    size_t n = strlen(want);
    if (s.len != n || (n && memcmp(s.p, want, n) != 0))
        fail_msg("slice \"%.*s\" != \"%s\"", (int)s.len, s.p ? s.p : "", want);
}

static int parse(apc__procmeta_t *m, const char *s)
{
    return apc__filemeta_parse(m, s, strlen(s));
}

/* ptcpdump/curl-thread.pcapng, frame 1: three comments. */
static void test_curl_thread(void **state)
{
    (void)state;
    const char *c = "PID: 122868\nCmd: /usr/bin/curl\nArgs: curl kernel.com\n"
                    "ThreadId: 122868\nThreadName: curl\n"
                    "ParentPID: 53229\nParentCmd: /usr/bin/bash\nParentArgs: -bash";
    apc__procmeta_t m;
    assert_int_equal(parse(&m, c), 1);
    assert_int_equal(m.pid, 122868);
    assert_int_equal(m.tid, 122868);
    assert_int_equal(m.ppid, 53229);
    assert_slice(m.cmd, "/usr/bin/curl");
    assert_slice(m.args, "curl kernel.com");
    assert_slice(m.thread_name, "curl");
    assert_slice(m.parent_cmd, "/usr/bin/bash");
    assert_slice(m.parent_args, "-bash");
    assert_slice(m.user, "");
    assert_slice(m.container, "");
    assert_int_equal(m.uid, -1);
    assert_int_equal(m.cmd_truncated, 0);
    /* Slices point into the comment. */
    assert_true(m.cmd.p > c && m.cmd.p < c + strlen(c));
    assert_slice(apc__filemeta_basename(m.cmd), "curl");
}

/* ptcpdump/tcp.pcapng: Args and ParentArgs hold ": " and "--"; no thread. */
static void test_tcp_args_with_colons(void **state)
{
    (void)state;
    const char *c = "PID: 345650\nCmd: /usr/bin/curl\nArgs: curl http://127.0.0.1:8000/notfound\n"
                    "ParentPID: 345626\n"
                    "ParentCmd: /go_workshop/src/github.com/mozillazg/ptcpdump/ptcpdump\n"
                    "ParentArgs: ptcpdump -- curl http://127.0.0.1:8000/notfound";
    apc__procmeta_t m;
    assert_int_equal(parse(&m, c), 1);
    assert_int_equal(m.pid, 345650);
    assert_int_equal(m.tid, 0);
    assert_int_equal(m.ppid, 345626);
    assert_slice(m.args, "curl http://127.0.0.1:8000/notfound");
    assert_slice(m.parent_args, "ptcpdump -- curl http://127.0.0.1:8000/notfound");
    assert_slice(apc__filemeta_basename(m.parent_cmd), "ptcpdump");
}

/* ptcpdump/dns.pcapng and icmp.pcapng. */
static void test_dns_icmp(void **state)
{
    (void)state;
    apc__procmeta_t m;
    assert_int_equal(parse(&m, "PID: 380281\nCmd: /usr/bin/dig\nArgs: dig example.com\n"
                               "ParentPID: 45198\nParentCmd: /usr/bin/bash\nParentArgs: -bash"),
                     1);
    assert_int_equal(m.pid, 380281);
    assert_slice(m.args, "dig example.com");
    assert_int_equal(parse(&m, "PID: 459141\nCmd: /usr/bin/ping\nArgs: ping -w 10 -c 2 1.1.1.1\n"
                               "ParentPID: 45198\nParentCmd: /usr/bin/bash\nParentArgs: -bash"),
                     1);
    assert_slice(m.args, "ping -w 10 -c 2 1.1.1.1");
    assert_slice(apc__filemeta_basename(m.cmd), "ping");
}

/* Container, pod, user keys (as ptcpdump writes them in -v container mode), truncation. */
static void test_other_keys(void **state)
{
    (void)state;
    const char *c = "PID: 10\r\nTID: 11\r\nCommand: /bin/sleep...\r\nArgs: sleep 1000...\r\n"
                    "UserId: 0\r\nGroupId: 1000\r\nUser: root\r\n"
                    "ContainerName: web\r\nContainerId: 0123abcd\r\nContainerImage: nginx:1.25\r\n"
                    "ContainerLabels: {\"a\":\"b\"}\r\nPodName: web-0\r\nPodNamespace: default\r\n"
                    "PodUID: 9f0c\r\nSomethingNew: x: y\r\n";
    apc__procmeta_t m;
    assert_int_equal(parse(&m, c), 1);
    assert_int_equal(m.pid, 10);
    assert_int_equal(m.tid, 11);
    assert_slice(m.cmd, "/bin/sleep");
    assert_int_equal(m.cmd_truncated, 1);
    assert_slice(m.args, "sleep 1000");
    assert_int_equal(m.args_truncated, 1);
    assert_int_equal(m.uid, 0);
    assert_int_equal(m.gid, 1000);
    assert_slice(m.user, "root");
    assert_slice(m.container, "web");
    assert_slice(m.container_id, "0123abcd");
    assert_slice(m.container_image, "nginx:1.25");
    assert_slice(m.pod, "web-0");
    assert_slice(m.pod_namespace, "default");
    assert_slice(m.pod_uid, "9f0c");
}

static void test_malformed(void **state)
{
    (void)state;
    apc__procmeta_t m;
    /* No PID: not process metadata, but what is there is still read. */
    assert_int_equal(parse(&m, "Cmd: /usr/bin/curl\nThreadId: 5"), 0);
    assert_int_equal(m.pid, 0);
    assert_int_equal(m.tid, 5);
    assert_slice(m.cmd, "/usr/bin/curl");
    /* Empty, NULL, a plain comment. */
    assert_int_equal(parse(&m, ""), 0);
    assert_int_equal(apc__filemeta_parse(&m, NULL, 10), 0);
    assert_int_equal(parse(&m, "captured on the lab switch"), 0);
    /* PID overflowing, negative, not a number, empty: absent. */
    assert_int_equal(parse(&m, "PID: 99999999999999999999999"), 0);
    assert_int_equal(m.pid, 0);
    assert_int_equal(parse(&m, "PID: 4611686018427387905"), 0); /* 2^62 + 1 */
    assert_int_equal(parse(&m, "PID: 4611686018427387904"), 1); /* 2^62 */
    assert_int_equal(parse(&m, "PID: -5"), 0);
    assert_int_equal(parse(&m, "PID: 12ab"), 0);
    assert_int_equal(parse(&m, "PID:"), 0);
    assert_int_equal(parse(&m, "PID: 0"), 0);
    /* Missing values and separators, stray blank lines, spaces around the key. */
    assert_int_equal(parse(&m, "\n\nPID :  42  \nCmd:\nArgs\nThreadName: \n"), 1);
    assert_int_equal(m.pid, 42);
    assert_slice(m.cmd, "");
    assert_slice(m.args, "");
    assert_slice(m.thread_name, "");
    /* Case matters, as in ptcpdump: "pid" is not PID. */
    assert_int_equal(parse(&m, "pid: 42"), 0);
    /* The last occurrence wins. */
    assert_int_equal(parse(&m, "PID: 1\nPID: 2"), 1);
    assert_int_equal(m.pid, 2);
    /* len bounds the parse: the PID after len is not read. */
    const char *c = "Cmd: x\nPID: 77";
    assert_int_equal(apc__filemeta_parse(&m, c, 7), 0);
    assert_int_equal(apc__filemeta_parse(&m, c, strlen(c) - 1), 1);
    assert_int_equal(m.pid, 7);
    /* No NUL terminator anywhere: a heap copy without one, read under ASan. */
    char *raw = malloc(9);
    memcpy(raw, "PID: 123", 8);
    raw[8] = '4';
    assert_int_equal(apc__filemeta_parse(&m, raw, 9), 1);
    assert_int_equal(m.pid, 1234);
    free(raw);
    /* Ellipsis only: empty and truncated. */
    assert_int_equal(parse(&m, "PID: 3\nArgs: ..."), 1);
    assert_slice(m.args, "");
    assert_int_equal(m.args_truncated, 1);
}

static void test_basename(void **state)
{
    (void)state;
    apc__slice_t s;
    s.p = "/usr/bin/curl";
    s.len = strlen(s.p);
    assert_slice(apc__filemeta_basename(s), "curl");
    s.p = "curl";
    s.len = 4;
    assert_slice(apc__filemeta_basename(s), "curl");
    s.p = "/usr/bin/";
    s.len = strlen(s.p);
    assert_slice(apc__filemeta_basename(s), "bin");
    s.p = "/";
    s.len = 1;
    assert_slice(apc__filemeta_basename(s), "/");
    s.p = "";
    s.len = 0;
    assert_slice(apc__filemeta_basename(s), "");
    s.p = NULL;
    s.len = 5;
    assert_int_equal(apc__filemeta_basename(s).len, 0);
    /* The length bounds it, not a NUL: "/usr/bin/curl" cut after "/usr/b". */
    s.p = "/usr/bin/curl";
    s.len = 6;
    assert_slice(apc__filemeta_basename(s), "b");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_curl_thread), cmocka_unit_test(test_tcp_args_with_colons),
        cmocka_unit_test(test_dns_icmp),    cmocka_unit_test(test_other_keys),
        cmocka_unit_test(test_malformed),   cmocka_unit_test(test_basename),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
