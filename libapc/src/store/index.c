/* SPDX-License-Identifier: MIT */
/* The fixed-record packet index file. */
#include "store/index.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/error.h"
#include "core/fsutil.h"

_Static_assert(sizeof(apc__idxrec_t) == 24, "index record must stay 24 bytes");

#define BATCH 8192
static const char MAGIC[8] = {'A', 'P', 'C', 'I', 'D', 'X', '1', '\0'};

struct apc__idxw {
    int fd;
    char *path;
    apc__idxrec_t buf[BATCH];
    size_t n;
};

void apc__idx_path(char *buf, size_t n, const char *dir)
{
    snprintf(buf, n, "%s/index.apx", dir);
}

int apc__idxw_open(apc__idxw_t **out, const char *dir, uint64_t committed)
{
    *out = NULL;
    char path[4096];
    apc__idx_path(path, sizeof path, dir);
    apc__idxw_t *w = calloc(1, sizeof *w);
    if (!w || !(w->path = strdup(path))) {
        free(w);
        return apc__err(APC_ENOMEM, "out of memory");
    }
    w->fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0640);
    if (w->fd < 0) {
        int r = apc__err_errno(errno, "cannot open index '%s'", path);
        free(w->path);
        free(w);
        return r;
    }
    uint8_t hdr[APC_IDX_HDR] = {0};
    memcpy(hdr, MAGIC, 8);
    uint32_t v = 1, rs = sizeof(apc__idxrec_t);
    memcpy(hdr + 8, &v, 4);
    memcpy(hdr + 12, &rs, 4);
    off_t end = (off_t)(APC_IDX_HDR + committed * sizeof(apc__idxrec_t));
    int r = 0;
    if (pwrite(w->fd, hdr, sizeof hdr, 0) != (ssize_t)sizeof hdr || ftruncate(w->fd, end) != 0 ||
        lseek(w->fd, end, SEEK_SET) < 0)
        r = apc__err_errno(errno, "cannot prepare index '%s'", path);
    if (r < 0) {
        apc__idxw_close(w);
        return r;
    }
    *out = w;
    return 0;
}

int apc__idxw_append(apc__idxw_t *w, const apc__idxrec_t *rec)
{
    if (w->n == BATCH) {
        int r = apc__idxw_flush(w);
        if (r < 0)
            return r;
    }
    w->buf[w->n++] = *rec;
    return 0;
}

int apc__idxw_flush(apc__idxw_t *w)
{
    if (w->n == 0)
        return 0;
    int r = apc__write_all(w->fd, w->buf, w->n * sizeof(apc__idxrec_t));
    if (r < 0)
        return apc__err_errno(-r, "writing index '%s'", w->path);
    w->n = 0;
    return 0;
}

void apc__idxw_close(apc__idxw_t *w)
{
    if (!w)
        return;
    if (w->fd >= 0) {
        apc__idxw_flush(w);
        close(w->fd);
    }
    free(w->path);
    free(w);
}

long apc__idx_read(const char *dir, uint64_t first, size_t n, apc__idxrec_t *out)
{
    char path[4096];
    apc__idx_path(path, sizeof path, dir);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return apc__err_errno(errno, "cannot open index '%s'", path);
    size_t want = n * sizeof(apc__idxrec_t), got = 0;
    off_t off = (off_t)(APC_IDX_HDR + first * sizeof(apc__idxrec_t));
    while (got < want) {
        ssize_t k = pread(fd, (char *)out + got, want - got, off + (off_t)got);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0) {
            int r = apc__err_errno(errno, "reading index '%s'", path);
            close(fd);
            return r;
        }
        if (k == 0)
            break;
        got += (size_t)k;
    }
    close(fd);
    return (long)(got / sizeof(apc__idxrec_t));
}

int apc__idx_truncate(const char *dir, uint64_t records)
{
    char path[4096];
    apc__idx_path(path, sizeof path, dir);
    if (truncate(path, (off_t)(APC_IDX_HDR + records * sizeof(apc__idxrec_t))) != 0 &&
        errno != ENOENT)
        return apc__err_errno(errno, "cannot cut index '%s'", path);
    return 0;
}
