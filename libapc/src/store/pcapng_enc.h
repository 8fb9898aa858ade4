/* SPDX-License-Identifier: MIT */
/*
 * The one pcapng block encoder (draft-ietf-opsawg-pcapng sections 4.1-4.3), used by the packet
 * segments of the store (store/segment.c) and by exports (export/pcapng_out.c), so the two
 * files Wireshark reads are written by the same code. Each block is sized first, then encoded
 * into a buffer of exactly that size the caller provides: buffering and I/O stay the callers'.
 * Numbers are written in host order; the Section Header Block's byte-order magic tells readers
 * which. Option values longer than an option can hold (65532 bytes) are cut: pcapng has no
 * continuation.
 */
#ifndef APC_STORE_PCAPNG_ENC_H
#define APC_STORE_PCAPNG_ENC_H

#include <stddef.h>
#include <stdint.h>

/* Option codes (draft sections 3.5, 4.2, 4.3). */
#define APC_NG_OPT_COMMENT 1
#define APC_NG_OPT_EPB_FLAGS 2
#define APC_NG_OPT_EPB_PID_TID 8 /* epb_processid_threadid: u32 pid, u32 tid */

/* An Enhanced Packet Block. Options are written in this order: epb_flags (when direction is
 * nonzero), epb_processid_threadid (when has_pid_tid), then each comment: the segment reader
 * relies on the comment coming last. */
typedef struct apc__ng_epb {
    uint32_t iface;
    int64_t ts_ns; /* if_tsresol 9; negative stored as 0 */
    uint32_t caplen, wirelen;
    const uint8_t *data;
    int direction; /* 0 unknown, 1 in, 2 out */
    int has_pid_tid;
    uint32_t pid, tid;
    size_t n_comments;
    const char *const *comments; /* opt_comment each, in order; "" ones are left out */
    const size_t *comment_lens;  /* their lengths; NULL: strlen of each */
} apc__ng_epb_t;

/* SHB with opt_comment and shb_userappl when non-empty (NULL is empty). */
size_t apc__ng_shb_size(const char *comment, const char *userappl);
void apc__ng_shb_put(uint8_t *out, size_t size, const char *comment, const char *userappl);

/* IDB with if_name, if_description when non-empty, and if_tsresol 9 (ns). */
size_t apc__ng_idb_size(const char *name, const char *description);
void apc__ng_idb_put(uint8_t *out, size_t size, uint16_t linktype, uint32_t snaplen,
                     const char *name, const char *description);

size_t apc__ng_epb_size(const apc__ng_epb_t *p);
void apc__ng_epb_put(uint8_t *out, size_t size, const apc__ng_epb_t *p);

#endif
