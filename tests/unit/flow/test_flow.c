/* SPDX-License-Identifier: MIT */
/* Unit tests of module flow: connection table, initiator, TCP state, port reuse, eviction,
 * timeouts, fragments; and (flow_corpus.c) connection counts against tshark on the corpus. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include <apc/capture.h>

#include "flow/flow.h"
#include "flow_corpus.h"

#define SEC 1000000000LL
#define SYN 0x02
#define ACK 0x10
#define FIN 0x01
#define RST 0x04
#define PSH 0x08

/* What the evict callback saw, in order. */
typedef struct evicted {
    size_t n;
    apc__conn_t c[64];
} evicted_t;

static void on_evict(const apc__conn_t *c, void *payload)
{
    evicted_t *e = payload;
    if (e->n < 64)
        e->c[e->n] = *c;
    e->n++;
}

static void set_addr(apc__pkt_t *p, const char *src, const char *dst)
{
    if (strchr(src, ':')) {
        p->ip_ver = 6;
        assert_int_equal(inet_pton(AF_INET6, src, p->src), 1);
        assert_int_equal(inet_pton(AF_INET6, dst, p->dst), 1);
    } else {
        p->ip_ver = 4;
        assert_int_equal(inet_pton(AF_INET, src, p->src), 1);
        assert_int_equal(inet_pton(AF_INET, dst, p->dst), 1);
    }
}

static apc__pkt_t tcp(const char *src, uint16_t sp, const char *dst, uint16_t dp, uint8_t flags,
                      uint32_t seq, uint32_t ack)
{
    apc__pkt_t p;
    memset(&p, 0, sizeof(p));
    set_addr(&p, src, dst);
    p.ip_proto = 6;
    p.has_l4 = 1;
    p.sport = sp;
    p.dport = dp;
    p.tcp_flags = flags;
    p.tcp_seq = seq;
    p.tcp_ack = ack;
    return p;
}

static apc__pkt_t udp(const char *src, uint16_t sp, const char *dst, uint16_t dp)
{
    apc__pkt_t p;
    memset(&p, 0, sizeof(p));
    set_addr(&p, src, dst);
    p.ip_proto = 17;
    p.has_l4 = 1;
    p.sport = sp;
    p.dport = dp;
    return p;
}

/* Every other packet goes through the ingest's way in (its lookup computed ahead, then
 * apc__flow_track_at), so that each test below holds for both. */
static apc__conn_t *track(apc__flow_table_t *t, apc__pkt_t p, int64_t ts, uint32_t len, int *dir)
{
    static unsigned calls;
    if (calls++ % 2 == 0)
        return apc__flow_track(t, &p, ts, len, dir);
    apc__flow_lookup_t lk;
    memset(&lk, 0xa5, sizeof lk); /* what apc__flow_lookup_of leaves unset stays garbage */
    apc__flow_lookup_of(&p, &lk);
    return apc__flow_track_at(t, &p, &lk, ts, len, dir);
}

static void assert_v4(const uint8_t *addr, const char *want)
{
    uint8_t b[4];
    assert_int_equal(inet_pton(AF_INET, want, b), 1);
    assert_memory_equal(addr, b, 4);
}

