/* SPDX-License-Identifier: MIT */
/*
 * TCP stream reassembly (module `flow`, issue 10): turns the segments of one direction of a TCP
 * connection, in any order, into the byte stream the receiver saw, for the extractors.
 *
 * A connection uses two apc__reasm_t, one per direction; several streams share one
 * apc__reasm_pool_t so that memory is bounded in total as well as per stream. Nothing here is
 * thread-safe: one pool and its streams belong to one thread.
 *
 * Policy (docs/extraction.md "Reassembly"):
 * - Offsets: the stream starts at the SYN's sequence number + 1, or, without a SYN, at the
 *   first segment with data that is seen. 32-bit sequence numbers are unwrapped to 64-bit
 *   offsets around the next expected byte, so streams longer than 4 GiB and wrap-around work.
 * - Retransmissions and overlaps: FIRST WINS. A byte that was delivered, or that is buffered,
 *   keeps the value it arrived with first; a later segment only fills the holes. (Wireshark's
 *   default also keeps the first copy; a receiver's stack may differ, which we accept.)
 * - Out of order: segments ahead of the next expected byte are buffered (copied) until the
 *   hole before them is filled.
 * - Caps: buffered bytes (payload plus a fixed per-segment overhead) never exceed the stream's
 *   cap nor, summed over streams, the pool's cap. When a segment would exceed either, the
 *   stream gives up on its first hole: it reports a gap with reason APC__REASM_GAP_CAP and
 *   delivers what it holds past the hole, until the segment fits (or can be delivered at once).
 * - Gaps: apc__reasm_finish reports every hole left (reason APC__REASM_GAP_LOST) and delivers
 *   the buffered data after it, so the consumer can mark its file partial with the reason.
 */
#ifndef APC_FLOW_REASM_H
#define APC_FLOW_REASM_H

#include <stddef.h>
#include <stdint.h>

/* Why bytes are missing from a stream. */
enum apc__reasm_gap_reason {
    APC__REASM_GAP_LOST = 1, /* never captured (finish with a hole) */
    APC__REASM_GAP_CAP = 2,  /* skipped because a memory cap was reached */
};

/* Shared memory account of several streams. cap 0 means no total cap. */
typedef struct apc__reasm_pool {
    size_t cap;
    size_t used; /* bytes buffered now by all streams of the pool (read-only for callers) */
} apc__reasm_pool_t;

/* Consumer of one direction. data: len in-order bytes starting at stream offset off (valid
 * only during the call). gap: len bytes from off are missing, for the reason given. */
typedef struct apc__reasm_sink {
    void (*data)(void *payload, uint64_t off, const uint8_t *data, size_t len);
    void (*gap)(void *payload, uint64_t off, uint64_t len, enum apc__reasm_gap_reason why);
    void *payload;
} apc__reasm_sink_t;

/* Fixed cost counted per buffered segment on top of its payload (the list node). */
#define APC__REASM_SEG_OVERHEAD 48u

typedef struct apc__reasm_seg apc__reasm_seg_t;

typedef struct apc__reasm {
    apc__reasm_pool_t *pool; /* may be NULL: then only the stream cap applies */
    size_t cap;              /* stream cap in buffered bytes; 0 means no stream cap */
    size_t used;             /* buffered now by this stream */
    apc__reasm_sink_t sink;
    int started;            /* isn known */
    uint32_t isn;           /* sequence number of stream offset 0 */
    uint64_t next;          /* offset of the next byte to deliver */
    apc__reasm_seg_t *segs; /* buffered segments, sorted by offset, not overlapping */
    /* Counters, for tests and statistics. */
    uint64_t delivered, dup_bytes, gap_bytes;
} apc__reasm_t;

/* Initialises r (no allocation). cap: per-stream cap in bytes (0: none); pool may be NULL. */
void apc__reasm_init(apc__reasm_t *r, apc__reasm_pool_t *pool, size_t cap,
                     const apc__reasm_sink_t *sink);

/* Feeds one segment of this direction: its sequence number, whether it carries SYN, and its
 * payload (len may be 0). Calls the sink for every byte that becomes in order. Returns 0, or
 * APC_ENOMEM when a copy could not be allocated (the segment is then dropped; it will show as a
 * gap at finish, nothing else is lost). */
int apc__reasm_add(apc__reasm_t *r, uint32_t seq, int syn, const uint8_t *data, size_t len);

/* End of the stream (FIN, RST, eviction or end of capture): reports the holes left, delivers
 * what is buffered and frees it. r can be reused after apc__reasm_init. */
void apc__reasm_finish(apc__reasm_t *r);

/* Frees what r buffers without calling the sink. NULL-safe. */
void apc__reasm_free(apc__reasm_t *r);

#endif
