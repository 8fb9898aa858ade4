/* SPDX-License-Identifier: MIT */
/*
 * Link layers (tcpdump.org/linktypes.html): Ethernet II and 802.3/SNAP (IEEE 802.3), 802.1Q and
 * 802.1ad tags (IEEE 802.1Q), MPLS label stacks (RFC 3032), PPPoE sessions (RFC 2516), Linux
 * cooked captures SLL and SLL2, raw IP, BSD null and OpenBSD loop. apc__decode is the entry.
 */
#include <string.h>

#include "decode/decode_int.h"

#define ETH_VLAN 0x8100
#define ETH_QINQ 0x88a8
#define ETH_QINQ_OLD1 0x9100
#define ETH_QINQ_OLD2 0x9200
#define ETH_MPLS_UC 0x8847
#define ETH_MPLS_MC 0x8848
#define ETH_PPPOE_SESS 0x8864

/* Limits that bound the loops over attacker-controlled stacks. */
#define MAX_VLAN_TAGS 8
#define MAX_MPLS_LABELS 16

/* IP guessed from the first nibble, as MPLS (RFC 3032 section 2.2 leaves it to the label's
 * binding, which a capture does not have) and raw-IP link types need. */
static void decode_ip_guess(apc__pkt_t *p, const apc__cur_t *c, size_t off)
{
    if (!apc__need(c, off, 1)) {
        p->truncated_at = APC_LAYER_NET;
        return;
    }
    uint8_t v = apc__u8(c, off) >> 4;
    if (v == 4) {
        p->ethertype = APC_ETH_IPV4;
    } else if (v == 6) {
        p->ethertype = APC_ETH_IPV6;
    } else {
        p->error = "IP version not 4 or 6";
        return;
    }
    apc__decode_ip(p, c, off, v);
}

static void decode_mpls(apc__pkt_t *p, const apc__cur_t *c, size_t off)
{
    /* RFC 3032 section 2.1: 4-byte entries, the bottom-of-stack bit (S) ends the stack. */
    for (;;) {
        if (!apc__need(c, off, 4)) {
            p->truncated_at = APC_LAYER_LINK;
            return;
        }
        uint32_t e = apc__be32(c, off);
        off += 4;
        if (p->mpls_count == MAX_MPLS_LABELS) {
            p->error = "MPLS label stack deeper than 16";
            return;
        }
        p->mpls_count++;
        if (e & 0x100)
            break;
    }
    decode_ip_guess(p, c, off);
}

void apc__decode_ethertype(apc__pkt_t *p, const apc__cur_t *c, size_t off, uint16_t type)
{
    int tags = 0;
    while (type == ETH_VLAN || type == ETH_QINQ || type == ETH_QINQ_OLD1 || type == ETH_QINQ_OLD2) {
        /* IEEE 802.1Q: TCI (PCP, DEI, 12-bit VID) then the next type. */
        if (!apc__need(c, off, 4)) {
            p->ethertype = 0;
            p->truncated_at = APC_LAYER_LINK;
            return;
        }
        if (tags == MAX_VLAN_TAGS) {
            p->ethertype = 0;
            p->error = "more than 8 VLAN tags";
            return;
        }
        if (p->vlan_count < 4)
            p->vlan_id[p->vlan_count] = apc__be16(c, off) & 0x0fff;
        p->vlan_count++;
        tags++;
        type = apc__be16(c, off + 2);
        off += 4;
    }
    if (type == ETH_PPPOE_SESS) {
        /* RFC 2516 section 5.2: 6-byte PPPoE header, then the PPP protocol (RFC 1661); 0x0021
         * IPv4 and 0x0057 IPv6 (RFC 5072). */
        if (!apc__need(c, off, 8)) {
            p->ethertype = 0;
            p->truncated_at = APC_LAYER_LINK;
            return;
        }
        uint16_t ppp = apc__be16(c, off + 6);
        off += 8;
        type = ppp == 0x0021 ? APC_ETH_IPV4 : ppp == 0x0057 ? APC_ETH_IPV6 : 0;
    }
    p->ethertype = type;
    switch (type) {
    case APC_ETH_IPV4:
        apc__decode_ip(p, c, off, 4);
        break;
    case APC_ETH_IPV6:
        apc__decode_ip(p, c, off, 6);
        break;
    case ETH_MPLS_UC:
    case ETH_MPLS_MC:
        decode_mpls(p, c, off);
        break;
    case APC_ETH_ARP:
        /* ARP (RFC 826) is decoded by the summary only; l3_off says where it starts. */
        p->l3_off = (uint32_t)off;
        break;
    default:
        break;
    }
}

