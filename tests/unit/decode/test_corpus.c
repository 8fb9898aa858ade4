/* SPDX-License-Identifier: MIT */
/*
 * Module decode on real captures of $APC_CORPUS (read with libpcap, since the project's reader
 * is a different module): summaries against tcpdump's own output (live `tcpdump -S -n -r`) and
 * the ptcpdump reference files, addresses behind VLAN/QinQ/MPLS against tshark, fragments, DNS.
 */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tests.h"
#include "../corpus_skip.h"

static const char *corpus(void)
{
    return apc_test_corpus_or_skip();
}

typedef void (*pkt_fn)(int idx, const apc__pkt_t *p, const uint8_t *d, uint32_t caplen,
                       uint32_t len, void *arg);

/* Decodes every packet of corpus file `rel`; returns the packet count. */
static int each_packet(const char *rel, pkt_fn fn, void *arg)
{
    char path[1024], err[PCAP_ERRBUF_SIZE];
    snprintf(path, sizeof(path), "%s/%s", corpus(), rel);
    pcap_t *pc = pcap_open_offline(path, err);
    if (!pc)
        fail_msg("%s: %s", path, err);
    struct pcap_pkthdr *h;
    const u_char *d;
    int n = 0;
    uint32_t lt = (uint32_t)pcap_datalink(pc);
    while (pcap_next_ex(pc, &h, &d) == 1) {
        apc__pkt_t p;
        decode_exact(&p, d, h->caplen, h->len, lt);
        fn(n++, &p, d, h->caplen, h->len, arg);
    }
    pcap_close(pc);
    return n;
}

typedef struct lines {
    char **v;
    int n;
} lines_t;

static void add_line(lines_t *l, const char *s)
{
    l->v = realloc(l->v, sizeof(char *) * (size_t)(l->n + 1));
    assert_non_null(l->v);
    l->v[l->n++] = strdup(s);
}

