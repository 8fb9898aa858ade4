/* SPDX-License-Identifier: MIT */
/* Unit tests of module decode: crafted packets for every layer, truncation at every length,
 * malformed headers with their exact errors. DNS and address text: test_dns.c; real captures
 * against tcpdump/tshark: test_corpus.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pktbuild.h"
#include "tests.h"

#define A4 "\x0a\x00\x00\x01"
#define B4 "\x0a\x00\x00\x02"
#define A6 "\x20\x01\x0d\xb8\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01"
#define B6 "\x20\x01\x0d\xb8\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02"

void decode_exact(apc__pkt_t *p, const uint8_t *data, uint32_t caplen, uint32_t wirelen,
                  uint32_t linktype)
{
    uint8_t *copy = malloc(caplen ? caplen : 1);
    assert_non_null(copy);
    memcpy(copy, data, caplen);
    apc__decode(p, copy, caplen, wirelen, linktype);
    char line[512];
    apc__decode_summary(line, sizeof(line), p, copy, caplen, wirelen);
    free(copy);
}

static void summary(char *out, size_t n, const pb_t *b, uint32_t linktype)
{
    apc__pkt_t p;
    apc__decode(&p, b->d, (uint32_t)b->len, (uint32_t)b->len, linktype);
    apc__decode_summary(out, n, &p, b->d, (uint32_t)b->len, (uint32_t)b->len);
}

static void test_eth_ipv4_tcp(void **state)
{
    (void)state;
    pb_t b = {.len = 0};
    pb_eth(&b, 0x0800);
    pb_ipv4(&b, 6, 20 + 32 + 5, A4, B4, 0x4000);
    pb_tcp(&b, 58694, 8000, 217911224, 3879633684u, 0x18, 512, 12);
    pb_bytes(&b, "hello", 5);
    pb_zero(&b, 3); /* Ethernet padding after the IP datagram is not payload */
    apc__pkt_t p;
    decode_exact(&p, b.d, (uint32_t)b.len, (uint32_t)b.len, APC_LINKTYPE_ETHERNET);
    assert_int_equal(p.link_decoded, 1);
    assert_int_equal(p.has_eth, 1);
    assert_int_equal(p.eth_src[0], 0x0a);
    assert_int_equal(p.ethertype, 0x0800);
    assert_int_equal(p.ip_ver, 4);
    assert_memory_equal(p.src, A4, 4);
    assert_memory_equal(p.dst, B4, 4);
    assert_int_equal(p.ip_proto, 6);
    assert_int_equal(p.ttl, 64);
    assert_int_equal(p.ip_id, 0x1234);
    assert_int_equal(p.ip_total_len, 57);
    assert_int_equal(p.is_fragment, 0);
    assert_int_equal(p.has_l4, 1);
    assert_int_equal(p.sport, 58694);
    assert_int_equal(p.dport, 8000);
    assert_int_equal(p.tcp_flags, 0x18);
    assert_int_equal(p.tcp_seq, 217911224);
    assert_int_equal(p.tcp_ack, 3879633684u);
    assert_int_equal(p.tcp_win, 512);
    assert_int_equal(p.l3_off, 14);
    assert_int_equal(p.l4_off, 34);
    assert_int_equal(p.payload_off, 66);
    assert_int_equal(p.payload_len, 5);
    assert_int_equal(p.payload_caplen, 5);
    assert_int_equal(p.truncated_at, APC_LAYER_NONE);
    assert_null(p.error);
    char line[512];
    summary(line, sizeof(line), &b, APC_LINKTYPE_ETHERNET);
    assert_string_equal(line, "IP 10.0.0.1.58694 > 10.0.0.2.8000: Flags [P.], seq "
                              "217911224:217911229, ack 3879633684, win 512, options "
                              "[nop,nop,TS val 1000 ecr 2000], length 5");
    /* The summary truncates to the buffer and stays NUL-terminated. */
    char small[10];
    size_t n = apc__decode_summary(small, sizeof(small), &p, b.d, (uint32_t)b.len, (uint32_t)b.len);
    assert_int_equal(n, 9);
    assert_string_equal(small, "IP 10.0.0");
}

/* One packet and the layer boundaries at which truncation moves on. */
typedef struct trunc_case {
    const char *what;
    uint32_t linktype;
    size_t link_end, net_end, l4_end;
    pb_t b;
} trunc_case_t;

