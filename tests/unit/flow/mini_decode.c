/* SPDX-License-Identifier: MIT */
/*
 * Minimal header decoder for the flow tests only: enough of Ethernet (IEEE 802.3, 802.1Q/ad
 * tags, MPLS RFC 3032), Linux cooked (SLL/SLL2), raw and BSD loopback framing, IPv4 (RFC 791),
 * IPv6 with extension headers (RFC 8200), IP-in-IP (RFC 2003, RFC 4213), TCP (RFC 9293) and
 * UDP (RFC 768) to fill the apc__pkt_t fields the flow table reads. Every read is bounds-
 * checked. The project's decoder is module decode; this stays test scaffolding so the flow
 * tests do not depend on it.
 */
#include <string.h>

#include "flow_corpus.h"

static uint16_t rd16(const uint8_t *b)
{
    return (uint16_t)(b[0] << 8 | b[1]);
}

static uint32_t rd32(const uint8_t *b)
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static void l4(apc__pkt_t *p, const uint8_t *d, uint32_t n)
{
    switch (p->ip_proto) {
    case 6:
        if (n < 20)
            return;
        p->sport = rd16(d);
        p->dport = rd16(d + 2);
        p->tcp_seq = rd32(d + 4);
        p->tcp_ack = rd32(d + 8);
        p->tcp_flags = d[13];
        p->has_l4 = 1;
        return;
    case 17:
        if (n < 8)
            return;
        p->sport = rd16(d);
        p->dport = rd16(d + 2);
        p->has_l4 = 1;
        return;
    case 1:
    case 58:
        if (n < 2)
            return;
        p->icmp_type = d[0];
        p->icmp_code = d[1];
        p->has_l4 = 1;
        return;
    default:
        return;
    }
}

static int ip(apc__pkt_t *p, const uint8_t *d, uint32_t n, int depth);

static int ipv4(apc__pkt_t *p, const uint8_t *d, uint32_t n, int depth)
{
    if (n < 20 || (d[0] >> 4) != 4)
        return 0;
    uint32_t hl = (uint32_t)(d[0] & 0x0f) * 4, tot = rd16(d + 2);
    if (hl < 20 || n < hl || tot < hl)
        return 0;
    if (tot < n)
        n = tot; /* Ethernet padding is not payload */
    memset(p->src, 0, 16);
    memset(p->dst, 0, 16);
    p->ip_ver = 4;
    memcpy(p->src, d + 12, 4);
    memcpy(p->dst, d + 16, 4);
    p->ip_proto = d[9];
    p->ip_id = rd16(d + 4);
    uint16_t fo = rd16(d + 6);
    p->frag_more = (fo & 0x2000) != 0;
    p->frag_offset = (fo & 0x1fff) * 8;
    p->is_fragment = p->frag_more || p->frag_offset;
    if (p->frag_offset)
        return 1;
    if ((p->ip_proto == 4 || p->ip_proto == 41) && !p->is_fragment && depth < 4)
        return ip(p, d + hl, n - hl, depth + 1) || 1;
    l4(p, d + hl, n - hl);
    return 1;
}

static int ipv6(apc__pkt_t *p, const uint8_t *d, uint32_t n, int depth)
{
    if (n < 40 || (d[0] >> 4) != 6)
        return 0;
    uint32_t plen = rd16(d + 4);
    if (40 + plen < n)
        n = 40 + plen;
    memset(p->src, 0, 16);
    memset(p->dst, 0, 16);
    p->ip_ver = 6;
    memcpy(p->src, d + 8, 16);
    memcpy(p->dst, d + 24, 16);
    uint8_t nh = d[6];
    uint32_t off = 40;
    for (;;) {
        p->ip_proto = nh;
        if (nh == 0 || nh == 43 || nh == 60) {
            if (off + 8 > n)
                return 1;
            nh = d[off];
            off += ((uint32_t)d[off + 1] + 1) * 8;
        } else if (nh == 51) { /* AH: length in 4-octet units minus 2 */
            if (off + 8 > n)
                return 1;
            nh = d[off];
            off += ((uint32_t)d[off + 1] + 2) * 4;
        } else if (nh == 44) {
            if (off + 8 > n)
                return 1;
            uint16_t fo = rd16(d + off + 2);
            p->frag_offset = (fo & 0xfff8);
            p->frag_more = fo & 1;
            p->is_fragment = 1;
            p->ip_id = (uint16_t)rd32(d + off + 4);
            nh = d[off];
            off += 8;
            if (p->frag_offset)
                return 1;
        } else {
            break;
        }
        if (off > n)
            return 1;
    }
    if ((nh == 4 || nh == 41) && !p->is_fragment && depth < 4)
        return ip(p, d + off, n - off, depth + 1) || 1;
    l4(p, d + off, n - off);
    return 1;
}

static int ip(apc__pkt_t *p, const uint8_t *d, uint32_t n, int depth)
{
    if (n < 1)
        return 0;
    if ((d[0] >> 4) == 4)
        return ipv4(p, d, n, depth);
    if ((d[0] >> 4) == 6)
        return ipv6(p, d, n, depth);
    return 0;
}

static int ether_payload(apc__pkt_t *p, const uint8_t *d, uint32_t n, uint16_t type)
{
    uint32_t off = 0;
    for (;;) {
        if (type == 0x8100 || type == 0x88a8 || type == 0x9100) {
            if (off + 4 > n)
                return 0;
            type = rd16(d + off + 2);
            off += 4;
        } else if (type == 0x8847 || type == 0x8848) {
            for (;;) {
                if (off + 4 > n)
                    return 0;
                int bos = d[off + 2] & 1;
                off += 4;
                if (bos)
                    break;
            }
            return ip(p, d + off, n - off, 0);
        } else if (type == 0x0800 || type == 0x86dd) {
            return ip(p, d + off, n - off, 0);
        } else {
            return 0;
        }
    }
}

int mini_decode(apc__pkt_t *p, const uint8_t *d, uint32_t caplen, int linktype)
{
    memset(p, 0, sizeof(*p));
    switch (linktype) {
    case APC_LINKTYPE_ETHERNET:
        if (caplen < 14)
            return 0;
        return ether_payload(p, d + 14, caplen - 14, rd16(d + 12));
    case APC_LINKTYPE_LINUX_SLL:
        if (caplen < 16)
            return 0;
        return ether_payload(p, d + 16, caplen - 16, rd16(d + 14));
    case APC_LINKTYPE_LINUX_SLL2:
        if (caplen < 20)
            return 0;
        return ether_payload(p, d + 20, caplen - 20, rd16(d));
    case APC_LINKTYPE_RAW:
    case APC_DLT_RAW_12:
    case APC_DLT_RAW_14:
    case APC_LINKTYPE_IPV4:
    case APC_LINKTYPE_IPV6:
        return ip(p, d, caplen, 0);
    case APC_LINKTYPE_NULL:
    case APC_LINKTYPE_LOOP:
        if (caplen < 4)
            return 0;
        return ip(p, d + 4, caplen - 4, 0);
    default:
        return 0;
    }
}
