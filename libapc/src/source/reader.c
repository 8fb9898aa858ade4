/* SPDX-License-Identifier: MIT */
/*
 * Capture file reader front end: regular files are read with pread() through a window that
 * moves forward with the records (never mapped: a mapped file truncated underneath kills the
 * process with SIGBUS); pipes and other streams are read whole into memory. Detects the format
 * by magic and hands records out; records point into the window or the memory.
 */
#include "source/reader_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"
#include "util/array.h"
#include "util/prefault.h"

#define PCAP_MAGIC_US 0xa1b2c3d4u
#define PCAP_MAGIC_NS 0xa1b23c4du
#define PCAPNG_SHB 0x0a0d0d0au

int apc__reader_fail(apc__reader_t *r, int code, uint64_t off, const char *fmt, ...)
{
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(r->errmsg, sizeof r->errmsg, "offset %llu: %s", (unsigned long long)off, msg);
    r->state = code;
    return apc__err(code, "%s", r->errmsg);
}

apc__iface_t *apc__reader_add_iface(apc__reader_t *r)
{
    if (apc__grow((void **)&r->ifs, &r->cap_ifs, r->nifs + 1, sizeof *r->ifs) < 0)
        return NULL;
    apc__iface_t *i = &r->ifs[r->nifs++];
    memset(i, 0, sizeof *i);
    i->tsresol_num = 1000000;
    return i;
}

/* libpcap's max_snaplen_for_dlt(): link types whose records may exceed 256 KiB. */
uint32_t apc__reader_max_caplen(uint32_t linktype)
{
    switch (linktype) {
    case 231: /* LINKTYPE_DBUS: a D-Bus message may be 128 MiB */
        return 128u * 1024 * 1024;
    case 279: /* LINKTYPE_EBHSCR */
        return 8u * 1024 * 1024;
    case 249: /* LINKTYPE_USBPCAP */
        return 1024u * 1024;
    default:
        return 262144;
    }
}

/* A window of at least this size is read at a time: few system calls, and the memmove of the
 * unread tail when it moves stays small against it. */
#define WINDOW_MIN (1u << 20)
/* The largest block read whole (an EPB of a 128 MiB D-Bus message with its options fits). */
#define WINDOW_MAX (512u << 20)

const uint8_t *apc__reader_fetch(apc__reader_t *r, size_t off, size_t n)
{
    if (r->fd < 0) { /* a memory input without bytes (open_mem with NULL): nothing to read */
        apc__reader_fail(r, APC_EINVAL, off, "no input bytes");
        return NULL;
    }
    if (n > WINDOW_MAX) {
        apc__reader_fail(r, APC_EFORMAT, off, "block of %zu bytes is too large to read (max %u)", n,
                         WINDOW_MAX);
        return NULL;
    }
    /* What the window already holds from off on is kept; everything before off is done with. */
    size_t keep = 0;
    if (off >= r->wbase && off - r->wbase < r->wlen) {
        keep = r->wlen - (off - r->wbase);
        memmove(r->win, r->win + (off - r->wbase), keep);
    }
    r->wbase = off;
    r->wlen = keep;
    size_t want = n > WINDOW_MIN ? n : WINDOW_MIN;
    if (want > r->len - off)
        want = r->len - off; /* >= n: the caller checked */
    if (want > r->wcap) {
        uint8_t *w = realloc(r->win, want);
        if (!w) {
            apc__reader_fail(r, APC_ENOMEM, off, "out of memory for %zu bytes", want);
            return NULL;
        }
        r->win = w;
        r->wcap = want;
        apc__prefault(w + r->wlen, want - r->wlen); /* before pread fills it page by page */
    }
    while (r->wlen < want) {
        ssize_t got = pread(r->fd, r->win + r->wlen, want - r->wlen, (off_t)(off + r->wlen));
        if (got < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            apc__reader_fail(r, -e, off + r->wlen, "read error: %s", strerror(e));
            return NULL;
        }
        if (got == 0) {
            apc__reader_fail(r, APC_EFORMAT, off + r->wlen,
                             "file shrank or changed while being read: it had %zu bytes when "
                             "opened, it ends at %zu",
                             r->len, off + r->wlen);
            return NULL;
        }
        r->wlen += (size_t)got;
    }
    return r->win;
}

static int start(apc__reader_t *r)
{
    if (r->len < 4)
        return apc__reader_fail(r, APC_EFORMAT, 0,
                                "file too short (%zu bytes) for a pcap or pcapng header", r->len);
    const uint8_t *b = apc__reader_get(r, 0, 4);
    if (!b)
        return r->state;
    uint32_t m;
    memcpy(&m, b, 4);
    if (m == PCAP_MAGIC_US || m == PCAP_MAGIC_NS || __builtin_bswap32(m) == PCAP_MAGIC_US ||
        __builtin_bswap32(m) == PCAP_MAGIC_NS) {
        r->fmt = APC_FMT_PCAP;
        return apc__pcap_open(r);
    }
    if (m == PCAPNG_SHB) { /* palindromic: same in both byte orders */
        r->fmt = APC_FMT_PCAPNG;
        return apc__pcapng_open(r);
    }
    /* The bytes themselves are not shown: the file may be a secret (/etc/shadow...) that an
     * ingest request was pointed at, and errors travel back to the caller. */
    return apc__reader_fail(r, APC_EFORMAT, 0, "not a pcap or pcapng file (unknown magic number)");
}

