/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the server name of QUIC client Initials (libapc/src/search/quic.c). Byte 0
 * chooses how the rest is used: even, as a UDP payload as it arrives (headers, lengths,
 * coalescing: random bytes almost never pass the AEAD tag); odd, as the plaintext frames of a
 * client Initial of version (byte 1 % 3) that this target seals with the real Initial keys
 * (tests/unit/search/quic_seal.h), so the frame and ClientHello parsers behind the decryption
 * are reached. A name found is NUL-terminated, as long as returned, without control bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/search/quic_seal.h"
#include "search/quic.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const uint8_t *p, size_t n)
{
    char out[64];
    int r = apc__quic_sni(p, n, out, sizeof out);
    if (r < -1 || r >= (int)sizeof out || (r >= 0 && strlen(out) != (size_t)r))
        abort();
    for (int i = 0; i < r; i++)
        if ((unsigned char)out[i] < 0x20 || out[i] == 0x7f)
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    if (!(data[0] & 1)) {
        uint8_t *copy = malloc(size - 1); /* exactly its size: ASan sees any overread */
        if (!copy)
            return 0;
        memcpy(copy, data + 1, size - 1);
        check(copy, size - 1);
        free(copy);
        return 0;
    }
    static const uint32_t versions[] = {1, 0x6b3343cf, 0xff00001d};
    static const unsigned types[] = {0, 1, 0};
    static const uint8_t dcid[8] = {0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08};
    unsigned v = data[1] % 3;
    size_t cap = size + 1300;
    uint8_t *pkt = malloc(cap);
    if (!pkt)
        return 0;
    size_t n =
        apc_test_quic_seal(pkt, cap, versions[v], types[v], dcid, data + 2, size - 2, 7, 1200);
    if (n)
        check(pkt, n);
    free(pkt);
    return 0;
}
