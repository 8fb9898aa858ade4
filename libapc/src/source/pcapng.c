/* SPDX-License-Identifier: MIT */
/*
 * pcapng reader after draft-ietf-opsawg-pcapng: a file is one or more sections, each a Section
 * Header Block (SHB, with its own byte order) followed by Interface Description Blocks (IDB) and
 * packet blocks (EPB, SPB, obsolete PB). Every other block (NRB, ISB, DSB, custom 0xBAD /
 * 0x40000BAD, unknown types) is skipped by its length, as the draft requires of readers.
 *
 * Checks on the generic block (section 3.1): total length >= 12, a multiple of 4, inside the
 * file, and equal to the trailing copy. Options (section 3.5) must fit inside their block.
 */
#include "source/reader_int.h"

#include <stdlib.h>
#include <string.h>

#include "core/error.h"

#define BT_IDB 0x00000001u
#define BT_PB 0x00000002u /* obsolete Packet Block (draft appendix) */
#define BT_SPB 0x00000003u
#define BT_EPB 0x00000006u
#define BT_SHB 0x0a0d0d0au
#define BOM 0x1a2b3c4du

#define OPT_ENDOFOPT 0
#define OPT_COMMENT 1
#define IF_NAME 2
#define IF_DESCRIPTION 3
#define IF_TSRESOL 9
#define IF_FCSLEN 13
#define IF_TSOFFSET 14
#define EPB_FLAGS 2
/* epb_processid_threadid: option 8 of the EPB as reader.h and Wireshark use it (32-bit process
 * id then 32-bit thread id, section byte order). ptcpdump does not write it: it puts PID and
 * thread in opt_comment text, which callers parse from rec->comment. */
#define EPB_PID_TID 8

#define SHB_MIN 28 /* header 8, BOM 4, version 4, section length 8, trailer 4 */

static inline size_t pad4(size_t n)
{
    return (n + 3) & ~(size_t)3;
}

/* Iterator over an options area [p, p + n); off is the file offset of p for messages. */
struct optit {
    const uint8_t *p;
    size_t n;
    uint64_t off;
};

/* 1 = option in code, val, len; 0 = end (opt_endofopt or area used up), < 0 = overflow. */
static int opt_next(apc__reader_t *r, struct optit *it, uint16_t *code, const uint8_t **val,
                    uint16_t *len)
{
    /* Block lengths and fixed parts are multiples of 4, so fewer than 4 bytes never remain. */
    if (it->n < 4)
        return 0;
    *code = apc__rd16(r, it->p);
    *len = apc__rd16(r, it->p + 2);
    if (*code == OPT_ENDOFOPT)
        return 0;
    size_t need = 4 + pad4(*len);
    if (need > it->n)
        return apc__reader_fail(r, APC_EFORMAT, it->off,
                                "option %u of length %u overflows its block (%zu bytes left)",
                                *code, *len, it->n - 4);
    *val = it->p + 4;
    it->p += need;
    it->n -= need;
    it->off += need;
    return 1;
}

/* Appends a string option to a "\n"-joined, NUL-terminated buffer. Writers differ on whether
 * they include a terminating NUL in the option; trailing NULs are dropped. */
static int join_append(char **buf, size_t *cap, size_t *len, const uint8_t *v, size_t n)
{
    while (n > 0 && v[n - 1] == 0)
        n--;
    size_t need = *len + (*len ? 1 : 0) + n + 1;
    if (need > *cap) {
        size_t nc = *cap ? *cap : 256;
        while (nc < need)
            nc *= 2;
        char *nb = realloc(*buf, nc);
        if (!nb)
            return -1;
        *buf = nb;
        *cap = nc;
    }
    if (*len)
        (*buf)[(*len)++] = '\n';
    memcpy(*buf + *len, v, n);
    *len += n;
    (*buf)[*len] = 0;
    return 0;
}

static char *dupstr(const uint8_t *v, size_t n)
{
    const uint8_t *z = memchr(v, 0, n);
    if (z)
        n = (size_t)(z - v);
    char *s = malloc(n + 1);
    if (s) {
        memcpy(s, v, n);
        s[n] = 0;
    }
    return s;
}

/* Units of the interface -> ns since the epoch, plus if_tsoffset; 128-bit so that no 64-bit
 * timestamp at any resolution overflows; the result saturates at the int64 range. */