static void check_truncation(const trunc_case_t *tc)
{
    for (size_t cap = 0; cap <= tc->b.len; cap++) {
        apc__pkt_t p;
        decode_exact(&p, tc->b.d, (uint32_t)cap, (uint32_t)tc->b.len, tc->linktype);
        int want = cap < tc->link_end  ? APC_LAYER_LINK
                   : cap < tc->net_end ? APC_LAYER_NET
                   : cap < tc->l4_end  ? APC_LAYER_TRANSPORT
                                       : APC_LAYER_NONE;
        if (p.truncated_at != want || p.error)
            fail_msg("%s: caplen %zu: truncated_at %d, want %d (error %s)", tc->what, cap,
                     p.truncated_at, want, p.error ? p.error : "-");
        if (want == APC_LAYER_NONE) {
            assert_int_equal(p.has_l4, 1);
            assert_true(p.payload_caplen <= cap - p.payload_off);
        }
    }
}

static void test_truncation_every_length(void **state)
{
    (void)state;
    static trunc_case_t tc[6];
    memset(tc, 0, sizeof(tc));
    int n = 0;

    /* Ethernet / IPv4 with options / TCP with options / payload */
    trunc_case_t *t = &tc[n++];
    t->what = "eth-ipv4opt-tcp";
    t->linktype = APC_LINKTYPE_ETHERNET;
    pb_eth(&t->b, 0x0800);
    pb_u8(&t->b, 0x46); /* IHL 6: one word of options */
    pb_u8(&t->b, 0);
    pb_u16(&t->b, 24 + 32 + 4);
    pb_zero(&t->b, 4);
    pb_u8(&t->b, 64);
    pb_u8(&t->b, 6);
    pb_u16(&t->b, 0);
    pb_bytes(&t->b, A4 B4, 8);
    pb_bytes(&t->b, "\x01\x01\x01\x00", 4);
    pb_tcp(&t->b, 1, 2, 3, 4, 0x02, 5, 12);
    pb_bytes(&t->b, "data", 4);
    t->link_end = 14, t->net_end = 38, t->l4_end = 70;

    /* Ethernet / 802.1ad / 802.1Q / IPv6 / hop-by-hop / UDP */
    t = &tc[n++];
    t->what = "qinq-ipv6-hbh-udp";
    t->linktype = APC_LINKTYPE_ETHERNET;
    pb_eth(&t->b, 0x88a8);
    pb_u16(&t->b, 100);
    pb_u16(&t->b, 0x8100);
    pb_u16(&t->b, 200);
    pb_u16(&t->b, 0x86dd);
    pb_ipv6(&t->b, 0, 8 + 8 + 3, A6, B6);
    pb_u8(&t->b, 17);
    pb_u8(&t->b, 0);
    pb_zero(&t->b, 6);
    pb_udp(&t->b, 5000, 53, 11);
    pb_bytes(&t->b, "abc", 3);
    t->link_end = 22, t->net_end = 22 + 48, t->l4_end = 22 + 56;

    /* SLL2 / IPv4 / ICMP echo */
    t = &tc[n++];
    t->what = "sll2-ipv4-icmp";
    t->linktype = APC_LINKTYPE_LINUX_SLL2;
    pb_u16(&t->b, 0x0800);
    pb_zero(&t->b, 6);
    pb_u16(&t->b, 1);
    pb_u8(&t->b, 4);
    pb_u8(&t->b, 6);
    pb_zero(&t->b, 8);
    pb_ipv4(&t->b, 1, 20 + 12, A4, B4, 0);
    pb_bytes(&t->b, "\x08\x00\x00\x00\x00\x07\x00\x01", 8);
    pb_bytes(&t->b, "ping", 4);
    t->link_end = 20, t->net_end = 40, t->l4_end = 48;

    /* Ethernet / MPLS x2 / IPv4 / UDP */
    t = &tc[n++];
    t->what = "mpls-ipv4-udp";
    t->linktype = APC_LINKTYPE_ETHERNET;
    pb_eth(&t->b, 0x8847);
    pb_u32(&t->b, 0x00010040);
    pb_u32(&t->b, 0x00020140);
    pb_ipv4(&t->b, 17, 20 + 8, A4, B4, 0);
    pb_udp(&t->b, 1, 2, 8);
    t->link_end = 22, t->net_end = 42, t->l4_end = 50;

    /* BSD null (little-endian AF_INET6 = 30) / IPv6 / TCP */
    t = &tc[n++];
    t->what = "null-ipv6-tcp";
    t->linktype = APC_LINKTYPE_NULL;
    pb_bytes(&t->b, "\x1e\x00\x00\x00", 4);
    pb_ipv6(&t->b, 6, 20, A6, B6);
    pb_tcp(&t->b, 80, 1234, 1, 2, 0x11, 10, 0);
    t->link_end = 4, t->net_end = 44, t->l4_end = 64;

    /* raw / IPv6 / fragment (first) / IPv4-in-IPv6 tunnel / TCP */
    t = &tc[n++];
    t->what = "raw-ipv6-frag-4in6-tcp";
    t->linktype = APC_LINKTYPE_RAW;
    pb_ipv6(&t->b, 44, 8 + 20 + 20, A6, B6);
    pb_u8(&t->b, 4);
    pb_u8(&t->b, 0);
    pb_u16(&t->b, 1); /* offset 0, M set */
    pb_u32(&t->b, 0xabcd);
    pb_ipv4(&t->b, 6, 40, A4, B4, 0);
    pb_tcp(&t->b, 1, 2, 3, 4, 0x10, 5, 0);
    t->link_end = 0, t->net_end = 68, t->l4_end = 88;

    for (int i = 0; i < n; i++)
        check_truncation(&tc[i]);

    apc__pkt_t p;
    decode_exact(&p, tc[5].b.d, (uint32_t)tc[5].b.len, (uint32_t)tc[5].b.len, APC_LINKTYPE_RAW);
    assert_int_equal(p.ip_tunnels, 1);
    assert_int_equal(p.ip_ver, 4); /* the inner header */
    assert_memory_equal(p.src, A4, 4);
    assert_int_equal(p.has_l4, 1);
    /* An inner header cut short keeps the outer addresses and says where it stopped. */
    decode_exact(&p, tc[5].b.d, 60, (uint32_t)tc[5].b.len, APC_LINKTYPE_RAW);
    assert_int_equal(p.ip_ver, 6);
    assert_memory_equal(p.src, A6, 16);
    assert_int_equal(p.truncated_at, APC_LAYER_NET);
}

