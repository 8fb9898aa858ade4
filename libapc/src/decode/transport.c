/* SPDX-License-Identifier: MIT */
/* Transport layer: TCP (RFC 9293 section 3.1), UDP (RFC 768), ICMP (RFC 792), ICMPv6 (RFC 4443). */
#include "decode/decode_int.h"

static const char *const doff_errors[5] = {
    "TCP data offset 0 < 5", "TCP data offset 1 < 5", "TCP data offset 2 < 5",
    "TCP data offset 3 < 5", "TCP data offset 4 < 5",
};

static void set_payload(apc__pkt_t *p, const apc__cur_t *c, size_t off, uint32_t len)
{
    p->payload_off = (uint32_t)off;
    p->payload_len = len;
    size_t have = off <= c->len ? c->len - off : 0;
    p->payload_caplen = have < len ? (uint32_t)have : len;
}

static void decode_tcp(apc__pkt_t *p, const apc__cur_t *c, size_t off, uint32_t len)
{
    if (!apc__need(c, off, 20)) {
        p->truncated_at = APC_LAYER_TRANSPORT;
        return;
    }
    p->sport = apc__be16(c, off);
    p->dport = apc__be16(c, off + 2);
    p->tcp_seq = apc__be32(c, off + 4);
    p->tcp_ack = apc__be32(c, off + 8);
    uint32_t hl = (uint32_t)(apc__u8(c, off + 12) >> 4) * 4;
    p->tcp_flags = apc__u8(c, off + 13);
    p->tcp_win = apc__be16(c, off + 14);
    p->has_l4 = 1;
    if (hl < 20) {
        p->error = doff_errors[hl / 4];
        return;
    }
    if (hl > len) {
        p->error = "TCP data offset beyond IP payload";
        return;
    }
    if (!apc__need(c, off, hl)) {
        /* Ports and flags are good; the options are cut off. */
        p->truncated_at = APC_LAYER_TRANSPORT;
        return;
    }
    set_payload(p, c, off + hl, len - hl);
}

static void decode_udp(apc__pkt_t *p, const apc__cur_t *c, size_t off, uint32_t len)
{
    if (!apc__need(c, off, 8)) {
        p->truncated_at = APC_LAYER_TRANSPORT;
        return;
    }
    p->sport = apc__be16(c, off);
    p->dport = apc__be16(c, off + 2);
    p->has_l4 = 1;
    uint32_t ulen = apc__be16(c, off + 4);
    if (ulen == 0 && p->ip_ver == 6)
        ulen = len; /* RFC 2675 section 4: jumbogram UDP length 0 */
    if (ulen < 8) {
        p->error = "UDP length < 8";
        return;
    }
    /* A first fragment holds only part of the datagram the UDP length describes. */
    if (ulen > len && !p->is_fragment) {
        p->error = "UDP length beyond IP payload";
        return;
    }
    set_payload(p, c, off + 8, ulen - 8);
}

static void decode_icmp(apc__pkt_t *p, const apc__cur_t *c, size_t off, uint32_t len)
{
    /* Both ICMP versions: type, code, checksum, then 4 bytes that depend on the type. */
    if (!apc__need(c, off, 8)) {
        p->truncated_at = APC_LAYER_TRANSPORT;
        return;
    }
    p->icmp_type = apc__u8(c, off);
    p->icmp_code = apc__u8(c, off + 1);
    p->has_l4 = 1;
    if (len < 8) {
        p->error = "ICMP message shorter than 8 bytes";
        return;
    }
    set_payload(p, c, off + 8, len - 8);
}

void apc__decode_l4(apc__pkt_t *p, const apc__cur_t *c, size_t off, uint32_t len)
{
    p->l4_off = (uint32_t)off;
    switch (p->ip_proto) {
    case 6:
        decode_tcp(p, c, off, len);
        break;
    case 17:
        decode_udp(p, c, off, len);
        break;
    case 1:
        if (p->ip_ver == 4)
            decode_icmp(p, c, off, len);
        else
            goto other;
        break;
    case 58:
        if (p->ip_ver == 6)
            decode_icmp(p, c, off, len);
        else
            goto other;
        break;
    default:
    other:
        /* Unknown protocols: l4_off stays 0 (no transport header), the rest is payload. */
        p->l4_off = 0;
        set_payload(p, c, off, len);
        break;
    }
}