/* A full handshake, data, and close: initiator is the SYN's sender, states step through. */
static void test_initiator_syn_and_states(void **state)
{
    (void)state;
    evicted_t ev = {0};
    apc__flow_table_t *t = apc__flow_new(100, 16, on_evict, &ev);
    assert_non_null(t);
    int dir = -1;
    apc__conn_t *c =
        track(t, tcp("10.0.0.2", 5000, "10.0.0.1", 80, SYN, 1000, 0), 1 * SEC, 60, &dir);
    assert_non_null(c);
    assert_int_equal(c->id, 100);
    assert_int_equal(dir, 0);
    assert_v4(c->a_addr, "10.0.0.2");
    assert_v4(c->b_addr, "10.0.0.1");
    assert_int_equal(c->a_port, 5000);
    assert_int_equal(c->b_port, 80);
    assert_int_equal(c->ip_ver, 4);
    assert_int_equal(c->proto, 6);
    assert_int_equal(c->tcp_state, APC_TCP_SYN_SENT);

    apc__conn_t *c2 =
        track(t, tcp("10.0.0.1", 80, "10.0.0.2", 5000, SYN | ACK, 7000, 1001), 2 * SEC, 60, &dir);
    assert_ptr_equal(c2, c);
    assert_int_equal(dir, 1);
    assert_int_equal(c->tcp_state, APC_TCP_SYN_RECV);
    track(t, tcp("10.0.0.2", 5000, "10.0.0.1", 80, ACK, 1001, 7001), 3 * SEC, 54, &dir);
    assert_int_equal(dir, 0);
    assert_int_equal(c->tcp_state, APC_TCP_ESTABLISHED);
    track(t, tcp("10.0.0.2", 5000, "10.0.0.1", 80, PSH | ACK, 1001, 7001), 4 * SEC, 154, &dir);
    track(t, tcp("10.0.0.1", 80, "10.0.0.2", 5000, FIN | ACK, 7001, 1101), 5 * SEC, 54, &dir);
    assert_int_equal(c->tcp_state, APC_TCP_FIN_WAIT);
    track(t, tcp("10.0.0.2", 5000, "10.0.0.1", 80, FIN | ACK, 1101, 7002), 6 * SEC, 54, &dir);
    assert_int_equal(c->tcp_state, APC_TCP_CLOSED);
    /* A RST after the close does not rewrite how it ended. */
    track(t, tcp("10.0.0.2", 5000, "10.0.0.1", 80, RST, 1102, 0), 7 * SEC, 54, &dir);
    assert_int_equal(c->tcp_state, APC_TCP_CLOSED);

    assert_int_equal(c->pkts[0], 5);
    assert_int_equal(c->pkts[1], 2);
    assert_int_equal(c->bytes[0], 60 + 54 + 154 + 54 + 54);
    assert_int_equal(c->bytes[1], 60 + 54);
    assert_int_equal(c->first_ns, 1 * SEC);
    assert_int_equal(c->last_ns, 7 * SEC);
    assert_int_equal(c->dirty, 1);
    assert_int_equal(apc__flow_count(t), 1);
    assert_int_equal(apc__flow_next_id(t), 101);
    assert_int_equal(ev.n, 0);
    apc__flow_free(t);
    assert_int_equal(ev.n, 1);
    assert_int_equal(ev.c[0].id, 100);
}

/* First packet a SYN-ACK: the initiator is its receiver. */
static void test_initiator_synack_first(void **state)
{
    (void)state;
    apc__flow_table_t *t = apc__flow_new(1, 16, NULL, NULL);
    int dir = -1;
    apc__conn_t *c =
        track(t, tcp("10.0.0.1", 443, "10.0.0.9", 40000, SYN | ACK, 5, 100), 1 * SEC, 60, &dir);
    assert_non_null(c);
    assert_int_equal(dir, 1);
    assert_v4(c->a_addr, "10.0.0.9");
    assert_int_equal(c->a_port, 40000);
    assert_int_equal(c->b_port, 443);
    assert_int_equal(c->tcp_state, APC_TCP_SYN_RECV);
    assert_int_equal(c->pkts[1], 1);
    assert_int_equal(c->pkts[0], 0);
    /* The missed SYN retransmitted (seq = ack - 1 of the SYN-ACK) is the same connection. */
    apc__conn_t *c2 =
        track(t, tcp("10.0.0.9", 40000, "10.0.0.1", 443, SYN, 99, 0), 2 * SEC, 60, &dir);
    assert_ptr_equal(c2, c);
    assert_int_equal(c->id, 1);
    assert_int_equal(dir, 0);
    track(t, tcp("10.0.0.9", 40000, "10.0.0.1", 443, ACK, 100, 6), 3 * SEC, 54, &dir);
    assert_int_equal(c->tcp_state, APC_TCP_ESTABLISHED);
    apc__flow_free(t);
}