static void test_malformed(void **state)
{
    (void)state;
    apc__pkt_t p;
    pb_t b = {.len = 0};
    pb_ipv4(&b, 6, 40, A4, B4, 0);
    b.d[0] = 0x43;
    decode_exact(&p, b.d, (uint32_t)b.len, (uint32_t)b.len, APC_LINKTYPE_IPV4);
    assert_string_equal(p.error, "IPv4 header length 12 < 20");
    assert_int_equal(p.truncated_at, 0);

    b.d[0] = 0x45;
    b.d[3] = 10; /* total length 10 < 20 */
    decode_exact(&p, b.d, (uint32_t)b.len, (uint32_t)b.len, APC_LINKTYPE_IPV4);
    assert_string_equal(p.error, "IPv4 total length < header length");

    b.d[0] = 0x65;
    decode_exact(&p, b.d, (uint32_t)b.len, (uint32_t)b.len, APC_LINKTYPE_IPV4);
    assert_string_equal(p.error, "IPv4 version field not 4");

    b.d[0] = 0x55;
    decode_exact(&p, b.d, (uint32_t)b.len, (uint32_t)b.len, APC_LINKTYPE_RAW);
    assert_string_equal(p.error, "IP version not 4 or 6");

    b.len = 0;
    pb_ipv4(&b, 6, 40, A4, B4, 0);
    pb_tcp(&b, 1, 2, 3, 4, 2, 5, 0);
    b.d[32] = 0x20; /* data offset 2 */
    decode_exact(&p, b.d, (uint32_t)b.len, (uint32_t)b.len, APC_LINKTYPE_IPV4);
    assert_string_equal(p.error, "TCP data offset 2 < 5");
    assert_int_equal(p.sport, 1);
    char line[256];
    apc__decode_summary(line, sizeof(line), &p, b.d, (uint32_t)b.len, (uint32_t)b.len);
    assert_string_equal(line, "IP 10.0.0.1.1 > 10.0.0.2.2: [TCP data offset 2 < 5]");
    b.d[32] = 0xf0; /* 60 bytes > 20 of IP payload */
    decode_exact(&p, b.d, (uint32_t)b.len, (uint32_t)b.len, APC_LINKTYPE_IPV4);
    assert_string_equal(p.error, "TCP data offset beyond IP payload");

    b.len = 0;
    pb_ipv4(&b, 17, 28, A4, B4, 0);
    pb_udp(&b, 1, 2, 4);
    decode_exact(&p, b.d, (uint32_t)b.len, (uint32_t)b.len, APC_LINKTYPE_IPV4);
    assert_string_equal(p.error, "UDP length < 8");
    b.d[25] = 9; /* 9 > 8 bytes of IP payload */
    decode_exact(&p, b.d, (uint32_t)b.len, (uint32_t)b.len, APC_LINKTYPE_IPV4);
    assert_string_equal(p.error, "UDP length beyond IP payload");

    /* IPv6: 17 destination-options headers, and one longer than the payload */
    b.len = 0;
    pb_ipv6(&b, 60, 17 * 8, A6, B6);
    for (int i = 0; i < 17; i++) {
        pb_u8(&b, 60);
        pb_zero(&b, 7);
    }
    decode_exact(&p, b.d, (uint32_t)b.len, (uint32_t)b.len, APC_LINKTYPE_IPV6);
    assert_string_equal(p.error, "IPv6 extension header chain longer than 16");
    b.d[41] = 200;
    decode_exact(&p, b.d, (uint32_t)b.len, (uint32_t)b.len, APC_LINKTYPE_IPV6);
    assert_string_equal(p.error, "IPv6 extension header beyond payload length");

    /* 17 MPLS labels without bottom of stack, 9 VLAN tags */
    b.len = 0;
    pb_eth(&b, 0x8847);
    for (int i = 0; i < 17; i++)
        pb_u32(&b, 0x00010040);
    decode_exact(&p, b.d, (uint32_t)b.len, (uint32_t)b.len, APC_LINKTYPE_ETHERNET);
    assert_string_equal(p.error, "MPLS label stack deeper than 16");
    b.len = 0;
    pb_eth(&b, 0x8100);
    for (int i = 0; i < 9; i++) {
        pb_u16(&b, i);
        pb_u16(&b, 0x8100);
    }
    decode_exact(&p, b.d, (uint32_t)b.len, (uint32_t)b.len, APC_LINKTYPE_ETHERNET);
    assert_string_equal(p.error, "more than 8 VLAN tags");
    assert_int_equal(p.vlan_count, 8);
}