static void free_lines(lines_t *l)
{
    for (int i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

static void add_summary(int idx, const apc__pkt_t *p, const uint8_t *d, uint32_t caplen,
                        uint32_t len, void *arg)
{
    char line[4096];
    apc__decode_summary(line, sizeof(line), p, d, caplen, len);
    add_line(arg, line);
}

/* Text after the timestamp of a tcpdump line. */
static const char *after_time(const char *s)
{
    const char *sp = strchr(s, ' ');
    return sp ? sp + 1 : s;
}

static void test_summary_vs_tcpdump(void **state)
{
    (void)state;
    if (!corpus() || system("tcpdump --version >/dev/null 2>&1") != 0)
        skip();
    static const char *const files[] = {
        "ptcpdump/tcp.pcapng",     "ptcpdump/udp.pcap",      "ptcpdump/icmp.pcapng",
        "ptcpdump/arp.pcapng",     "ptcpdump/tls.pcap",      "ptcpdump/dns.pcapng",
        "ptcpdump/ipoptions.pcap", "zeek/vlan-qinqinq.pcap", "zeek/http_bro.org.pcap",
    };
    for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
        lines_t ours = {0}, ref = {0};
        each_packet(files[f], add_summary, &ours);
        char cmd[1200], buf[8192];
        snprintf(cmd, sizeof(cmd), "tcpdump -S -n -r '%s/%s' 2>/dev/null", corpus(), files[f]);
        FILE *pp = popen(cmd, "r");
        assert_non_null(pp);
        while (fgets(buf, sizeof(buf), pp)) {
            buf[strcspn(buf, "\n")] = '\0';
            add_line(&ref, after_time(buf));
        }
        pclose(pp);
        assert_int_equal(ours.n, ref.n);
        for (int i = 0; i < ours.n; i++)
            if (strcmp(ours.v[i], ref.v[i]))
                fail_msg("%s packet %d:\n ours:    %s\n tcpdump: %s", files[f], i + 1, ours.v[i],
                         ref.v[i]);
        free_lines(&ours);
        free_lines(&ref);
    }
}

/* A ptcpdump reference line reduced to what tcpdump -S -n itself prints: no timestamp,
 * interface, process or direction, no ParentProc suffix, no application text after the
 * length, no "seq" on a bare ACK (ptcpdump prints it there, tcpdump does not), no target MAC
 * in an ARP request (tcpdump prints it, ptcpdump does not: removed from ours instead). */
static void normalize_ptcpdump(char *s)
{
    const char *starts[] = {" IP ", " IP6 ", " ARP, "};
    char *b = NULL;
    for (int i = 0; i < 3 && !b; i++)
        b = strstr(s, starts[i]);
    if (b)
        memmove(s, b + 1, strlen(b));
    char *pp = strstr(s, ", ParentProc [");
    if (pp)
        *pp = '\0';
    char *len = strstr(s, ", length ");
    while (len && strstr(len + 1, ", length "))
        len = strstr(len + 1, ", length ");
    if (len) {
        char *e = len + 9;
        while (*e >= '0' && *e <= '9')
            e++;
        *e = '\0';
    }
    char *seq = strstr(s, "Flags [.], seq ");
    if (seq && strstr(s, ", length 0")) {
        char *comma = strchr(seq + 15, ',');
        if (comma && !memchr(seq + 15, ':', (size_t)(comma - seq - 15)))
            memmove(seq + 9, comma, strlen(comma) + 1);
    }
}

static void strip_arp_mac(char *s)
{
    char *m = strstr(s, " (");
    if (strncmp(s, "ARP, Request", 12) == 0 && m) {
        char *e = strchr(m, ')');
        if (e)
            memmove(m, e + 1, strlen(e + 1) + 1);
    }
}

static void test_summary_vs_ptcpdump(void **state)
{
    (void)state;
    if (!corpus())
        skip();
    static const char *const files[][2] = {
        {"ptcpdump/tcp.pcapng", "ptcpdump/tcp.pcapng.-S.out.txt"},
        {"ptcpdump/tls.pcap", "ptcpdump/tls.pcap.-S.out.txt"},
        {"ptcpdump/udp.pcap", "ptcpdump/udp.pcap.out.txt"},
        {"ptcpdump/icmp.pcapng", "ptcpdump/icmp.pcapng.out.txt"},
        {"ptcpdump/arp.pcapng", "ptcpdump/arp.pcapng.out.txt"},
    };
    for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
        lines_t ours = {0};
        each_packet(files[f][0], add_summary, &ours);
        char path[1024], buf[8192];
        snprintf(path, sizeof(path), "%s/%s", corpus(), files[f][1]);
        FILE *fp = fopen(path, "r");
        assert_non_null(fp);
        int i = 0;
        while (fgets(buf, sizeof(buf), fp)) {
            buf[strcspn(buf, "\n")] = '\0';
            normalize_ptcpdump(buf);
            assert_true(i < ours.n);
            char mine[4096];
            snprintf(mine, sizeof(mine), "%s", ours.v[i]);
            char *http = strstr(mine, ": HTTP");
            if (http)
                *http = '\0';
            strip_arp_mac(mine);
            if (strcmp(mine, buf))
                fail_msg("%s line %d:\n ours:     %s\n ptcpdump: %s", files[f][1], i + 1, mine,
                         buf);
            i++;
        }
        fclose(fp);
        assert_int_equal(i, ours.n);
        free_lines(&ours);
    }
}

/* "src dst" of the innermost IP header, as tshark's last occurrence prints it. */
static void add_addrs(int idx, const apc__pkt_t *p, const uint8_t *d, uint32_t caplen, uint32_t len,
                      void *arg)
{
    char a[64] = "", b[64] = "", line[160];
    if (p->ip_ver) {
        apc__addr_format(a, sizeof(a), p->ip_ver, p->src);
        apc__addr_format(b, sizeof(b), p->ip_ver, p->dst);
    }
    snprintf(line, sizeof(line), "%s %s", a, b);
    add_line(arg, line);
}

