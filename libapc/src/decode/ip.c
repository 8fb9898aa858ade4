/* SPDX-License-Identifier: MIT */
/*
 * Network layer: IPv4 (RFC 791) and IPv6 (RFC 8200) with its extension headers, fragments of
 * both, and IP-in-IP tunnels (protocol 4, RFC 2003; protocol 41, RFC 4213), whose inner header
 * replaces the outer one in apc__pkt_t (p->ip_tunnels counts the outer headers).
 */
#include <string.h>

#include "decode/decode_int.h"

#define MAX_IP6_EXT 16   /* extension headers followed before giving up (RFC 8200 sets none) */
#define MAX_IP_TUNNELS 3 /* IP-in-IP nesting decoded */

/* Static text for each illegal IHL (RFC 791: the minimum is 5 words). */
static const char *const ihl_errors[5] = {
    "IPv4 header length 0 < 20",  "IPv4 header length 4 < 20",  "IPv4 header length 8 < 20",
    "IPv4 header length 12 < 20", "IPv4 header length 16 < 20",
};

/* Payload bounds when no transport header is decoded. */
static void set_payload(apc__pkt_t *p, const apc__cur_t *c, size_t off, uint32_t len)
{
    p->payload_off = (uint32_t)off;
    p->payload_len = len;
    size_t have = off <= c->len ? c->len - off : 0;
    p->payload_caplen = have < len ? (uint32_t)have : len;
}

/* Bytes the wire holds from `off` on: an IP length of 0 (TCP segmentation offload on Linux,
 * IPv6 jumbograms) is replaced by this. */
static uint32_t wire_from(const apc__pkt_t *p, const apc__cur_t *c, size_t off)
{
    size_t wire = p->wirelen > c->len ? p->wirelen : c->len;
    return off < wire ? (uint32_t)(wire - off) : 0;
}

/* The bytes of one IP datagram: link padding after it is not payload. */
static apc__cur_t clip(const apc__cur_t *c, size_t off, uint32_t total)
{
    apc__cur_t ic = *c;
    if (off <= ic.len && total < ic.len - off)
        ic.len = off + total;
    return ic;
}

/* After the header: an inner IP header for tunnels, else the transport layer. */
static void decode_next(apc__pkt_t *p, const apc__cur_t *ic, size_t off, uint32_t len)
{
    uint8_t proto = p->ip_proto;
    if ((proto == 4 || proto == 41) && p->ip_tunnels < MAX_IP_TUNNELS) {
        apc__pkt_t outer = *p;
        p->ip_tunnels++;
        p->ip_ver = 0;
        p->is_fragment = p->frag_offset = p->frag_more = 0;
        apc__decode_ip(p, ic, off, proto == 4 ? 4 : 6);
        if (p->ip_ver == 0) {
            /* Inner header unusable: keep the outer addresses, report why. */
            int trunc = p->truncated_at;
            const char *err = p->error;
            *p = outer;
            p->truncated_at = trunc;
            p->error = err;
            set_payload(p, ic, off, len);
        }
        return;
    }
    apc__decode_l4(p, ic, off, len);
}

static void decode_ipv4(apc__pkt_t *p, const apc__cur_t *c, size_t off)
{
    if (!apc__need(c, off, 20)) {
        p->truncated_at = APC_LAYER_NET;
        return;
    }
    uint8_t b0 = apc__u8(c, off);
    if (b0 >> 4 != 4) {
        p->error = "IPv4 version field not 4";
        return;
    }
    uint32_t ihl = (uint32_t)(b0 & 0x0f) * 4;
    if (ihl < 20) {
        p->error = ihl_errors[ihl / 4];
        return;
    }
    p->ip_ver = 4;
    p->l3_off = (uint32_t)off;
    memset(p->src, 0, sizeof(p->src));
    memset(p->dst, 0, sizeof(p->dst));
    memcpy(p->src, c->p + off + 12, 4);
    memcpy(p->dst, c->p + off + 16, 4);
    p->ip_id = apc__be16(c, off + 4);
    p->ttl = apc__u8(c, off + 8);
    p->ip_proto = apc__u8(c, off + 9);
    uint16_t frag = apc__be16(c, off + 6);
    p->frag_more = (frag & 0x2000) != 0;
    p->frag_offset = (frag & 0x1fff) * 8;
    p->is_fragment = p->frag_more || p->frag_offset;

    uint32_t total = apc__be16(c, off + 2);
    if (total == 0)
        total = wire_from(p, c, off);
    p->ip_total_len = total;
    if (!apc__need(c, off, ihl)) {
        p->truncated_at = APC_LAYER_NET;
        return;
    }
    if (total < ihl) {
        p->error = "IPv4 total length < header length";
        return;
    }
    /* Options (RFC 791 section 3.1) are skipped: nothing downstream needs them. */
    apc__cur_t ic = clip(c, off, total);
    if (p->frag_offset) {
        set_payload(p, &ic, off + ihl, total - ihl);
        return;
    }
    decode_next(p, &ic, off + ihl, total - ihl);
}