static int64_t ts_to_ns(const apc__iface_t *i, uint64_t ts)
{
    __extension__ __int128 ns;
    if (i->tsresol_num == 1000000000u)
        ns = ts;
    else if (i->tsresol_num == 1000000u)
        ns = (__int128)ts * 1000;
    else
        ns = (__int128)((unsigned __int128)ts * 1000000000u / i->tsresol_num);
    ns += (__int128)i->tsoffset_sec * 1000000000;
    if (ns > INT64_MAX)
        return INT64_MAX;
    if (ns < INT64_MIN)
        return INT64_MIN;
    return (int64_t)ns;
}

/* Section Header Block (draft section 4.1). Sets the section's byte order. */
static int read_shb(apc__reader_t *r, size_t off)
{
    size_t left = r->len - off;
    if (left < 12)
        return apc__reader_fail(r, APC_EFORMAT, off,
                                "file truncated in a section header block (%zu bytes)", left);
    const uint8_t *b = apc__reader_get(r, off, 12);
    if (!b)
        return r->state;
    uint32_t bom;
    memcpy(&bom, b + 8, 4);
    if (bom == BOM)
        r->swap = false;
    else if (bom == __builtin_bswap32(BOM))
        r->swap = true;
    else
        return apc__reader_fail(r, APC_EFORMAT, off + 8,
                                "bad byte-order magic 0x%08x in section header block",
                                __builtin_bswap32(bom));
    uint32_t blen = apc__rd32(r, b + 4);
    if (blen < SHB_MIN)
        return apc__reader_fail(r, APC_EFORMAT, off,
                                "section header block length %u below minimum %d", blen, SHB_MIN);
    if (blen % 4)
        return apc__reader_fail(r, APC_EFORMAT, off, "block length %u not a multiple of 4", blen);
    if (blen > left)
        return apc__reader_fail(r, APC_EFORMAT, off,
                                "file truncated in a section header block: length %u, %zu bytes "
                                "left",
                                blen, left);
    if (!(b = apc__reader_get(r, off, blen)))
        return r->state;
    uint32_t trail = apc__rd32(r, b + blen - 4);
    if (trail != blen)
        return apc__reader_fail(r, APC_EFORMAT, off,
                                "trailing block length %u differs from leading length %u", trail,
                                blen);
    uint16_t major = apc__rd16(r, b + 12), minor = apc__rd16(r, b + 14);
    /* 1.0 is the draft's version. libpcap and Wireshark also read 1.2, which some old writers
     * put in files of the same layout; everything else (0.x, 1.1, 2.x) is refused like them. */
    if (major != 1 || (minor != 0 && minor != 2))
        return apc__reader_fail(r, APC_EFORMAT, off + 12,
                                "unsupported pcapng version %u.%u (only 1.0 is read)", major,
                                minor);
    /* Section length (b + 16) may be -1 (unknown); it is not needed to walk the blocks. */
    struct optit it = {b + 24, blen - SHB_MIN, off + 24};
    uint16_t code, olen;
    const uint8_t *val = NULL; /* set by the option reader; -O3 cannot see it */
    int rc;
    while ((rc = opt_next(r, &it, &code, &val, &olen)) > 0) {
        if (code == OPT_COMMENT &&
            join_append(&r->shb_comment, &r->shb_comment_cap, &r->shb_comment_len, val, olen) < 0)
            return apc__reader_fail(r, APC_ENOMEM, off, "out of memory");
    }
    if (rc < 0)
        return rc;
    r->section_first_if = r->nifs;
    r->pos = off + blen;
    return 0;
}

/* if_tsresol (draft section 4.2): MSB clear = 10^-v s, MSB set = 2^-(v & 0x7f) s. Like libpcap
 * we refuse resolutions whose units-per-second do not fit 64 bits. */
static int tsresol(apc__reader_t *r, uint64_t off, uint8_t v, uint64_t *out)
{
    if (v & 0x80) {
        unsigned e = v & 0x7f;
        if (e > 63)
            return apc__reader_fail(r, APC_EFORMAT, off, "if_tsresol 2^-%u is too fine", e);
        *out = (uint64_t)1 << e;
        return 0;
    }
    if (v > 19)
        return apc__reader_fail(r, APC_EFORMAT, off, "if_tsresol 10^-%u is too fine", v);
    uint64_t p = 1;
    for (unsigned k = 0; k < v; k++)
        p *= 10;
    *out = p;
    return 0;
}

