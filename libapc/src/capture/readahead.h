/* SPDX-License-Identifier: MIT */
/*
 * The next records of a file being ingested, read, copied and decoded a few packets ahead of
 * the one being stored, so that the capture writer's cache misses on them (the connection
 * lookup with thousands of live flows: its bucket, then the connection) start while the
 * packets before are still being stored (apc__capw_hint). The records come out in file order,
 * exactly as apc__reader_next gives them; a read error comes out after the records before it.
 */
#ifndef APC_CAPTURE_READAHEAD_H
#define APC_CAPTURE_READAHEAD_H

#include <stdint.h>

#include "capture/capwriter.h"
#include "decode/decode.h"
#include "flow/flow.h"
#include "source/reader.h"

#define APC__AHEAD 3

typedef struct apc__ahead_slot {
    apc__rec_t rec;          /* data and comment point into buf */
    apc__pkt_t d;            /* rec's decoding */
    apc__flow_lookup_t flow; /* d's connection lookup (apc__flow_lookup_of) */
    uint8_t *buf;
    size_t cap;
} apc__ahead_slot_t;

typedef struct apc__ahead {
    apc__reader_t *r; /* borrowed */
    apc__capw_t *w;   /* borrowed: the writer the hints are for */
    apc__ahead_slot_t s[APC__AHEAD];
    size_t head, n;
    int end;          /* 0 reading, 1 the reader reached the end, < 0 its error */
    char err[1024];   /* the error's message */
    uint64_t err_off; /* the reader's offset at the error */
} apc__ahead_t;

/* r and w stay the caller's and must outlive a; w may be NULL (no hints). */
void apc__ahead_init(apc__ahead_t *a, apc__reader_t *r, apc__capw_t *w);
/* Next record: 1 and *out (valid until the next call; its decoding in (*out)->d), 0 at the
 * end, < 0 the reader's error (message in a->err, offset in a->err_off; the records before
 * it have all been given out); APC_ENOMEM when a copy cannot be made. */
int apc__ahead_next(apc__ahead_t *a, apc__ahead_slot_t **out);
/* Bytes of the input given out so far (the reader has read further). */
uint64_t apc__ahead_offset(const apc__ahead_t *a);
void apc__ahead_free(apc__ahead_t *a);

#endif