/* First packet mid-stream: its sender is the initiator, state MIDSTREAM until it ends. */
static void test_midstream(void **state)
{
    (void)state;
    apc__flow_table_t *t = apc__flow_new(1, 16, NULL, NULL);
    int dir = -1;
    apc__conn_t *c =
        track(t, tcp("192.168.1.5", 22, "192.168.1.7", 50123, PSH | ACK, 9, 9), 1 * SEC, 100, &dir);
    assert_int_equal(dir, 0);
    assert_v4(c->a_addr, "192.168.1.5");
    assert_int_equal(c->a_port, 22);
    assert_int_equal(c->tcp_state, APC_TCP_MIDSTREAM);
    track(t, tcp("192.168.1.7", 50123, "192.168.1.5", 22, ACK, 9, 100), 2 * SEC, 54, &dir);
    assert_int_equal(dir, 1);
    assert_int_equal(c->tcp_state, APC_TCP_MIDSTREAM);
    track(t, tcp("192.168.1.7", 50123, "192.168.1.5", 22, RST, 9, 0), 3 * SEC, 54, &dir);
    assert_int_equal(c->tcp_state, APC_TCP_RESET);
    apc__flow_free(t);
}

/* After FIN both ways, a SYN with a new ISN is a new connection; the old one is evicted then.
 * A retransmission of the old SYN (same ISN) is not. */
static void test_port_reuse_after_fin(void **state)
{
    (void)state;
    evicted_t ev = {0};
    apc__flow_table_t *t = apc__flow_new(1, 16, on_evict, &ev);
    int dir;
    apc__conn_t *c =
        track(t, tcp("10.1.1.1", 1234, "10.1.1.2", 80, SYN, 500, 0), 1 * SEC, 60, &dir);
    track(t, tcp("10.1.1.2", 80, "10.1.1.1", 1234, SYN | ACK, 800, 501), 1 * SEC, 60, &dir);
    track(t, tcp("10.1.1.1", 1234, "10.1.1.2", 80, FIN | ACK, 501, 801), 2 * SEC, 60, &dir);
    track(t, tcp("10.1.1.2", 80, "10.1.1.1", 1234, FIN | ACK, 801, 502), 2 * SEC, 60, &dir);
    assert_int_equal(c->tcp_state, APC_TCP_CLOSED);
    assert_int_equal(c->id, 1);
    /* Retransmitted old SYN: same connection. */
    c = track(t, tcp("10.1.1.1", 1234, "10.1.1.2", 80, SYN, 500, 0), 3 * SEC, 60, &dir);
    assert_int_equal(c->id, 1);
    assert_int_equal(ev.n, 0);
    /* New ISN: new connection, old one handed to the callback now. */
    c = track(t, tcp("10.1.1.1", 1234, "10.1.1.2", 80, SYN, 90000, 0), 4 * SEC, 60, &dir);
    assert_int_equal(c->id, 2);
    assert_int_equal(c->tcp_state, APC_TCP_SYN_SENT);
    assert_int_equal(c->pkts[0], 1);
    assert_int_equal(ev.n, 1);
    assert_int_equal(ev.c[0].id, 1);
    assert_int_equal(ev.c[0].tcp_state, APC_TCP_CLOSED);
    assert_int_equal(ev.c[0].pkts[0], 3);
    assert_int_equal(apc__flow_count(t), 1);
    apc__flow_free(t);
    assert_int_equal(ev.n, 2);
}

static void test_port_reuse_after_rst(void **state)
{
    (void)state;
    evicted_t ev = {0};
    apc__flow_table_t *t = apc__flow_new(1, 16, on_evict, &ev);
    int dir;
    apc__conn_t *c =
        track(t, tcp("10.1.1.1", 1234, "10.1.1.2", 81, SYN, 500, 0), 1 * SEC, 60, &dir);
    track(t, tcp("10.1.1.2", 81, "10.1.1.1", 1234, RST | ACK, 0, 501), 1 * SEC, 60, &dir);
    assert_int_equal(c->tcp_state, APC_TCP_RESET);
    c = track(t, tcp("10.1.1.1", 1234, "10.1.1.2", 81, SYN, 777, 0), 2 * SEC, 60, &dir);
    assert_int_equal(c->id, 2);
    assert_int_equal(ev.n, 1);
    assert_int_equal(ev.c[0].tcp_state, APC_TCP_RESET);
    /* The responder opening the reverse way after a reset: new connection, it initiates. */
    track(t, tcp("10.1.1.2", 81, "10.1.1.1", 1234, RST | ACK, 0, 778), 3 * SEC, 60, &dir);
    c = track(t, tcp("10.1.1.2", 81, "10.1.1.1", 1234, SYN, 31337, 0), 4 * SEC, 60, &dir);
    assert_int_equal(c->id, 3);
    assert_v4(c->a_addr, "10.1.1.2");
    assert_int_equal(c->a_port, 81);
    assert_int_equal(dir, 0);
    apc__flow_free(t);
    assert_int_equal(ev.n, 3);
}

