/* SPDX-License-Identifier: MIT */
/* The packet index's block codec: deltas as LEB128 varints, a CRC-32 per block. Per record:
 * the time's difference, the location's (zigzag unless the block's values never go back), then
 * the connection's code (an index into the move-to-front list of the last 16, or 16 + the
 * zigzag difference) shifted left by one with bit 0 set when the process's difference follows
 * (no bit when one process has the whole block: its value follows the header). */
#include "store/index_codec.h"

#include <string.h>
#include <zlib.h>

#define FLAG_TS_US 0x01 /* times are stored in microseconds */
#define FLAG_LOC_4 0x02 /* locations are stored in 4-byte units (pcapng blocks are aligned) */
/* Since 2026-12-04 (every block written has FLAG_MTF; a block without it is read as before): */
#define FLAG_MTF 0x04      /* connections through a move-to-front list of the MTF_N last seen */
#define FLAG_TS_UP 0x08    /* no time goes back: plain varints, not zigzag */
#define FLAG_LOC_UP 0x10   /* no location goes back: plain varints */
#define FLAG_ONE_PROC 0x20 /* one process for the whole block: its value follows the header */
#define FLAGS (FLAG_TS_US | FLAG_LOC_4 | FLAG_MTF | FLAG_TS_UP | FLAG_LOC_UP | FLAG_ONE_PROC)
/* Interleaved flows come back within a few packets: an index into the list of the 16 last
 * connections fits the record's connection in one byte, where the difference from the record
 * before took two or three. A connection not in the list is MTF_N + its zigzag difference. */
#define MTF_N 16

/* The move-to-front list of one block, encoder and decoder alike. */
typedef struct mtf {
    uint32_t v[MTF_N];
    unsigned n;
} mtf_t;

/* Moves entry k to the front. */
static void mtf_front(mtf_t *m, unsigned k)
{
    uint32_t x = m->v[k];
    memmove(m->v + 1, m->v, k * sizeof m->v[0]);
    m->v[0] = x;
}

/* Puts a new value at the front, dropping the oldest when full. */
static void mtf_push(mtf_t *m, uint32_t x)
{
    if (m->n < MTF_N)
        m->n++;
    memmove(m->v + 1, m->v, (m->n - 1) * sizeof m->v[0]);
    m->v[0] = x;
}

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

/* A field's difference from the one before: plain when the block's values never go back
 * (`up`), else zigzag. */
static size_t put_delta(uint8_t *p, int up, uint64_t v, uint64_t prev)
{
    return put_varint(p, up ? v - prev : zigzag(diff(v, prev)));
}

size_t apc__idxblk_encode(const apc__idxrec_t *r, size_t n, uint8_t *out)
{
    int us = 1, loc4 = 1, one_proc = 1;
    for (size_t i = 0; i < n; i++) {
        us = us && r[i].ts_ns % 1000 == 0;
        loc4 = loc4 && r[i].loc % 4 == 0;
        one_proc = one_proc && r[i].proc == r[0].proc;
    }
    int ts_up = 1, loc_up = 1;
    uint64_t pt = 0, pl = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t t = us ? (uint64_t)(r[i].ts_ns / 1000) : (uint64_t)r[i].ts_ns;
        uint64_t l = loc4 ? r[i].loc / 4 : r[i].loc;
        ts_up = ts_up && diff(t, pt) >= 0;
        loc_up = loc_up && diff(l, pl) >= 0;
        pt = t;
        pl = l;
    }
    size_t p = APC_IDX_BLOCK_HDR;
    if (one_proc)
        p += put_varint(out + p, r[0].proc);
    uint64_t ts = 0, loc = 0;
    uint32_t conn = 0, proc = 0;
    mtf_t m = {.n = 0};
    for (size_t i = 0; i < n; i++) {
        uint64_t t = us ? (uint64_t)(r[i].ts_ns / 1000) : (uint64_t)r[i].ts_ns;
        uint64_t l = loc4 ? r[i].loc / 4 : r[i].loc;
        p += put_delta(out + p, ts_up, t, ts);
        p += put_delta(out + p, loc_up, l, loc);
        unsigned k = 0;
        while (k < m.n && m.v[k] != r[i].conn_id)
            k++;
        uint64_t code;
        if (k < m.n) {
            code = k;
            mtf_front(&m, k);
        } else {
            code = MTF_N + zigzag((int64_t)r[i].conn_id - (int64_t)conn);
            mtf_push(&m, r[i].conn_id);
        }
        /* The process rarely changes from one packet to the next: its difference follows only
         * when the connection's varint says so in its low bit (no bit with one process). */
        if (one_proc) {
            p += put_varint(out + p, code);
        } else {
            int dproc = r[i].proc != proc;
            p += put_varint(out + p, code << 1 | (uint64_t)dproc);
            if (dproc)
                p += put_varint(out + p, zigzag((int64_t)r[i].proc - (int64_t)proc));
        }
        ts = t;
        loc = l;
        conn = r[i].conn_id;
        proc = r[i].proc;
    }
    out[4] = (uint8_t)n;
    out[5] = (uint8_t)(n >> 8);
    out[6] = (uint8_t)((us ? FLAG_TS_US : 0) | (loc4 ? FLAG_LOC_4 : 0) | FLAG_MTF |
                       (ts_up ? FLAG_TS_UP : 0) | (loc_up ? FLAG_LOC_UP : 0) |
                       (one_proc ? FLAG_ONE_PROC : 0));
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

