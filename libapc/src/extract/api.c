/* SPDX-License-Identifier: MIT */
/* The public functions of module extract (apc/extract.h): the switch, detection as a command,
 * writing a stream to disk, the list of written files. */
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <apc/capture.h>
#include <apc/export.h>
#include <apc/extract.h>

#include "core/ctx.h"
#include "core/error.h"
#include "core/fsutil.h"
#include "export/export_int.h"
#include "extract/detect.h"
#include "extract/extract_int.h"
#include "extract/typing.h"
#include "store/extracts.h"
#include "util/array.h"
#include "util/clock.h"
#include "util/page.h"

#define PROGRESS_NS 250000000LL

APC_API int apc_extract_set_enabled(apc_ctx_t *ctx, int on)
{
    if (!ctx)
        return apc__err(APC_EINVAL, "ctx is NULL");
    return apc__st_extract_set_enabled(ctx->store, on);
}

APC_API int apc_extract_enabled(apc_ctx_t *ctx)
{
    if (!ctx)
        return apc__err(APC_EINVAL, "ctx is NULL");
    int on = 0;
    int r = apc__st_extract_enabled(ctx->store, &on);
    return r < 0 ? r : on;
}

/* --- detection, as a command --------------------------------------------------------------- */

typedef struct detect_job {
    apc_ctx_t *ctx;
    int64_t capture_id;
    char uid[APC_CMD_UID_LEN + 1];
    uint64_t total; /* packets of the capture, for the progress */
    int follow;     /* started with the capture: follows it while it is stored */
    apc_extract_stream_t *v;
    size_t n, cap;
    apc_time_t last_progress;
} detect_job_t;

static char *dup_or_empty(const char *s)
{
    return strdup(s ? s : "");
}

static int job_found(void *payload, const apc_extract_stream_t *x)
{
    detect_job_t *j = payload;
    if (apc__grow((void **)&j->v, &j->cap, j->n + 1, sizeof *j->v) < 0)
        return apc__err(APC_ENOMEM, "out of memory");
    apc_extract_stream_t *y = &j->v[j->n];
    *y = *x;
    y->protocol = dup_or_empty(x->protocol);
    y->name = dup_or_empty(x->name);
    y->mime = dup_or_empty(x->mime);
    y->ctype = dup_or_empty(x->ctype);
    y->reason = dup_or_empty(x->reason);
    y->process_name = dup_or_empty(x->process_name);
    y->process_path = dup_or_empty(x->process_path);
    j->n++;
    if (!y->protocol || !y->name || !y->mime || !y->ctype || !y->reason || !y->process_name ||
        !y->process_path)
        return apc__err(APC_ENOMEM, "out of memory");
    return 0;
}

static void job_progress(void *payload, uint64_t packets, int at_once)
{
    detect_job_t *j = payload;
    apc_time_t now = apc__mono_ns();
    if (now - j->last_progress < PROGRESS_NS && !at_once)
        return;
    j->last_progress = now;
    /* A followed capture's size is not known until it ends: its percentage is the share of
     * what is stored so far that was read (how far the examination lags). */
    apc_capture_t *cap = NULL;
    if (j->follow && apc_capture_get(j->ctx, j->capture_id, &cap) == 0) {
        j->total = cap->packets;
        apc_capture_free(cap);
    }
    int pct = j->total ? (int)(packets * 100 / j->total) : 0;
    apc__cmd_progress(j->ctx, j->uid, pct > 99 ? 99 : pct, packets);
}

static int replace_str(char **s, const char *v)
{
    if (strcmp(*s, v) == 0)
        return 0;
    char *n = strdup(v);
    if (!n)
        return apc__err(APC_ENOMEM, "out of memory");
    free(*s);
    *s = n;
    return 0;
}

/* A followed capture has ended: the files found so far take their connection's final owner. */
static void job_reowned(void *payload,
                        void (*owner)(const void *eng, int64_t conn_id, int64_t *pid,
                                      const char **name, const char **path),
                        const void *eng)
{
    detect_job_t *j = payload;
    for (size_t i = 0; i < j->n; i++) {
        apc_extract_stream_t *y = &j->v[i];
        const char *name, *path;
        owner(eng, y->conn_id, &y->pid, &name, &path);
        if (replace_str(&y->process_name, name) < 0 || replace_str(&y->process_path, path) < 0)
            return; /* the old name stays: out of memory is reported by the next allocation */
    }
}

/* Stream ids follow the files' first bytes: the packet that carried it, then the connection,
 * direction and place, so that every run numbers the same files the same way. */
