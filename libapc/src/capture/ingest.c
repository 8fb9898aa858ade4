/* SPDX-License-Identifier: MIT */
/*
 * File ingest: a pcap/pcapng file becomes a capture of type ingest. The call checks the file
 * and creates the capture at once; a job reads, decodes, attributes (from the file's own
 * process metadata) and stores every packet, committing as it goes. A defect in the file ends
 * the capture "failed" with the offset and reason; packets before it stay stored.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <apc/capture.h>

#include "attrib/filemeta.h"
#include "capture/capwriter.h"
#include "capture/pipeline.h"
#include "capture/readahead.h"
#include "core/ctx.h"
#include "core/error.h"
#include "core/roots.h"
#include "decode/decode.h"
#include "source/reader.h"
#include "util/clock.h"

#define COMMIT_NS 2000000000LL
#define COMMIT_BYTES (512ULL << 20)
#define FOLLOWED_COMMIT_NS 200000000LL

typedef struct ingest_job {
    apc_ctx_t *ctx;
    int64_t id;
    apc__reader_t *reader;
    apc_ingest_options_t opts;
} ingest_job_t;

APC_API int apc_ingest_options_init(apc_ingest_options_t *o, unsigned version)
{
    if (!o || version != APC_INGEST_OPTIONS_VERSION)
        return apc__err(APC_EINVAL, "unknown apc_ingest_options_t version %u", version);
    memset(o, 0, sizeof *o);
    o->version = version;
    return 0;
}

/* Declares the reader's interfaces that the writer does not know yet. */
static int sync_ifaces(apc__capw_t *w, apc__reader_t *r, size_t *known)
{
    size_t n = apc__reader_iface_count(r);
    for (; *known < n; (*known)++) {
        const apc__iface_t *f = apc__reader_iface(r, *known);
        int rc = apc__capw_add_iface(w, f->linktype, f->snaplen, f->name, f->description,
                                     f->tsresol_num);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* The pipeline's attributor for files: the process a packet's comment (ptcpdump, ours) or
 * its pid/tid options name. Every packet of a file is kept. */
static int attribute(void *state, apc__capw_t *w, const apc__pipe_pkt_t *in, const apc__pkt_t *d,
                     apc__cappkt_t *p)
{
    (void)in;
    (void)d;
    const apc__rec_t *rec = state;
    if (rec->comment && rec->comment_len) {
        apc__procmeta_t m;
        if (apc__filemeta_parse(&m, rec->comment, rec->comment_len) == 1) {
            int64_t pid_ref = 0;
            if (apc__capw_file_process(w, &m, &pid_ref) == 0) {
                p->process_id = pid_ref;
                p->pid = m.pid;
                p->tid = m.tid;
                p->attribution = APC_ATTR_FILE;
            }
            return 1;
        }
    }
    if (rec->has_pid_tid && rec->pid) {
        apc__procmeta_t m;
        memset(&m, 0, sizeof m);
        m.pid = rec->pid;
        m.tid = rec->tid;
        int64_t pid_ref = 0;
        if (apc__capw_file_process(w, &m, &pid_ref) == 0) {
            p->process_id = pid_ref;
            p->pid = rec->pid;
            p->tid = rec->tid;
            p->attribution = APC_ATTR_FILE;
        }
    }
    return 1;
}

/* A followed ingest's commit took `ns` of this thread (its batch: every connection and
 * statistics key that changed since the last, which with thousands of live flows is not free;
 * the SQL runs on the commit thread, which puts a commit off while it is busy): the interval
 * stays at least ten times that (a tenth of the ingest at most, as the 2 s of an ingest nobody
 * follows), between FOLLOWED_COMMIT_NS and COMMIT_NS. */
static void commit_took(apc__capw_t *w, int64_t ns, uint64_t bytes)
{
    int64_t every = ns * 10;
    every = every < FOLLOWED_COMMIT_NS ? FOLLOWED_COMMIT_NS : every > COMMIT_NS ? COMMIT_NS : every;
    apc__capw_set_commit_every(w, every, bytes);
}

/* The commit interval in bytes for a file of `size` bytes: COMMIT_BYTES, unless the last
 * commit it makes would land within an eighth of an interval (64 MiB) of the end. That commit is
 * then applied while the ingest has nothing left to read, and the final one after it: a 559 MB
 * file (gen_pcap --flows 5000, 1,000,000 packets) had its one commit at 96% and spent 0.5 s
 * waiting for it, 1.16-1.18 s in all. The file is then cut into equal parts instead (two halves
 * there: 1.01-1.02 s). Every file would gain something from equal parts (the default gen_pcap
 * file, 671 MB, commits at 80%: 0.84-0.85 -> 0.72-0.73 s), but an ingest followed by file
 * extraction commits by time and does not gain, and its cost over the plain ingest (issue 10's
 * target, at most 1.5x) went from 1.40-1.45 to 1.69-1.72 (docs/benchmarks.md, "Ingest"): the
 * followed ingest's own end comes first. */
static uint64_t commit_bytes(uint64_t size)
{
    if (size <= COMMIT_BYTES || size % COMMIT_BYTES >= COMMIT_BYTES / 8)
        return COMMIT_BYTES;
    uint64_t parts = (size + COMMIT_BYTES - 1) / COMMIT_BYTES;
    return size / parts;
}

static void ingest_run(void *arg, const volatile int *cancelled)
{
    ingest_job_t *j = arg;
    apc_ctx_t *ctx = j->ctx;
    apc__capw_t *w = NULL;
    char errbuf[1024] = "";
    int state = APC_STATE_COMPLETED;
    uint64_t err_off = 0;
    int rc = apc__capw_open(ctx, j->id, &w);
    if (rc < 0) {
        apc__log(ctx, APC_LOG_ERROR, "ingest %lld: %s", (long long)j->id, apc_last_error_message());
        goto out; /* the writer marked the capture failed */
    }
    /* Progress stays visible every 2 s; a crash re-ingests the file anyway. Each commit
     * rewrites every live connection and key that changed, so with thousands of live flows a
     * commit is costly; it runs on the writer's commit thread (committer.h) while packets go
     * on, and the last one, which the ingest waits for, holds what came after the one before.
     * COMMIT_BYTES keeps that last one small without the commit thread falling behind (at
     * 64 MiB it does; at 1 GiB the last commit was 40% of the ingest: docs/benchmarks.md).
     * And each commit rewrites every page of the address and port indexes its new
     * connections land on, which grow with the capture: a 10,000,000-packet ingest made 15-19
     * commits at 256 MiB (SQLite's profile) and took 8.1-8.6 s, at 512 MiB about half as many
     * and 7.4-7.7 s (docs/benchmarks.md, "Growth"). The parts are equal (commit_bytes).
     * File extraction follows this capture as it is committed (apc__capw_followed): what the
     * last interval stored is what it reads after the ingest has ended, so commit more often
     * (docs/benchmarks.md, extraction), but see commit_took; a commit due while the one before
     * is still applied waits (apc__capw_maybe_commit). */
    int followed = apc__capw_followed(w);
    uint64_t every_bytes = commit_bytes(apc__reader_size(j->reader));
    apc__capw_set_commit_every(w, followed ? FOLLOWED_COMMIT_NS : COMMIT_NS, every_bytes);
    size_t known = 0;
    uint64_t since_commit = 0;
    apc__ahead_t ahead;
    apc__ahead_init(&ahead, j->reader, w);
    for (;;) {
        apc__ahead_slot_t *s;
        rc = apc__ahead_next(&ahead, &s);
        if (rc == 0)
            break;
        if (rc < 0) {
            if (ahead.end < 0) { /* the file's defect: the packets before it are stored */
                snprintf(errbuf, sizeof errbuf, "%s", ahead.err);
                err_off = ahead.err_off;
            } else {
                apc__err_copy(errbuf, sizeof errbuf);
                err_off = apc__ahead_offset(&ahead);
            }
            state = APC_STATE_FAILED;
            break;
        }
        if (*cancelled) {
            snprintf(errbuf, sizeof errbuf, "cancelled after %llu packets",
                     (unsigned long long)apc__capw_packets(w));
            state = APC_STATE_FAILED;
            break;
        }
        rc = sync_ifaces(w, j->reader, &known);
        if (rc == 0) {
            const apc__rec_t *rec = &s->rec;
            apc__pipe_pkt_t in = {
                .iface = rec->iface,
                .linktype = rec->linktype,
                .ts_ns = rec->ts_ns,
                .caplen = rec->caplen,
                .wirelen = rec->wirelen,
                .data = rec->data,
                .direction = rec->direction,
                .comment = rec->comment,
                .comment_len = rec->comment_len,
                .flow = &s->flow,
            };
            rc = apc__pipe_decoded(w, &in, &s->d, attribute, &s->rec);
            rc = rc < 0 ? rc : 0;
        }
        if (rc == 0 && ++since_commit >= 4096) {
            since_commit = 0;
            int64_t t0 = apc__mono_ns();
            uint64_t off = apc__ahead_offset(&ahead);
            rc = apc__capw_maybe_commit(w, off);
            if (rc == 1 && followed)
                commit_took(w, apc__mono_ns() - t0, every_bytes);
            if (rc == 1 && j->opts.progress_cb)
                j->opts.progress_cb(j->id, off, apc__reader_size(j->reader), apc__capw_packets(w),
                                    j->opts.payload);
            rc = rc < 0 ? rc : 0;
        }
        if (rc < 0) {
            /* Our side failed (disk full, store error): stop, keep what was committed. */
            apc__err_copy(errbuf, sizeof errbuf);
            state = APC_STATE_FAILED;
            break;
        }
    }
    uint64_t done =
        state == APC_STATE_COMPLETED ? apc__reader_size(j->reader) : apc__ahead_offset(&ahead);
    apc__ahead_free(&ahead);
    rc = apc__capw_finish(w, state, errbuf, err_off, done);
    if (rc < 0)
        apc__log(ctx, APC_LOG_ERROR, "ingest %lld: %s", (long long)j->id, apc_last_error_message());
    else if (state == APC_STATE_FAILED)
        apc__log(ctx, APC_LOG_WARN, "ingest %lld stopped: %s", (long long)j->id, errbuf);
out:
    apc__reader_close(j->reader);
    free(j);
    apc__ctx_broadcast(ctx);
}

static const char *file_kind(mode_t m)
{
    return S_ISFIFO(m)   ? "a FIFO"
           : S_ISDIR(m)  ? "a directory"
           : S_ISCHR(m)  ? "a character device"
           : S_ISBLK(m)  ? "a block device"
           : S_ISSOCK(m) ? "a socket"
                         : "not a plain file";
}

/* Absolute path of what fd has open (stored as the capture's source); the kernel's name of the
 * descriptor, so a path swapped since the open cannot misname it. Falls back to realpath()
 * where /proc is not mounted. NULL only when out of memory. */
static char *opened_path(int fd, const char *path)
{
    char link[64], buf[PATH_MAX];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, buf, sizeof buf - 1);
    if (n > 0 && buf[0] == '/') {
        buf[n] = 0;
        return strdup(buf);
    }
    char *abs = realpath(path, NULL);
    return abs ? abs : strdup(path);
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

APC_API int apc_ingest_file(apc_ctx_t *ctx, const char *path, const apc_ingest_options_t *opts,
                            int64_t *out_id)
{
    if (!ctx || !path || !out_id)
        return apc__err(APC_EINVAL, "NULL argument");
    if (!*path)
        return apc__err(APC_EINVAL, "path is empty");
    if (ctx->read_only || !ctx->jobs)
        return apc__err(APC_ENOTSUP, "the context is read-only");
    if (opts && opts->version != APC_INGEST_OPTIONS_VERSION)
        return apc__err(APC_EINVAL, "unknown apc_ingest_options_t version %u", opts->version);
    /* The path is opened once and only the descriptor is used from then on: checking the path
     * and opening it again would let it be swapped in between (a FIFO there would block this
     * thread for ever). O_NONBLOCK: opening a FIFO does not wait for a writer; it is refused
     * below anyway. Symlinks are followed on purpose: links to captures are legitimate. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        if (errno == ENOENT)
            return apc__err(APC_ENOTFOUND, "file '%s' not found", path);
        return apc__err_errno(errno, "cannot open '%s'", path);
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return apc__err_errno(e, "cannot access '%s'", path);
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return apc__err(APC_EINVAL, "cannot ingest '%s': not a regular file: %s", path,
                        file_kind(st.st_mode));
    }
    char *abs = opened_path(fd, path);
    if (!abs) {
        close(fd);
        return apc__err(APC_ENOMEM, "out of memory");
    }
    /* The operator's ingest roots, when set, on the file actually opened (issue 16: root could
     * be made to read any file); before a byte of it is read. */
    int root_rc = apc__roots_ingest_check(ctx, path, abs);
    if (root_rc < 0) {
        close(fd);
        free(abs);
        return root_rc;
    }
    ingest_job_t *j = calloc(1, sizeof *j);
    if (!j) {
        close(fd);
        free(abs);
        return apc__err(APC_ENOMEM, "out of memory");
    }
    int rc = apc__reader_open_fd(&j->reader, fd, path);
    close(fd); /* the reader has its own descriptor of the same open file */
    if (rc < 0) {
        /* Unknown magic, unsupported version: refused before any capture exists. */
        char msg[1024];
        apc__err_copy(msg, sizeof msg);
        free(j);
        free(abs);
        return apc__err(rc, "cannot ingest %s", msg); /* msg names the file */
    }
    j->ctx = ctx;
    if (opts)
        j->opts = *opts;
    else
        apc_ingest_options_init(&j->opts, APC_INGEST_OPTIONS_VERSION);
    const char *name = j->opts.name && *j->opts.name ? j->opts.name : base_name(path);
    j->opts.name = NULL;
    rc = apc__capture_create(ctx, APC_CAPTURE_INGEST, name, abs, apc__reader_size(j->reader),
                             &j->id);
    free(abs);
    if (rc < 0) {
        apc__reader_close(j->reader);
        free(j);
        return rc;
    }
    int64_t id = j->id;
    rc = apc__jobs_submit(ctx->jobs, ingest_run, j);
    if (rc < 0) {
        apc__reader_close(j->reader);
        free(j);
        return rc;
    }
    *out_id = id;
    return 0;
}
