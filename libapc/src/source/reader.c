/* SPDX-License-Identifier: MIT */
/*
 * Capture file reader front end: gets the whole input into memory (mmap for regular files,
 * read() into a growing buffer otherwise), detects the format by magic and hands records out.
 * Records point into that memory, so reading costs no copy per packet.
 */
#include "source/reader_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"
#include "util/array.h"

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

static int start(apc__reader_t *r)
{
    if (r->len < 4)
        return apc__reader_fail(r, APC_EFORMAT, 0,
                                "file too short (%zu bytes) for a pcap or pcapng header", r->len);
    uint32_t m;
    memcpy(&m, r->buf, 4);
    if (m == PCAP_MAGIC_US || m == PCAP_MAGIC_NS || __builtin_bswap32(m) == PCAP_MAGIC_US ||
        __builtin_bswap32(m) == PCAP_MAGIC_NS) {
        r->fmt = APC_FMT_PCAP;
        return apc__pcap_open(r);
    }
    if (m == PCAPNG_SHB) { /* palindromic: same in both byte orders */
        r->fmt = APC_FMT_PCAPNG;
        return apc__pcapng_open(r);
    }
    return apc__reader_fail(r, APC_EFORMAT, 0,
                            "unknown magic 0x%02x%02x%02x%02x: not a pcap or pcapng file",
                            r->buf[0], r->buf[1], r->buf[2], r->buf[3]);
}

int apc__reader_open_mem(apc__reader_t **out, const uint8_t *buf, size_t len)
{
    *out = NULL;
    apc__reader_t *r = calloc(1, sizeof *r);
    if (!r)
        return apc__err(APC_ENOMEM, "reader: out of memory");
    r->buf = buf;
    r->len = len;
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

int apc__reader_open(apc__reader_t **out, const char *path)
{
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return apc__err_errno(errno, "file %s: open", path);
    apc__reader_t *r = calloc(1, sizeof *r);
    if (!r) {
        close(fd);
        return apc__err(APC_ENOMEM, "file %s: out of memory", path);
    }
    struct stat st;
    if (fstat(fd, &st) < 0) {
        int e = errno;
        close(fd);
        free(r);
        return apc__err_errno(e, "file %s: stat", path);
    }
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        free(r);
        return apc__err(-EISDIR, "file %s: is a directory", path);
    }
    if (S_ISREG(st.st_mode) && st.st_size > 0 && (uint64_t)st.st_size <= SIZE_MAX) {
        void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m != MAP_FAILED) {
            /* Records are read front to back once: let the kernel read ahead aggressively. */
            madvise(m, (size_t)st.st_size, MADV_SEQUENTIAL);
            madvise(m, (size_t)st.st_size, MADV_WILLNEED);
            r->map = m;
            r->buf = m;
            r->len = (size_t)st.st_size;
        }
    }
    if (!r->map && !(S_ISREG(st.st_mode) && st.st_size == 0)) {
        int rc = slurp(fd, path, &r->owned, &r->len);
        if (rc < 0) {
            close(fd);
            free(r);
            return rc;
        }
        r->buf = r->owned;
    }
    close(fd);
    int rc = start(r);
    if (rc < 0) {
        char msg[300];
        apc__err_copy(msg, sizeof msg);
        apc__reader_close(r);
        return apc__err(rc, "file %s: %s", path, msg);
    }
    *out = r;
    return 0;
}

#define RELEASE_STEP (16u << 20)

int apc__reader_next(apc__reader_t *r, apc__rec_t *rec)
{
    if (r->state > 0)
        return 0;
    if (r->state < 0)
        return apc__err(r->state, "%s", r->errmsg);
    /* Pages of the mapping already read are given back every 16 MiB: otherwise a large file
     * would count whole in our resident memory. What the last record pointed to is no longer
     * needed once the caller asks for the next one. */
    if (r->map && r->pos - r->released >= RELEASE_STEP) {
        size_t upto = r->pos & ~(size_t)(RELEASE_STEP - 1);
        if (upto > r->released) {
            madvise((uint8_t *)r->map + r->released, upto - r->released, MADV_DONTNEED);
            r->released = upto;
        }
    }
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
    if (r->map)
        munmap(r->map, r->len);
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