/* Table full: the least recently seen connection goes. */
static void test_lru_eviction(void **state)
{
    (void)state;
    evicted_t ev = {0};
    apc__flow_table_t *t = apc__flow_new(1, 3, on_evict, &ev);
    int dir;
    track(t, udp("10.0.0.1", 1, "10.0.0.9", 53), 1 * SEC, 80, &dir);
    track(t, udp("10.0.0.2", 1, "10.0.0.9", 53), 2 * SEC, 80, &dir);
    track(t, udp("10.0.0.3", 1, "10.0.0.9", 53), 3 * SEC, 80, &dir);
    /* Touch the first again (reply direction): now the second is the oldest. */
    apc__conn_t *c = track(t, udp("10.0.0.9", 53, "10.0.0.1", 1), 4 * SEC, 80, &dir);
    assert_int_equal(c->id, 1);
    assert_int_equal(dir, 1);
    assert_int_equal(ev.n, 0);
    c = track(t, udp("10.0.0.4", 1, "10.0.0.9", 53), 5 * SEC, 80, &dir);
    assert_int_equal(c->id, 4);
    assert_int_equal(ev.n, 1);
    assert_int_equal(ev.c[0].id, 2);
    assert_int_equal(apc__flow_count(t), 3);
    c = track(t, udp("10.0.0.5", 1, "10.0.0.9", 53), 6 * SEC, 80, &dir);
    assert_int_equal(ev.n, 2);
    assert_int_equal(ev.c[1].id, 3);
    /* The evicted tuple comes back as a new connection. */
    c = track(t, udp("10.0.0.2", 1, "10.0.0.9", 53), 7 * SEC, 80, &dir);
    assert_int_equal(c->id, 6);
    assert_int_equal(ev.c[2].id, 1);
    assert_int_equal(apc__flow_count(t), 3);
    apc__flow_free(t);
    assert_int_equal(ev.n, 6);
}

/* Idle 10 minutes (any protocol) or 60 s after the end of a TCP connection: evicted,
 * in packet time, when a later packet arrives. */
static void test_timeouts(void **state)
{
    (void)state;
    evicted_t ev = {0};
    apc__flow_table_t *t = apc__flow_new(1, 100, on_evict, &ev);
    int dir;
    track(t, udp("10.0.0.1", 1000, "10.0.0.9", 53), 0, 80, &dir);
    apc__conn_t *c = track(t, tcp("10.0.0.1", 2000, "10.0.0.9", 80, SYN, 1, 0), 0, 60, &dir);
    track(t, tcp("10.0.0.9", 80, "10.0.0.1", 2000, RST | ACK, 0, 2), 1 * SEC, 60, &dir);
    assert_int_equal(c->tcp_state, APC_TCP_RESET);
    track(t, tcp("10.0.0.1", 3000, "10.0.0.9", 80, SYN, 1, 0), 1 * SEC, 60, &dir);
    /* 60 s exactly after the reset: kept; a moment later: evicted. */
    track(t, udp("10.0.0.7", 1, "10.0.0.8", 2), 61 * SEC, 80, &dir);
    assert_int_equal(ev.n, 0);
    track(t, udp("10.0.0.7", 1, "10.0.0.8", 2), 61 * SEC + 1, 80, &dir);
    assert_int_equal(ev.n, 1);
    assert_int_equal(ev.c[0].id, 2);
    /* The UDP flow idle 10 minutes and 1 ns: evicted; its tuple then opens a new connection. */
    c = track(t, udp("10.0.0.9", 53, "10.0.0.1", 1000), 600 * SEC + 1, 80, &dir);
    assert_int_equal(ev.n, 2);
    assert_int_equal(ev.c[1].id, 1);
    assert_int_equal(c->id, 5);
    assert_int_equal(dir, 0);
    assert_v4(c->a_addr, "10.0.0.9");
    /* The SYN_SENT connection at 1 s is idle too (600 s + 1 ns - 1 s < 10 min): kept. */
    assert_int_equal(apc__flow_count(t), 3);
    track(t, udp("10.0.0.7", 1, "10.0.0.8", 2), 602 * SEC, 80, &dir);
    assert_int_equal(ev.n, 3);
    assert_int_equal(ev.c[2].id, 3);
    apc__flow_free(t);
}

