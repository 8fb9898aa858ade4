/* SPDX-License-Identifier: MIT */
/*
 * The export command: a capture's packets, in order, to a pcapng file with one Section Header
 * Block (capture notes as its comment), one Interface Description Block per interface of the
 * capture and one Enhanced Packet Block per packet, carrying the packet's process metadata
 * (comments.h, epb_processid_threadid) and notes. The file is written under a hidden temporary
 * name in the target directory and renamed at the end, so a failure (disk full) or a cancel
 * leaves no partial file and readers never see a half-written export.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <apc/capture.h>

#include "core/ctx.h"
#include "core/error.h"
#include "export/comments.h"
#include "export/export_int.h"
#include "export/pcapng_out.h"
#include "store/index.h"
#include "store/repair.h"
#include "store/segment.h"
#include "store/sql.h"
#include "store/store.h"

#define CHUNK 4096
#define PROC_CACHE 256
#define PROGRESS_NS 250000000LL

typedef struct export_job {
    apc_ctx_t *ctx;
    char uid[APC_CMD_UID_LEN + 1];
    int64_t capture_id;
    char *final; /* the file to write */
    int overwrite;
    apc__export_filter_t *filter;
} export_job_t;

typedef struct proc_ent {
    int64_t id; /* 0 = empty slot */
    int64_t pid, ppid;
    char *cmd, *args, *parent_cmd, *parent_args;
} proc_ent_t;

typedef struct note {
    int64_t packet_id;
    char *text;
} note_t;

/* What the run needs besides the job: store handles, caches, notes, the output. */
typedef struct run {
    export_job_t *job;
    sqlite3 *db;
    char dir[4096];
    apc__segr_t *segr;
    apc__ngw_t *out;
    proc_ent_t procs[PROC_CACHE];
    int64_t th_proc, th_tid; /* last thread name looked up */
    char *th_name;
    note_t *notes;
    size_t n_notes, next_note;
    apc__cmts_t cmts;
    uint64_t written;
} run_t;

static void free_job(export_job_t *j)
{
    if (!j)
        return;
    apc__export_filter_close(j->filter);
    free(j->final);
    free(j);
}

static void proc_clear(proc_ent_t *p)
{
    free(p->cmd);
    free(p->args);
    free(p->parent_cmd);
    free(p->parent_args);
    memset(p, 0, sizeof *p);
}

static void run_close(run_t *r)
{
    apc__segr_close(r->segr);
    apc__ngw_free(r->out);
    for (size_t i = 0; i < PROC_CACHE; i++)
        proc_clear(&r->procs[i]);
    free(r->th_name);
    for (size_t i = 0; i < r->n_notes; i++)
        free(r->notes[i].text);
    free(r->notes);
    apc__cmts_free(&r->cmts);
    if (r->db)
        apc__db_put(r->job->ctx->store, r->db);
}

static const proc_ent_t *proc_get(run_t *r, int64_t id)
{
    proc_ent_t *p = &r->procs[(uint64_t)id % PROC_CACHE];
    if (p->id == id)
        return p;
    proc_clear(p);
    sqlite3_stmt *st;
    if (apc__sql_prepare(r->db, "reading a process",
                         "SELECT p.path, p.cmdline, p.pid, p.ppid, q.path, q.cmdline FROM "
                         "processes p LEFT JOIN processes q ON q.id = (SELECT id FROM processes "
                         "WHERE pid=p.ppid AND id<>p.id AND p.ppid>0 ORDER BY id DESC LIMIT 1) "
                         "WHERE p.id=?",
                         &st) < 0)
        return NULL;
    /* The parent as we know it: the newest process row with the parent's pid. */
    sqlite3_bind_int64(st, 1, id);
    if (sqlite3_step(st) == SQLITE_ROW) {
        p->cmd = apc__sql_text(st, 0);
        p->args = apc__sql_text(st, 1);
        p->pid = sqlite3_column_int64(st, 2);
        p->ppid = sqlite3_column_int64(st, 3);
        p->parent_cmd = apc__sql_text(st, 4);
        p->parent_args = apc__sql_text(st, 5);
        p->id = id;
    }
    sqlite3_finalize(st);
    if (!p->id || !p->cmd || !p->args || !p->parent_cmd || !p->parent_args) {
        proc_clear(p);
        return NULL;
    }
    return p;
}

