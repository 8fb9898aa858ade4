/* SPDX-License-Identifier: MIT */
/* The packet index's block codec: deltas as zigzag LEB128 varints, a CRC-32 per block.
 * Per record: the time's difference, the location's, then the connection's shifted left by
 * one with bit 0 set when the process's difference follows. */
#include "store/index_codec.h"

#include <string.h>
#include <zlib.h>

#define FLAG_TS_US 0x01 /* times are stored in microseconds */
#define FLAG_LOC_4 0x02 /* locations are stored in 4-byte units (pcapng blocks are aligned) */
#define FLAGS (FLAG_TS_US | FLAG_LOC_4)

static uint64_t zigzag(int64_t v)
{
    return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static int64_t unzigzag(uint64_t u)
{
    return (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
}

static size_t put_varint(uint8_t *p, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (uint8_t)v;
    return n;
}

/* Reads a varint from b[*pos..len-1]; 0, or -1 when it runs past the end or over 64 bits. */
static int get_varint(const uint8_t *b, size_t len, size_t *pos, uint64_t *out)
{
    uint64_t v = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
        if (*pos >= len)
            return -1;
        uint8_t c = b[(*pos)++];
        if (shift == 63 && c > 1)
            return -1;
        v |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80)) {
            *out = v;
            return 0;
        }
    }
    return -1;
}

/* Differences in wrapping arithmetic: any two values, any order (a capture's times can go
 * backwards). */
static int64_t diff(uint64_t a, uint64_t b)
{
    return (int64_t)(a - b);
}

size_t apc__idxblk_encode(const apc__idxrec_t *r, size_t n, uint8_t *out)
{
    int us = 1, loc4 = 1;
    for (size_t i = 0; i < n; i++) {
        us = us && r[i].ts_ns % 1000 == 0;
        loc4 = loc4 && r[i].loc % 4 == 0;
    }
    size_t p = APC_IDX_BLOCK_HDR;
    uint64_t ts = 0, loc = 0, conn = 0, proc = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t t = us ? (uint64_t)(r[i].ts_ns / 1000) : (uint64_t)r[i].ts_ns;
        uint64_t l = loc4 ? r[i].loc / 4 : r[i].loc;
        p += put_varint(out + p, zigzag(diff(t, ts)));
        p += put_varint(out + p, zigzag(diff(l, loc)));
        /* The process rarely changes from one packet to the next: its difference follows only
         * when the connection's varint says so in its low bit. */
        int dproc = r[i].proc != proc;
        p += put_varint(out + p,
                        zigzag((int64_t)r[i].conn_id - (int64_t)conn) << 1 | (uint64_t)dproc);
        if (dproc)
            p += put_varint(out + p, zigzag((int64_t)r[i].proc - (int64_t)proc));
        ts = t;
        loc = l;
        conn = r[i].conn_id;
        proc = r[i].proc;
    }
    out[4] = (uint8_t)n;
    out[5] = (uint8_t)(n >> 8);
    out[6] = (uint8_t)((us ? FLAG_TS_US : 0) | (loc4 ? FLAG_LOC_4 : 0));
    uint32_t crc = (uint32_t)crc32(0L, out + 4, (uInt)(p - 4));
    for (int i = 0; i < 4; i++)
        out[i] = (uint8_t)(crc >> (8 * i));
    return p;
}

/* A 32-bit field: the previous value plus a difference, which must land in range. */
static int next32(uint64_t zz, uint32_t *v)
{
    int64_t d = unzigzag(zz), x = (int64_t)*v + d;
    if (d > (int64_t)UINT32_MAX || d < -(int64_t)UINT32_MAX || x < 0 || x > (int64_t)UINT32_MAX)
        return -1;
    *v = (uint32_t)x;
    return 0;
}

int apc__idxblk_decode(const uint8_t *b, size_t len, apc__idxrec_t *out)
{
    if (len < APC_IDX_BLOCK_HDR || len > APC_IDX_BLOCK_MAX)
        return -1;
    uint32_t crc =
        (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
    if (crc != (uint32_t)crc32(0L, b + 4, (uInt)(len - 4)))
        return -1;
    size_t n = (size_t)b[4] | (size_t)b[5] << 8;
    if (n < 1 || n > APC_IDX_BLOCK || (b[6] & ~FLAGS))
        return -1;
    int us = b[6] & FLAG_TS_US, loc4 = b[6] & FLAG_LOC_4;
    size_t p = APC_IDX_BLOCK_HDR;
    uint64_t ts = 0, loc = 0;
    uint32_t conn = 0, proc = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t z[4] = {0};
        for (int k = 0; k < 3; k++)
            if (get_varint(b, len, &p, &z[k]) < 0)
                return -1;
        if ((z[2] & 1) && get_varint(b, len, &p, &z[3]) < 0)
            return -1;
        ts += (uint64_t)unzigzag(z[0]);
        loc += (uint64_t)unzigzag(z[1]);
        if (next32(z[2] >> 1, &conn) < 0 || next32(z[3], &proc) < 0)
            return -1;
        out[i].ts_ns = (int64_t)(us ? ts * 1000 : ts);
        out[i].loc = loc4 ? loc * 4 : loc;
        out[i].conn_id = conn;
        out[i].proc = proc;
    }
    return p == len ? (int)n : -1;
}