static int by_first_byte(const void *a, const void *b)
{
    const apc_extract_stream_t *x = a, *y = b;
    if (x->first_packet != y->first_packet)
        return x->first_packet < y->first_packet ? -1 : 1;
    if (x->conn_id != y->conn_id)
        return x->conn_id < y->conn_id ? -1 : 1;
    if (x->direction != y->direction)
        return x->direction < y->direction ? -1 : 1;
    return x->nth < y->nth ? -1 : x->nth > y->nth;
}

static void detect_job(void *arg, const volatile int *cancelled)
{
    detect_job_t *j = arg;
    apc_ctx_t *ctx = j->ctx;
    int r = 0;
    char err[512] = "";
    if (*cancelled) {
        r = apc__err(APC_ECANCELED, "cancelled before it started");
    } else {
        apc__cmd_running(ctx, j->uid);
        apc__xtrun_t run = {.ctx = ctx,
                            .capture_id = j->capture_id,
                            .found = job_found,
                            .progress = job_progress,
                            .follow = j->follow,
                            .reowned = job_reowned,
                            .payload = j,
                            .cancelled = cancelled};
        r = apc__extract_run(&run);
        apc_capture_t *cap = NULL;
        if (r == 0 && j->follow && apc_capture_get(ctx, j->capture_id, &cap) == 0) {
            j->total = cap->packets; /* the count the command ends with */
            apc_capture_free(cap);
        }
    }
    if (r == 0) {
        qsort(j->v, j->n, sizeof *j->v, by_first_byte);
        for (size_t i = 0; i < j->n; i++)
            j->v[i].id = (int64_t)i + 1;
        r = apc__st_extract_run_end(ctx->store, j->capture_id, j->v, j->n, NULL);
    }
    if (r < 0) {
        apc__err_copy(err, sizeof err);
        if (apc__st_extract_run_end(ctx->store, j->capture_id, NULL, 0, err) < 0)
            apc__log(ctx, APC_LOG_WARN, "extraction of capture %lld: %s", (long long)j->capture_id,
                     apc_last_error_message());
    }
    char result[64];
    snprintf(result, sizeof result, "%zu files", j->n);
    if (r == 0)
        apc__cmd_finish(ctx, j->uid, APC_CMD_COMPLETED, result, "", j->total);
    else
        apc__cmd_finish(ctx, j->uid, r == APC_ECANCELED ? APC_CMD_CANCELLED : APC_CMD_FAILED, "",
                        err, 0);
    for (size_t i = 0; i < j->n; i++)
        apc__st_extract_stream_clear(&j->v[i]);
    free(j->v);
    free(j);
}

/* Starts examining capture_id, or finds the examination under way; its uid in uid_out.
 * follow: the capture is being stored (the run follows its commits). */
static int detect_start(apc_ctx_t *ctx, const apc_capture_t *cap, int follow, char **uid_out)
{
    char uid[APC_CMD_UID_LEN + 1];
    int r = apc__cmd_new_uid(uid);
    if (r < 0)
        return r;
    char *busy = NULL;
    r = apc__st_extract_run_begin(ctx->store, cap->id, uid, &busy);
    if (r < 0)
        return r;
    if (busy) {
        /* A command recorded by a process that ended (killed mid-run) is not running: start
         * again rather than wait for ever. */
        if (apc__cmd_is_live(ctx, busy) || ctx->read_only) {
            *uid_out = busy;
            return 0;
        }
        free(busy);
        if ((r = apc__st_extract_run_end(ctx->store, cap->id, NULL, 0, "interrupted")) < 0 ||
            (r = apc__st_extract_run_begin(ctx->store, cap->id, uid, &busy)) < 0)
            return r;
        if (busy) {
            *uid_out = busy;
            return 0;
        }
    }
    detect_job_t *j = calloc(1, sizeof *j);
    if (!j)
        r = apc__err(APC_ENOMEM, "out of memory");
    if (r == 0) {
        j->ctx = ctx;
        j->capture_id = cap->id;
        j->total = cap->packets;
        j->follow = follow;
        memcpy(j->uid, uid, sizeof uid);
        /* a followed capture can last for days: its examination must not hold a worker */
        apc__cmd_new_t what = {.type = "extraction",
                               .capture_id = cap->id,
                               .path = "",
                               .filter = "",
                               .own_thread = follow};
        r = apc__cmd_start(ctx, &what, uid, detect_job, j);
        if (r < 0)
            free(j);
    }
    if (r < 0) {
        char err[512];
        apc__err_copy(err, sizeof err);
        (void)apc__st_extract_run_end(ctx->store, cap->id, NULL, 0, err);
        return apc__err(r, "%s", err);
    }
    *uid_out = strdup(uid);
    return *uid_out ? 0 : apc__err(APC_ENOMEM, "out of memory");
}