/* Interface Description Block (draft section 4.2). */
static int read_idb(apc__reader_t *r, size_t off, const uint8_t *body, size_t blen)
{
    if (blen < 20)
        return apc__reader_fail(r, APC_EFORMAT, off,
                                "interface description block length %u below minimum 20",
                                (unsigned)blen);
    apc__iface_t *i = apc__reader_add_iface(r);
    if (!i)
        return apc__reader_fail(r, APC_ENOMEM, off, "out of memory");
    i->linktype = apc__rd16(r, body);
    i->snaplen = apc__rd32(r, body + 4);
    struct optit it = {body + 8, blen - 20, off + 16};
    uint16_t code, olen;
    const uint8_t *val = NULL; /* set by the option reader; -O3 cannot see it */
    int rc;
    while ((rc = opt_next(r, &it, &code, &val, &olen)) > 0) {
        uint64_t ooff = it.off - 4 - pad4(olen); /* this option, for messages */
        switch (code) {
        case IF_NAME:
        case IF_DESCRIPTION: {
            char **dst = code == IF_NAME ? &i->name : &i->description;
            free(*dst);
            if (!(*dst = dupstr(val, olen)))
                return apc__reader_fail(r, APC_ENOMEM, off, "out of memory");
            break;
        }
        case IF_TSRESOL:
            if (olen >= 1 && (rc = tsresol(r, ooff, val[0], &i->tsresol_num)) < 0)
                return rc;
            break;
        case IF_FCSLEN:
            /* The draft gives if_fcslen in bits; we keep bytes, like the pcap FCS field. */
            if (olen >= 1)
                i->fcs_len = val[0] / 8;
            break;
        case IF_TSOFFSET:
            if (olen == 8)
                i->tsoffset_sec = (int64_t)apc__rd64(r, val);
            break;
        default:
            break;
        }
    }
    return rc;
}

/* Global interface index of a section-local id, or fails with "undefined interface". */
static int iface_of(apc__reader_t *r, size_t off, uint32_t id, uint32_t *out)
{
    size_t n = r->nifs - r->section_first_if;
    if (id >= n)
        return apc__reader_fail(r, APC_EFORMAT, off,
                                "packet refers to interface %u but its section defines %zu", id, n);
    *out = (uint32_t)(r->section_first_if + id);
    return 0;
}

static void rec_init(apc__rec_t *rec, size_t off)
{
    rec->comment = NULL;
    rec->comment_len = 0;
    rec->direction = 0;
    rec->has_pid_tid = 0;
    rec->pid = rec->tid = 0;
    rec->offset = off;
}

/* Options of an EPB or PB (draft section 4.3): all comments joined, flags, pid/tid. */
static int packet_opts(apc__reader_t *r, apc__rec_t *rec, struct optit *it)
{
    uint16_t code, olen;
    const uint8_t *val = NULL; /* set by the option reader; -O3 cannot see it */
    size_t clen = 0;
    int rc;
    while ((rc = opt_next(r, it, &code, &val, &olen)) > 0) {
        if (code == OPT_COMMENT) {
            if (join_append(&r->cbuf, &r->cbuf_cap, &clen, val, olen) < 0)
                return apc__reader_fail(r, APC_ENOMEM, rec->offset, "out of memory");
        } else if (code == EPB_FLAGS && olen == 4) {
            rec->direction = (int)(apc__rd32(r, val) & 3);
            if (rec->direction == 3) /* "invalid" in the draft: treat as unknown */
                rec->direction = 0;
        } else if (code == EPB_PID_TID && olen == 8) {
            rec->has_pid_tid = 1;
            rec->pid = apc__rd32(r, val);
            rec->tid = apc__rd32(r, val + 4);
        }
    }
    if (rc < 0)
        return rc;
    if (clen) {
        rec->comment = r->cbuf;
        rec->comment_len = clen;
    }
    return 0;
}

/* EPB (draft 4.3) and obsolete PB (appendix): same layout but for a 16-bit interface id and a
 * 16-bit drops count in PB. */
static int read_epb(apc__reader_t *r, apc__rec_t *rec, size_t off, const uint8_t *body, size_t blen,
                    bool pb)
{
    if (blen < 32)
        return apc__reader_fail(r, APC_EFORMAT, off, "%s length %u below minimum 32",
                                pb ? "packet block" : "enhanced packet block", (unsigned)blen);
    uint32_t id = pb ? apc__rd16(r, body) : apc__rd32(r, body);
    uint64_t ts = (uint64_t)apc__rd32(r, body + 4) << 32 | apc__rd32(r, body + 8);
    uint32_t caplen = apc__rd32(r, body + 12), wirelen = apc__rd32(r, body + 16);
    size_t room = blen - 32;
    if (pad4(caplen) > room)
        return apc__reader_fail(r, APC_EFORMAT, off,
                                "%s caplen %u exceeds the block (%zu bytes for data)",
                                pb ? "PB" : "EPB", caplen, room);
    int rc = iface_of(r, off, id, &rec->iface);
    if (rc < 0)
        return rc;
    const apc__iface_t *i = &r->ifs[rec->iface];
    rec_init(rec, off);
    rec->ts_ns = ts_to_ns(i, ts);
    rec->caplen = caplen;
    rec->wirelen = wirelen;
    rec->linktype = i->linktype;
    rec->data = body + 20;
    struct optit it = {body + 20 + pad4(caplen), room - pad4(caplen), off + 28 + pad4(caplen)};
    return packet_opts(r, rec, &it);
}

