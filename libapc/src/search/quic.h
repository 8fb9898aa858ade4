/* SPDX-License-Identifier: MIT */
/* The TLS server name in a QUIC client Initial (RFC 9000, RFC 9001, RFC 9369): search/quic.c. */
#ifndef APC_SEARCH_QUIC_H
#define APC_SEARCH_QUIC_H

#include <stddef.h>
#include <stdint.h>

/* Client Initial packet protection keys (RFC 9001 section 5). */
typedef struct apc__quic_keys {
    uint8_t key[16], iv[12], hp[16];
} apc__quic_keys_t;

/* The client's Initial keys of QUIC `version` (1, 2 = 0x6b3343cf, draft-29 = 0xff00001d) for
 * the Destination Connection ID dcid. 0, or -1 for another version or a DCID over 20 bytes. */
int apc__quic_initial_keys(uint32_t version, const uint8_t *dcid, size_t dcid_len,
                           apc__quic_keys_t *k);

/* The server_name of the ClientHello carried whole by the client Initial packet(s) at the start
 * of UDP payload p (coalesced packets included), into out (NUL-terminated, at most n-1 bytes).
 * Its length, or -1: not a client Initial of a known version, a header or tag that does not
 * hold, a ClientHello not whole in this datagram, no server name, or one with a control byte. */
int apc__quic_sni(const uint8_t *p, size_t len, char *out, size_t n);

#endif
