/* SPDX-License-Identifier: MIT */
/*
 * Sequential reading of packet blocks for a scan. A search visits packets in capture order,
 * which is file order within each segment, so it reads the segment in large chunks instead of
 * two preads per packet (store/segment.c's random-access reader). Blocks are Enhanced Packet
 * Blocks as store/segment.h writes them (draft-ietf-opsawg-pcapng section 4.3); every length
 * is checked against the block and the chunk before use.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/error.h"
#include "store/segscan.h"
#include "store/segment.h"

#define CHUNK (4u << 20)
#define BT_EPB 6u

void apc__segscan_init(apc__segscan_t *s, const char *dir)
{
    memset(s, 0, sizeof *s);
    s->dir = dir;
    s->fd = -1;
    s->seg = UINT32_MAX;
}

void apc__segscan_close(apc__segscan_t *s)
{
    if (s->fd >= 0)
        close(s->fd);
    free(s->buf);
    s->fd = -1;
    s->buf = NULL;
}

static int fill(apc__segscan_t *s, uint64_t off, size_t need)
{
    size_t want = need > CHUNK ? need : CHUNK;
    if (want > s->cap) {
        uint8_t *nb = realloc(s->buf, want);
        if (!nb)
            return apc__err(APC_ENOMEM, "out of memory");
        s->buf = nb;
        s->cap = want;
    }
    size_t got = 0;
    while (got < want) {
        ssize_t k = pread(s->fd, s->buf + got, want - got, (off_t)(off + got));
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return apc__err_errno(errno, "reading segment %u", s->seg);
        if (k == 0)
            break;
        got += (size_t)k;
    }
    s->base = off;
    s->len = got;
    return 0;
}

static uint32_t rd32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

int apc__segscan_read(apc__segscan_t *s, uint64_t loc, apc__segrec_t *out)
{
    uint32_t seg = APC_SEG_NO(loc);
    uint64_t off = APC_SEG_OFF(loc);
    memset(out, 0, sizeof *out);
    if (seg != s->seg) {
        if (s->fd >= 0)
            close(s->fd);
        char path[4200];
        apc__seg_path(path, sizeof path, s->dir, seg);
        s->fd = open(path, O_RDONLY | O_CLOEXEC);
        s->seg = seg;
        s->len = 0;
        if (s->fd < 0)
            return apc__err_errno(errno, "cannot open segment '%s'", path);
    }
    if (off < s->base || off + 28 > s->base + s->len) {
        int r = fill(s, off, 28);
        if (r < 0)
            return r;
    }
    const uint8_t *b = s->buf + (off - s->base);
    uint32_t total = off + 8 <= s->base + s->len ? rd32(b + 4) : 0;
    if (off + 8 > s->base + s->len || rd32(b) != BT_EPB || total < 32 || total % 4 ||
        total > (64u << 20))
        return apc__err(APC_EFORMAT, "segment %u offset %llu: not a packet block", seg,
                        (unsigned long long)off);
    if (off + total > s->base + s->len) {
        int r = fill(s, off, total);
        if (r < 0)
            return r;
        if (s->len < total)
            return apc__err(APC_EFORMAT, "segment %u offset %llu: packet block cut short", seg,
                            (unsigned long long)off);
        b = s->buf;
    }
    out->iface = rd32(b + 8);
    out->ts_ns = (int64_t)(((uint64_t)rd32(b + 12) << 32) | rd32(b + 16));
    out->caplen = rd32(b + 20);
    out->wirelen = rd32(b + 24);
    uint64_t dlen = ((uint64_t)out->caplen + 3) & ~3ULL;
    if (28 + dlen + 4 > total)
        return apc__err(APC_EFORMAT, "segment %u offset %llu: packet length exceeds its block", seg,
                        (unsigned long long)off);
    out->data = b + 28;
    /* options: only epb_flags (direction) and epb_processid_threadid matter to filters */
    size_t o = 28 + (size_t)dlen, end = total - 4;
    while (o + 4 <= end) {
        uint16_t code, len;
        memcpy(&code, b + o, 2);
        memcpy(&len, b + o + 2, 2);
        if (code == 0 || o + 4 + len > end)
            break;
        if (code == APC_NG_OPT_EPB_PID_TID && len == 8) {
            out->has_pid_tid = 1;
            out->pid = rd32(b + o + 4);
            out->tid = rd32(b + o + 8);
        } else if (code == APC_NG_OPT_EPB_FLAGS && len == 4) {
            out->direction = (int)(rd32(b + o + 4) & 3);
        }
        o += 4 + (((size_t)len + 3) & ~(size_t)3);
    }
    return 0;
}
