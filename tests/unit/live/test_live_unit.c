/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the live capture parsers and structures: proc connector messages, sock_diag
 * replies, /proc text, fd links, the packet queue, the socket table.
 */
#include <errno.h>
#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <apc/capture.h>

#include "attrib/procconn.h"
#include "attrib/proctable.h"
#include "attrib/sockdiag.h"
#include "attrib/socktab.h"
#include "source/livequeue.h"

/* --- proc connector ----------------------------------------------------------------------- */

static size_t make_procev(uint8_t *buf, const struct proc_event *ev, size_t evlen)
{
    struct nlmsghdr *nh = (struct nlmsghdr *)buf;
    memset(buf, 0, NLMSG_SPACE(sizeof(struct cn_msg) + evlen));
    nh->nlmsg_len = NLMSG_LENGTH(sizeof(struct cn_msg) + evlen);
    nh->nlmsg_type = NLMSG_DONE;
    struct cn_msg *cn = NLMSG_DATA(nh);
    cn->id.idx = CN_IDX_PROC;
    cn->id.val = CN_VAL_PROC;
    cn->len = (uint16_t)evlen;
    memcpy(cn->data, ev, evlen);
    return nh->nlmsg_len;
}

typedef struct evs {
    apc__procev_t v[8];
    int n;
} evs_t;

static void collect_ev(const apc__procev_t *e, void *p)
{
    evs_t *s = p;
    if (s->n < 8)
        s->v[s->n++] = *e;
}

static void test_procconn_fork_exec_exit(void **st)
{
    (void)st;
    _Alignas(8) uint8_t buf[512];
    struct proc_event ev;
    memset(&ev, 0, sizeof ev);
    ev.what = PROC_EVENT_FORK;
    ev.event_data.fork.parent_pid = 100;
    ev.event_data.fork.parent_tgid = 100;
    ev.event_data.fork.child_pid = 201;
    ev.event_data.fork.child_tgid = 200;
    size_t n = make_procev(buf, &ev, sizeof ev);
    evs_t s = {0};
    assert_int_equal(apc__procconn_parse(buf, n, collect_ev, &s), 1);
    assert_int_equal(s.v[0].what, APC_PEV_FORK);
    assert_int_equal(s.v[0].ppid, 100);
    assert_int_equal(s.v[0].pid, 200);
    assert_int_equal(s.v[0].tid, 201);

    memset(&ev, 0, sizeof ev);
    ev.what = PROC_EVENT_EXEC;
    ev.event_data.exec.process_pid = 300;
    ev.event_data.exec.process_tgid = 300;
    n = make_procev(buf, &ev, sizeof ev);
    s.n = 0;
    assert_int_equal(apc__procconn_parse(buf, n, collect_ev, &s), 1);
    assert_int_equal(s.v[0].what, APC_PEV_EXEC);
    assert_int_equal(s.v[0].pid, 300);

    memset(&ev, 0, sizeof ev);
    ev.what = PROC_EVENT_EXIT;
    ev.event_data.exit.process_pid = 301;
    ev.event_data.exit.process_tgid = 300;
    n = make_procev(buf, &ev, sizeof ev);
    s.n = 0;
    assert_int_equal(apc__procconn_parse(buf, n, collect_ev, &s), 1);
    assert_int_equal(s.v[0].what, APC_PEV_EXIT);
    assert_int_equal(s.v[0].pid, 300);
    assert_int_equal(s.v[0].tid, 301);

    /* Events we do not use (uid change) are skipped, not errors. */
    memset(&ev, 0, sizeof ev);
    ev.what = PROC_EVENT_UID;
    n = make_procev(buf, &ev, sizeof ev);
    s.n = 0;
    assert_int_equal(apc__procconn_parse(buf, n, collect_ev, &s), 0);
}

static void test_procconn_bad(void **st)
{
    (void)st;
    _Alignas(8) uint8_t buf[512];
    struct proc_event ev;
    memset(&ev, 0, sizeof ev);
    ev.what = PROC_EVENT_FORK;
    size_t n = make_procev(buf, &ev, sizeof ev);
    evs_t s = {0};
    /* nlmsg_len beyond the datagram */
    assert_int_equal(apc__procconn_parse(buf, n - 4, collect_ev, &s), APC_EFORMAT);
    assert_non_null(strstr(apc_last_error_message(), "nlmsg_len"));
    /* a fork event cut short inside the message */
    n = make_procev(buf, &ev, offsetof(struct proc_event, event_data) + 4);
    assert_int_equal(apc__procconn_parse(buf, n, collect_ev, &s), APC_EFORMAT);
    assert_string_equal(apc_last_error_message(), "proc connector: short fork event");
    assert_int_equal(s.n, 0);
}

/* --- sock_diag ---------------------------------------------------------------------------- */

