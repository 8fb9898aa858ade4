/* SPDX-License-Identifier: MIT */
/*
 * The check of the pcapng an owning node streams for an export of its capture (fleet/fetch.c,
 * docs/fleet.md): fed the bytes as they arrive, it passes on whole blocks only, each checked
 * first (draft-ietf-opsawg-pcapng sections 3.1 and 4): one Section Header Block first, then
 * Interface Description and Enhanced Packet Blocks, the only kinds an export writes. No
 * length is used before it is checked against the block that holds it.
 */
#ifndef APC_FLEET_NGCHECK_H
#define APC_FLEET_NGCHECK_H

#include <stddef.h>
#include <stdint.h>

/* Larger blocks are refused: a packet is at most 256 KiB, its comments (process metadata,
 * notes) far less; an honest owner never comes near. */
#define APC_NGCHK_BLOCK_MAX (16u << 20)
#define APC_NGCHK_SNAP_MAX (256u * 1024u)
#define APC_NGCHK_IFACES_MAX 65536u

/* A whole checked block of len bytes; is_packet for an EPB. 0, or a negative APC_E* (with
 * the message set) that stops the check. */
typedef int (*apc__ngchk_fn)(const uint8_t *block, size_t len, int is_packet, void *payload);

/* Zero it, then set node (named in errors, not copied). */
typedef struct apc__ngchk {
    const char *node;
    int seen_shb, swap; /* swap: the section's byte order is not ours */
    uint32_t n_ifaces;
    uint64_t packets; /* EPBs passed on */
    uint64_t offset;  /* of the block being gathered, in the stream */
    uint8_t *blk;
    size_t have, need, cap;
} apc__ngchk_t;

/* Takes n more bytes of the stream; calls fn for each block they complete. 0, or negative
 * APC_E*: a bad block (APC_EFORMAT, naming the node and the block's offset), or fn's error. */
int apc__ngchk_feed(apc__ngchk_t *c, const uint8_t *d, size_t n, apc__ngchk_fn fn, void *payload);
/* The stream has ended: 0 when it ended after a whole block and held a section, else
 * APC_EFORMAT naming the node. */
int apc__ngchk_end(apc__ngchk_t *c);
/* Frees the buffer (c itself is the caller's). */
void apc__ngchk_free(apc__ngchk_t *c);

#endif
