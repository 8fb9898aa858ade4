/* SPDX-License-Identifier: MIT */
/*
 * Packet decoding (module `decode`): link layers, IPv4/IPv6, TCP/UDP/ICMP/ICMPv6, DNS answers,
 * and the one-line tcpdump-style summary. Every read of packet bytes is bounds-checked
 * (decode/bytes.h); a truncated or malformed header stops decoding at that layer and says so in
 * `truncated_at` — decoding never fails as a whole.
 */
#ifndef APC_DECODE_H
#define APC_DECODE_H

#include <stddef.h>
#include <stdint.h>

/* Link types we decode (tcpdump.org/linktypes.html values). */
#define APC_LINKTYPE_NULL 0 /* BSD loopback, host-order 4-byte family */
#define APC_LINKTYPE_ETHERNET 1
#define APC_LINKTYPE_RAW 101  /* raw IPv4/IPv6 */
#define APC_LINKTYPE_LOOP 108 /* OpenBSD loopback, network-order family */
#define APC_LINKTYPE_LINUX_SLL 113
#define APC_LINKTYPE_IPV4 228
#define APC_LINKTYPE_IPV6 229
#define APC_LINKTYPE_LINUX_SLL2 276
/* DLT_RAW is 12 or 14 on some systems when a pcap file stores the DLT instead of LINKTYPE. */
#define APC_DLT_RAW_12 12
#define APC_DLT_RAW_14 14

enum apc__layer {
    APC_LAYER_NONE = 0, /* nothing truncated */
    APC_LAYER_LINK = 1,
    APC_LAYER_NET = 2,
    APC_LAYER_TRANSPORT = 3,
};

typedef struct apc__pkt {
    uint32_t linktype;
    int link_decoded;    /* 1 if the link type is one we know */
    uint16_t ethertype;  /* after VLAN/MPLS: 0x0800, 0x86dd, 0x0806 ARP, ... 0 unknown */
    uint8_t vlan_count;  /* 802.1Q / QinQ tags seen */
    uint16_t vlan_id[4]; /* outermost first */
    uint8_t mpls_count;  /* MPLS labels seen */
    int direction;       /* from SLL/SLL2 packet type: 0 unknown, 1 in, 2 out */
    uint8_t eth_src[6], eth_dst[6];
    int has_eth;

    uint8_t ip_ver;           /* 0 none, 4, 6 (innermost IP header that was decoded... see below) */
    uint8_t src[16], dst[16]; /* IPv4 in the first 4 bytes */
    uint8_t ip_proto;         /* transport protocol after IPv6 extension headers */
    uint8_t ttl;              /* TTL / hop limit */
    uint16_t ip_id;
    uint32_t ip_total_len; /* IPv4 total length / IPv6 payload length + 40 */
    int is_fragment;       /* any fragment (MF set or offset != 0) */
    int frag_offset;       /* in bytes */
    int frag_more;

    int has_l4;            /* transport header decoded (not for non-first fragments) */
    uint16_t sport, dport; /* TCP/UDP */
    uint8_t tcp_flags; /* FIN 0x01 SYN 0x02 RST 0x04 PSH 0x08 ACK 0x10 URG 0x20 ECE 0x40 CWR 0x80 */
    uint32_t tcp_seq, tcp_ack;
    uint16_t tcp_win;
    uint8_t icmp_type, icmp_code; /* ICMP or ICMPv6 */

    uint32_t l3_off, l4_off; /* offsets in the packet bytes (0 if absent) */
    uint32_t payload_off;    /* transport payload start */
    uint32_t payload_len;    /* payload bytes per headers (may exceed what was captured) */
    uint32_t payload_caplen; /* payload bytes actually present */

    int truncated_at;  /* enum apc__layer where decoding stopped for lack of bytes */
    const char *error; /* static text when a header was malformed, else NULL */

    /* Added by module decode (appended; the fields above are unchanged). */
    uint32_t wirelen;   /* as passed to apc__decode */
    uint8_t ip_tunnels; /* IP-in-IP headers (protocol 4/41) passed; the L3 fields above
                         * describe the innermost decoded IP header */
} apc__pkt_t;

/* Decodes `data` (caplen bytes present, wirelen on the wire) of link type `linktype`.
 * Always fills *out (zeroed first); never reads outside [data, data+caplen). */
void apc__decode(apc__pkt_t *out, const uint8_t *data, uint32_t caplen, uint32_t wirelen,
                 uint32_t linktype);

/* Writes a one-line tcpdump-style summary into buf (always NUL-terminated, truncated to n),
 * e.g. "IP 10.0.0.1.443 > 10.0.0.2.51000: Flags [S.], seq 1, ack 2, win 512, length 0" or
 * "IP6 ...", "ARP, Request who-has ...", "UDP ... DNS ...". Returns strlen of the result. */
size_t apc__decode_summary(char *buf, size_t n, const apc__pkt_t *p, const uint8_t *data,
                           uint32_t caplen, uint32_t wirelen);

/* Formats an address (family 4 or 6) as text into buf (>= 46 bytes). */
void apc__addr_format(char *buf, size_t n, int ip_ver, const uint8_t *addr);

/* DNS (RFC 1035, RFC 3596): calls cb for every A/AAAA answer record of a DNS response in
 * `msg` (the UDP payload or TCP payload after the 2-byte length). `name` is the owner name
 * (dotted, NUL-terminated, lowercase). Name compression loops and bounds are checked.
 * Returns the number of answers reported, or -1 when msg is not a well-formed response. */
typedef void (*apc__dns_answer_cb)(const char *name, int ip_ver, const uint8_t *addr,
                                   void *payload);
int apc__dns_answers(const uint8_t *msg, size_t len, apc__dns_answer_cb cb, void *payload);

#endif