static const char *thread_name(run_t *r, int64_t process_id, int64_t tid)
{
    if (r->th_name && r->th_proc == process_id && r->th_tid == tid)
        return r->th_name;
    free(r->th_name);
    r->th_name = NULL;
    sqlite3_stmt *st;
    if (apc__sql_prepare(r->db, "reading a thread",
                         "SELECT name FROM threads WHERE process_id=? AND tid=?", &st) == 0) {
        sqlite3_bind_int64(st, 1, process_id);
        sqlite3_bind_int64(st, 2, tid);
        if (sqlite3_step(st) == SQLITE_ROW)
            r->th_name = apc__sql_text(st, 0);
        sqlite3_finalize(st);
    }
    if (!r->th_name)
        r->th_name = strdup("");
    r->th_proc = process_id;
    r->th_tid = tid;
    return r->th_name ? r->th_name : "";
}

static int load_notes(run_t *r)
{
    sqlite3_stmt *st;
    int rc = apc__sql_prepare(r->db, "reading packet notes",
                              "SELECT packet_id, notes FROM packet_notes WHERE capture_id=? "
                              "ORDER BY packet_id",
                              &st);
    if (rc < 0)
        return rc;
    sqlite3_bind_int64(st, 1, r->job->capture_id);
    size_t cap = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (r->n_notes == cap) {
            cap = cap ? cap * 2 : 16;
            note_t *nn = realloc(r->notes, cap * sizeof *nn);
            if (!nn) {
                sqlite3_finalize(st);
                return apc__err(APC_ENOMEM, "out of memory");
            }
            r->notes = nn;
        }
        r->notes[r->n_notes].packet_id = sqlite3_column_int64(st, 0);
        r->notes[r->n_notes].text = apc__sql_text(st, 1);
        if (!r->notes[r->n_notes++].text) {
            sqlite3_finalize(st);
            return apc__err(APC_ENOMEM, "out of memory");
        }
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : apc__db_err(r->db, rc, "reading packet notes");
}

/* SHB with the capture's notes, then the interfaces in index order. */
static int write_head(run_t *r, uint64_t *packets)
{
    sqlite3_stmt *st;
    int rc = apc__sql_prepare(r->db, "reading a capture",
                              "SELECT notes, packets FROM captures WHERE id=?", &st);
    if (rc < 0)
        return rc;
    sqlite3_bind_int64(st, 1, r->job->capture_id);
    char *notes = NULL;
    if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        notes = apc__sql_text(st, 0);
        *packets = (uint64_t)sqlite3_column_int64(st, 1);
        rc = notes ? 0 : apc__err(APC_ENOMEM, "out of memory");
    } else {
        rc = rc == SQLITE_DONE ? apc__err(APC_ENOTFOUND, "capture %lld not found (deleted?)",
                                          (long long)r->job->capture_id)
                               : apc__db_err(r->db, rc, "reading a capture");
    }
    sqlite3_finalize(st);
    if (rc < 0)
        return rc;
    char appl[128];
    snprintf(appl, sizeof appl, "AppPacCap for Linux %s", apc_version());
    rc = apc__ngw_shb(r->out, notes, appl);
    free(notes);
    if (rc < 0)
        return rc;
    rc = apc__sql_prepare(r->db, "reading interfaces",
                          "SELECT linktype, snaplen, name, description FROM interfaces "
                          "WHERE capture_id=? ORDER BY idx",
                          &st);
    if (rc < 0)
        return rc;
    sqlite3_bind_int64(st, 1, r->job->capture_id);
    while (rc == 0 && sqlite3_step(st) == SQLITE_ROW)
        rc = apc__ngw_idb(
            r->out, (uint16_t)sqlite3_column_int64(st, 0), (uint32_t)sqlite3_column_int64(st, 1),
            (const char *)sqlite3_column_text(st, 2), (const char *)sqlite3_column_text(st, 3));
    sqlite3_finalize(st);
    return rc;
}