static size_t make_diag(uint8_t *buf, int family, uint16_t sport, uint16_t dport, uint32_t ino)
{
    struct nlmsghdr *nh = (struct nlmsghdr *)buf;
    memset(buf, 0, NLMSG_SPACE(sizeof(struct inet_diag_msg)));
    nh->nlmsg_len = NLMSG_LENGTH(sizeof(struct inet_diag_msg));
    nh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
    struct inet_diag_msg *m = NLMSG_DATA(nh);
    m->idiag_family = (uint8_t)family;
    m->idiag_state = 1;
    m->id.idiag_sport = htons(sport);
    m->id.idiag_dport = htons(dport);
    m->id.idiag_src[0] = htonl(0x0a000001);
    m->id.idiag_dst[0] = htonl(0x0a000002);
    m->idiag_inode = ino;
    m->idiag_uid = 1000;
    return NLMSG_ALIGN(nh->nlmsg_len);
}

typedef struct socks {
    apc__diagsock_t v[4];
    int n;
} socks_t;

static void collect_sock(const apc__diagsock_t *s, void *p)
{
    socks_t *c = p;
    if (c->n < 4)
        c->v[c->n++] = *s;
}

static void test_sockdiag_parse(void **st)
{
    (void)st;
    _Alignas(8) uint8_t buf[1024];
    size_t n = make_diag(buf, AF_INET, 40000, 80, 777);
    n += make_diag(buf + n, AF_INET6, 40001, 443, 778);
    struct nlmsghdr *done = (struct nlmsghdr *)(buf + n);
    memset(done, 0, NLMSG_SPACE(4));
    done->nlmsg_len = NLMSG_LENGTH(4);
    done->nlmsg_type = NLMSG_DONE;
    n += NLMSG_ALIGN(done->nlmsg_len);
    socks_t c = {0};
    assert_int_equal(apc__sockdiag_parse(buf, n, 6, collect_sock, &c), 1);
    assert_int_equal(c.n, 2);
    assert_int_equal(c.v[0].ver, 4);
    assert_int_equal(c.v[0].proto, 6);
    assert_int_equal(c.v[0].sport, 40000);
    assert_int_equal(c.v[0].dport, 80);
    assert_int_equal(c.v[0].inode, 777);
    assert_int_equal(c.v[0].uid, 1000);
    static const uint8_t a[4] = {10, 0, 0, 1};
    assert_memory_equal(c.v[0].src, a, 4);
    assert_int_equal(c.v[1].ver, 6);
    assert_int_equal(c.v[1].inode, 778);
    /* without DONE: more follows */
    c.n = 0;
    assert_int_equal(
        apc__sockdiag_parse(buf, make_diag(buf, AF_INET, 1, 2, 3), 17, collect_sock, &c), 0);
    assert_int_equal(c.v[0].proto, 17);
}

static void test_sockdiag_bad(void **st)
{
    (void)st;
    _Alignas(8) uint8_t buf[256];
    size_t n = make_diag(buf, AF_INET, 1, 2, 3);
    socks_t c = {0};
    /* the message claims more than the datagram holds */
    assert_int_equal(apc__sockdiag_parse(buf, n - 8, 6, collect_sock, &c), APC_EFORMAT);
    assert_non_null(strstr(apc_last_error_message(), "sock_diag: nlmsg_len"));
    /* a SOCK_DIAG_BY_FAMILY message too short for inet_diag_msg */
    struct nlmsghdr *nh = (struct nlmsghdr *)buf;
    nh->nlmsg_len = NLMSG_LENGTH(8);
    assert_int_equal(apc__sockdiag_parse(buf, NLMSG_ALIGN(nh->nlmsg_len), 6, collect_sock, &c),
                     APC_EFORMAT);
    assert_non_null(strstr(apc_last_error_message(), "inet_diag_msg of"));
    /* an error reply carries the kernel's errno */
    memset(buf, 0, sizeof buf);
    nh->nlmsg_len = NLMSG_LENGTH(sizeof(struct nlmsgerr));
    nh->nlmsg_type = NLMSG_ERROR;
    ((struct nlmsgerr *)NLMSG_DATA(nh))->error = -EPERM;
    assert_int_equal(apc__sockdiag_parse(buf, nh->nlmsg_len, 6, collect_sock, &c), -EPERM);
    assert_int_equal(c.n, 0);
}

static void test_fd_link(void **st)
{
    (void)st;
    assert_int_equal(apc__fd_socket_inode("socket:[12345]", 14), 12345);
    assert_int_equal(apc__fd_socket_inode("pipe:[12345]", 12), 0);
    assert_int_equal(apc__fd_socket_inode("socket:[12a45]", 14), 0);
    assert_int_equal(apc__fd_socket_inode("socket:[]", 9), 0);
    assert_int_equal(apc__fd_socket_inode("socket:[99999999999]", 20), 0); /* > 32 bits */
}

