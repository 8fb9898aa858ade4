/* SPDX-License-Identifier: MIT */
/*
 * The export command: a capture's packets, in order, to a pcapng file with one Section Header
 * Block (capture notes as its comment), one Interface Description Block per interface of the
 * capture and one Enhanced Packet Block per packet, carrying the packet's process metadata
 * (comments.h, epb_processid_threadid) and notes (packets.c). A search export writes a search's
 * results instead (search_out.c); a capture of another node of a fleet is written by that node
 * and streamed here (remote.c). The file is written under a hidden temporary
 * name in the target directory and renamed at the end, so a failure (disk full) or a cancel
 * leaves no partial file and readers never see a half-written export.
 */
#include <errno.h>
#include <sys/random.h>
#include <limits.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <apc/capture.h>

#include "core/ctx.h"
#include "core/error.h"
#include "core/roots.h"
#include "export/export_int.h"
#include "export/export.h"
#include "fleet/peer.h"
#include "search/search.h"
#include "store/captures.h"
#include "store/exports.h"
#include "store/index.h"
#include "store/store.h"
#include "util/clock.h"

#define CHUNK 4096
#define PROGRESS_NS 250000000LL

typedef struct export_job {
    apc_ctx_t *ctx;
    char uid[APC_CMD_UID_LEN + 1];
    int64_t capture_id; /* the capture exported; 0 for a search over several */
    int64_t search_id;  /* nonzero: the search whose results are exported */
    char *final;        /* the file to write */
    char *root;         /* the export root it lies in (a realpath): the file is made beneath */
    int overwrite;
    apc__export_filter_t *filter;
    /* a capture of another node (fleet): its name and URL, and the filter's text for it */
    char *node, *url, *filter_text;
} export_job_t;

static void free_job(export_job_t *j)
{
    if (!j)
        return;
    apc__export_filter_close(j->filter);
    free(j->node);
    free(j->url);
    free(j->filter_text);
    free(j->final);
    free(j->root);
    free(j);
}

const char *apc__export_userappl(void)
{
    static _Thread_local char appl[128];
    snprintf(appl, sizeof appl, "AppPacCap for Linux %s", apc_version());
    return appl;
}

/* SHB with the capture's notes, then the interfaces in index order. */
static int write_head(apc__xrun_t *r, int64_t capture_id, uint64_t *packets)
{
    apc_capture_t *c = NULL;
    int rc = apc__captures_get(r->ctx->store, capture_id, &c);
    if (rc == 0)
        rc = apc__err(APC_ENOTFOUND, "capture %lld not found (deleted?)", (long long)capture_id);
    if (rc < 0)
        return rc;
    *packets = c->packets;
    char *notes = c->notes;
    c->notes = NULL;
    apc_capture_free(c);
    rc = apc__ngw_shb(r->out, notes ? notes : "", apc__export_userappl());
    free(notes);
    uint32_t n = 0;
    if (rc == 0)
        rc = apc__xrun_idbs(r, capture_id, 0, &n);
    if (rc == 0)
        rc = apc__xrun_capture(r, capture_id, 0, n);
    return rc;
}

/* Every packet of the job's capture that its filter selects, in order. */
static int capture_packets(apc__xrun_t *r, export_job_t *j, const volatile int *cancelled)
{
    uint64_t packets = 0;
    int rc = write_head(r, j->capture_id, &packets);
    apc_time_t last = apc__real_ns();
    int last_pct = 0;
    int64_t id;
    const apc__idxrec_t *rec;
    uint64_t checked = 0;
    while (rc == 0 && (rc = apc__cursor_next(r->cur, &id, &rec)) == 1) {
        rc = apc__export_filter_match(j->filter, id) ? apc__xrun_packet(r, id, rec) : 0;
        /* Every CHUNK packets: cancelled? progress? */
        uint64_t pos = apc__cursor_pos(r->cur);
        if (rc < 0 || pos - checked < CHUNK)
            continue;
        checked = pos;
        if (*cancelled) {
            rc = APC_ECANCELED;
            break;
        }
        int pct = packets ? (int)(pos * 100 / packets) : 100;
        apc_time_t now = apc__real_ns();
        if (pct != last_pct && now - last >= PROGRESS_NS) {
            apc__cmd_progress(j->ctx, j->uid, pct >= 100 ? 99 : pct, r->written);
            last = now;
            last_pct = pct;
        }
    }
    return rc;
}