static int capture_active(int64_t capture_id)
{
    return apc__err(APC_EBUSY,
                    "capture %lld is still active and no examination follows it (extraction was "
                    "off when it started): files are extracted once it has ended",
                    (long long)capture_id);
}

/* The capture, refused while it is still being captured. */
static int capture_settled(apc_ctx_t *ctx, int64_t capture_id, apc_capture_t **out)
{
    int r = apc_capture_get(ctx, capture_id, out);
    if (r < 0)
        return r;
    if ((*out)->state == APC_STATE_ACTIVE) {
        apc_capture_free(*out);
        *out = NULL;
        return capture_active(capture_id);
    }
    return 0;
}

APC_API int apc_extract_query(apc_ctx_t *ctx, int64_t capture_id, int64_t last_id, unsigned max,
                              apc_extract_page_t **out)
{
    if (!ctx || !out)
        return apc__err(APC_EINVAL, "ctx and out must not be NULL");
    *out = NULL;
    if (last_id < 0)
        return apc__err(APC_EINVAL, "last_id must not be negative");
    max = apc__page_size(max);
    apc_capture_t *cap = NULL;
    int r = apc_capture_get(ctx, capture_id, &cap);
    if (r < 0)
        return r;
    int state = 0;
    char *uid = NULL;
    if ((r = apc__st_extract_run(ctx->store, capture_id, &state, &uid, NULL)) < 0) {
        apc_capture_free(cap);
        return r;
    }
    /* A capture still being stored has files to show only through the examination following
     * it (extraction was on when it started): its command (a read-only context cannot tell a
     * command of the process that writes from one left behind, and trusts it, as below). */
    int followed =
        state == APC__XRUN_DETECTING && uid && (apc__cmd_is_live(ctx, uid) || ctx->read_only);
    if (cap->state == APC_STATE_ACTIVE && !followed) {
        apc_capture_free(cap);
        free(uid);
        return capture_active(capture_id);
    }
    apc_extract_page_t *pg = calloc(1, sizeof *pg);
    if (!pg) {
        apc_capture_free(cap);
        return apc__err(APC_ENOMEM, "out of memory");
    }
    pg->capture_id = capture_id;
    pg->last_id = last_id;
    if (followed) {
        pg->state = APC_EXTRACT_DETECTING;
        pg->more = 1;
        pg->command_uid = uid;
        uid = NULL;
    } else if (state == APC__XRUN_DONE) {
        r = apc__st_extract_streams(ctx->store, capture_id, last_id, max, pg);
        /* the examination stored them untyped: every answer shows real types. A caller
         * paging on (last_id > 0) is listing them all: the page's replay types the files
         * after it too, up to APC_PAGE_MAX in all, so a listing in small pages costs one
         * replay per thousand files, not one per page. */
        unsigned ahead = last_id > 0 && pg->more && pg->count < APC_PAGE_MAX
                             ? (unsigned)(APC_PAGE_MAX - pg->count)
                             : 0;
        if (r == 0)
            r = apc__extract_type_streams(ctx, capture_id, pg->items, pg->count, pg->last_id,
                                          ahead);
        if (r == 0 && !(pg->command_uid = strdup("")))
            r = apc__err(APC_ENOMEM, "out of memory");
    } else {
        pg->state = APC_EXTRACT_DETECTING;
        pg->more = 1;
        r = detect_start(ctx, cap, 0, &pg->command_uid);
    }
    free(uid);
    apc_capture_free(cap);
    if (r < 0) {
        apc_extract_page_free(pg);
        return r;
    }
    *out = pg;
    return 0;
}

/* What both hooks do: with extraction on, starts (or finds under way) the examination of a
 * capture that starts (follow: it is followed as it is stored) or has ended; errors are logged.
 * 1 when an examination runs. */
static int hooked(apc_ctx_t *ctx, int64_t capture_id, int follow)
{
    int on = 0;
    if (apc__st_extract_enabled(ctx->store, &on) < 0 || !on)
        return 0;
    apc_capture_t *cap = NULL;
    char *uid = NULL;
    int r =
        follow ? apc_capture_get(ctx, capture_id, &cap) : capture_settled(ctx, capture_id, &cap);
    if (r == 0)
        r = detect_start(ctx, cap, follow, &uid);
    if (r < 0)
        apc__log(ctx, APC_LOG_WARN, "extraction of capture %lld: %s", (long long)capture_id,
                 apc_last_error_message());
    free(uid);
    apc_capture_free(cap);
    return r == 0;
}

void apc__extract_capture_ended(apc_ctx_t *ctx, int64_t capture_id)
{
    (void)hooked(ctx, capture_id, 0);
}

int apc__extract_capture_started(apc_ctx_t *ctx, int64_t capture_id)
{
    return hooked(ctx, capture_id, 1);
}
