/* SPDX-License-Identifier: MIT */
/*
 * Stored packets into an export file: each EPB carries the packet's process metadata in
 * ptcpdump's comment groups (comments.h) and epb_processid_threadid, then its notes.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ctx.h"
#include "core/error.h"
#include "export/packets.h"
#include "store/captures.h"
#include "store/repair.h"
#include "store/store.h"
#include "util/array.h"

static void proc_clear(apc__xproc_t *p)
{
    free(p->cmd);
    free(p->args);
    free(p->parent_cmd);
    free(p->parent_args);
    memset(p, 0, sizeof *p);
}

static void notes_free(apc__xrun_t *r)
{
    for (size_t i = 0; i < r->n_notes; i++)
        free(r->notes[i].text);
    free(r->notes);
    r->notes = NULL;
    r->n_notes = r->cap_notes = 0;
}

void apc__xrun_close(apc__xrun_t *r)
{
    apc__cursor_close(r->cur);
    r->cur = NULL;
    apc__ngw_free(r->out);
    r->out = NULL;
    for (size_t i = 0; i < APC_XRUN_PROCS; i++)
        proc_clear(&r->procs[i]);
    free(r->th_name);
    r->th_name = NULL;
    notes_free(r);
    apc__cmts_free(&r->cmts);
}

static const apc__xproc_t *proc_get(apc__xrun_t *r, int64_t id)
{
    apc__xproc_t *p = &r->procs[(uint64_t)id % APC_XRUN_PROCS];
    if (p->id == id)
        return p;
    proc_clear(p);
    apc__st_proc_meta_t m;
    if (apc__processes_export_meta(r->ctx->store, id, &m) <= 0)
        return NULL;
    p->cmd = m.cmd;
    p->args = m.args;
    p->parent_cmd = m.parent_cmd;
    p->parent_args = m.parent_args;
    p->pid = m.pid;
    p->ppid = m.ppid;
    p->id = id;
    if (!p->id || !p->cmd || !p->args || !p->parent_cmd || !p->parent_args) {
        proc_clear(p);
        return NULL;
    }
    return p;
}

static const char *thread_name(apc__xrun_t *r, int64_t process_id, int64_t tid)
{
    if (r->th_name && r->th_proc == process_id && r->th_tid == tid)
        return r->th_name;
    free(r->th_name);
    r->th_name = NULL;
    if (apc__processes_thread_name(r->ctx->store, process_id, tid, &r->th_name) <= 0)
        r->th_name = NULL;
    if (!r->th_name)
        r->th_name = strdup("");
    r->th_proc = process_id;
    r->th_tid = tid;
    return r->th_name ? r->th_name : "";
}

static int add_note(int64_t packet_id, const char *notes, void *payload)
{
    apc__xrun_t *r = payload;
    if (apc__grow((void **)&r->notes, &r->cap_notes, r->n_notes + 1, sizeof *r->notes) < 0)
        return apc__err(APC_ENOMEM, "out of memory");
    char *t = strdup(notes);
    if (!t)
        return apc__err(APC_ENOMEM, "out of memory");
    r->notes[r->n_notes].packet_id = packet_id;
    r->notes[r->n_notes++].text = t;
    return 0;
}

/* Every note of the capture, in packet order (add_notes searches them). */
static int load_notes(apc__xrun_t *r)
{
    return apc__captures_notes(r->ctx->store, r->capture_id, INT64_MIN, INT64_MAX, add_note, r);
}

int apc__xrun_capture(apc__xrun_t *r, int64_t capture_id, uint32_t iface_base, uint32_t n_ifaces)
{
    apc__cursor_close(r->cur);
    r->cur = NULL;
    notes_free(r);
    r->capture_id = capture_id;
    r->iface_base = iface_base;
    r->n_ifaces = n_ifaces;
    apc__capture_dir(r->ctx, capture_id, r->dir, sizeof r->dir);
    uint64_t packets = 0;
    int rc = apc__captures_packets(r->ctx->store, capture_id, &packets);
    if (rc == 0)
        rc = apc__err(APC_ENOTFOUND, "capture %lld not found (deleted?)", (long long)capture_id);
    if (rc == 1)
        rc = load_notes(r);
    if (rc == 0)
        rc = apc__cursor_open(&r->cur, r->dir, packets, NULL);
    return rc;
}