/* IPv4 fragments: later fragments follow the first; an unknown datagram gives NULL. */
static void test_fragments(void **state)
{
    (void)state;
    apc__flow_table_t *t = apc__flow_new(1, 16, NULL, NULL);
    int dir = -1;
    apc__pkt_t first = udp("10.0.0.1", 4000, "10.0.0.2", 53);
    first.is_fragment = 1;
    first.frag_more = 1;
    first.ip_id = 0x1234;
    apc__conn_t *c = apc__flow_track(t, &first, 1 * SEC, 1514, &dir);
    assert_non_null(c);
    apc__pkt_t later;
    memset(&later, 0, sizeof(later));
    set_addr(&later, "10.0.0.1", "10.0.0.2");
    later.ip_proto = 17;
    later.is_fragment = 1;
    later.frag_offset = 1480;
    later.ip_id = 0x1234;
    assert_ptr_equal(apc__flow_track(t, &later, 1 * SEC, 600, &dir), c);
    assert_int_equal(dir, 0);
    assert_int_equal(c->pkts[0], 2);
    assert_int_equal(c->bytes[0], 2114);
    /* The reply's fragments, with their own id, in the other direction. */
    apc__pkt_t rfirst = udp("10.0.0.2", 53, "10.0.0.1", 4000);
    rfirst.is_fragment = 1;
    rfirst.frag_more = 1;
    rfirst.ip_id = 0x9999;
    assert_ptr_equal(apc__flow_track(t, &rfirst, 2 * SEC, 1514, &dir), c);
    apc__pkt_t rlater = later;
    set_addr(&rlater, "10.0.0.2", "10.0.0.1");
    rlater.ip_id = 0x9999;
    assert_ptr_equal(apc__flow_track(t, &rlater, 2 * SEC, 100, &dir), c);
    assert_int_equal(dir, 1);
    assert_int_equal(c->pkts[1], 2);
    /* Same id, other protocol or other source: not this datagram. */
    later.ip_proto = 6;
    assert_null(apc__flow_track(t, &later, 3 * SEC, 100, &dir));
    later.ip_proto = 17;
    set_addr(&later, "10.0.0.3", "10.0.0.2");
    assert_null(apc__flow_track(t, &later, 3 * SEC, 100, &dir));
    /* Past the 30 s reassembly time the entry is gone. */
    set_addr(&later, "10.0.0.1", "10.0.0.2");
    assert_non_null(apc__flow_track(t, &later, 31 * SEC, 100, &dir));
    assert_null(apc__flow_track(t, &later, 32 * SEC, 100, &dir));
    /* IPv6 later fragments: no 32-bit id in apc__pkt_t, so NULL. */
    apc__pkt_t v6;
    memset(&v6, 0, sizeof(v6));
    set_addr(&v6, "2001:db8::1", "2001:db8::2");
    v6.ip_proto = 17;
    v6.is_fragment = 1;
    v6.frag_offset = 1232;
    assert_null(apc__flow_track(t, &v6, 40 * SEC, 100, &dir));
    /* A fragment of an evicted connection's datagram: NULL, not a dangling connection. */
    apc__flow_table_t *t2 = apc__flow_new(1, 1, NULL, NULL);
    first.ip_id = 7;
    later.ip_id = 7;
    assert_non_null(apc__flow_track(t2, &first, 1 * SEC, 100, &dir));
    assert_non_null(track(t2, udp("10.9.9.9", 1, "10.9.9.8", 2), 1 * SEC, 10, &dir));
    assert_null(apc__flow_track(t2, &later, 1 * SEC, 100, &dir));
    apc__flow_free(t2);
    apc__flow_free(t);
}

