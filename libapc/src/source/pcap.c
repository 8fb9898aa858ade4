/* SPDX-License-Identifier: MIT */
/*
 * pcap (libpcap savefile) reader, after draft-ietf-opsawg-pcap: 24-byte file header, then
 * records of a 16-byte header and caplen bytes of data. Checks mirror libpcap's sf-pcap.c, the
 * reference reader, so that what tcpdump reads we read and what it refuses we refuse.
 */
#include "source/reader_int.h"

#include <string.h>

#include "core/error.h"

#define PCAP_HDR_LEN 24
#define PCAP_REC_LEN 16

/* Link-type field (draft-ietf-opsawg-pcaplinktype / pcap draft section 4): bits 0-15 link type,
 * 16-25 reserved, bit 26 "FCS length present", 28-31 FCS length in 16-bit words. libpcap keeps
 * bits 0-25 as the link type (LT_LINKTYPE), so a file with reserved bits set opens and reports an
 * unknown link type (tcpdump: "link-type 3145728"); we do the same rather than refuse. */
#define LT_LINKTYPE(x) ((x)&0x03FFFFFFu)
#define LT_FCS_PRESENT(x) ((x)&0x04000000u)
#define LT_FCS_WORDS(x) (((x)&0xF0000000u) >> 28)

/* libpcap: before 2.3 the caplen and len fields were written swapped; 2.3 files may be either. */
enum { LEN_NORMAL, LEN_SWAPPED, LEN_MAYBE };
static int lengths_mode(uint16_t minor)
{
    return minor < 3 ? LEN_SWAPPED : minor == 3 ? LEN_MAYBE : LEN_NORMAL;
}

int apc__pcap_open(apc__reader_t *r)
{
    if (r->len < PCAP_HDR_LEN)
        return apc__reader_fail(r, APC_EFORMAT, 0, "pcap file header truncated: %zu of %d bytes",
                                r->len, PCAP_HDR_LEN);
    const uint8_t *hdr = apc__reader_get(r, 0, PCAP_HDR_LEN);
    if (!hdr)
        return r->state;
    uint32_t magic;
    memcpy(&magic, hdr, 4);
    r->swap = magic == 0xd4c3b2a1u || magic == 0x4d3cb2a1u;
    if (r->swap)
        magic = __builtin_bswap32(magic);
    r->nsec = magic == 0xa1b23c4du;
    uint16_t major = apc__rd16(r, hdr + 4), minor = apc__rd16(r, hdr + 6);
    /* libpcap reads 2.0 to 2.4 (the draft's current version is 2.4); Wireshark also reads later
     * minors, but a later minor could change the record layout, so we refuse like tcpdump. */
    if (major != 2 || minor > 4)
        return apc__reader_fail(r, APC_EFORMAT, 4,
                                "unsupported pcap version %u.%u (only 2.0 to 2.4 are read)", major,
                                minor);
    uint32_t ltfield = apc__rd32(r, hdr + 20);
    apc__iface_t *i = apc__reader_add_iface(r);
    if (!i)
        return apc__reader_fail(r, APC_ENOMEM, 0, "out of memory");
    i->linktype = LT_LINKTYPE(ltfield);
    i->snaplen = apc__rd32(r, hdr + 16);
    i->tsresol_num = r->nsec ? 1000000000u : 1000000u;
    i->fcs_len = LT_FCS_PRESENT(ltfield) ? (uint8_t)(LT_FCS_WORDS(ltfield) * 2) : 0;
    r->maxcap = apc__reader_max_caplen(i->linktype);
    r->lenmode = lengths_mode(minor);
    r->pos = PCAP_HDR_LEN;
    return 0;
}

int apc__pcap_next(apc__reader_t *r, apc__rec_t *rec)
{
    size_t off = r->pos, left = r->len - off;
    if (left == 0)
        return 0;
    if (left < PCAP_REC_LEN)
        return apc__reader_fail(r, APC_EFORMAT, off,
                                "file truncated in a record header (%zu of %d bytes)", left,
                                PCAP_REC_LEN);
    const uint8_t *h = apc__reader_get(r, off, PCAP_REC_LEN);
    if (!h)
        return r->state;
    uint32_t sec = apc__rd32(r, h), frac = apc__rd32(r, h + 4);
    uint32_t caplen = apc__rd32(r, h + 8), wirelen = apc__rd32(r, h + 12);
    if (__builtin_expect(r->lenmode != LEN_NORMAL, 0)) {
        if (r->lenmode == LEN_SWAPPED || caplen > wirelen) {
            uint32_t t = caplen;
            caplen = wirelen;
            wirelen = t;
        }
    }
    if (caplen > r->maxcap)
        return apc__reader_fail(r, APC_EFORMAT, off,
                                "record caplen %u exceeds the maximum %u for link type %u", caplen,
                                r->maxcap, r->ifs[0].linktype);
    if (caplen > left - PCAP_REC_LEN)
        return apc__reader_fail(r, APC_EFORMAT, off,
                                "file truncated in a record: caplen %u, %zu bytes left", caplen,
                                left - PCAP_REC_LEN);
    /* The record's bytes; the window may move, so the header pointer is taken again. */
    h = apc__reader_get(r, off, PCAP_REC_LEN + (size_t)caplen);
    if (!h)
        return r->state;
    /* sec < 2^32 so sec * 10^9 + frac * 1000 < 2^63: no overflow possible. */
    rec->ts_ns = (int64_t)sec * 1000000000 + (int64_t)frac * (r->nsec ? 1 : 1000);
    rec->caplen = caplen;
    rec->wirelen = wirelen;
    rec->iface = 0;
    rec->linktype = r->ifs[0].linktype;
    rec->data = h + PCAP_REC_LEN;
    rec->comment = NULL;
    rec->comment_len = 0;
    rec->direction = 0;
    rec->has_pid_tid = 0;
    rec->pid = rec->tid = 0;
    rec->offset = off;
    r->pos = off + PCAP_REC_LEN + caplen;
    return 1;
}
