/* SPDX-License-Identifier: MIT */
/* pcapng segment writer and reader (draft-ietf-opsawg-pcapng sections 4.1, 4.2, 4.3). */
#include "store/segment.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apc_config.h"
#include "core/error.h"
#include "core/fsutil.h"
#include "store/pcapng_enc.h"
#include "store/writebehind.h"
#include "util/prefault.h"

#define BT_EPB 0x00000006U
#define DEFAULT_SEG_MAX (1ULL << 30)
#define WBUF_SIZE (1U << 20)
#define MAX_IFACES 4096

typedef struct iface_def {
    uint32_t linktype, snaplen;
    char *name;
} iface_def_t;

struct apc__segw {
    char *dir;
    int fd;
    uint32_t seg_no;
    uint64_t file_bytes; /* bytes in the file (flushed) */
    apc__wb_t wb;        /* write-behind over the writer's files */
    uint64_t seg_max;
    uint8_t *buf;
    size_t len, cap;
    iface_def_t *ifaces;
    uint32_t n_ifaces;
    int broken;
};

void apc__seg_path(char *buf, size_t n, const char *dir, uint32_t no)
{
    snprintf(buf, n, "%s/seg-%06u.pcapng", dir, no);
}

static inline size_t pad4(size_t n)
{
    return (n + 3) & ~(size_t)3;
}

static int reserve(apc__segw_t *w, size_t need)
{
    if (w->len + need <= w->cap)
        return 0;
    if (w->len > 0) {
        int r = apc__segw_flush(w);
        if (r < 0)
            return r;
    }
    if (need > w->cap) {
        uint8_t *nb = realloc(w->buf, need);
        if (!nb)
            return apc__err(APC_ENOMEM, "out of memory for a %zu-byte packet block", need);
        w->buf = nb;
        w->cap = need;
    }
    return 0;
}

static int write_shb(apc__segw_t *w)
{
    char appl[64];
    snprintf(appl, sizeof appl, "AppPacCap for Linux %s", APC_VERSION);
    size_t total = apc__ng_shb_size(NULL, appl);
    int r = reserve(w, total);
    if (r < 0)
        return r;
    apc__ng_shb_put(w->buf + w->len, total, NULL, appl);
    w->len += total;
    return 0;
}

static int write_idb(apc__segw_t *w, const iface_def_t *d)
{
    size_t total = apc__ng_idb_size(d->name, NULL);
    int r = reserve(w, total);
    if (r < 0)
        return r;
    apc__ng_idb_put(w->buf + w->len, total, (uint16_t)d->linktype, d->snaplen, d->name, NULL);
    w->len += total;
    return 0;
}

/* Starts segment w->seg_no afresh: header and every interface known. */
static int start_segment(apc__segw_t *w)
{
    char path[4096];
    apc__seg_path(path, sizeof path, w->dir, w->seg_no);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (fd < 0)
        return apc__err_errno(errno, "cannot create segment '%s'", path);
    if (w->fd >= 0)
        close(w->fd);
    w->fd = fd;
    w->file_bytes = 0;
    apc__wb_file(&w->wb, fd, 0);
    int r = write_shb(w);
    for (uint32_t i = 0; r == 0 && i < w->n_ifaces; i++)
        r = write_idb(w, &w->ifaces[i]);
    return r;
}

int apc__segw_open(apc__segw_t **out, const char *dir, uint32_t seg_no, uint64_t seg_bytes,
                   uint64_t seg_max)
{
    *out = NULL;
    apc__segw_t *w = calloc(1, sizeof *w);
    if (!w)
        return apc__err(APC_ENOMEM, "out of memory");
    w->fd = -1;
    apc__wb_init(&w->wb);
    w->dir = strdup(dir);
    w->seg_no = seg_no;
    w->seg_max = seg_max ? seg_max : DEFAULT_SEG_MAX;
    w->cap = WBUF_SIZE;
    w->buf = malloc(w->cap);
    apc__prefault(w->buf, w->cap);
    if (!w->dir || !w->buf) {
        apc__segw_close(w);
        return apc__err(APC_ENOMEM, "out of memory");
    }
    int r;
    if (seg_bytes == 0) {
        r = start_segment(w);
    } else {
        char path[4096];
        apc__seg_path(path, sizeof path, dir, seg_no);
        w->fd = open(path, O_WRONLY | O_CLOEXEC);
        if (w->fd < 0) {
            r = apc__err_errno(errno, "cannot reopen segment '%s'", path);
        } else if (ftruncate(w->fd, (off_t)seg_bytes) != 0 ||
                   lseek(w->fd, (off_t)seg_bytes, SEEK_SET) < 0) {
            r = apc__err_errno(errno, "cannot position segment '%s'", path);
        } else {
            w->file_bytes = seg_bytes;
            apc__wb_file(&w->wb, w->fd, seg_bytes);
            r = 0;
        }
    }
    if (r < 0) {
        apc__segw_close(w);
        return r;
    }
    *out = w;
    return 0;
}