static int write_packet(run_t *r, int64_t id, const apc__idxrec_t *ir)
{
    apc__segrec_t sr;
    int rc = apc__segr_read(r->segr, ir->loc, &sr);
    if (rc < 0)
        return apc__err(rc, "capture %lld packet %lld: %s", (long long)r->job->capture_id,
                        (long long)id, apc_last_error_message());
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
        const proc_ent_t *p = proc_get(r, proc_id);
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
    while (rc == 0 && r->next_note < r->n_notes && r->notes[r->next_note].packet_id <= id) {
        if (r->notes[r->next_note].packet_id == id)
            rc = apc__cmts_add(&r->cmts, r->notes[r->next_note].text,
                               strlen(r->notes[r->next_note].text));
        r->next_note++;
    }
    if (rc < 0)
        return rc;
    apc__ngpkt_t p = {
        .iface = sr.iface,
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

/* Writes the file behind fd. Returns 0, APC_ECANCELED, or an error with the message set. */
static int export_body(run_t *r, int fd, const char *shown, const volatile int *cancelled)
{
    export_job_t *j = r->job;
    int rc = apc__ngw_open(&r->out, fd, shown);
    uint64_t packets = 0;
    if (rc == 0)
        rc = load_notes(r);
    if (rc == 0)
        rc = write_head(r, &packets);
    if (rc == 0)
        rc = apc__segr_open(&r->segr, r->dir);
    apc__idxrec_t *recs = rc == 0 ? malloc(CHUNK * sizeof *recs) : NULL;
    if (rc == 0 && !recs)
        rc = apc__err(APC_ENOMEM, "out of memory");
    apc_time_t last = apc__export_now();
    int last_pct = 0;
    for (uint64_t first = 0; rc == 0 && first < packets; first += CHUNK) {
        if (*cancelled) {
            rc = APC_ECANCELED;
            break;
        }
        size_t want = packets - first < CHUNK ? (size_t)(packets - first) : CHUNK;
        long n = apc__idx_read(r->dir, first, want, recs);
        if (n < 0) {
            rc = (int)n;
            break;
        }
        if ((size_t)n < want) {
            rc = apc__err(APC_EIO, "capture %lld: its index ends at packet %llu of %llu",
                          (long long)j->capture_id, (unsigned long long)(first + (uint64_t)n),
                          (unsigned long long)packets);
            break;
        }
        for (long i = 0; rc == 0 && i < n; i++) {
            int64_t id = (int64_t)(first + (uint64_t)i + 1);
            if (apc__export_filter_match(j->filter, id))
                rc = write_packet(r, id, &recs[i]);
        }
        int pct = (int)((first + (uint64_t)n) * 100 / packets);
        apc_time_t now = apc__export_now();
        if (rc == 0 && pct != last_pct && now - last >= PROGRESS_NS) {
            apc__cmd_progress(j->ctx, j->uid, pct >= 100 ? 99 : pct, r->written);
            last = now;
            last_pct = pct;
        }
    }
    free(recs);
    if (rc == 0)
        rc = apc__ngw_flush(r->out);
    if (rc == 0 && fsync(fd) != 0)
        rc = errno == ENOSPC ? apc__err(-ENOSPC, "writing '%s': no space left on the device", shown)
                             : apc__err_errno(errno, "writing '%s'", shown);
    return rc;
}

/* Puts the finished temporary file in place: replacing only when asked. */
static int place(const char *tmp, const char *final, int overwrite)
{
    if (overwrite) {
        if (rename(tmp, final) != 0)
            return apc__err_errno(errno, "cannot rename the export to '%s'", final);
        return 0;
    }
    if (renameat2(AT_FDCWD, tmp, AT_FDCWD, final, RENAME_NOREPLACE) == 0)
        return 0;
    if (errno == EEXIST)
        return apc__err(APC_EEXISTS,
                        "'%s' appeared while exporting; pass overwrite=1 to replace it", final);
    if (errno != EINVAL && errno != ENOSYS)
        return apc__err_errno(errno, "cannot rename the export to '%s'", final);
    /* A file system without RENAME_NOREPLACE: link() fails on an existing name too. */
    if (link(tmp, final) != 0)
        return errno == EEXIST ? apc__err(APC_EEXISTS, "'%s' already exists", final)
                               : apc__err_errno(errno, "cannot link the export to '%s'", final);
    unlink(tmp);
    return 0;
}

static void record_file(export_job_t *j, uint64_t packets)
{
    sqlite3 *db = apc__db_get(j->ctx->store);
    if (!db)
        return;
    if (apc__sql_exec(db, "recording an export file",
                      "INSERT OR REPLACE INTO export_files(path, capture_id, command_uid, created, "
                      "packets) VALUES(?,?,?,?,?)",
                      "titii", j->final, j->capture_id, j->uid, apc__export_now(),
                      (int64_t)packets) < 0)
        apc__log(j->ctx, APC_LOG_WARN, "command %s: %s", j->uid, apc_last_error_message());
    apc__db_put(j->ctx->store, db);
}

static void export_run(void *arg, const volatile int *cancelled)
{
    export_job_t *j = arg;
    apc_ctx_t *ctx = j->ctx;
    run_t r;
    memset(&r, 0, sizeof r);
    r.job = j;
    char err[1024] = "";
    char *tmp = NULL;
    int fd = -1, rc;
    if (*cancelled) {
        apc__cmd_finish(ctx, j->uid, APC_CMD_CANCELLED, "", "cancelled before it started", 0);
        free_job(j);
        return;
    }
    apc__cmd_running(ctx, j->uid);
    apc__capture_dir(ctx, j->capture_id, r.dir, sizeof r.dir);
    r.db = apc__db_get(ctx->store);
    rc = r.db ? 0 : APC_ESTORE;
    if (rc == 0) {
        const char *slash = strrchr(j->final, '/');
        if (asprintf(&tmp, "%.*s/.%s.XXXXXX", (int)(slash - j->final), j->final, slash + 1) < 0)
            tmp = NULL;
        rc = tmp ? 0 : apc__err(APC_ENOMEM, "out of memory");
    }
    if (rc == 0) {
        fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0)
            rc = apc__err_errno(errno, "cannot create a file next to '%s'", j->final);
        else
            fchmod(fd, 0640);
    }
    if (rc == 0)
        rc = export_body(&r, fd, j->final, cancelled);
    if (fd >= 0 && close(fd) != 0 && rc == 0)
        rc = apc__err_errno(errno, "writing '%s'", j->final);
    if (rc == 0)
        rc = place(tmp, j->final, j->overwrite);
    if (rc < 0 && rc != APC_ECANCELED)
        apc__err_copy(err, sizeof err);
    if (rc < 0 && fd >= 0)
        unlink(tmp); /* never leave a partial file */
    uint64_t written = r.written;
    run_close(&r);
    free(tmp);
    if (rc == 0) {
        record_file(j, written);
        apc__cmd_finish(ctx, j->uid, APC_CMD_COMPLETED, j->final, "", written);
    } else if (rc == APC_ECANCELED) {
        apc__cmd_finish(ctx, j->uid, APC_CMD_CANCELLED, "", "cancelled", written);
    } else {
        apc__log(ctx, APC_LOG_WARN, "export %s: %s", j->uid, err);
        apc__cmd_finish(ctx, j->uid, APC_CMD_FAILED, "", err, written);
    }
    free_job(j);
}

APC_API int apc_export_start(apc_ctx_t *ctx, int64_t capture_id, const char *path,
                             const char *filter, int overwrite, char **out_uid)
{
    if (!ctx || !out_uid)
        return apc__err(APC_EINVAL, "NULL argument");
    *out_uid = NULL;
    apc_capture_t *c;
    int rc = apc_capture_get(ctx, capture_id, &c);
    if (rc < 0)
        return rc;
    apc_capture_free(c);
    export_job_t *j = calloc(1, sizeof *j);
    if (!j)
        return apc__err(APC_ENOMEM, "out of memory");
    j->ctx = ctx;
    j->capture_id = capture_id;
    j->overwrite = overwrite != 0;
    rc = apc__export_filter_open(ctx, capture_id, filter, &j->filter);
    if (rc == 0)
        rc = apc__export_resolve(ctx, capture_id, path, overwrite, &j->final);
    char *uid = NULL;
    if (rc == 0)
        rc = apc__cmd_new_uid(j->uid);
    if (rc == 0) {
        uid = strdup(j->uid);
        if (!uid)
            rc = apc__err(APC_ENOMEM, "out of memory");
    }
    if (rc == 0) {
        apc__cmd_new_t what = {
            .type = "export", .capture_id = capture_id, .path = j->final, .filter = filter};
        /* On success j belongs to the job (it may be freed already when this returns). */
        rc = apc__cmd_start(ctx, &what, j->uid, export_run, j);
    }
    if (rc < 0) {
        free(uid);
        free_job(j);
        return rc;
    }
    *out_uid = uid;
    return 0;
}
