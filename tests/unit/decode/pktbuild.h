/* SPDX-License-Identifier: MIT */
/* Builders of crafted packets for the decode tests: each appends a header at b->len. */
#ifndef APC_TEST_PKTBUILD_H
#define APC_TEST_PKTBUILD_H

#include <stdint.h>
#include <string.h>

typedef struct pb {
    uint8_t d[2048];
    size_t len;
} pb_t;

static inline void pb_bytes(pb_t *b, const void *p, size_t n)
{
    memcpy(b->d + b->len, p, n);
    b->len += n;
}

static inline void pb_u8(pb_t *b, unsigned v)
{
    b->d[b->len++] = (uint8_t)v;
}

static inline void pb_u16(pb_t *b, unsigned v)
{
    pb_u8(b, v >> 8);
    pb_u8(b, v & 0xff);
}

static inline void pb_u32(pb_t *b, uint32_t v)
{
    pb_u16(b, v >> 16);
    pb_u16(b, v & 0xffff);
}

static inline void pb_zero(pb_t *b, size_t n)
{
    memset(b->d + b->len, 0, n);
    b->len += n;
}

static inline void pb_eth(pb_t *b, unsigned type)
{
    static const uint8_t dst[6] = {0, 1, 2, 3, 4, 5}, src[6] = {0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f};
    pb_bytes(b, dst, 6);
    pb_bytes(b, src, 6);
    pb_u16(b, type);
}

/* IPv4 header without options; total = header + payload length. */
static inline void pb_ipv4(pb_t *b, unsigned proto, unsigned total, const char *src4,
                           const char *dst4, unsigned frag)
{
    pb_u8(b, 0x45);
    pb_u8(b, 0);
    pb_u16(b, total);
    pb_u16(b, 0x1234);
    pb_u16(b, frag);
    pb_u8(b, 64);
    pb_u8(b, proto);
    pb_u16(b, 0);
    pb_bytes(b, src4, 4);
    pb_bytes(b, dst4, 4);
}

static inline void pb_ipv6(pb_t *b, unsigned nh, unsigned plen, const char *src16,
                           const char *dst16)
{
    pb_u32(b, 0x60000000);
    pb_u16(b, plen);
    pb_u8(b, nh);
    pb_u8(b, 64);
    pb_bytes(b, src16, 16);
    pb_bytes(b, dst16, 16);
}

/* TCP header with `optlen` bytes of options (a multiple of 4: NOPs ending in a timestamp). */
static inline void pb_tcp(pb_t *b, unsigned sp, unsigned dp, uint32_t seq, uint32_t ack,
                          unsigned flags, unsigned win, unsigned optlen)
{
    pb_u16(b, sp);
    pb_u16(b, dp);
    pb_u32(b, seq);
    pb_u32(b, ack);
    pb_u8(b, (uint8_t)(((20 + optlen) / 4) << 4));
    pb_u8(b, flags);
    pb_u16(b, win);
    pb_u16(b, 0);
    pb_u16(b, 0);
    if (optlen >= 12) {
        for (unsigned i = 0; i < optlen - 10; i++)
            pb_u8(b, 1);
        pb_u8(b, 8);
        pb_u8(b, 10);
        pb_u32(b, 1000);
        pb_u32(b, 2000);
    } else {
        for (unsigned i = 0; i < optlen; i++)
            pb_u8(b, 1);
    }
}

static inline void pb_udp(pb_t *b, unsigned sp, unsigned dp, unsigned ulen)
{
    pb_u16(b, sp);
    pb_u16(b, dp);
    pb_u16(b, ulen);
    pb_u16(b, 0);
}

#endif