/* Writes the file behind fd. Returns 0, APC_ECANCELED, or an error with the message set. */
static int export_body(apc__xrun_t *r, export_job_t *j, int fd, const volatile int *cancelled)
{
    int rc = apc__ngw_open(&r->out, fd, j->final);
    apc__export_peer_t peer = {j->capture_id, j->node, j->url, j->filter_text};
    if (rc == 0)
        rc = j->search_id ? apc__export_search_packets(r, j->search_id, j->uid, cancelled)
             : j->node    ? apc__export_remote(r, &peer, j->uid, cancelled)
                          : capture_packets(r, j, cancelled);
    if (rc == 0)
        rc = apc__ngw_flush(r->out);
    if (rc == 0 && fsync(fd) != 0)
        rc = errno == ENOSPC
                 ? apc__err(-ENOSPC, "writing '%s': no space left on the device", j->final)
                 : apc__err_errno(errno, "writing '%s'", j->final);
    return rc;
}

/* Puts the finished temporary file `tmp` in place as `name`, both in directory dfd: replacing
 * only when asked. `final` is the full path, for messages. */
static int place(int dfd, const char *tmp, const char *name, const char *final, int overwrite)
{
    if (overwrite) {
        if (renameat(dfd, tmp, dfd, name) != 0)
            return apc__err_errno(errno, "cannot rename the export to '%s'", final);
        return 0;
    }
    if (renameat2(dfd, tmp, dfd, name, RENAME_NOREPLACE) == 0)
        return 0;
    if (errno == EEXIST)
        return apc__err(APC_EEXISTS,
                        "'%s' appeared while exporting; pass overwrite=1 to replace it", final);
    if (errno != EINVAL && errno != ENOSYS)
        return apc__err_errno(errno, "cannot rename the export to '%s'", final);
    /* A file system without RENAME_NOREPLACE: link() fails on an existing name too. */
    if (linkat(dfd, tmp, dfd, name, 0) != 0)
        return errno == EEXIST ? apc__err(APC_EEXISTS, "'%s' already exists", final)
                               : apc__err_errno(errno, "cannot link the export to '%s'", final);
    unlinkat(dfd, tmp, 0);
    return 0;
}

static void record_file(export_job_t *j, uint64_t packets)
{
    apc__st_export_file_t f = {.path = j->final,
                               .capture_id = j->capture_id,
                               .search_id = j->search_id,
                               .command_uid = j->uid,
                               .created = apc__real_ns(),
                               .packets = packets};
    /* The file is written; without its record export_list shows it with no origin. */
    if (apc__exports_record(j->ctx->store, &f) < 0)
        apc__log(j->ctx, APC_LOG_WARN, "command %s: %s", j->uid, apc_last_error_message());
}

static void export_run(void *arg, const volatile int *cancelled)
{
    export_job_t *j = arg;
    apc_ctx_t *ctx = j->ctx;
    apc__xrun_t r;
    memset(&r, 0, sizeof r);
    r.ctx = ctx;
    char err[1024] = "";
    char tmp[NAME_MAX + 1] = "";
    int fd = -1, dfd = -1, rc;
    if (*cancelled) {
        apc__cmd_finish(ctx, j->uid, APC_CMD_CANCELLED, "", "cancelled before it started", 0);
        free_job(j);
        return;
    }
    apc__cmd_running(ctx, j->uid);
    rc = 0;
    const char *name = strrchr(j->final, '/') + 1;
    if (rc == 0) {
        /* The directory again, now beneath the opened root with no link followed: one swapped
         * for a symbolic link since the path was checked fails here instead of leading out. */
        size_t rl = strlen(j->root), dl = (size_t)(name - 1 - j->final);
        char *rel = dl > rl ? strndup(j->final + rl + (strcmp(j->root, "/") ? 1 : 0),
                                      dl - rl - (strcmp(j->root, "/") ? 1 : 0))
                            : strdup("");
        dfd = rel ? apc__roots_open_dir(j->root, rel) : -ENOMEM;
        if (dfd < 0)
            rc = dfd == -EXDEV || dfd == -ELOOP
                     ? apc__err(APC_EPERM,
                                "'%s' is no longer inside the export root %s (a directory on the "
                                "way was replaced by a link)",
                                j->final, j->root)
                     : apc__err_errno(-dfd, "cannot open the directory of '%s'", j->final);
        free(rel);
    }
    for (int i = 0; rc == 0 && fd < 0 && i < 100; i++) {
        unsigned char rnd[6];
        if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd)
            memset(rnd, i, sizeof rnd);
        snprintf(tmp, sizeof tmp, ".%.200s.%02x%02x%02x%02x%02x%02x", name, rnd[0], rnd[1], rnd[2],
                 rnd[3], rnd[4], rnd[5]);
        fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640);
        if (fd < 0 && errno != EEXIST)
            rc = apc__err_errno(errno, "cannot create a file next to '%s'", j->final);
    }
    if (rc == 0 && fd < 0)
        rc = apc__err(APC_EIO, "cannot create a temporary file next to '%s'", j->final);
    if (rc == 0)
        rc = export_body(&r, j, fd, cancelled);
    if (fd >= 0 && close(fd) != 0 && rc == 0)
        rc = apc__err_errno(errno, "writing '%s'", j->final);
    if (rc == 0)
        rc = place(dfd, tmp, name, j->final, j->overwrite);
    if (rc < 0 && rc != APC_ECANCELED)
        apc__err_copy(err, sizeof err);
    if (rc < 0 && fd >= 0)
        unlinkat(dfd, tmp, 0); /* never leave a partial file */
    if (dfd >= 0)
        close(dfd);
    uint64_t written = r.written;
    apc__xrun_close(&r);
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

