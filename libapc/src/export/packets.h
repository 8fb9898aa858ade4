/* SPDX-License-Identifier: MIT */
/*
 * Stored packets into an export file (pcapng_out.h): interfaces of a capture as IDBs, and
 * packets with their process comments, epb_processid_threadid and notes. Used by the capture
 * export (one capture) and the search export (the captures a search's results lie in).
 */
#ifndef APC_EXPORT_PACKETS_H
#define APC_EXPORT_PACKETS_H

#include <stdint.h>

#include <apc/ctx.h>

#include "export/comments.h"
#include "export/pcapng_out.h"
#include "store/cursor.h"
#include "store/index.h"
#include "store/segment.h"

#define APC_XRUN_PROCS 256

typedef struct apc__xproc {
    int64_t id; /* 0 = empty slot */
    int64_t pid, ppid;
    char *cmd, *args, *parent_cmd, *parent_args;
} apc__xproc_t;

typedef struct apc__xnote {
    int64_t packet_id;
    char *text;
} apc__xnote_t;

/* One export's output and caches. Zero it, set ctx and out. */
typedef struct apc__xrun {
    apc_ctx_t *ctx;
    apc__ngw_t *out;
    /* the capture packets are read from (apc__xrun_capture) */
    int64_t capture_id;
    char dir[4096];
    apc__cursor_t *cur;  /* over its committed packets, as the export began */
    apc__xnote_t *notes; /* by packet id */
    size_t n_notes, cap_notes;
    uint32_t iface_base, n_ifaces; /* its interfaces are output IDBs base..base+n-1 */
    /* processes by store id, the last thread name looked up */
    apc__xproc_t procs[APC_XRUN_PROCS];
    int64_t th_proc, th_tid;
    char *th_name;
    apc__cmts_t cmts;
    uint64_t written; /* packets written */
} apc__xrun_t;

/* Writes one IDB per interface of capture_id, in its interface order; with name_capture the
 * names read "capture <id>: <name>" so a reader can tell the captures of one file apart.
 * *n receives how many. */
int apc__xrun_idbs(apc__xrun_t *r, int64_t capture_id, int name_capture, uint32_t *n);
/* Reads packets from capture_id from now on (a cursor over the packets it has committed, and
 * its notes); its interface i is output IDB iface_base + i (of n_ifaces). */
int apc__xrun_capture(apc__xrun_t *r, int64_t capture_id, uint32_t iface_base, uint32_t n_ifaces);
/* Writes packet packet_id of the current capture, ir its index record (from r->cur). */
int apc__xrun_packet(apc__xrun_t *r, int64_t packet_id, const apc__idxrec_t *ir);
/* Frees what the run holds. */
void apc__xrun_close(apc__xrun_t *r);

#endif
