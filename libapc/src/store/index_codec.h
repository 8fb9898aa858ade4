/* SPDX-License-Identifier: MIT */
/*
 * The packet index's block codec (index format 2, docs/storage.md): up to APC_IDX_BLOCK
 * records in a few bytes each. Each field is stored as the zigzag LEB128 varint of its
 * difference from the record before (the first record's from zero), time in microseconds when
 * every time in the block is a whole microsecond (pcap files), locations in 4-byte units, the
 * process only when it changed (or once, when the block has one), the connection as its place
 * in a list of the 16 last seen when it is there: a record of 543-byte frames of 5,000
 * interleaved flows takes a few bytes instead of 24. A CRC-32 over the block lets a
 * reader tell a block from one the writer is replacing (and from damage).
 *
 * Pure functions of their arguments: no I/O, no allocation.
 */
#ifndef APC_STORE_INDEX_CODEC_H
#define APC_STORE_INDEX_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "store/index.h"

#define APC_IDX_BLOCK 256
/* A block's header (CRC-32, count, flags), a block's one process (a varint), and the worst case
 * of four 10-byte varints a record. */
#define APC_IDX_BLOCK_HDR 7
#define APC_IDX_BLOCK_MAX (APC_IDX_BLOCK_HDR + 10 + APC_IDX_BLOCK * 40)

/* Encodes records r[0..n-1] (1 <= n <= APC_IDX_BLOCK) into out, which holds at least
 * APC_IDX_BLOCK_MAX bytes. Returns the block's size. */
size_t apc__idxblk_encode(const apc__idxrec_t *r, size_t n, uint8_t *out);

/* Decodes the block b[0..len-1] into out (APC_IDX_BLOCK records of room). Returns its record
 * count (1..APC_IDX_BLOCK), or -1 when the block is damaged: a wrong CRC, a count out of range,
 * a varint running past the end or over 64 bits, a 32-bit field out of range, or bytes left
 * over after the last record. */
int apc__idxblk_decode(const uint8_t *b, size_t len, apc__idxrec_t *out);

#endif