int apc__segw_add_iface(apc__segw_t *w, uint32_t idx, uint32_t linktype, uint32_t snaplen,
                        const char *name)
{
    if (idx != w->n_ifaces)
        return apc__err(APC_EINVAL, "interface %u added out of order (expected %u)", idx,
                        w->n_ifaces);
    if (w->n_ifaces >= MAX_IFACES)
        return apc__err(APC_ELIMIT, "more than %d interfaces in one capture", MAX_IFACES);
    iface_def_t *ni = realloc(w->ifaces, (w->n_ifaces + 1) * sizeof *ni);
    if (!ni)
        return apc__err(APC_ENOMEM, "out of memory");
    w->ifaces = ni;
    iface_def_t *d = &w->ifaces[w->n_ifaces];
    d->linktype = linktype;
    d->snaplen = snaplen;
    d->name = name ? strdup(name) : NULL;
    w->n_ifaces++;
    return write_idb(w, d);
}

int apc__segw_append(apc__segw_t *w, const apc__segpkt_t *p, uint64_t *loc)
{
    if (w->broken)
        return apc__err(APC_EIO, "segment writer stopped after an earlier error");
    if (p->iface >= w->n_ifaces)
        return apc__err(APC_EINVAL, "packet on undeclared interface %u", p->iface);
    const char *comments[1] = {p->comment};
    size_t clen[1] = {p->comment ? p->comment_len : 0};
    apc__ng_epb_t e = {
        .iface = p->iface,
        .ts_ns = p->ts_ns,
        .caplen = p->caplen,
        .wirelen = p->wirelen,
        .data = p->data,
        .direction = p->direction,
        .has_pid_tid = p->has_pid_tid,
        .pid = p->pid,
        .tid = p->tid,
        .n_comments = clen[0] ? 1 : 0,
        .comments = comments,
        .comment_lens = clen,
    };
    size_t total = apc__ng_epb_size(&e);
    if (apc__segw_seg_bytes(w) + total > w->seg_max && apc__segw_seg_bytes(w) > 4096) {
        int r = apc__segw_flush(w);
        if (r < 0)
            return r;
        w->seg_no++;
        r = start_segment(w);
        if (r < 0) {
            w->broken = 1;
            return r;
        }
    }
    int r = reserve(w, total);
    if (r < 0)
        return r;
    *loc = APC_SEG_LOC(w->seg_no, w->file_bytes + w->len);
    apc__ng_epb_put(w->buf + w->len, total, &e);
    w->len += total;
    return 0;
}

int apc__segw_flush(apc__segw_t *w)
{
    if (w->len == 0)
        return 0;
    int r = apc__write_all(w->fd, w->buf, w->len);
    if (r < 0) {
        w->broken = 1;
        char path[4096];
        apc__seg_path(path, sizeof path, w->dir, w->seg_no);
        return apc__err_errno(-r, "writing segment '%s'", path);
    }
    w->file_bytes += w->len;
    apc__wb_wrote(&w->wb, w->file_bytes, w->len);
    w->len = 0;
    return 0;
}

uint32_t apc__segw_seg_no(const apc__segw_t *w)
{
    return w->seg_no;
}

uint64_t apc__segw_seg_bytes(const apc__segw_t *w)
{
    return w->file_bytes + w->len;
}

void apc__segw_close(apc__segw_t *w)
{
    if (!w)
        return;
    if (w->fd >= 0 && !w->broken)
        apc__segw_flush(w);
    apc__wb_fini(&w->wb);
    if (w->fd >= 0)
        close(w->fd);
    for (uint32_t i = 0; i < w->n_ifaces; i++)
        free(w->ifaces[i].name);
    free(w->ifaces);
    free(w->buf);
    free(w->dir);
    free(w);
}

/* ---- reading back ---- */

#define MAX_OPEN_SEGS 8