typedef struct idb_walk {
    apc__xrun_t *r;
    int64_t capture_id;
    int name_capture;
    uint32_t *n;
} idb_walk_t;

static int add_idb(const apc__st_iface_t *i, void *payload)
{
    idb_walk_t *w = payload;
    const char *name = i->name;
    char named[512];
    if (w->name_capture) {
        snprintf(named, sizeof named, "capture %lld: %s", (long long)w->capture_id,
                 *name ? name : "?");
        name = named;
    }
    int rc = apc__ngw_idb(w->r->out, (uint16_t)i->linktype, i->snaplen, name, i->description);
    if (rc == 0)
        (*w->n)++;
    return rc;
}

int apc__xrun_idbs(apc__xrun_t *r, int64_t capture_id, int name_capture, uint32_t *n)
{
    *n = 0;
    idb_walk_t w = {r, capture_id, name_capture, n};
    return apc__captures_ifaces(r->ctx->store, capture_id, add_idb, &w);
}

/* Adds the notes of packet id (notes are sorted by packet id: a binary search). */
static int add_notes(apc__xrun_t *r, int64_t id)
{
    size_t lo = apc__lower_bound_i64(r->notes, r->n_notes, sizeof *r->notes,
                                     offsetof(apc__xnote_t, packet_id), id);
    int rc = 0;
    for (size_t i = lo; rc == 0 && i < r->n_notes && r->notes[i].packet_id == id; i++)
        rc = apc__cmts_add(&r->cmts, r->notes[i].text, strlen(r->notes[i].text));
    return rc;
}

int apc__xrun_packet(apc__xrun_t *r, int64_t id, const apc__idxrec_t *ir)
{
    apc__segrec_t sr;
    int rc = apc__cursor_bytes(r->cur, ir, &sr);
    if (rc < 0)
        return apc__err_wrap(rc, "capture %lld packet %lld", (long long)r->capture_id,
                             (long long)id);
    if (sr.iface >= r->n_ifaces)
        return apc__err(APC_EFORMAT, "capture %lld packet %lld: interface %u of %u",
                        (long long)r->capture_id, (long long)id, sr.iface, r->n_ifaces);
    apc__cmts_reset(&r->cmts);
    int64_t proc_id = APC_IDX_PROC_ID(ir->proc);
    int from_file = 0;
    if (sr.comment && *sr.comment) {
        size_t n0 = r->cmts.n;
        rc = apc__cmts_add_stored(&r->cmts, sr.comment, strlen(sr.comment));
        /* A stored comment with a PID group is the process metadata the packet came with. */
        for (size_t i = n0; rc == 0 && i < r->cmts.n; i++)
            from_file |= strncmp(r->cmts.buf + r->cmts.off[i], "PID:", 4) == 0;
    }
    if (rc == 0 && proc_id && !from_file) {
        const apc__xproc_t *p = proc_get(r, proc_id);
        if (p) {
            apc__cmt_proc_t cp = {
                .pid = sr.has_pid_tid && sr.pid ? sr.pid : p->pid,
                .tid = sr.has_pid_tid ? sr.tid : 0,
                .ppid = p->ppid,
                .cmd = p->cmd,
                .args = p->args,
                .parent_cmd = p->parent_cmd,
                .parent_args = p->parent_args,
            };
            if (cp.tid > 0)
                cp.thread_name = thread_name(r, proc_id, cp.tid);
            rc = apc__cmts_add_proc(&r->cmts, &cp);
        }
    }
    if (rc == 0)
        rc = add_notes(r, id);
    if (rc < 0)
        return rc;
    apc__ngpkt_t p = {
        .iface = r->iface_base + sr.iface,
        .ts_ns = ir->ts_ns,
        .caplen = sr.caplen,
        .wirelen = sr.wirelen,
        .data = sr.data,
        .direction = sr.direction,
        .has_pid_tid = sr.has_pid_tid && sr.pid && sr.tid,
        .pid = sr.pid,
        .tid = sr.tid,
    };
    p.comments = apc__cmts_ptrs(&r->cmts, &p.n_comments);
    rc = apc__ngw_epb(r->out, &p);
    if (rc == 0)
        r->written++;
    return rc;
}
