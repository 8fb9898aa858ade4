/* SPDX-License-Identifier: MIT */
/*
 * The capture writer: everything a source (file ingest now, live capture later) hands over
 * per packet goes through here once — connection tracking, IP counters, DNS names, the packet
 * segment, the index — and is made visible to readers by periodic commits. One writer per
 * capture, used by one thread; the SQL of its commits runs on a commit thread the writer
 * starts (committer.h), so that packets go on while the store applies a commit.
 */
#ifndef APC_CAPTURE_CAPWRITER_H
#define APC_CAPTURE_CAPWRITER_H

#include <stdint.h>

#include <apc/capture.h>

#include "attrib/filemeta.h"
#include "decode/decode.h"
#include "flow/flow.h"

typedef struct apc__capw apc__capw_t;

/* Inserts a new capture row (state active, start time now) and creates its directory. */
int apc__capture_create(apc_ctx_t *ctx, int type, const char *name, const char *source_file,
                        uint64_t total_bytes, int64_t *out_id);

int apc__capw_open(apc_ctx_t *ctx, int64_t capture_id, apc__capw_t **out);

/* 1 when something reads the capture as it is committed (the context's on_capture_started
 * said so at open: file extraction following it): each commit wakes it, and how far it lags
 * at the end is the commit interval (apc__capw_set_commit_every). */
int apc__capw_followed(const apc__capw_t *w);

/* Declares the next interface (indexes 0, 1, ... in order). */
int apc__capw_add_iface(apc__capw_t *w, uint32_t linktype, uint32_t snaplen, const char *name,
                        const char *description, uint64_t tsresol);

typedef struct apc__cappkt {
    uint32_t iface;
    int64_t ts_ns;
    uint32_t caplen, wirelen;
    const uint8_t *data;
    int direction;       /* enum apc_direction */
    int attribution;     /* enum apc_attribution */
    int64_t pid, tid;    /* 0 unknown */
    int64_t process_id;  /* ours, 0 unknown */
    const char *comment; /* kept in the segment with the packet; may be NULL */
    size_t comment_len;
    const apc__flow_lookup_t *flow; /* its connection's lookup computed ahead, or NULL */
} apc__cappkt_t;

/* Stores one packet; `d` is its decoding. */
int apc__capw_add(apc__capw_t *w, const apc__cappkt_t *p, const apc__pkt_t *d);
/* A cache hint for a packet apc__capw_add will be given soon, decoded as d (flow.h,
 * apc__flow_hint: key is the hash apc__flow_lookup_of(d) answers): stage 0 its connection's bucket
 * and its addresses' counters, stage 1 (a packet later) its connection. Changes nothing. */
void apc__capw_hint(apc__capw_t *w, const apc__pkt_t *d, uint64_t key, int stage);

/* Process id for metadata read from a file (inserted on first sight, then cached). */
int apc__capw_file_process(apc__capw_t *w, const apc__procmeta_t *m, int64_t *out_process_id);

/* Makes everything added so far visible to readers: its bytes are flushed now, and the commit
 * record is applied on the commit thread (readers see it once applied; a failure is returned
 * by the next commit or by apc__capw_finish). `progress_bytes` for ingests. */
int apc__capw_commit(apc__capw_t *w, uint64_t progress_bytes);

/* Waits until the commits handed over so far are applied, so that readers see them: 0, or the
 * failure of one (the writer is then broken, as after a failed commit). */
int apc__capw_sync(apc__capw_t *w);

/* Sets how often apc__capw_maybe_commit commits (defaults: 1 s, 32 MiB): live captures want
 * packets visible within a second; a file ingest commits less often, since every commit
 * rewrites the counters of every connection and key that changed since the last. */
void apc__capw_set_commit_every(apc__capw_t *w, int64_t ns, uint64_t bytes);

/* Commits when a second has passed or 32 MiB were stored since the last commit, and the commit
 * thread is free (up to twice that: then it waits for it). Returns 1 if it committed, 0 if not
 * yet, < 0 on failure (this commit's or the one before's). Call it every few thousand packets. */
int apc__capw_maybe_commit(apc__capw_t *w, uint64_t progress_bytes);

/* Final commit, sets the state (completed/failed/...), error text and offset, end time; frees
 * the writer in every case. */
int apc__capw_finish(apc__capw_t *w, int state, const char *error, uint64_t error_offset,
                     uint64_t progress_bytes);

uint64_t apc__capw_packets(const apc__capw_t *w);

/* Live captures: records the kernel's and our own drop counts in the capture row now. */
int apc__capw_set_drops(apc__capw_t *w, uint64_t kernel_drops, uint64_t drops);
/* Live captures: a process (row of the live process table) whose packets this capture counts
 * in capture_processes. */
int apc__capw_live_process(apc__capw_t *w, int64_t process_id, int64_t pid);

/* Live captures with CAPTURE_FLAG_RESOLVE_IPS: `fn` is called on the writer's thread, once per
 * address the capture sees in a packet for the first time, when DNS answers gave it no name
 * yet. It must not block (it hands the address to the resolver, intel/resolver.h). Ingests
 * never set it. */
typedef void (*apc__capw_new_ip_fn)(int ver, const uint8_t *addr, void *arg);
void apc__capw_on_new_ip(apc__capw_t *w, apc__capw_new_ip_fn fn, void *arg);

#endif