int apc__reader_open_mem(apc__reader_t **out, const uint8_t *buf, size_t len)
{
    *out = NULL;
    apc__reader_t *r = calloc(1, sizeof *r);
    if (!r)
        return apc__err(APC_ENOMEM, "reader: out of memory");
    r->buf = buf;
    r->len = len;
    r->fd = -1;
    int rc = start(r);
    if (rc < 0) {
        apc__reader_close(r);
        return rc;
    }
    *out = r;
    return 0;
}

/* Pipes and other non-mappable inputs: read everything into a growing buffer. */
static int slurp(int fd, const char *path, uint8_t **outbuf, size_t *outlen)
{
    size_t cap = 1 << 16, len = 0;
    uint8_t *b = malloc(cap);
    if (!b)
        return apc__err(APC_ENOMEM, "file %s: out of memory", path);
    for (;;) {
        if (len == cap) {
            uint8_t *nb = cap > SIZE_MAX / 2 ? NULL : realloc(b, cap * 2);
            if (!nb) {
                free(b);
                return apc__err(APC_ENOMEM, "file %s: out of memory after %zu bytes", path, len);
            }
            b = nb;
            cap *= 2;
        }
        ssize_t n = read(fd, b + len, cap - len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            free(b);
            return apc__err_errno(e, "file %s: read", path);
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    *outbuf = b;
    *outlen = len;
    return 0;
}

int apc__reader_open_fd(apc__reader_t **out, int fd, const char *name)
{
    *out = NULL;
    struct stat st;
    if (fstat(fd, &st) < 0)
        return apc__err_errno(errno, "file %s: stat", name);
    if (S_ISDIR(st.st_mode))
        return apc__err(-EISDIR, "file %s: is a directory", name);
    apc__reader_t *r = calloc(1, sizeof *r);
    if (!r)
        return apc__err(APC_ENOMEM, "file %s: out of memory", name);
    r->fd = -1;
    if (S_ISREG(st.st_mode)) {
        if ((uint64_t)st.st_size > SIZE_MAX) {
            free(r);
            return apc__err(APC_EINVAL, "file %s: too large", name);
        }
        /* Our own descriptor: the caller may close theirs at once. */
        r->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
        if (r->fd < 0) {
            int e = errno;
            free(r);
            return apc__err_errno(e, "file %s: dup", name);
        }
        r->len = (size_t)st.st_size;
        /* Records are read front to back once: let the kernel read ahead aggressively. */
        posix_fadvise(r->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    } else {
        int rc = slurp(fd, name, &r->owned, &r->len);
        if (rc < 0) {
            free(r);
            return rc;
        }
        r->buf = r->owned;
    }
    int rc = start(r);
    if (rc < 0) {
        char msg[300];
        apc__err_copy(msg, sizeof msg);
        apc__reader_close(r);
        return apc__err(rc, "file %s: %s", name, msg);
    }
    *out = r;
    return 0;
}

int apc__reader_open(apc__reader_t **out, const char *path)
{
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return apc__err_errno(errno, "file %s: open", path);
    int rc = apc__reader_open_fd(out, fd, path);
    close(fd);
    return rc;
}

int apc__reader_next(apc__reader_t *r, apc__rec_t *rec)
{
    if (r->state > 0)
        return 0;
    if (r->state < 0)
        return apc__err(r->state, "%s", r->errmsg);
    int rc = r->fmt == APC_FMT_PCAP ? apc__pcap_next(r, rec) : apc__pcapng_next(r, rec);
    if (rc == 0)
        r->state = 1;
    return rc;
}

enum apc__file_format apc__reader_format(const apc__reader_t *r)
{
    return r->fmt;
}

size_t apc__reader_iface_count(const apc__reader_t *r)
{
    return r->nifs;
}

const apc__iface_t *apc__reader_iface(const apc__reader_t *r, size_t i)
{
    return i < r->nifs ? &r->ifs[i] : NULL;
}

uint64_t apc__reader_offset(const apc__reader_t *r)
{
    return r->pos;
}

uint64_t apc__reader_size(const apc__reader_t *r)
{
    return r->len;
}

const char *apc__reader_section_comment(const apc__reader_t *r)
{
    return r->shb_comment;
}

void apc__reader_close(apc__reader_t *r)
{
    if (!r)
        return;
    if (r->fd >= 0)
        close(r->fd);
    free(r->win);
    free(r->owned);
    for (size_t i = 0; i < r->nifs; i++) {
        free(r->ifs[i].name);
        free(r->ifs[i].description);
    }
    free(r->ifs);
    free(r->cbuf);
    free(r->shb_comment);
    free(r);
}