static void decode_ipv6(apc__pkt_t *p, const apc__cur_t *c, size_t off)
{
    if (!apc__need(c, off, 40)) {
        p->truncated_at = APC_LAYER_NET;
        return;
    }
    if (apc__u8(c, off) >> 4 != 6) {
        p->error = "IPv6 version field not 6";
        return;
    }
    p->ip_ver = 6;
    p->l3_off = (uint32_t)off;
    memcpy(p->src, c->p + off + 8, 16);
    memcpy(p->dst, c->p + off + 24, 16);
    p->ttl = apc__u8(c, off + 7);
    uint32_t plen = apc__be16(c, off + 4);
    if (plen == 0) {
        uint32_t w = wire_from(p, c, off);
        plen = w > 40 ? w - 40 : 0;
    }
    p->ip_total_len = plen + 40;
    apc__cur_t ic = clip(c, off, plen + 40);
    uint8_t nh = apc__u8(c, off + 6);
    size_t pos = off + 40;
    uint32_t left = plen;

    /* RFC 8200 section 4: walk the chain to the upper-layer header. */
    for (int n = 0;; n++) {
        uint32_t hl;
        if (nh != 0 && nh != 43 && nh != 60 && nh != 44 && nh != 51)
            break;
        if (n == MAX_IP6_EXT) {
            p->error = "IPv6 extension header chain longer than 16";
            return;
        }
        if (!apc__need(&ic, pos, 2)) {
            p->truncated_at = APC_LAYER_NET;
            return;
        }
        if (nh == 44)
            hl = 8; /* fragment header, section 4.5 */
        else if (nh == 51)
            hl = ((uint32_t)apc__u8(&ic, pos + 1) + 2) * 4; /* AH, RFC 4302 section 2.2 */
        else
            hl = ((uint32_t)apc__u8(&ic, pos + 1) + 1) * 8; /* 8-octet units, not counting 1st */
        if (hl > left) {
            p->error = "IPv6 extension header beyond payload length";
            return;
        }
        if (!apc__need(&ic, pos, hl)) {
            p->truncated_at = APC_LAYER_NET;
            return;
        }
        uint8_t next = apc__u8(&ic, pos);
        if (nh == 44) {
            uint16_t fo = apc__be16(&ic, pos + 2);
            p->is_fragment = 1;
            p->frag_offset = fo & 0xfff8;
            p->frag_more = fo & 1;
            p->ip_id = (uint16_t)apc__be32(&ic, pos + 4); /* low 16 bits of the 32-bit id */
        }
        nh = next;
        pos += hl;
        left -= hl;
    }
    p->ip_proto = nh;
    if (p->frag_offset) {
        set_payload(p, &ic, pos, left);
        return;
    }
    /* Mobility (135, RFC 6275), ESP (50) and No Next Header (59) end the chain: not transport. */
    decode_next(p, &ic, pos, left);
}

void apc__decode_ip(apc__pkt_t *p, const apc__cur_t *c, size_t off, int ver)
{
    if (ver == 0) {
        if (!apc__need(c, off, 1)) {
            p->truncated_at = APC_LAYER_NET;
            return;
        }
        ver = apc__u8(c, off) >> 4;
    }
    if (ver == 4)
        decode_ipv4(p, c, off);
    else if (ver == 6)
        decode_ipv6(p, c, off);
    else
        p->error = "IP version not 4 or 6";
}