/* --- /proc text --------------------------------------------------------------------------- */

static void test_proc_stat(void **st)
{
    (void)st;
    const char *s = "1234 (my (evil) prog) S 99 1234 1234 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 "
                    "3 0 555666 1000 10\n";
    char comm[64];
    int64_t ppid = 0;
    uint64_t ticks = 0;
    assert_int_equal(apc__proc_parse_stat(s, strlen(s), comm, sizeof comm, &ppid, &ticks), 0);
    assert_string_equal(comm, "my (evil) prog");
    assert_int_equal(ppid, 99);
    assert_int_equal(ticks, 555666);
    const char *bad = "1234 (x) S 99 1 2";
    assert_int_equal(apc__proc_parse_stat(bad, strlen(bad), comm, sizeof comm, &ppid, &ticks),
                     APC_EFORMAT);
    assert_string_equal(apc_last_error_message(), "/proc stat: 6 fields, 22 expected");
    assert_int_equal(apc__proc_parse_stat("no comm", 7, comm, sizeof comm, &ppid, &ticks),
                     APC_EFORMAT);
}

static void test_proc_cmdline_uid(void **st)
{
    (void)st;
    char out[32];
    apc__proc_join_cmdline("curl\0-s\0http://x\0", 17, out, sizeof out);
    assert_string_equal(out, "curl -s http://x");
    apc__proc_join_cmdline("a-very-long-program\0", 20, out, 8);
    assert_string_equal(out, "a-very-");
    const char *status = "Name:\tcat\nUmask:\t0022\nUid:\t1000\t1000\t1000\t1000\nGid:\t0\n";
    assert_int_equal(apc__proc_status_uid(status, strlen(status)), 1000);
    assert_int_equal(apc__proc_status_uid("Name:\tx\n", 8), -1);
}

/* --- queue -------------------------------------------------------------------------------- */

static void test_queue(void **st)
{
    (void)st;
    apc__lq_t *q = NULL;
    assert_int_equal(apc__lq_new(&q, 1), 0);
    assert_int_equal(apc__lq_capacity(q), 65536);
    uint8_t pkt[1500];
    const uint8_t *data;
    /* Many rounds through the ring: wraps at every offset the sizes produce. */
    uint64_t pushed = 0, popped = 0;
    for (int round = 0; round < 2000; round++) {
        for (int k = 0; k < 7; k++) {
            apc__lqhdr_t h = {
                .ts_ns = (int64_t)pushed, .caplen = (uint32_t)(round % 1499) + 1, .wirelen = 1500};
            memset(pkt, (int)(pushed & 0xff), h.caplen);
            if (apc__lq_push(q, &h, pkt) == 0)
                pushed++;
        }
        for (int k = 0; k < 5; k++) {
            const apc__lqhdr_t *h = apc__lq_peek(q, &data);
            if (!h)
                break;
            assert_int_equal(h->ts_ns, (int64_t)popped);
            assert_int_equal(data[0], popped & 0xff);
            assert_int_equal(data[h->caplen - 1], popped & 0xff);
            apc__lq_pop(q);
            popped++;
        }
    }
    /* The ring filled up: pushes beyond it were dropped and counted, never blocked. */
    assert_true(apc__lq_drops(q) > 0);
    assert_int_equal(apc__lq_pushed(q), pushed);
    const apc__lqhdr_t *h;
    while ((h = apc__lq_peek(q, &data))) {
        assert_int_equal(h->ts_ns, (int64_t)popped);
        apc__lq_pop(q);
        popped++;
    }
    assert_int_equal(popped, pushed);
    /* A record larger than half the ring is refused. */
    static uint8_t big[40000];
    apc__lqhdr_t hb = {.caplen = sizeof big};
    assert_int_equal(apc__lq_push(q, &hb, big), APC_ELIMIT);
    apc__lq_free(q);
}

/* --- socket table ------------------------------------------------------------------------- */

