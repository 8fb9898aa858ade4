/* SPDX-License-Identifier: MIT */
/*
 * The one path every packet takes into a capture, whether it comes from a file (ingest.c) or
 * a live adapter (live_session.c): decode -> attribute -> keep or skip -> the capture writer
 * (flow table, IP counters, statistics, segment bytes, index). What differs between the two
 * is only who says which process sent a packet, given as an attributor. Commit cadence stays
 * with the caller (a file commits by size and time, a live capture every second).
 */
#ifndef APC_CAPTURE_PIPELINE_H
#define APC_CAPTURE_PIPELINE_H

#include <stddef.h>
#include <stdint.h>

#include "capture/capwriter.h"
#include "decode/decode.h"

/* A packet as a source hands it over. */
typedef struct apc__pipe_pkt {
    uint32_t iface; /* index within the capture */
    uint32_t linktype;
    int64_t ts_ns;
    uint32_t caplen, wirelen;
    const uint8_t *data;
    int direction;       /* the source's own knowledge (a file's EPB flags), 0 unknown */
    const char *comment; /* the file's packet comment, kept with the packet; may be NULL */
    size_t comment_len;
    const apc__flow_lookup_t *flow; /* the decoding's connection lookup computed ahead (flow.h),
                                     * or NULL */
} apc__pipe_pkt_t;

/*
 * Fills p's attribution (attribution, pid, tid, process_id; direction when the attributor
 * knows better than the decoder) for the decoded packet d, registering the process with the
 * writer. Returns 1 to store the packet, 0 to skip it (a process capture's other processes),
 * < 0 with the message set to stop the capture.
 */
typedef int (*apc__pipe_attr_fn)(void *state, apc__capw_t *w, const apc__pipe_pkt_t *in,
                                 const apc__pkt_t *d, apc__cappkt_t *p);

/* One packet through the pipeline: 1 stored, 0 skipped by the attributor, < 0 the error. */
int apc__pipe_packet(apc__capw_t *w, const apc__pipe_pkt_t *in, apc__pipe_attr_fn attr,
                     void *state);

/* The same for a packet the caller decoded already (apc__decode of in): the trigger router
 * (router.c) decodes once to route a packet, then stores it. */
int apc__pipe_decoded(apc__capw_t *w, const apc__pipe_pkt_t *in, const apc__pkt_t *d,
                      apc__pipe_attr_fn attr, void *state);

#endif