static void test_vlan_mpls(void **state)
{
    (void)state;
    apc__pkt_t p;
    pb_t b = {.len = 0};
    pb_eth(&b, 0x88a8);
    pb_u16(&b, 0x2000 | 10); /* PCP bits must not leak into the VID */
    pb_u16(&b, 0x9100);
    pb_u16(&b, 20);
    pb_u16(&b, 0x8100);
    pb_u16(&b, 30);
    pb_u16(&b, 0x8847);
    pb_u32(&b, 0x00010040);
    pb_u32(&b, 0x00020140);
    pb_ipv6(&b, 59, 0, A6, B6);
    decode_exact(&p, b.d, (uint32_t)b.len, (uint32_t)b.len, APC_LINKTYPE_ETHERNET);
    assert_int_equal(p.vlan_count, 3);
    assert_int_equal(p.vlan_id[0], 10);
    assert_int_equal(p.vlan_id[1], 20);
    assert_int_equal(p.vlan_id[2], 30);
    assert_int_equal(p.mpls_count, 2);
    assert_int_equal(p.ethertype, 0x86dd);
    assert_int_equal(p.ip_ver, 6);
    assert_int_equal(p.ip_proto, 59);
    assert_int_equal(p.has_l4, 0);
    assert_int_equal(p.l3_off, 14 + 12 + 8);

    /* 802.3 + LLC/SNAP carrying IPv4 */
    b.len = 0;
    pb_eth(&b, 28 + 8);
    pb_bytes(&b, "\xaa\xaa\x03\x00\x00\x00\x08\x00", 8);
    pb_ipv4(&b, 17, 28, A4, B4, 0);
    pb_udp(&b, 7, 9, 8);
    decode_exact(&p, b.d, (uint32_t)b.len, (uint32_t)b.len, APC_LINKTYPE_ETHERNET);
    assert_int_equal(p.ip_ver, 4);
    assert_int_equal(p.dport, 9);

    /* PPPoE session carrying IPv4 */
    b.len = 0;
    pb_eth(&b, 0x8864);
    pb_bytes(&b, "\x11\x00\x00\x01\x00\x1e\x00\x21", 8);
    pb_ipv4(&b, 17, 28, A4, B4, 0);
    pb_udp(&b, 7, 9, 8);
    decode_exact(&p, b.d, (uint32_t)b.len, (uint32_t)b.len, APC_LINKTYPE_ETHERNET);
    assert_int_equal(p.ip_ver, 4);
    assert_int_equal(p.sport, 7);
}