/* Simple Packet Block (draft 4.4): interface 0 of the section, no timestamp; the captured
 * length is the original length cut to the interface's snaplen (0 = no limit). */
static int read_spb(apc__reader_t *r, apc__rec_t *rec, size_t off, const uint8_t *body, size_t blen)
{
    if (blen < 16)
        return apc__reader_fail(r, APC_EFORMAT, off,
                                "simple packet block length %u below minimum 16", (unsigned)blen);
    int rc = iface_of(r, off, 0, &rec->iface);
    if (rc < 0)
        return rc;
    const apc__iface_t *i = &r->ifs[rec->iface];
    uint32_t wirelen = apc__rd32(r, body);
    uint32_t caplen = wirelen;
    if (i->snaplen && caplen > i->snaplen)
        caplen = i->snaplen;
    size_t room = blen - 16;
    if (pad4(caplen) > room)
        return apc__reader_fail(r, APC_EFORMAT, off,
                                "SPB packet length %u exceeds the block (%zu bytes for data)",
                                caplen, room);
    rec_init(rec, off);
    rec->ts_ns = 0;
    rec->caplen = caplen;
    rec->wirelen = wirelen;
    rec->linktype = i->linktype;
    rec->data = body + 4;
    return 0;
}

int apc__pcapng_open(apc__reader_t *r)
{
    return read_shb(r, 0);
}

int apc__pcapng_next(apc__reader_t *r, apc__rec_t *rec)
{
    for (;;) {
        size_t off = r->pos, left = r->len - off;
        if (left == 0)
            return 0;
        if (left < 8)
            return apc__reader_fail(r, APC_EFORMAT, off,
                                    "file truncated in a block header (%zu of 8 bytes)", left);
        const uint8_t *b = apc__reader_get(r, off, 8);
        if (!b)
            return r->state;
        uint32_t type;
        memcpy(&type, b, 4);
        int rc;
        if (type == BT_SHB) {
            if ((rc = read_shb(r, off)) < 0)
                return rc;
            continue;
        }
        type = apc__rd32(r, b);
        uint32_t blen = apc__rd32(r, b + 4);
        if (blen < 12)
            return apc__reader_fail(r, APC_EFORMAT, off,
                                    "block type 0x%08x: length %u below minimum 12", type, blen);
        if (blen % 4)
            return apc__reader_fail(r, APC_EFORMAT, off,
                                    "block type 0x%08x: length %u not a multiple of 4", type, blen);
        if (blen > left)
            return apc__reader_fail(r, APC_EFORMAT, off,
                                    "file truncated in a block of type 0x%08x: length %u, %zu "
                                    "bytes left",
                                    type, blen, left);
        /* Blocks that carry nothing for us are skipped by reading their trailing length only:
         * a huge unknown block costs no memory. The others are read whole. */
        bool wanted = type == BT_IDB || type == BT_EPB || type == BT_PB || type == BT_SPB;
        b = wanted ? apc__reader_get(r, off, blen) : apc__reader_get(r, off + blen - 4, 4);
        if (!b)
            return r->state;
        uint32_t trail = wanted ? apc__rd32(r, b + blen - 4) : apc__rd32(r, b);
        if (trail != blen)
            return apc__reader_fail(r, APC_EFORMAT, off,
                                    "block type 0x%08x: trailing length %u differs from leading "
                                    "length %u",
                                    type, trail, blen);
        const uint8_t *body = b + 8;
        rc = 0;
        switch (type) {
        case BT_IDB:
            rc = read_idb(r, off, body, blen);
            break;
        case BT_EPB:
        case BT_PB:
            rc = read_epb(r, rec, off, body, blen, type == BT_PB);
            rc = rc < 0 ? rc : 1;
            break;
        case BT_SPB:
            rc = read_spb(r, rec, off, body, blen);
            rc = rc < 0 ? rc : 1;
            break;
        default: /* NRB, ISB, DSB, custom and unknown blocks carry no packet for us */
            break;
        }
        if (rc < 0)
            return rc;
        r->pos = off + blen;
        if (rc == 1)
            return 1;
    }
}