static void test_ipv6_icmp_and_non_ip(void **state)
{
    (void)state;
    apc__flow_table_t *t = apc__flow_new(1, 16, NULL, NULL);
    int dir;
    apc__conn_t *c = track(t, tcp("2001:db8::20", 443, "2001:db8::10", 50000, SYN | ACK, 1, 2),
                           1 * SEC, 80, &dir);
    assert_int_equal(c->ip_ver, 6);
    uint8_t want[16];
    inet_pton(AF_INET6, "2001:db8::10", want);
    assert_memory_equal(c->a_addr, want, 16);
    assert_int_equal(c->a_port, 50000);
    assert_int_equal(dir, 1);
    /* ICMP echo both ways: one connection per address pair, ports 0. */
    apc__pkt_t e;
    memset(&e, 0, sizeof(e));
    set_addr(&e, "10.0.0.1", "1.1.1.1");
    e.ip_proto = 1;
    e.has_l4 = 1;
    e.icmp_type = 8;
    c = apc__flow_track(t, &e, 2 * SEC, 98, &dir);
    assert_int_equal(c->a_port, 0);
    assert_int_equal(c->b_port, 0);
    assert_int_equal(c->tcp_state, APC_TCP_NONE);
    set_addr(&e, "1.1.1.1", "10.0.0.1");
    e.icmp_type = 0;
    assert_ptr_equal(apc__flow_track(t, &e, 2 * SEC, 98, &dir), c);
    assert_int_equal(dir, 1);
    /* Same addresses as IPv4 TCP/UDP are other connections. */
    assert_int_equal(apc__flow_count(t), 2);
    /* Not IP, or TCP without its header: no connection. */
    apc__pkt_t arp;
    memset(&arp, 0, sizeof(arp));
    assert_null(apc__flow_track(t, &arp, 3 * SEC, 42, &dir));
    apc__pkt_t trunc = tcp("10.0.0.1", 1, "10.0.0.2", 2, SYN, 1, 0);
    trunc.has_l4 = 0;
    assert_null(apc__flow_track(t, &trunc, 3 * SEC, 42, &dir));
    assert_null(apc__flow_track(NULL, &trunc, 3 * SEC, 42, &dir));
    assert_int_equal(apc__flow_count(t), 2);
    apc__flow_free(t);
    apc__flow_free(NULL);
}

/* The lookup computed ahead: both directions of a tuple give one key and hash, with the sender's
 * side told apart; packets not looked up by their tuple say so. */
static void test_lookup_of(void **state)
{
    (void)state;
    apc__flow_lookup_t a, b;
    apc__pkt_t out = tcp("10.0.0.1", 40000, "10.0.0.2", 80, SYN, 1, 0);
    apc__pkt_t back = tcp("10.0.0.2", 80, "10.0.0.1", 40000, SYN | ACK, 7, 2);
    uint64_t h = apc__flow_lookup_of(&out, &a);
    assert_int_equal(a.keyed, 1);
    assert_int_equal(h, a.hash);
    assert_int_equal(apc__flow_lookup_of(&back, &b), h);
    assert_memory_equal(&a.k, &b.k, sizeof a.k);
    assert_int_not_equal(a.src_lo, b.src_lo);
    apc__pkt_t v6 = udp("2001:db8::1", 5353, "2001:db8::2", 5353);
    assert_int_not_equal(apc__flow_lookup_of(&v6, &b), h);
    assert_int_equal(b.keyed, 1);
    apc__pkt_t none;
    memset(&none, 0, sizeof none); /* not IP */
    assert_int_equal(apc__flow_lookup_of(&none, &b), 0);
    assert_int_equal(b.keyed, 0);
    apc__pkt_t later = udp("10.0.0.1", 0, "10.0.0.2", 0);
    later.is_fragment = 1;
    later.frag_offset = 1480;
    later.has_l4 = 0;
    assert_int_equal(apc__flow_lookup_of(&later, &b), 0);
    assert_int_equal(b.keyed, 0);
    apc__pkt_t cut = tcp("10.0.0.1", 0, "10.0.0.2", 0, 0, 0, 0);
    cut.has_l4 = 0; /* a transport header cut short: no tuple */
    assert_int_equal(apc__flow_lookup_of(&cut, &b), 0);
    assert_int_equal(b.keyed, 0);
    /* A lookup given to apc__flow_track_at files the packet where apc__flow_track does. */
    apc__flow_table_t *t = apc__flow_new(1, 16, NULL, NULL);
    int dir = -1;
    apc__conn_t *c1 = apc__flow_track(t, &out, 1 * SEC, 60, &dir);
    assert_int_equal(dir, 0);
    apc__flow_lookup_of(&back, &b);
    apc__conn_t *c2 = apc__flow_track_at(t, &back, &b, 2 * SEC, 60, &dir);
    assert_ptr_equal(c1, c2);
    assert_int_equal(dir, 1);
    assert_int_equal(c2->pkts[0], 1);
    assert_int_equal(c2->pkts[1], 1);
    assert_null(apc__flow_track_at(t, &none, NULL, 3 * SEC, 60, &dir));
    apc__flow_free(t);
}

