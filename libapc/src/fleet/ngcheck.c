/* SPDX-License-Identifier: MIT */
/*
 * Checks an owning node's export stream block by block (ngcheck.h). Block layouts are those of
 * draft-ietf-opsawg-pcapng: the common frame (type, total length, body, total length again;
 * section 3.1), the Section Header Block (4.1), the Interface Description Block (4.2) and the
 * Enhanced Packet Block (4.3), with options as TLVs padded to 32 bits (3.5). The checked bytes
 * are passed on unchanged, so the local export is the owner's byte for byte.
 */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "fleet/ngcheck.h"

#define SHB 0x0A0D0D0Au
#define IDB 1u
#define EPB 6u
#define MAGIC 0x1A2B3C4Du

static uint32_t rd32(const apc__ngchk_t *c, const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return c->swap ? __builtin_bswap32(v) : v;
}

static uint16_t rd16(const apc__ngchk_t *c, const uint8_t *p)
{
    uint16_t v;
    memcpy(&v, p, 2);
    return c->swap ? (uint16_t)(v >> 8 | v << 8) : v;
}

static int bad(const apc__ngchk_t *c, const char *why)
{
    return apc__err(APC_EFORMAT, "node '%s' sent a bad export: %s (block at byte %llu)",
                    c->node ? c->node : "?", why, (unsigned long long)c->offset);
}

static size_t pad4(size_t n)
{
    return (n + 3) & ~(size_t)3;
}

/* The options of a block, from `at` to the trailing length at len - 4: each TLV within. */
static int check_options(const apc__ngchk_t *c, const uint8_t *b, size_t at, size_t len)
{
    size_t end = len - 4;
    while (at < end) {
        if (end - at < 4)
            return bad(c, "an option cut short");
        uint16_t code = rd16(c, b + at), olen = rd16(c, b + at + 2);
        at += 4;
        if (code == 0) /* opt_endofopt */
            return 0;
        if (pad4(olen) > end - at)
            return bad(c, "an option longer than its block");
        at += pad4(olen);
    }
    return 0;
}

/* The whole block in c->blk (c->need bytes, a multiple of 4, at least 12, the trailing length
 * equal to the leading one: checked by the caller). */
static int check_block(apc__ngchk_t *c, int *is_packet)
{
    const uint8_t *b = c->blk;
    size_t len = c->need;
    uint32_t type = rd32(c, b);
    *is_packet = 0;
    if (type == SHB) {
        if (c->seen_shb)
            return bad(c, "a second section");
        if (len < 28)
            return bad(c, "a Section Header Block too short");
        if (rd16(c, b + 12) != 1)
            return bad(c, "a section of major version other than 1");
        c->seen_shb = 1;
        return check_options(c, b, 24, len);
    }
    if (type == IDB) {
        if (len < 20)
            return bad(c, "an Interface Description Block too short");
        if (c->n_ifaces >= APC_NGCHK_IFACES_MAX)
            return bad(c, "too many interfaces");
        c->n_ifaces++;
        return check_options(c, b, 16, len);
    }
    if (type == EPB) {
        if (len < 32)
            return bad(c, "an Enhanced Packet Block too short");
        if (rd32(c, b + 8) >= c->n_ifaces)
            return bad(c, "a packet of an interface not described");
        uint32_t caplen = rd32(c, b + 20);
        if (caplen > APC_NGCHK_SNAP_MAX)
            return bad(c, "a packet's captured length over 256 KiB");
        if (pad4(caplen) > len - 32)
            return bad(c, "a packet's captured length beyond its block");
        *is_packet = 1;
        return check_options(c, b, 28 + pad4(caplen), len);
    }
    return bad(c, "a block of a type an export does not write");
}

/* The block's total length once its first bytes are in (12 for a section's first block: its
 * byte order is known from the magic after the length). 0 when more bytes are needed. */
static int block_length(apc__ngchk_t *c)
{
    size_t want = c->seen_shb ? 8 : 12;
    if (c->have < want)
        return 0;
    if (!c->seen_shb) {
        uint32_t type, magic;
        memcpy(&type, c->blk, 4); /* the same in either byte order */
        memcpy(&magic, c->blk + 8, 4);
        if (type != SHB)
            return bad(c, "it does not start with a Section Header Block");
        if (magic != MAGIC && magic != __builtin_bswap32(MAGIC))
            return bad(c, "not a pcapng section (byte-order magic)");
        c->swap = magic != MAGIC;
    }
    uint32_t total = rd32(c, c->blk + 4);
    if (total < 12 || total % 4)
        return bad(c, "a block length below 12 or not a multiple of 4");
    if (total > APC_NGCHK_BLOCK_MAX)
        return bad(c, "a block over 16 MiB");
    if (total > c->cap) {
        uint8_t *nb = realloc(c->blk, total);
        if (!nb)
            return apc__err(APC_ENOMEM, "out of memory");
        c->blk = nb;
        c->cap = total;
    }
    c->need = total;
    return 0;
}

int apc__ngchk_feed(apc__ngchk_t *c, const uint8_t *d, size_t n, apc__ngchk_fn fn, void *payload)
{
    if (!c->blk) {
        c->cap = 65536;
        if (!(c->blk = malloc(c->cap)))
            return apc__err(APC_ENOMEM, "out of memory");
    }
    while (n > 0) {
        /* Up to the block's end when its length is known, else up to its length field. */
        size_t goal = c->need ? c->need : c->seen_shb ? 8 : 12;
        size_t k = goal - c->have < n ? goal - c->have : n;
        memcpy(c->blk + c->have, d, k);
        c->have += k, d += k, n -= k;
        int rc = 0;
        if (!c->need && (rc = block_length(c)) < 0)
            return rc;
        if (!c->need || c->have < c->need)
            continue;
        if (rd32(c, c->blk + c->need - 4) != c->need)
            return bad(c, "a block whose trailing length differs from its length");
        int is_packet;
        if ((rc = check_block(c, &is_packet)) < 0 ||
            (rc = fn(c->blk, c->need, is_packet, payload)) < 0)
            return rc;
        c->packets += (uint64_t)is_packet;
        c->offset += c->need;
        c->have = c->need = 0;
    }
    return 0;
}

int apc__ngchk_end(apc__ngchk_t *c)
{
    if (c->have)
        return bad(c, "the stream ended inside a block");
    if (!c->seen_shb)
        return bad(c, "no section at all");
    return 0;
}

void apc__ngchk_free(apc__ngchk_t *c)
{
    free(c->blk);
    c->blk = NULL;
    c->cap = c->have = c->need = 0;
}
