/* SPDX-License-Identifier: MIT */
/*
 * Packet segments: the packet bytes of a capture, in append-only pcapng files
 * captures/<id>/seg-NNNNNN.pcapng that Wireshark reads as they are. Each segment starts with a
 * Section Header Block and the Interface Description Blocks known so far; packets are Enhanced
 * Packet Blocks (draft-ietf-opsawg-pcapng section 4.3) with if_tsresol 9 (nanoseconds), and the
 * options epb_flags (direction), epb_processid_threadid (pid/tid) and opt_comment when known.
 * A packet's location is (segment number << 48 | offset of its EPB in that segment).
 */
#ifndef APC_STORE_SEGMENT_H
#define APC_STORE_SEGMENT_H

#include <stddef.h>
#include <stdint.h>

#define APC_SEG_LOC(seg, off) (((uint64_t)(seg) << 48) | (uint64_t)(off))
#define APC_SEG_NO(loc) ((uint32_t)((loc) >> 48))
#define APC_SEG_OFF(loc) ((loc) & ((1ULL << 48) - 1))

#include "store/pcapng_enc.h" /* the block encoder, and the option codes we read back */

typedef struct apc__segw apc__segw_t;

/* Opens the writer of capture directory `dir`, continuing segment `seg_no` at byte `seg_bytes`
 * (0, 0 for a new capture: segment 0 is created). `seg_max` is the size at which a new segment
 * starts (0 = default 1 GiB). Interfaces must be re-added after reopening. */
int apc__segw_open(apc__segw_t **out, const char *dir, uint32_t seg_no, uint64_t seg_bytes,
                   uint64_t seg_max);
/* Declares interface `idx` (0, 1, 2... in order) with its link type and snap length; writes its
 * IDB into the current segment. */
int apc__segw_add_iface(apc__segw_t *w, uint32_t idx, uint32_t linktype, uint32_t snaplen,
                        const char *name);

typedef struct apc__segpkt {
    uint32_t iface;
    int64_t ts_ns;
    uint32_t caplen, wirelen;
    const uint8_t *data;
    int direction; /* 0 unknown, 1 in, 2 out */
    int has_pid_tid;
    uint32_t pid, tid;
    const char *comment; /* NULL or comment_len bytes */
    size_t comment_len;
} apc__segpkt_t;

/* Appends a packet (buffered). *loc receives its location. -errno / APC_E* on failure: the
 * writer is then unusable and the caller marks the capture failed. */
int apc__segw_append(apc__segw_t *w, const apc__segpkt_t *p, uint64_t *loc);
/* Writes buffered bytes to the file. */
int apc__segw_flush(apc__segw_t *w);
/* Segment number being written and its size including buffered bytes. After a flush these
 * are what is durable in the file (for the commit record). */
uint32_t apc__segw_seg_no(const apc__segw_t *w);
uint64_t apc__segw_seg_bytes(const apc__segw_t *w);
/* Flushes (errors ignored: call flush first to see them) and closes. NULL-safe. */
void apc__segw_close(apc__segw_t *w);

/* Reading packets back by location. Keeps segment files open between calls. */
typedef struct apc__segr apc__segr_t;
int apc__segr_open(apc__segr_t **out, const char *dir);
typedef struct apc__segrec {
    uint32_t iface;
    int64_t ts_ns;
    uint32_t caplen, wirelen;
    const uint8_t *data; /* valid until the next read or close */
    int direction;
    int has_pid_tid;
    uint32_t pid, tid;
    const char *comment; /* NUL-terminated, NULL if none; valid until the next read */
} apc__segrec_t;
/* Lets reads be served from a 64 KiB window read ahead of them. Only for a reader whose
 * every location was indexed before this call: bytes read ahead may belong to a block still
 * being written, and are trusted only because such a block is never asked for. */
int apc__segr_read_ahead(apc__segr_t *r);
/* Reads the EPB at `loc`. APC_EFORMAT if what is there is not a whole EPB. */
int apc__segr_read(apc__segr_t *r, uint64_t loc, apc__segrec_t *out);
void apc__segr_close(apc__segr_t *r);

/* Path of segment `no` of capture directory `dir` into buf. */
void apc__seg_path(char *buf, size_t n, const char *dir, uint32_t no);

/* Walks segment file `path` block by block and returns in *good the offset after the last
 * whole, well-formed block at or before `limit` (crash repair). */
int apc__seg_scan(const char *path, uint64_t limit, uint64_t *good);

#endif