static void decode_ethernet(apc__pkt_t *p, const apc__cur_t *c)
{
    if (!apc__need(c, 0, 14)) {
        p->truncated_at = APC_LAYER_LINK;
        return;
    }
    memcpy(p->eth_dst, c->p, 6);
    memcpy(p->eth_src, c->p + 6, 6);
    p->has_eth = 1;
    uint16_t type = apc__be16(c, 12);
    size_t off = 14;
    if (type < 0x0600) {
        /* IEEE 802.3 length field: only LLC/SNAP (AA AA 03, OUI 0) carries an ethertype. */
        if (!apc__need(c, off, 8)) {
            p->truncated_at = APC_LAYER_LINK;
            return;
        }
        const uint8_t *s = c->p + off;
        if (s[0] != 0xaa || s[1] != 0xaa || s[2] != 0x03 || s[3] || s[4] || s[5])
            return;
        type = apc__be16(c, off + 6);
        off += 8;
    }
    apc__decode_ethertype(p, c, off, type);
}

/* Linux packet types (linux/if_packet.h): HOST, BROADCAST, MULTICAST, OTHERHOST arrive;
 * OUTGOING leaves. */
static int sll_direction(uint16_t pkttype)
{
    if (pkttype <= 3)
        return 1;
    if (pkttype == 4)
        return 2;
    return 0;
}

static void decode_sll(apc__pkt_t *p, const apc__cur_t *c)
{
    /* tcpdump.org/linktypes/LINKTYPE_LINUX_SLL.html: type, ARPHRD, addr len, 8-byte addr,
     * protocol (an ethertype for the cases we decode). */
    if (!apc__need(c, 0, 16)) {
        p->truncated_at = APC_LAYER_LINK;
        return;
    }
    p->direction = sll_direction(apc__be16(c, 0));
    apc__decode_ethertype(p, c, 16, apc__be16(c, 14));
}

static void decode_sll2(apc__pkt_t *p, const apc__cur_t *c)
{
    /* LINKTYPE_LINUX_SLL2: protocol, reserved, ifindex, ARPHRD, packet type, addr len, addr. */
    if (!apc__need(c, 0, 20)) {
        p->truncated_at = APC_LAYER_LINK;
        return;
    }
    p->direction = sll_direction(apc__u8(c, 10));
    apc__decode_ethertype(p, c, 20, apc__be16(c, 0));
}

/* BSD AF_INET6 differs between systems: 24 NetBSD/OpenBSD, 28 FreeBSD, 30 macOS. */
static int af_to_ethertype(uint32_t af)
{
    if (af == 2)
        return APC_ETH_IPV4;
    if (af == 24 || af == 28 || af == 30)
        return APC_ETH_IPV6;
    return 0;
}

static void decode_null(apc__pkt_t *p, const apc__cur_t *c, int host_order)
{
    if (!apc__need(c, 0, 4)) {
        p->truncated_at = APC_LAYER_LINK;
        return;
    }
    /* LINKTYPE_NULL stores the family in the byte order of the capturing host, which the file
     * does not record; a family is small, so whichever order gives a known one wins. */
    int type = af_to_ethertype(apc__be32(c, 0));
    if (!type && host_order)
        type = af_to_ethertype(apc__le32(c, 0));
    p->ethertype = (uint16_t)type;
    if (type)
        apc__decode_ip(p, c, 4, type == APC_ETH_IPV4 ? 4 : 6);
}

void apc__decode(apc__pkt_t *out, const uint8_t *data, uint32_t caplen, uint32_t wirelen,
                 uint32_t linktype)
{
    memset(out, 0, sizeof(*out));
    out->linktype = linktype;
    out->wirelen = wirelen;
    if (!data)
        caplen = 0;
    apc__cur_t c = {data, caplen};
    out->link_decoded = 1;
    switch (linktype) {
    case APC_LINKTYPE_ETHERNET:
        decode_ethernet(out, &c);
        break;
    case APC_LINKTYPE_LINUX_SLL:
        decode_sll(out, &c);
        break;
    case APC_LINKTYPE_LINUX_SLL2:
        decode_sll2(out, &c);
        break;
    case APC_LINKTYPE_RAW:
    case APC_DLT_RAW_12:
    case APC_DLT_RAW_14:
        decode_ip_guess(out, &c, 0);
        break;
    case APC_LINKTYPE_IPV4:
        out->ethertype = APC_ETH_IPV4;
        apc__decode_ip(out, &c, 0, 4);
        break;
    case APC_LINKTYPE_IPV6:
        out->ethertype = APC_ETH_IPV6;
        apc__decode_ip(out, &c, 0, 6);
        break;
    case APC_LINKTYPE_NULL:
        decode_null(out, &c, 1);
        break;
    case APC_LINKTYPE_LOOP:
        decode_null(out, &c, 0);
        break;
    default:
        out->link_decoded = 0;
        break;
    }
}
