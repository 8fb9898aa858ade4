/* SPDX-License-Identifier: MIT */
/* Internal steps of apc__decode, one file per layer; not used outside module decode. */
#ifndef APC_DECODE_INT_H
#define APC_DECODE_INT_H

#include "decode/bytes.h"
#include "decode/decode.h"

#define APC_ETH_IPV4 0x0800
#define APC_ETH_ARP 0x0806
#define APC_ETH_IPV6 0x86dd

/* Decodes what follows an ethertype at `off` (VLAN tags, MPLS, PPPoE, IP, ARP). */
void apc__decode_ethertype(apc__pkt_t *p, const apc__cur_t *c, size_t off, uint16_t type);

/* Decodes an IP header at `off`; `ver` is 4 or 6, or 0 to take it from the first nibble. */
void apc__decode_ip(apc__pkt_t *p, const apc__cur_t *c, size_t off, int ver);

/* Decodes the transport header of protocol p->ip_proto at `off`; `l4_len` is the length the IP
 * header gives for it (it may exceed what c holds). */
void apc__decode_l4(apc__pkt_t *p, const apc__cur_t *c, size_t off, uint32_t l4_len);

#endif
