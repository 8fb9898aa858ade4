/* SPDX-License-Identifier: MIT */
/*
 * Test support: a QUIC client Initial protected as RFC 9001 section 5 says (AES-128-GCM with
 * the Initial keys of the DCID, then header protection), so the unit test and the fuzz target
 * can hand search/quic.c packets that decrypt. Header: 4-byte packet number, empty SCID and
 * token, a 2-byte Length; the payload is padded with PADDING frames to `target` bytes.
 */
#ifndef APC_TEST_QUIC_SEAL_H
#define APC_TEST_QUIC_SEAL_H

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "search/quic.h"

/* The packet's length in out (at most cap bytes), or 0 when it cannot be built. */
static inline size_t apc_test_quic_seal(uint8_t *out, size_t cap, uint32_t version, unsigned itype,
                                        const uint8_t dcid[8], const uint8_t *payload, size_t plen,
                                        uint32_t pn, size_t target)
{
    apc__quic_keys_t k;
    if (apc__quic_initial_keys(version, dcid, 8, &k) < 0)
        return 0;
    const size_t pnl = 4, hdr = 1 + 4 + 1 + 8 + 1 + 1 + 2 + pnl;
    size_t body = target > hdr + plen + 16 ? target - hdr - 16 : plen;
    if (hdr + body + 16 > cap || body + pnl + 16 > 0x3fff)
        return 0;
    size_t o = 0;
    out[o++] = (uint8_t)(0xc0 | itype << 4 | (pnl - 1));
    out[o++] = (uint8_t)(version >> 24), out[o++] = (uint8_t)(version >> 16);
    out[o++] = (uint8_t)(version >> 8), out[o++] = (uint8_t)version;
    out[o++] = 8, memcpy(out + o, dcid, 8), o += 8;
    out[o++] = 0; /* SCID */
    out[o++] = 0; /* token */
    size_t length = pnl + body + 16;
    out[o++] = (uint8_t)(0x40 | length >> 8), out[o++] = (uint8_t)length;
    size_t pn_off = o;
    for (size_t i = 0; i < pnl; i++)
        out[o++] = (uint8_t)(pn >> (8 * (pnl - 1 - i)));
    uint8_t *pt = calloc(1, body ? body : 1);
    if (!pt)
        return 0;
    memcpy(pt, payload, plen);
    uint8_t nonce[12];
    memcpy(nonce, k.iv, 12);
    for (size_t i = 0; i < 4; i++)
        nonce[11 - i] ^= (uint8_t)(pn >> (8 * i));
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int n = 0;
    int ok = c && EVP_EncryptInit_ex(c, EVP_aes_128_gcm(), NULL, k.key, nonce) == 1 &&
             EVP_EncryptUpdate(c, NULL, &n, out, (int)o) == 1 &&
             EVP_EncryptUpdate(c, out + o, &n, pt, (int)body) == 1 &&
             EVP_EncryptFinal_ex(c, out + o + n, &n) == 1 &&
             EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, out + o + body) == 1;
    EVP_CIPHER_CTX_free(c);
    free(pt);
    uint8_t mask[16];
    c = ok ? EVP_CIPHER_CTX_new() : NULL;
    ok = c && EVP_EncryptInit_ex(c, EVP_aes_128_ecb(), NULL, k.hp, NULL) == 1 &&
         EVP_CIPHER_CTX_set_padding(c, 0) == 1 &&
         EVP_EncryptUpdate(c, mask, &n, out + pn_off + 4, 16) == 1;
    EVP_CIPHER_CTX_free(c);
    if (!ok)
        return 0;
    out[0] ^= mask[0] & 0x0f;
    for (size_t i = 0; i < pnl; i++)
        out[pn_off + i] ^= mask[1 + i];
    return o + body + 16;
}

#endif
