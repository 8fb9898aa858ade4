/* SPDX-License-Identifier: MIT */
/*
 * Bounds-checked reads of untrusted packet bytes. A cursor knows where its bytes end; every read
 * goes through apc__need() first, so a parser cannot touch memory past caplen even when a length
 * field lies. The checks are written so `off + n` cannot overflow (off <= len is an invariant).
 */
#ifndef APC_DECODE_BYTES_H
#define APC_DECODE_BYTES_H

#include <stddef.h>
#include <stdint.h>

typedef struct apc__cur {
    const uint8_t *p; /* first byte */
    size_t len;       /* bytes present */
} apc__cur_t;

/* 1 when n bytes starting at off are present. */
static inline int apc__need(const apc__cur_t *c, size_t off, size_t n)
{
    return off <= c->len && n <= c->len - off;
}

/* The unchecked getters below are only called after apc__need() covered the bytes. */
static inline uint8_t apc__u8(const apc__cur_t *c, size_t off)
{
    return c->p[off];
}

static inline uint16_t apc__be16(const apc__cur_t *c, size_t off)
{
    return (uint16_t)((uint16_t)c->p[off] << 8 | c->p[off + 1]);
}

static inline uint32_t apc__be32(const apc__cur_t *c, size_t off)
{
    return (uint32_t)c->p[off] << 24 | (uint32_t)c->p[off + 1] << 16 |
           (uint32_t)c->p[off + 2] << 8 | c->p[off + 3];
}

static inline uint16_t apc__le16(const apc__cur_t *c, size_t off)
{
    return (uint16_t)((uint16_t)c->p[off + 1] << 8 | c->p[off]);
}

static inline uint32_t apc__le32(const apc__cur_t *c, size_t off)
{
    return (uint32_t)c->p[off + 3] << 24 | (uint32_t)c->p[off + 2] << 16 |
           (uint32_t)c->p[off + 1] << 8 | c->p[off];
}

static inline uint64_t apc__le64(const apc__cur_t *c, size_t off)
{
    return (uint64_t)apc__le32(c, off + 4) << 32 | apc__le32(c, off);
}

/* Checked variants for places where one read stands alone: return 0 and set *ok = 0 when the
 * bytes are missing (*ok is never set back to 1). */
static inline uint8_t apc__get8(const apc__cur_t *c, size_t off, int *ok)
{
    if (!apc__need(c, off, 1)) {
        *ok = 0;
        return 0;
    }
    return c->p[off];
}

static inline uint16_t apc__get16(const apc__cur_t *c, size_t off, int *ok)
{
    if (!apc__need(c, off, 2)) {
        *ok = 0;
        return 0;
    }
    return apc__be16(c, off);
}

static inline uint32_t apc__get32(const apc__cur_t *c, size_t off, int *ok)
{
    if (!apc__need(c, off, 4)) {
        *ok = 0;
        return 0;
    }
    return apc__be32(c, off);
}

#endif
