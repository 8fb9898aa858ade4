/* SPDX-License-Identifier: MIT */
/* Private state shared by the reader front end (reader.c) and the format parsers. */
#ifndef APC_SOURCE_READER_INT_H
#define APC_SOURCE_READER_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "source/reader.h"

struct apc__reader {
    /* Memory input (caller's buffer or an owned copy of a pipe): buf holds all len bytes.
     * File input (fd >= 0): buf is NULL and bytes come through a window read with pread(), so
     * a file truncated underneath gives an error instead of the SIGBUS a mapping would. */
    const uint8_t *buf;
    size_t len; /* input size (for a file: its size when opened; we read no further) */
    size_t pos; /* offset of the next record/block */
    uint8_t *owned;
    int fd;       /* our own descriptor of a regular file, or -1 */
    uint8_t *win; /* window: file bytes [wbase, wbase + wlen) */
    size_t wcap;  /* allocated bytes of win */
    size_t wbase;
    size_t wlen;
    enum apc__file_format fmt;
    bool swap; /* file byte order differs from ours (pcap: whole file; pcapng: this section) */
    int state; /* 0 = reading, 1 = clean end, < 0 = sticky error code */
    char errmsg[256];

    /* pcap */
    int lenmode;     /* caplen/len order (old 2.x versions swapped them) */
    uint32_t maxcap; /* largest caplen accepted for the link type */
    bool nsec;

    /* interfaces: global over all pcapng sections */
    apc__iface_t *ifs;
    size_t nifs, cap_ifs;
    size_t section_first_if; /* global index of interface 0 of the current section */

    /* per-record comment join buffer, and the section comments */
    char *cbuf;
    size_t cbuf_cap;
    char *shb_comment;
    size_t shb_comment_len, shb_comment_cap;
};

static inline uint32_t apc__rd32(const apc__reader_t *r, const uint8_t *p)
{
    uint32_t v;
    __builtin_memcpy(&v, p, 4);
    return r->swap ? __builtin_bswap32(v) : v;
}

static inline uint16_t apc__rd16(const apc__reader_t *r, const uint8_t *p)
{
    uint16_t v;
    __builtin_memcpy(&v, p, 2);
    return r->swap ? __builtin_bswap16(v) : v;
}

static inline uint64_t apc__rd64(const apc__reader_t *r, const uint8_t *p)
{
    uint64_t v;
    __builtin_memcpy(&v, p, 8);
    return r->swap ? __builtin_bswap64(v) : v;
}

/* Bytes [off, off + n) of the input, or NULL with the sticky error set (I/O error, file shrank
 * while being read, out of memory). The caller has checked off + n <= r->len. The pointer is
 * valid until the next call: a later call may move the window. */
const uint8_t *apc__reader_fetch(apc__reader_t *r, size_t off, size_t n);
static inline const uint8_t *apc__reader_get(apc__reader_t *r, size_t off, size_t n)
{
    if (r->buf)
        return r->buf + off;
    if (off >= r->wbase && n <= r->wlen && off - r->wbase <= r->wlen - n)
        return r->win + (off - r->wbase);
    return apc__reader_fetch(r, off, n);
}

/* Sets the sticky error of the reader and the thread-local message "offset N: ..." */
int apc__reader_fail(apc__reader_t *r, int code, uint64_t off, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Appends a new interface (zeroed, µs resolution); NULL on allocation failure. */
apc__iface_t *apc__reader_add_iface(apc__reader_t *r);
/* Largest caplen libpcap accepts for a link type (max_snaplen_for_dlt). */
uint32_t apc__reader_max_caplen(uint32_t linktype);

/* Format parsers. *_open checks the file header at offset 0; *_next reads one record. Both
 * reach the bytes through apc__reader_get(). */
int apc__pcap_open(apc__reader_t *r);
int apc__pcap_next(apc__reader_t *r, apc__rec_t *rec);
int apc__pcapng_open(apc__reader_t *r);
int apc__pcapng_next(apc__reader_t *r, apc__rec_t *rec);

#endif