static void count_cb(const apc__conn_t *c, void *payload)
{
    uint64_t *sum = payload;
    *sum += c->id;
}

static void test_foreach_count_next_id_free(void **state)
{
    (void)state;
    evicted_t ev = {0};
    apc__flow_table_t *t = apc__flow_new(10, 1000, on_evict, &ev);
    int dir;
    char a[32];
    for (int i = 0; i < 50; i++) {
        snprintf(a, sizeof(a), "10.2.%d.%d", i / 200, i % 200 + 1);
        assert_int_equal(track(t, udp(a, 9, "10.3.0.1", 9), i * SEC, 10, &dir)->id, 10 + i);
    }
    /* One closed TCP connection (on the closed list) is visited too. */
    track(t, tcp("10.0.0.1", 1, "10.0.0.2", 2, SYN, 1, 0), 60 * SEC, 60, &dir);
    track(t, tcp("10.0.0.2", 2, "10.0.0.1", 1, RST | ACK, 0, 2), 60 * SEC, 60, &dir);
    assert_int_equal(apc__flow_count(t), 51);
    assert_int_equal(apc__flow_next_id(t), 61);
    uint64_t sum = 0;
    apc__flow_foreach(t, count_cb, &sum);
    assert_int_equal(sum, (10 + 60) * 51 / 2);
    assert_int_equal(ev.n, 0);
    apc__flow_free(t);
    assert_int_equal(ev.n, 51);
    /* Oldest first. */
    assert_int_equal(ev.c[0].id, 10);
    assert_int_equal(ev.c[50].id, 60);
}

/* Many connections, beyond one slab and several table growths; then a warm-table rate. */
static void test_scale_and_rate(void **state)
{
    (void)state;
    evicted_t ev = {0};
    apc__flow_table_t *t = apc__flow_new(1, 20000, on_evict, &ev);
    enum { N = 30000 };
    static apc__pkt_t pk[N];
    for (int i = 0; i < N; i++) {
        memset(&pk[i], 0, sizeof(pk[i]));
        pk[i].ip_ver = 4;
        pk[i].ip_proto = 17;
        pk[i].has_l4 = 1;
        uint32_t s = htonl(0x0a000000u + (uint32_t)i), d = htonl(0xc0a80001u);
        memcpy(pk[i].src, &s, 4);
        memcpy(pk[i].dst, &d, 4);
        pk[i].sport = (uint16_t)(1024 + i % 5000);
        pk[i].dport = 53;
    }
    int dir;
    for (int i = 0; i < N; i++)
        assert_int_equal(apc__flow_track(t, &pk[i], SEC, 64, &dir)->id, (uint64_t)i + 1);
    assert_int_equal(apc__flow_count(t), 20000);
    assert_int_equal(ev.n, 10000);
    /* Warm lookups over the 20000 live ones. */
    struct timespec a, b;
    const int rounds = 2000000;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (int r = 0; r < rounds; r++) {
        apc__conn_t *c = apc__flow_track(t, &pk[N - 1 - (r % 20000)], SEC, 64, &dir);
        if (!c)
            fail();
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    double secs = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
    printf("# warm table: %.1f M packets/s tracked\n", rounds / secs / 1e6);
    assert_int_equal(apc__flow_count(t), 20000);
    assert_int_equal(ev.n, 10000);
    apc__flow_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_initiator_syn_and_states),
        cmocka_unit_test(test_initiator_synack_first),
        cmocka_unit_test(test_midstream),
        cmocka_unit_test(test_port_reuse_after_fin),
        cmocka_unit_test(test_port_reuse_after_rst),
        cmocka_unit_test(test_lru_eviction),
        cmocka_unit_test(test_timeouts),
        cmocka_unit_test(test_fragments),
        cmocka_unit_test(test_ipv6_icmp_and_non_ip),
        cmocka_unit_test(test_lookup_of),
        cmocka_unit_test(test_foreach_count_next_id_free),
        cmocka_unit_test(test_scale_and_rate),
        cmocka_unit_test(test_flow_corpus_vs_tshark),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