static void test_vlan_mpls_vs_tshark(void **state)
{
    (void)state;
    if (!corpus() || system("tshark --version >/dev/null 2>&1") != 0)
        skip();
    static const char *const files[] = {"zeek/vlan-qinqinq.pcap", "zeek/mixed-vlan-mpls.pcap"};
    for (size_t f = 0; f < 2; f++) {
        lines_t ours = {0};
        int n = each_packet(files[f], add_addrs, &ours);
        char cmd[1200], buf[4096];
        snprintf(cmd, sizeof(cmd),
                 "tshark -n -r '%s/%s' -T fields -E occurrence=l -e ip.src -e ip.dst "
                 "-e ipv6.src -e ipv6.dst 2>/dev/null",
                 corpus(), files[f]);
        FILE *pp = popen(cmd, "r");
        assert_non_null(pp);
        int i = 0, checked = 0;
        while (fgets(buf, sizeof(buf), pp)) {
            buf[strcspn(buf, "\n")] = '\0';
            char *f4 = buf, *f4d = strchr(f4, '\t');
            assert_non_null(f4d);
            *f4d++ = '\0';
            char *f6 = strchr(f4d, '\t');
            assert_non_null(f6);
            *f6++ = '\0';
            char *f6d = strchr(f6, '\t');
            assert_non_null(f6d);
            *f6d++ = '\0';
            char want[4200];
            snprintf(want, sizeof(want), "%s %s", *f4 ? f4 : f6, *f4 ? f4d : f6d);
            assert_true(i < n);
            if (strcmp(ours.v[i], want))
                fail_msg("%s packet %d: ours '%s' tshark '%s'", files[f], i + 1, ours.v[i], want);
            checked += *f4 || *f6;
            i++;
        }
        pclose(pp);
        assert_int_equal(i, n);
        assert_true(checked > 10);
        free_lines(&ours);
    }
}

static void count_vlans(int idx, const apc__pkt_t *p, const uint8_t *d, uint32_t caplen,
                        uint32_t len, void *arg)
{
    int *v = arg;
    v[0] = p->vlan_count > v[0] ? p->vlan_count : v[0];
    v[1] += p->mpls_count > 0;
}

static void test_corpus_stacks(void **state)
{
    (void)state;
    if (!corpus())
        skip();
    int v[2] = {0, 0};
    each_packet("zeek/vlan-qinqinq.pcap", count_vlans, v);
    assert_int_equal(v[0], 3); /* three stacked tags, as the file's name says */
    v[0] = v[1] = 0;
    each_packet("zeek/mixed-vlan-mpls.pcap", count_vlans, v);
    assert_true(v[1] > 0);
}

static void frag_check(int idx, const apc__pkt_t *p, const uint8_t *d, uint32_t caplen,
                       uint32_t len, void *arg)
{
    /* tcpdump: packet 1 a whole UDP datagram (NTP), 2 a non-first fragment, 3 a first one */
    (void)arg;
    if (idx == 1) {
        assert_int_equal(p->is_fragment, 1);
        assert_true(p->frag_offset > 0);
        assert_int_equal(p->has_l4, 0);
        assert_int_equal(p->l4_off, 0);
    } else {
        assert_int_equal(p->has_l4, 1);
        assert_int_equal(p->sport, 123);
    }
}

static void test_ipv4_fragments(void **state)
{
    (void)state;
    if (!corpus())
        skip();
    assert_int_equal(each_packet("zeek/ipv4_fragmented-1.pcap", frag_check, NULL), 3);
}

static void name_addr(const char *name, int ver, const uint8_t *addr, void *payload)
{
    char a[64], line[1200];
    apc__addr_format(a, sizeof(a), ver, addr);
    snprintf(line, sizeof(line), "%s %s", name, a);
    add_line(payload, line);
}