static void test_link_types(void **state)
{
    (void)state;
    apc__pkt_t p;
    pb_t ip = {.len = 0};
    pb_ipv4(&ip, 17, 28, A4, B4, 0);
    pb_udp(&ip, 7, 9, 8);

    /* SLL: packet type -> direction */
    static const struct {
        unsigned type;
        int dir;
    } dirs[] = {{0, 1}, {1, 1}, {2, 1}, {3, 1}, {4, 2}, {7, 0}};
    for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
        pb_t b = {.len = 0};
        pb_u16(&b, dirs[i].type);
        pb_u16(&b, 1);
        pb_u16(&b, 6);
        pb_zero(&b, 8);
        pb_u16(&b, 0x0800);
        pb_bytes(&b, ip.d, ip.len);
        decode_exact(&p, b.d, (uint32_t)b.len, (uint32_t)b.len, APC_LINKTYPE_LINUX_SLL);
        assert_int_equal(p.direction, dirs[i].dir);
        assert_int_equal(p.dport, 9);

        b.len = 0;
        pb_u16(&b, 0x0800);
        pb_zero(&b, 6);
        pb_u16(&b, 1);
        pb_u8(&b, dirs[i].type);
        pb_u8(&b, 6);
        pb_zero(&b, 8);
        pb_bytes(&b, ip.d, ip.len);
        decode_exact(&p, b.d, (uint32_t)b.len, (uint32_t)b.len, APC_LINKTYPE_LINUX_SLL2);
        assert_int_equal(p.direction, dirs[i].dir);
        assert_int_equal(p.dport, 9);
    }

    /* raw IP under every number it goes by */
    uint32_t raws[] = {APC_LINKTYPE_RAW, APC_DLT_RAW_12, APC_DLT_RAW_14, APC_LINKTYPE_IPV4};
    for (size_t i = 0; i < 4; i++) {
        decode_exact(&p, ip.d, (uint32_t)ip.len, (uint32_t)ip.len, raws[i]);
        assert_int_equal(p.ip_ver, 4);
        assert_int_equal(p.has_l4, 1);
    }
    decode_exact(&p, ip.d, (uint32_t)ip.len, (uint32_t)ip.len, APC_LINKTYPE_IPV6);
    assert_int_equal(p.truncated_at, APC_LAYER_NET); /* 28 bytes < an IPv6 header */
    pb_t big = ip;
    pb_zero(&big, 20);
    decode_exact(&p, big.d, (uint32_t)big.len, (uint32_t)big.len, APC_LINKTYPE_IPV6);
    assert_string_equal(p.error, "IPv6 version field not 6");

    /* BSD null: both byte orders, every AF_INET6; OpenBSD loop: network order only */
    static const struct {
        const char *hdr;
        uint32_t lt;
        int ver;
    } nulls[] = {
        {"\x02\x00\x00\x00", APC_LINKTYPE_NULL, 4}, {"\x00\x00\x00\x02", APC_LINKTYPE_NULL, 4},
        {"\x18\x00\x00\x00", APC_LINKTYPE_NULL, 6}, {"\x00\x00\x00\x1c", APC_LINKTYPE_NULL, 6},
        {"\x1e\x00\x00\x00", APC_LINKTYPE_NULL, 6}, {"\x00\x00\x00\x02", APC_LINKTYPE_LOOP, 4},
        {"\x00\x00\x00\x18", APC_LINKTYPE_LOOP, 6}, {"\x02\x00\x00\x00", APC_LINKTYPE_LOOP, 0},
        {"\x07\x00\x00\x00", APC_LINKTYPE_NULL, 0},
    };
    for (size_t i = 0; i < sizeof(nulls) / sizeof(nulls[0]); i++) {
        pb_t b = {.len = 0};
        pb_bytes(&b, nulls[i].hdr, 4);
        if (nulls[i].ver == 6)
            pb_ipv6(&b, 59, 0, A6, B6);
        else
            pb_bytes(&b, ip.d, ip.len);
        decode_exact(&p, b.d, (uint32_t)b.len, (uint32_t)b.len, nulls[i].lt);
        assert_int_equal(p.ip_ver, nulls[i].ver);
        assert_null(p.error);
    }

    /* An unknown link type decodes nothing and is no error. */
    decode_exact(&p, ip.d, (uint32_t)ip.len, (uint32_t)ip.len, 147);
    assert_int_equal(p.link_decoded, 0);
    assert_int_equal(p.ip_ver, 0);
    assert_int_equal(p.truncated_at, 0);
    assert_null(p.error);
    char line[128];
    apc__decode_summary(line, sizeof(line), &p, ip.d, (uint32_t)ip.len, 99);
    assert_string_equal(line, "link type 147, length 99");
    apc__decode(&p, NULL, 0, 0, APC_LINKTYPE_ETHERNET);
    assert_int_equal(p.truncated_at, APC_LAYER_LINK);
}