struct apc__segr {
    char *dir;
    int fds[MAX_OPEN_SEGS];
    uint32_t nos[MAX_OPEN_SEGS];
    int next_slot;
    uint8_t *buf;
    size_t cap;
    /* Read-ahead (apc__segr_read_ahead): one large read serves the blocks that follow. */
    int ahead;
    uint8_t *win;
    uint32_t win_no;
    uint64_t win_off;
    size_t win_len;
};

int apc__segr_open(apc__segr_t **out, const char *dir)
{
    apc__segr_t *r = calloc(1, sizeof *r);
    if (!r || !(r->dir = strdup(dir))) {
        free(r);
        return apc__err(APC_ENOMEM, "out of memory");
    }
    for (int i = 0; i < MAX_OPEN_SEGS; i++)
        r->fds[i] = -1;
    *out = r;
    return 0;
}

static int seg_fd(apc__segr_t *r, uint32_t no)
{
    for (int i = 0; i < MAX_OPEN_SEGS; i++)
        if (r->fds[i] >= 0 && r->nos[i] == no)
            return r->fds[i];
    char path[4096];
    apc__seg_path(path, sizeof path, r->dir, no);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return apc__err_errno(errno, "cannot open segment '%s'", path);
    int s = r->next_slot;
    r->next_slot = (s + 1) % MAX_OPEN_SEGS;
    if (r->fds[s] >= 0)
        close(r->fds[s]);
    r->fds[s] = fd;
    r->nos[s] = no;
    return fd;
}

/* n bytes at off, or APC_EFORMAT when the file ends first (a cut segment), or -errno. */
static int pread_all(int fd, void *buf, size_t n, uint64_t off)
{
    ssize_t k = apc__pread_upto(fd, buf, n, off);
    return k < 0 ? (int)k : (size_t)k < n ? APC_EFORMAT : 0;
}

/* Bytes read with a block's header: a packet of an Ethernet MTU and its options fit, so most
 * blocks cost one pread instead of two. Only this block's bytes are ever used: what follows
 * it may still be being written. */
#define SEGR_FIRST_READ 2048

/* A reader walking a page of packets asks for blocks that lie one after the other: one read
 * of this size serves some ninety of them instead of one pread each. */
#define SEGR_WINDOW (64 * 1024)

int apc__segr_read_ahead(apc__segr_t *r)
{
    if (!r->win && !(r->win = malloc(SEGR_WINDOW)))
        return apc__err(APC_ENOMEM, "out of memory");
    r->ahead = 1;
    r->win_len = 0;
    return 0;
}

/* Up to SEGR_FIRST_READ bytes at off into r->buf, through the window; the count or -errno. */
static ssize_t window_read(apc__segr_t *r, int fd, uint32_t no, uint64_t off)
{
    int hit = r->win_len && no == r->win_no && off >= r->win_off && off < r->win_off + r->win_len;
    size_t avail = hit ? (size_t)(r->win_off + r->win_len - off) : 0;
    /* Refill when off is outside, or near the end of a window that did not reach the file's
     * end (a block may straddle it). */
    if (!hit || (avail < SEGR_FIRST_READ && r->win_len == SEGR_WINDOW)) {
        ssize_t got = apc__pread_upto(fd, r->win, SEGR_WINDOW, off);
        if (got < 0) {
            r->win_len = 0;
            return got;
        }
        r->win_no = no;
        r->win_off = off;
        r->win_len = (size_t)got;
        avail = (size_t)got;
    }
    size_t n = avail < SEGR_FIRST_READ ? avail : SEGR_FIRST_READ;
    /* Copied, not pointed at: option parsing below writes NULs into r->buf. */
    memcpy(r->buf, r->win + (off - r->win_off), n);
    return (ssize_t)n;
}

