/* SPDX-License-Identifier: MIT */
/* Internals shared by the files of module export. */
#ifndef APC_EXPORT_INT_H
#define APC_EXPORT_INT_H

#include <stdint.h>

#include <apc/export.h>

#include "core/jobs.h"
#include "export/packets.h"

#define APC_CMD_UID_LEN 36 /* a random UUID (RFC 9562 version 4) */

/* shb_userappl of every export: "AppPacCap for Linux <version>". */
const char *apc__export_userappl(void);

/* --- commands.c ---------------------------------------------------------------------------- */

/* A command's record for the job that runs it. */
typedef struct apc__cmd_new {
    const char *type; /* "export" */
    int64_t capture_id, search_id;
    const char *path, *filter;
    int own_thread; /* 1: runs on a thread of its own (apc__jobs_submit_own), not a worker */
} apc__cmd_new_t;

/* A new random uid. */
int apc__cmd_new_uid(char uid[APC_CMD_UID_LEN + 1]);
/* Creates queued command `uid` and runs fn(arg) for it on the ctx's job pool, with the job's
 * own cancel flag. On failure nothing is queued (arg stays the caller's) and no record
 * remains. */
int apc__cmd_start(apc_ctx_t *ctx, const apc__cmd_new_t *what, const char *uid, apc__job_fn fn,
                   void *arg);
/* Called by the job: running / progress (rate-limited by the caller) / final state. Finish
 * also forgets the live command and wakes apc_command_wait. Errors are logged, not returned:
 * the job has nobody to return them to. */
void apc__cmd_running(apc_ctx_t *ctx, const char *uid);
void apc__cmd_progress(apc_ctx_t *ctx, const char *uid, int progress, uint64_t packets);
void apc__cmd_finish(apc_ctx_t *ctx, const char *uid, int state, const char *result,
                     const char *error, uint64_t packets);
/* Nonzero when a command of this ctx is queued or running (flush refuses then). */
int apc__cmd_any_live(apc_ctx_t *ctx);
/* 1 when command uid runs in this process (ctx), 0 if not. */
int apc__cmd_is_live(apc_ctx_t *ctx, const char *uid);
/* Asks the live command uid to stop. 1 if it is live, 0 if not. */
int apc__cmd_cancel_live(apc_ctx_t *ctx, const char *uid);

/* --- roots.c ------------------------------------------------------------------------------- */

/* <data>/exports (created when missing); caller frees. */
int apc__export_dir(apc_ctx_t *ctx, char **out);
/* Where an export of capture or search `id` (kind "capture" or "search", which names a
 * generated file) asked to go to `path` is written (see apc_export_start): an absolute path
 * inside the export roots, and that root's realpath in *root. Caller frees both. */
int apc__export_resolve(apc_ctx_t *ctx, const char *kind, int64_t id, const char *path,
                        int overwrite, char **out, char **root);

/* --- filter.c ------------------------------------------------------------------------------ */

typedef struct apc__export_filter apc__export_filter_t;
/* Compiles the filter of an export. NULL/"" -> *out = NULL (every packet). */
int apc__export_filter_open(apc_ctx_t *ctx, int64_t capture_id, const char *filter,
                            apc__export_filter_t **out);
/* 1 when packet `packet_id` of the capture is to be exported (f NULL: always). */
int apc__export_filter_match(apc__export_filter_t *f, int64_t packet_id);
void apc__export_filter_close(apc__export_filter_t *f);

/* --- search_out.c -------------------------------------------------------------------------- */

/* The body of a search export (r->out open, nothing written yet): SHB, the IDBs of every
 * capture the search's results lie in, then the results in order. Progress goes to command
 * uid. 0, APC_ECANCELED, or an error with the message set. */
int apc__export_search_packets(apc__xrun_t *r, int64_t search_id, const char *uid,
                               const volatile int *cancelled);

/* --- remote.c ------------------------------------------------------------------------------ */

/* A capture of another node: who has it, and what to ask of it. */
typedef struct apc__export_peer {
    int64_t capture_id;
    const char *node, *url;
    const char *filter; /* NULL or "": every packet */
} apc__export_peer_t;

/* The body of the export of p's capture (r->out open, nothing written yet), streamed from the
 * node that holds it: 0, APC_ECANCELED, or an error naming the node with the message set. */
int apc__export_remote(apc__xrun_t *r, const apc__export_peer_t *p, const char *uid,
                       const volatile int *cancelled);
/* A search export's packets of p's capture (p->filter: the search's), streamed from its node:
 * written with that capture's interfaces renumbered from iface_base (n_ifaces of them), its
 * section and interface blocks left out. *packets: how many were written. 0, APC_ECANCELED,
 * or an error naming the node. */
int apc__export_remote_hits(apc__xrun_t *r, const apc__export_peer_t *p, uint32_t iface_base,
                            uint32_t n_ifaces, const char *uid, const volatile int *cancelled,
                            uint64_t *packets);

#endif