static void test_ipv6_ext_and_fragments(void **state)
{
    (void)state;
    apc__pkt_t p;
    pb_t b = {.len = 0};
    /* hop-by-hop (8) -> routing (16) -> destination options (8) -> AH (12+4: len 2) -> TCP */
    pb_ipv6(&b, 0, 8 + 16 + 8 + 16 + 20, A6, B6);
    pb_u8(&b, 43);
    pb_zero(&b, 7);
    pb_u8(&b, 60);
    pb_u8(&b, 1);
    pb_zero(&b, 14);
    pb_u8(&b, 51);
    pb_zero(&b, 7);
    pb_u8(&b, 6);
    pb_u8(&b, 2); /* RFC 4302: (2 + 2) * 4 = 16 bytes */
    pb_zero(&b, 14);
    pb_tcp(&b, 443, 50000, 10, 20, 0x12, 100, 0);
    decode_exact(&p, b.d, (uint32_t)b.len, (uint32_t)b.len, APC_LINKTYPE_IPV6);
    assert_null(p.error);
    assert_int_equal(p.ip_proto, 6);
    assert_int_equal(p.l4_off, 40 + 48);
    assert_int_equal(p.sport, 443);
    assert_int_equal(p.ip_total_len, b.len);

    /* mobility header ends the chain */
    b.len = 0;
    pb_ipv6(&b, 135, 8, A6, B6);
    pb_u8(&b, 59);
    pb_zero(&b, 7);
    decode_exact(&p, b.d, (uint32_t)b.len, (uint32_t)b.len, APC_LINKTYPE_IPV6);
    assert_int_equal(p.ip_proto, 135);
    assert_int_equal(p.has_l4, 0);
    assert_int_equal(p.payload_off, 40);
    assert_int_equal(p.payload_len, 8);

    /* non-first IPv6 fragment: no transport header */
    b.len = 0;
    pb_ipv6(&b, 44, 8 + 16, A6, B6);
    pb_u8(&b, 17);
    pb_u8(&b, 0);
    pb_u16(&b, 1448); /* offset 181*8 = 1448, M clear */
    pb_u32(&b, 0x12345678);
    pb_zero(&b, 16);
    decode_exact(&p, b.d, (uint32_t)b.len, (uint32_t)b.len, APC_LINKTYPE_IPV6);
    assert_int_equal(p.is_fragment, 1);
    assert_int_equal(p.frag_offset, 1448);
    assert_int_equal(p.frag_more, 0);
    assert_int_equal(p.ip_id, 0x5678);
    assert_int_equal(p.has_l4, 0);
    assert_int_equal(p.payload_len, 16);
    char line[256];
    apc__decode_summary(line, sizeof(line), &p, b.d, (uint32_t)b.len, (uint32_t)b.len);
    assert_string_equal(line, "IP6 2001:db8::1 > 2001:db8::2: frag (1448|16)");

    /* IPv4 fragments: the first has a transport header, the others do not */
    b.len = 0;
    pb_ipv4(&b, 17, 20 + 16, A4, B4, 0x2000);
    pb_udp(&b, 53, 1000, 100);
    pb_zero(&b, 8);
    decode_exact(&p, b.d, (uint32_t)b.len, (uint32_t)b.len, APC_LINKTYPE_IPV4);
    assert_int_equal(p.is_fragment, 1);
    assert_int_equal(p.frag_more, 1);
    assert_int_equal(p.has_l4, 1);
    assert_null(p.error); /* UDP length beyond this fragment is expected */
    assert_int_equal(p.payload_len, 92);
    assert_int_equal(p.payload_caplen, 8);
    b.len = 0;
    pb_ipv4(&b, 17, 20 + 16, A4, B4, 3);
    pb_zero(&b, 16);
    decode_exact(&p, b.d, (uint32_t)b.len, (uint32_t)b.len, APC_LINKTYPE_IPV4);
    assert_int_equal(p.is_fragment, 1);
    assert_int_equal(p.frag_offset, 24);
    assert_int_equal(p.has_l4, 0);
    assert_int_equal(p.payload_off, 20);
    apc__decode_summary(line, sizeof(line), &p, b.d, (uint32_t)b.len, (uint32_t)b.len);
    assert_string_equal(line, "IP 10.0.0.1 > 10.0.0.2: ip-proto-17");
}