int apc__segr_read(apc__segr_t *r, uint64_t loc, apc__segrec_t *out)
{
    memset(out, 0, sizeof *out);
    int fd = seg_fd(r, APC_SEG_NO(loc));
    if (fd < 0)
        return fd;
    uint64_t off = APC_SEG_OFF(loc);
    if (r->cap < SEGR_FIRST_READ + 1) {
        uint8_t *nb = realloc(r->buf, SEGR_FIRST_READ + 1);
        if (!nb)
            return apc__err(APC_ENOMEM, "out of memory");
        r->buf = nb;
        r->cap = SEGR_FIRST_READ + 1;
    }
    ssize_t got = r->ahead ? window_read(r, fd, APC_SEG_NO(loc), off)
                           : apc__pread_upto(fd, r->buf, SEGR_FIRST_READ, off);
    if (got < 0)
        return apc__err_errno((int)-got, "reading segment %u", APC_SEG_NO(loc));
    if (got < 8)
        return apc__err(APC_EFORMAT, "segment %u offset %llu: packet block missing",
                        APC_SEG_NO(loc), (unsigned long long)off);
    uint32_t type, total;
    memcpy(&type, r->buf, 4);
    memcpy(&total, r->buf + 4, 4);
    if (type != BT_EPB || total < 32 || total % 4 || total > (64U << 20))
        return apc__err(APC_EFORMAT, "segment %u offset %llu: not a packet block", APC_SEG_NO(loc),
                        (unsigned long long)off);
    if (total + 1 > r->cap) {
        uint8_t *nb = realloc(r->buf, total + 1);
        if (!nb)
            return apc__err(APC_ENOMEM, "out of memory");
        r->buf = nb;
        r->cap = total + 1;
    }
    if ((size_t)got < total) {
        int e = pread_all(fd, r->buf + got, total - (size_t)got, off + (uint64_t)got);
        if (e < 0)
            return apc__err(APC_EFORMAT, "segment %u offset %llu: packet block cut short",
                            APC_SEG_NO(loc), (unsigned long long)off);
    }
    const uint8_t *b = r->buf;
    uint32_t th, tl;
    memcpy(&out->iface, b + 8, 4);
    memcpy(&th, b + 12, 4);
    memcpy(&tl, b + 16, 4);
    memcpy(&out->caplen, b + 20, 4);
    memcpy(&out->wirelen, b + 24, 4);
    out->ts_ns = (int64_t)(((uint64_t)th << 32) | tl);
    if (28 + pad4(out->caplen) + 4 > total)
        return apc__err(APC_EFORMAT, "segment %u offset %llu: packet length exceeds its block",
                        APC_SEG_NO(loc), (unsigned long long)off);
    out->data = b + 28;
    size_t o = 28 + pad4(out->caplen);
    size_t end = total - 4;
    while (o + 4 <= end) {
        uint16_t code, len;
        memcpy(&code, b + o, 2);
        memcpy(&len, b + o + 2, 2);
        if (code == 0 || o + 4 + len > end)
            break;
        const uint8_t *v = b + o + 4;
        if (code == APC_NG_OPT_EPB_FLAGS && len == 4) {
            uint32_t f;
            memcpy(&f, v, 4);
            out->direction = (int)(f & 3);
        } else if (code == APC_NG_OPT_EPB_PID_TID && len == 8) {
            out->has_pid_tid = 1;
            memcpy(&out->pid, v, 4);
            memcpy(&out->tid, v + 4, 4);
        } else if (code == APC_NG_OPT_COMMENT && !out->comment) {
            /* NUL-terminate in place: the byte after the value is padding or the next option,
             * so copy to the spare byte at the end of the buffer when there is no padding. */
            if (len % 4) {
                r->buf[o + 4 + len] = '\0';
                out->comment = (const char *)r->buf + o + 4;
            } else {
                memmove(r->buf + o, v, len); /* shift over the option header */
                r->buf[o + len] = '\0';
                out->comment = (const char *)r->buf + o;
                break; /* the header we overwrote ends option parsing */
            }
        }
        o += 4 + pad4(len);
    }
    return 0;
}

void apc__segr_close(apc__segr_t *r)
{
    if (!r)
        return;
    for (int i = 0; i < MAX_OPEN_SEGS; i++)
        if (r->fds[i] >= 0)
            close(r->fds[i]);
    free(r->buf);
    free(r->win);
    free(r->dir);
    free(r);
}

int apc__seg_scan(const char *path, uint64_t limit, uint64_t *good)
{
    *good = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? 0 : apc__err_errno(errno, "cannot open segment '%s'", path);
    uint64_t off = 0;
    for (;;) {
        uint8_t hdr[8];
        if (off + 12 > limit || pread_all(fd, hdr, 8, off) < 0)
            break;
        uint32_t total, trail;
        memcpy(&total, hdr + 4, 4);
        if (total < 12 || total % 4 || off + total > limit)
            break;
        if (pread_all(fd, &trail, 4, off + total - 4) < 0 || trail != total)
            break;
        off += total;
    }
    close(fd);
    *good = off;
    return 0;
}