static void test_socktab(void **st)
{
    (void)st;
    apc__socktab_t *t = apc__socktab_new();
    assert_non_null(t);
    const uint8_t a[4] = {10, 1, 0, 1}, b[4] = {10, 1, 0, 2};
    apc__sockkey_t k;
    memset(&k, 0, sizeof k);
    k.proto = 6;
    k.ver = 4;
    memcpy(k.laddr, a, 4);
    memcpy(k.raddr, b, 4);
    k.lport = 40000;
    k.rport = 80;
    apc__socktab_put(t, &k, 111, 112, 1000);
    /* a listener on :: (v6 wildcard) receives v4 too */
    apc__sockkey_t l;
    memset(&l, 0, sizeof l);
    l.proto = 6;
    l.ver = 6;
    l.lport = 8080;
    apc__socktab_put(t, &l, 222, 0, 1000);
    int64_t pid = 0, tid = 0;
    int dir = 0;
    assert_true(apc__socktab_find(t, 6, 4, a, 40000, b, 80, &pid, &tid, &dir));
    assert_int_equal(pid, 111);
    assert_int_equal(tid, 112);
    assert_int_equal(dir, APC_DIR_OUT);
    assert_true(apc__socktab_find(t, 6, 4, b, 80, a, 40000, &pid, &tid, &dir));
    assert_int_equal(pid, 111);
    assert_int_equal(dir, APC_DIR_IN);
    assert_true(apc__socktab_find(t, 6, 4, b, 5555, a, 8080, &pid, &tid, &dir));
    assert_int_equal(pid, 222);
    assert_int_equal(dir, APC_DIR_IN);
    assert_false(apc__socktab_find(t, 17, 4, a, 40000, b, 80, &pid, &tid, &dir));
    /* v4-mapped v6 keys are the v4 socket */
    apc__sockkey_t m;
    memset(&m, 0, sizeof m);
    m.proto = 17;
    m.ver = 6;
    m.laddr[10] = m.laddr[11] = 0xff;
    memcpy(m.laddr + 12, a, 4);
    m.raddr[10] = m.raddr[11] = 0xff;
    memcpy(m.raddr + 12, b, 4);
    m.lport = 53000;
    m.rport = 53;
    apc__socktab_put(t, &m, 333, 0, 2000);
    assert_true(apc__socktab_find(t, 17, 4, a, 53000, b, 53, &pid, &tid, &dir));
    assert_int_equal(pid, 333);
    assert_int_equal(apc__socktab_count(t), 3);
    apc__socktab_expire(t, 1500);
    assert_int_equal(apc__socktab_count(t), 1);
    assert_false(apc__socktab_find(t, 6, 4, a, 40000, b, 80, &pid, &tid, &dir));
    /* growth keeps every entry */
    for (int i = 0; i < 20000; i++) {
        k.lport = (uint16_t)(i + 1);
        apc__socktab_put(t, &k, i + 1, 0, 3000);
    }
    assert_true(apc__socktab_find(t, 6, 4, a, 12345, b, 80, &pid, &tid, &dir));
    assert_int_equal(pid, 12345);
    apc__socktab_free(t);
}

/* Loopback: both ends are sockets of this host. The lookup with source and destination
 * swapped finds the receiver as the swapped packet's sender (APC_DIR_OUT), which is what the
 * procfs backend reports as a packet's other end (attrib.c, tuple_peer); with no receiver
 * socket it answers with the sender again, as APC_DIR_IN. */
static void test_socktab_both_ends(void **st)
{
    (void)st;
    apc__socktab_t *t = apc__socktab_new();
    uint8_t lo[16] = {127, 0, 0, 1};
    apc__sockkey_t c = {.proto = 6, .ver = 4, .lport = 40000, .rport = 8080};
    memcpy(c.laddr, lo, 4);
    memcpy(c.raddr, lo, 4);
    apc__socktab_put(t, &c, 111, 0, 1000);
    int64_t pid = 0, tid = 0;
    int dir = 0;
    assert_true(apc__socktab_find(t, 6, 4, lo, 8080, lo, 40000, &pid, &tid, &dir));
    assert_int_equal(pid, 111); /* no server socket yet: the client, receiving */
    assert_int_equal(dir, APC_DIR_IN);
    apc__sockkey_t sv = {.proto = 6, .ver = 4, .lport = 8080, .rport = 40000};
    memcpy(sv.laddr, lo, 4);
    memcpy(sv.raddr, lo, 4);
    apc__socktab_put(t, &sv, 222, 0, 1000);
    assert_true(apc__socktab_find(t, 6, 4, lo, 40000, lo, 8080, &pid, &tid, &dir));
    assert_int_equal(pid, 111); /* client -> server: the sender */
    assert_int_equal(dir, APC_DIR_OUT);
    assert_true(apc__socktab_find(t, 6, 4, lo, 8080, lo, 40000, &pid, &tid, &dir));
    assert_int_equal(pid, 222); /* swapped: the receiver, as a sender */
    assert_int_equal(dir, APC_DIR_OUT);
    apc__socktab_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_procconn_fork_exec_exit),
        cmocka_unit_test(test_procconn_bad),
        cmocka_unit_test(test_sockdiag_parse),
        cmocka_unit_test(test_sockdiag_bad),
        cmocka_unit_test(test_fd_link),
        cmocka_unit_test(test_proc_stat),
        cmocka_unit_test(test_proc_cmdline_uid),
        cmocka_unit_test(test_queue),
        cmocka_unit_test(test_socktab),
        cmocka_unit_test(test_socktab_both_ends),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