/* A field: the previous value plus a plain (up) or zigzag difference. */
static uint64_t add_delta(uint64_t prev, int up, uint64_t z)
{
    return prev + (up ? z : (uint64_t)unzigzag(z));
}

/* The connection of a record of a FLAG_MTF block from its code: an index into the list, or a
 * difference from the record before. */
static int mtf_conn(mtf_t *m, uint64_t code, uint32_t *conn)
{
    if (code < MTF_N) {
        if (code >= m->n)
            return -1;
        mtf_front(m, (unsigned)code);
        *conn = m->v[0];
        return 0;
    }
    if (next32(code - MTF_N, conn) < 0)
        return -1;
    mtf_push(m, *conn);
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
    uint8_t f = b[6];
    /* The newer bits only come with FLAG_MTF (every block since they exist has it). */
    if (n < 1 || n > APC_IDX_BLOCK || (f & ~FLAGS) ||
        (!(f & FLAG_MTF) && (f & (FLAG_TS_UP | FLAG_LOC_UP | FLAG_ONE_PROC))))
        return -1;
    int us = f & FLAG_TS_US, loc4 = f & FLAG_LOC_4, mtf = f & FLAG_MTF;
    int ts_up = f & FLAG_TS_UP, loc_up = f & FLAG_LOC_UP, one_proc = f & FLAG_ONE_PROC;
    size_t p = APC_IDX_BLOCK_HDR;
    uint64_t ts = 0, loc = 0;
    uint32_t conn = 0, proc = 0;
    if (one_proc) {
        uint64_t v;
        if (get_varint(b, len, &p, &v) < 0 || v > UINT32_MAX)
            return -1;
        proc = (uint32_t)v;
    }
    mtf_t m = {.n = 0};
    for (size_t i = 0; i < n; i++) {
        uint64_t z[4] = {0};
        for (int k = 0; k < 3; k++)
            if (get_varint(b, len, &p, &z[k]) < 0)
                return -1;
        uint64_t code = one_proc ? z[2] : z[2] >> 1;
        if (!one_proc && (z[2] & 1) && get_varint(b, len, &p, &z[3]) < 0)
            return -1;
        ts = add_delta(ts, ts_up, z[0]);
        loc = add_delta(loc, loc_up, z[1]);
        if ((mtf ? mtf_conn(&m, code, &conn) : next32(code, &conn)) < 0 ||
            (!one_proc && next32(z[3], &proc) < 0))
            return -1;
        out[i].ts_ns = (int64_t)(us ? ts * 1000 : ts);
        out[i].loc = loc4 ? loc * 4 : loc;
        out[i].conn_id = conn;
        out[i].proc = proc;
    }
    return p == len ? (int)n : -1;
}
