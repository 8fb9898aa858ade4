/* SPDX-License-Identifier: MIT */
/*
 * One-line summary of a decoded packet in tcpdump's default layout (`tcpdump -n -S`, without
 * the timestamp): "IP a.p > b.q: ...", "IP6 ...", "ARP, ...". See docs/decoding.md for what is
 * printed and where it differs from tcpdump.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "decode/summary_int.h"

void apc__sb_printf(apc__sb_t *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t room = s->len < s->n ? s->n - s->len : 0;
    int k = vsnprintf(room ? s->buf + s->len : NULL, room, fmt, ap);
    va_end(ap);
    if (k > 0)
        s->len += (size_t)k;
}

void apc__sb_puts(apc__sb_t *s, const char *str)
{
    apc__sb_printf(s, "%s", str);
}

static void mac_text(char *o, const uint8_t *m)
{
    snprintf(o, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

/* ARP (RFC 826) for Ethernet/IPv4, the only pairing tcpdump prints in short form too. */
static void arp(apc__sb_t *s, const apc__pkt_t *p, const apc__cur_t *c, uint32_t wirelen)
{
    size_t o = p->l3_off;
    uint32_t len = wirelen > o ? wirelen - (uint32_t)o : 0;
    if (!apc__need(c, o, 28)) {
        apc__sb_puts(s, "ARP, [|arp]");
        return;
    }
    if (apc__be16(c, o) != 1 || apc__be16(c, o + 2) != 0x0800 || apc__u8(c, o + 4) != 6 ||
        apc__u8(c, o + 5) != 4) {
        apc__sb_printf(s, "ARP, hardware %u protocol 0x%04x, length %u", apc__be16(c, o),
                       apc__be16(c, o + 2), len);
        return;
    }
    unsigned op = apc__be16(c, o + 6);
    const uint8_t *sha = c->p + o + 8, *spa = c->p + o + 14, *tha = c->p + o + 18,
                  *tpa = c->p + o + 24;
    char sip[16], tip[16], mac[18];
    apc__addr_format(sip, sizeof(sip), 4, spa);
    apc__addr_format(tip, sizeof(tip), 4, tpa);
    if (op == 1) {
        apc__sb_printf(s, "ARP, Request who-has %s", tip);
        static const uint8_t zero[6];
        if (memcmp(tha, zero, 6)) {
            mac_text(mac, tha);
            apc__sb_printf(s, " (%s)", mac);
        }
        apc__sb_printf(s, " tell %s", sip);
    } else if (op == 2) {
        mac_text(mac, sha);
        apc__sb_printf(s, "ARP, Reply %s is-at %s", sip, mac);
    } else {
        apc__sb_printf(s, "ARP, op %u", op);
    }
    apc__sb_printf(s, ", length %u", len);
}

static const char *icmp_text(const apc__pkt_t *p)
{
    static const char *const unreach[16] = {"net unreachable",
                                            "host unreachable",
                                            "protocol unreachable",
                                            "port unreachable",
                                            "need to frag",
                                            "source route failed",
                                            "net unknown",
                                            "host unknown",
                                            "src host isolated",
                                            "net prohibited",
                                            "host prohibited",
                                            "net unreachable - tos",
                                            "host unreachable - tos",
                                            "communication prohibited",
                                            "host precedence violation",
                                            "precedence cutoff"};
    switch (p->icmp_type) {
    case 3:
        return unreach[p->icmp_code & 15];
    case 4:
        return "source quench";
    case 5:
        return "redirect";
    case 9:
        return "router advertisement";
    case 10:
        return "router solicitation";
    case 11:
        return p->icmp_code ? "time exceeded in-reassembly" : "time exceeded in-transit";
    case 12:
        return "parameter problem";
    case 13:
        return "time stamp request";
    case 14:
        return "time stamp reply";
    default:
        return NULL;
    }
}

static const char *icmp6_text(uint8_t type)
{
    switch (type) {
    case 1:
        return "destination unreachable";
    case 2:
        return "packet too big";
    case 3:
        return "time exceeded in-transit";
    case 4:
        return "parameter problem";
    case 130:
        return "multicast listener query";
    case 131:
        return "multicast listener report";
    case 132:
        return "multicast listener done";
    case 133:
        return "router solicitation";
    case 134:
        return "router advertisement";
    case 135:
        return "neighbor solicitation";
    case 136:
        return "neighbor advertisement";
    case 137:
        return "redirect";
    case 143:
        return "multicast listener report v2";
    default:
        return NULL;
    }
}