static void test_summaries(void **state)
{
    (void)state;
    char line[512];
    pb_t b = {.len = 0};
    /* ARP request and reply (RFC 826) */
    pb_eth(&b, 0x0806);
    pb_bytes(&b, "\x00\x01\x08\x00\x06\x04\x00\x01", 8);
    pb_bytes(&b, "\x00\x0c\x29\x8e\x31\xf3", 6);
    pb_bytes(&b, A4, 4);
    pb_zero(&b, 6);
    pb_bytes(&b, B4, 4);
    summary(line, sizeof(line), &b, APC_LINKTYPE_ETHERNET);
    assert_string_equal(line, "ARP, Request who-has 10.0.0.2 tell 10.0.0.1, length 28");
    b.d[21] = 2;
    summary(line, sizeof(line), &b, APC_LINKTYPE_ETHERNET);
    assert_string_equal(line, "ARP, Reply 10.0.0.1 is-at 00:0c:29:8e:31:f3, length 28");

    /* ICMPv6 echo and neighbor solicitation, UDP, unknown ethertype */
    b.len = 0;
    pb_ipv6(&b, 58, 8 + 56, A6, B6);
    pb_bytes(&b, "\x80\x00\x00\x00\x00\x09\x00\x02", 8);
    pb_zero(&b, 56);
    summary(line, sizeof(line), &b, APC_LINKTYPE_RAW);
    assert_string_equal(line, "IP6 2001:db8::1 > 2001:db8::2: ICMP6, echo request, id 9, seq 2, "
                              "length 64");
    b.len = 0;
    pb_ipv6(&b, 58, 24, A6, B6);
    pb_bytes(&b, "\x87\x00\x00\x00\x00\x00\x00\x00", 8);
    pb_bytes(&b, B6, 16);
    summary(line, sizeof(line), &b, APC_LINKTYPE_RAW);
    assert_string_equal(line, "IP6 2001:db8::1 > 2001:db8::2: ICMP6, neighbor solicitation, "
                              "who has 2001:db8::2, length 24");
    b.len = 0;
    pb_ipv4(&b, 17, 20 + 8 + 6, A4, B4, 0);
    pb_udp(&b, 47808, 47808, 14);
    pb_zero(&b, 6);
    summary(line, sizeof(line), &b, APC_LINKTYPE_RAW);
    assert_string_equal(line, "IP 10.0.0.1.47808 > 10.0.0.2.47808: UDP, length 6");
    b.len = 0;
    pb_eth(&b, 0x88cc);
    pb_zero(&b, 46);
    summary(line, sizeof(line), &b, APC_LINKTYPE_ETHERNET);
    assert_string_equal(line, "ethertype 0x88cc, length 60");
}

int run_layer_tests(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_eth_ipv4_tcp), cmocka_unit_test(test_truncation_every_length),
        cmocka_unit_test(test_malformed),    cmocka_unit_test(test_vlan_mpls),
        cmocka_unit_test(test_link_types),   cmocka_unit_test(test_ipv6_ext_and_fragments),
        cmocka_unit_test(test_summaries),
    };
    return cmocka_run_group_tests_name("decode layers", tests, NULL, NULL);
}

int main(void)
{
    int fails = run_layer_tests();
    fails += run_dns_tests();
    fails += run_corpus_tests();
    return fails ? 1 : 0;
}