static void dns_collect(int idx, const apc__pkt_t *p, const uint8_t *d, uint32_t caplen,
                        uint32_t len, void *arg)
{
    if (p->has_l4 && p->ip_proto == 17 && p->sport == 53 && p->payload_caplen)
        apc__dns_answers(d + p->payload_off, p->payload_caplen, name_addr, arg);
}

static void test_dns_corpus(void **state)
{
    (void)state;
    if (!corpus())
        skip();
    lines_t got = {0};
    each_packet("ptcpdump/dns.pcapng", dns_collect, &got);
    assert_int_equal(got.n, 1);
    assert_string_equal(got.v[0], "example.com 93.184.215.14");
    free_lines(&got);

    /* Answer-section A/AAAA records of every response, as tshark shows them (first IP
     * fragments carry the answers; the additional-section glue is not reported). */
    static const char *const want[] = {
        "pa.weberlab.de 2001:470:1f0b:1024::2",
        "fg2.weberlab.de 194.247.4.10",
        "fg2.weberlab.de 194.247.4.10",
        "fg2-mgmt.weberlab.de 2001:470:1f0b:16b0::1",
        "fg2-mgmt.weberlab.de 2001:470:1f0b:16b0::1",
        "fg2-mgmt.weberlab.de 2001:470:1f0b:16b0::1",
        "fg2-mgmt.weberlab.de 2001:470:1f0b:16b0::1",
        "sigok.verteiltesysteme.net 134.91.78.139",
        "formel1.de 85.25.234.253",
        "erfpop.de 2606:4700:30::6818:6291",
        "erfpop.de 2606:4700:30::6818:6391",
        "ns2.weberdns.de 2001:470:1f0b:16b0::a26:53",
        "ns2.weberdns.de 194.247.5.14",
    };
    each_packet("ndpi/dns_fragmented.pcap", dns_collect, &got);
    for (int i = 0; i < got.n; i++)
        printf("# %s\n", got.v[i]);
    assert_int_equal(got.n, (int)(sizeof(want) / sizeof(want[0])));
    for (int i = 0; i < got.n; i++)
        assert_string_equal(got.v[i], want[i]);
    free_lines(&got);
}

static void test_speed(void **state)
{
    (void)state;
    /* Ethernet / IPv4 / TCP with timestamps: the common case of every ingested packet. */
    static const uint8_t pkt[] = {
        0,    1,    2,    3,    4, 5,  6,  7, 8, 9,  10, 11, 0x08, 0x00, 0x45, 0, 0,
        52,   0,    1,    0x40, 0, 64, 6,  0, 0, 10, 0,  0,  1,    10,   0,    0, 2,
        0xe5, 0x46, 0x1f, 0x40, 0, 0,  0,  1, 0, 0,  0,  2,  0x80, 0x10, 2,    0, 0,
        0,    0,    0,    1,    1, 8,  10, 0, 0, 0,  1,  0,  0,    0,    2};
    const long n = 20000000;
    apc__pkt_t p;
    unsigned sum = 0;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (long i = 0; i < n; i++) {
        apc__decode(&p, pkt, sizeof(pkt), sizeof(pkt), APC_LINKTYPE_ETHERNET);
        sum += p.dport;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("# apc__decode: %.1f M packets/s (Ethernet/IPv4/TCP)\n", (double)n / s / 1e6);
    assert_int_equal(sum, (unsigned)(8000u * (unsigned)n));
    /* loose floor: sanitizer builds run several times slower than the > 20 M/s release one */
    assert_true((double)n / s > 1e6);
}

int run_corpus_tests(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_summary_vs_tcpdump),
        cmocka_unit_test(test_summary_vs_ptcpdump),
        cmocka_unit_test(test_vlan_mpls_vs_tshark),
        cmocka_unit_test(test_corpus_stacks),
        cmocka_unit_test(test_ipv4_fragments),
        cmocka_unit_test(test_dns_corpus),
        cmocka_unit_test(test_speed),
    };
    return cmocka_run_group_tests_name("decode corpus", tests, NULL, NULL);
}