static void icmp(apc__sb_t *s, const apc__pkt_t *p, const apc__cur_t *c)
{
    size_t o = p->l4_off;
    uint32_t len = p->payload_len + 8;
    int echo = p->ip_ver == 4 ? (p->icmp_type == 8 || p->icmp_type == 0)
                              : (p->icmp_type == 128 || p->icmp_type == 129);
    const char *pre = p->ip_ver == 4 ? "ICMP " : "ICMP6, ";
    if (echo) {
        int req = p->icmp_type == 8 || p->icmp_type == 128;
        apc__sb_printf(s, "%secho %s, id %u, seq %u, length %u", pre, req ? "request" : "reply",
                       apc__be16(c, o + 4), apc__be16(c, o + 6), len);
        return;
    }
    const char *t = p->ip_ver == 4 ? icmp_text(p) : icmp6_text(p->icmp_type);
    if (p->ip_ver == 6 && (p->icmp_type == 135 || p->icmp_type == 136) && apc__need(c, o + 8, 16)) {
        char a[64];
        apc__addr_format(a, sizeof(a), 6, c->p + o + 8);
        apc__sb_printf(s, "%s%s, %s %s, length %u", pre, t,
                       p->icmp_type == 135 ? "who has" : "tgt is", a, len);
        return;
    }
    if (t)
        apc__sb_printf(s, "%s%s, length %u", pre, t, len);
    else
        apc__sb_printf(s, "%stype-#%u, length %u", pre, p->icmp_type, len);
}

static void ip(apc__sb_t *s, const apc__pkt_t *p, const apc__cur_t *c)
{
    char a[64], b[64];
    apc__addr_format(a, sizeof(a), p->ip_ver, p->src);
    apc__addr_format(b, sizeof(b), p->ip_ver, p->dst);
    apc__sb_puts(s, p->ip_ver == 4 ? "IP " : "IP6 ");
    int ports = p->has_l4 && (p->ip_proto == 6 || p->ip_proto == 17);
    if (p->ip_ver == 6 && p->is_fragment) {
        /* tcpdump: the fragment, then the transport of a first fragment without addresses */
        apc__sb_printf(s, "%s > %s: frag (%d|%u)", a, b, p->frag_offset,
                       p->ip_total_len - (p->payload_off - p->l3_off) +
                           (p->has_l4 ? p->payload_off - p->l4_off : 0));
        if (!ports)
            return;
        apc__sb_printf(s, " %u > %u: ", p->sport, p->dport);
    } else if (ports) {
        apc__sb_printf(s, "%s.%u > %s.%u: ", a, p->sport, b, p->dport);
    } else {
        apc__sb_printf(s, "%s > %s: ", a, b);
    }
    if (p->frag_offset) {
        if (p->ip_ver == 4)
            apc__sb_printf(s, "ip-proto-%u", p->ip_proto);
        return;
    }
    static const char *const tr[4] = {"tcp", "udp", "icmp", "icmp6"};
    int k = p->ip_proto == 6 ? 0 : p->ip_proto == 17 ? 1 : p->ip_proto == 1 ? 2 : 3;
    if (p->truncated_at == APC_LAYER_TRANSPORT) {
        apc__sb_printf(s, " [|%s]", tr[k]); /* tcpdump leaves two spaces */
        return;
    }
    if (p->has_l4 && p->error) {
        apc__sb_printf(s, "[%s]", p->error);
        return;
    }
    if (p->truncated_at || p->error || !p->has_l4) {
        if (p->truncated_at)
            apc__sb_puts(s, p->ip_ver == 4 ? "[|ip]" : "[|ip6]");
        else if (p->error)
            apc__sb_printf(s, "[%s]", p->error);
        else
            apc__sb_printf(s, "ip-proto-%u %u", p->ip_proto, p->payload_len);
        return;
    }
    if (p->ip_proto == 6) {
        apc__summary_tcp(s, p, c);
    } else if (p->ip_proto == 17) {
        /* tcpdump: the smaller of the UDP length and what this IP datagram (or fragment)
         * carries after the UDP header */
        uint32_t end = p->l3_off + p->ip_total_len, len = p->payload_len;
        if (end >= p->payload_off && end - p->payload_off < len)
            len = end - p->payload_off;
        if ((p->sport == 53 || p->dport == 53) &&
            apc__summary_dns(s, c->p + p->payload_off, p->payload_caplen, len))
            return;
        apc__sb_printf(s, "UDP, length %u", len);
    } else {
        icmp(s, p, c);
    }
}

size_t apc__decode_summary(char *buf, size_t n, const apc__pkt_t *p, const uint8_t *data,
                           uint32_t caplen, uint32_t wirelen)
{
    char dummy[1];
    apc__sb_t s = {n ? buf : dummy, n ? n : 1, 0};
    s.buf[0] = '\0';
    apc__cur_t c = {data, data ? caplen : 0};
    if (!p->link_decoded) {
        apc__sb_printf(&s, "link type %u, length %u", p->linktype, wirelen);
    } else if (p->ip_ver) {
        ip(&s, p, &c);
    } else if (p->ethertype == 0x0806 && p->l3_off) {
        arp(&s, p, &c, wirelen);
    } else if (p->truncated_at == APC_LAYER_LINK) {
        apc__sb_printf(&s, "[|link], length %u", wirelen);
    } else if (p->truncated_at == APC_LAYER_NET) {
        apc__sb_printf(&s, "%s, length %u", p->ethertype == 0x86dd ? "IP6 [|ip6]" : "IP [|ip]",
                       wirelen);
    } else if (p->error) {
        apc__sb_printf(&s, "[%s], length %u", p->error, wirelen);
    } else {
        apc__sb_printf(&s, "ethertype 0x%04x, length %u", p->ethertype, wirelen);
    }
    return s.len < s.n ? s.len : s.n - 1;
}
