/* SPDX-License-Identifier: MIT */
/*
 * The capture cursor: the one way every reader of stored packets walks a capture (capture
 * reads and streams, search scans, exports). It reads the per-packet index (store/index.h) in
 * batches and yields, in capture order, the records that pass its predicates: a range of
 * packets, a connection, a process, a time window. They are answered from the 24-byte index
 * records alone, so a packet that does not pass is never read from its segment. The bytes of
 * a yielded packet come from apc__cursor_bytes, read one of two ways:
 *   - random (default): one block at a time through a 64 KiB read-ahead window, with the
 *     packet's comment (store/segment.h's reader);
 *   - sequential: the segment in 4 MiB chunks, without comments (store/segscan.h): for scans
 *     that visit most packets of a capture.
 * Only packets below `packets` (the committed count the caller read from the store) are read:
 * everything the cursor touches was written and indexed before it was opened.
 */
#ifndef APC_STORE_CURSOR_H
#define APC_STORE_CURSOR_H

#include <stddef.h>
#include <stdint.h>

#include "store/index.h"
#include "store/segment.h"

typedef struct apc__cursor apc__cursor_t;

typedef struct apc__cursor_opts {
    uint64_t first;     /* 0-based record to start at (packet id first + 1) */
    uint64_t end;       /* record to stop before; 0 or above `packets`: `packets` */
    int64_t conn_id;    /* only this connection's packets; 0 any */
    int64_t process_id; /* only this process's packets (ours, not a pid); 0 any */
    int64_t time_from;  /* ns since the epoch, inclusive; 0 open */
    int64_t time_to;    /* inclusive; 0 open */
    size_t batch;       /* index records read at once; 0: 4096 */
    int sequential;     /* read bytes in large sequential chunks, without comments */
} apc__cursor_opts_t;

/* Opens a cursor over capture directory `dir` holding `packets` committed packets. NULL opts:
 * every packet. Free with apc__cursor_close. */
int apc__cursor_open(apc__cursor_t **out, const char *dir, uint64_t packets,
                     const apc__cursor_opts_t *opts);
/* 1 and the next record that passes (valid until the next call) with its packet id; 0 at the
 * end; < 0 with the message set (an index shorter than `packets` is APC_ESTORE). */
int apc__cursor_next(apc__cursor_t *c, int64_t *id, const apc__idxrec_t **rec);
/* Records passed over so far, yielded or not: the position as a 0-based record, i.e. the
 * packet id a page that ends here continues after. */
uint64_t apc__cursor_pos(const apc__cursor_t *c);
/* Where the cursor stops (opts.end, clamped). */
uint64_t apc__cursor_end(const apc__cursor_t *c);
/* Starts again at record `first`, stopping before `end` (0 or above `packets`: `packets`),
 * with the same predicates: for readers that visit scattered ranges (a search's hits). */
void apc__cursor_seek(apc__cursor_t *c, uint64_t first, uint64_t end);
/* The packet block of a record the cursor yielded; out's pointers are valid until the next
 * call. */
int apc__cursor_bytes(apc__cursor_t *c, const apc__idxrec_t *rec, apc__segrec_t *out);
void apc__cursor_close(apc__cursor_t *c);

#endif