/* Queues job j (filled but for its uid) as command `what`; on success the job owns j. */
static int start_job(export_job_t *j, apc__cmd_new_t *what, char **out_uid)
{
    int rc = apc__cmd_new_uid(j->uid);
    char *uid = NULL;
    if (rc == 0) {
        uid = strdup(j->uid);
        if (!uid)
            rc = apc__err(APC_ENOMEM, "out of memory");
    }
    if (rc == 0) {
        what->path = j->final;
        /* On success j belongs to the job (it may be freed already when this returns). */
        rc = apc__cmd_start(j->ctx, what, j->uid, export_run, j);
    }
    if (rc < 0) {
        free(uid);
        free_job(j);
        return rc;
    }
    *out_uid = uid;
    return 0;
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
    /* A bad filter is refused here whoever holds the capture; another node's runs it there. */
    rc = apc__export_filter_open(ctx, capture_id, filter, &j->filter);
    int theirs = rc == 0 ? apc__fleet_owner(ctx, capture_id, &j->node, &j->url) : 0;
    if (theirs < 0)
        rc = theirs;
    else if (theirs == 1 && filter && !(j->filter_text = strdup(filter)))
        rc = apc__err(APC_ENOMEM, "out of memory");
    if (rc == 0)
        rc = apc__export_resolve(ctx, "capture", capture_id, path, overwrite, &j->final, &j->root);
    if (rc < 0) {
        free_job(j);
        return rc;
    }
    apc__cmd_new_t what = {.type = "export", .capture_id = capture_id, .filter = filter};
    return start_job(j, &what, out_uid);
}

int apc__export_start_search(apc_ctx_t *ctx, int64_t search_id, const char *path, int overwrite,
                             char **out_uid)
{
    *out_uid = NULL;
    apc__search_info_t info;
    int rc = apc__search_info_get(ctx, search_id, &info);
    if (rc < 0)
        return rc;
    /* A running search still adds results: the file would hold an arbitrary part of them. */
    if (info.active)
        rc = apc__err(APC_EBUSY,
                      "search %lld is still running: export it when it has ended (search_open "
                      "shows its state) or cancel it first",
                      (long long)search_id);
    else if (info.results == 0)
        rc = apc__err(APC_ENOTFOUND, "search %lld has no matches to export", (long long)search_id);
    export_job_t *j = rc == 0 ? calloc(1, sizeof *j) : NULL;
    if (rc == 0 && !j)
        rc = apc__err(APC_ENOMEM, "out of memory");
    if (rc == 0) {
        j->ctx = ctx;
        j->search_id = search_id;
        /* CaptureId says which capture when there is one; 0 for several */
        j->capture_id = info.n_captures == 1 ? info.captures[0] : 0;
        j->overwrite = overwrite != 0;
        rc = apc__export_resolve(ctx, "search", search_id, path, overwrite, &j->final, &j->root);
    }
    if (rc < 0) {
        free_job(j);
        apc__search_info_free(&info);
        return rc;
    }
    apc__cmd_new_t what = {.type = "export",
                           .capture_id = j->capture_id,
                           .search_id = search_id,
                           .filter = info.normalized};
    rc = start_job(j, &what, out_uid);
    apc__search_info_free(&info);
    return rc;
}
