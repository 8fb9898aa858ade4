/* SPDX-License-Identifier: MIT */
/*
 * The packet index files (docs/storage.md, "The packet index").
 *
 * Format 2 (written since issue 15): `index.apx` is a 16-byte header then a directory of one
 * 16-byte entry per block of APC_IDX_BLOCK records (offset u64, length u32, record count u32,
 * host order); `index.apd` holds the blocks (store/index_codec.h). Every block but the last is
 * full. A flush writes the last, partial block again at the end of index.apd and then points
 * its entry at the new copy, so a reader that reads an entry while it changes finds a block
 * whose CRC or count does not match and reads the entry again. The old copies stay behind as
 * garbage: one partial block per commit.
 *
 * Format 1 (before): `index.apx` is the header then fixed 24-byte records. Still read; a capture
 * with format-1 records that is reopened for appending goes on in format 1.
 */
#include "store/index.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"
#include "core/fsutil.h"
#include "store/index_codec.h"

_Static_assert(sizeof(apc__idxrec_t) == 24, "format-1 index records are 24 bytes");

#define ENT 16               /* a directory entry */
#define OUT_CAP (256 * 1024) /* encoded full blocks held until a write */
#define V1_BATCH 8192        /* format-1 records held until a write */
#define RETRIES 5            /* re-reads of an entry that changed under a reader */
#define MAX_ENTS 128         /* full blocks held until a write */
static const char MAGIC[8] = {'A', 'P', 'C', 'I', 'D', 'X', '1', '\0'};

struct apc__idxw {
    int dfd; /* index.apx */
    int bfd; /* index.apd (format 2) */
    int v1;  /* appending format-1 records */
    char *path;
    uint64_t blocks;   /* full blocks encoded (those before are final) */
    uint64_t data_end; /* end of index.apd once `out` is written */
    uint64_t out_at;   /* where `out` goes in index.apd */
    uint64_t ent_first;
    apc__idxrec_t cur[APC_IDX_BLOCK]; /* the block being filled (format 1: the batch) */
    size_t n;
    uint8_t *out; /* encoded full blocks not written yet, and their entries */
    size_t out_len;
    uint8_t ents[MAX_ENTS * ENT];
    size_t n_ents;
    apc__idxrec_t *v1buf;
};

void apc__idx_path(char *buf, size_t n, const char *dir)
{
    snprintf(buf, n, "%s/index.apx", dir);
}

static void data_path(char *buf, size_t n, const char *dir)
{
    snprintf(buf, n, "%s/index.apd", dir);
}

static void put_ent(uint8_t *e, uint64_t off, uint32_t len, uint32_t count)
{
    memcpy(e, &off, 8);
    memcpy(e + 8, &len, 4);
    memcpy(e + 12, &count, 4);
}

/* The header's format (1 or 2), 0 when the file is empty or shorter than a header, or -1 when
 * it is not an index. */
static int header_version(int fd)
{
    uint8_t hdr[APC_IDX_HDR];
    ssize_t k = apc__pread_upto(fd, hdr, sizeof hdr, 0);
    if (k < (ssize_t)sizeof hdr)
        return k < 0 ? -1 : 0;
    uint32_t v;
    memcpy(&v, hdr + 8, 4);
    return memcmp(hdr, MAGIC, 8) == 0 && (v == 1 || v == 2) ? (int)v : -1;
}

/* Reads block `b` (its entry in dfd, its bytes in bfd) into out; its record count, 0 past the
 * last block, or < 0 when it stays damaged after RETRIES reads. */
static int read_block(int dfd, int bfd, const char *path, uint64_t b, apc__idxrec_t *out)
{
    static _Thread_local uint8_t buf[APC_IDX_BLOCK_MAX];
    for (int attempt = 0; attempt < RETRIES; attempt++) {
        uint8_t e[ENT];
        ssize_t k = apc__pread_upto(dfd, e, ENT, APC_IDX_HDR + b * ENT);
        if (k < 0)
            return apc__err_errno((int)-k, "reading index '%s'", path);
        if (k < ENT)
            return 0;
        uint64_t off;
        uint32_t len, count;
        memcpy(&off, e, 8);
        memcpy(&len, e + 8, 4);
        memcpy(&count, e + 12, 4);
        if (len <= sizeof buf) {
            k = apc__pread_upto(bfd, buf, len, off);
            if (k < 0)
                return apc__err_errno((int)-k, "reading index '%s'", path);
            if (k == (ssize_t)len) {
                int n = apc__idxblk_decode(buf, len, out);
                if (n > 0 && (uint32_t)n == count)
                    return n;
            }
        }
    }
    return apc__err(APC_ESTORE, "index '%s': block %llu is damaged", path, (unsigned long long)b);
}

/* Writes the encoded full blocks and then their entries. */
static int write_out(apc__idxw_t *w)
{
    int r = 0;
    if (w->out_len && (r = apc__pwrite_all(w->bfd, w->out, w->out_len, w->out_at)) == 0)
        r = apc__pwrite_all(w->dfd, w->ents, w->n_ents * ENT, APC_IDX_HDR + w->ent_first * ENT);
    if (r < 0)
        return apc__err_errno(-r, "writing index '%s'", w->path);
    w->out_at += w->out_len;
    w->ent_first += w->n_ents;
    w->out_len = w->n_ents = 0;
    return 0;
}

/* Encodes cur[0..n-1] as block `blocks` into `out` with its entry. */
static int add_block(apc__idxw_t *w)
{
    if (w->out_len + APC_IDX_BLOCK_MAX > OUT_CAP || w->n_ents == MAX_ENTS) {
        int r = write_out(w);
        if (r < 0)
            return r;
    }
    size_t len = apc__idxblk_encode(w->cur, w->n, w->out + w->out_len);
    put_ent(w->ents + w->n_ents * ENT, w->out_at + w->out_len, (uint32_t)len, (uint32_t)w->n);
    w->out_len += len;
    w->n_ents++;
    return 0;
}

static int open_v1(apc__idxw_t *w, uint64_t committed)
{
    off_t end = (off_t)(APC_IDX_HDR + committed * sizeof(apc__idxrec_t));
    w->v1 = 1;
    if (!(w->v1buf = malloc(V1_BATCH * sizeof *w->v1buf)))
        return apc__err(APC_ENOMEM, "out of memory");
    if (ftruncate(w->dfd, end) != 0 || lseek(w->dfd, end, SEEK_SET) < 0)
        return apc__err_errno(errno, "cannot prepare index '%s'", w->path);
    return 0;
}

/* Format 2 after `committed` records: the directory cut to the blocks they fill, the records
 * of a partial last block back in `cur` (written again, whole, at the next flush). */
static int open_v2(apc__idxw_t *w, const char *dir, uint64_t committed)
{
    char dpath[4096];
    data_path(dpath, sizeof dpath, dir);
    w->bfd = open(dpath, O_RDWR | O_CREAT | O_CLOEXEC | (committed ? 0 : O_TRUNC), 0640);
    if (w->bfd < 0)
        return apc__err_errno(errno, "cannot open index '%s'", dpath);
    if (!(w->out = malloc(OUT_CAP)))
        return apc__err(APC_ENOMEM, "out of memory");
    uint8_t hdr[APC_IDX_HDR] = {0};
    memcpy(hdr, MAGIC, 8);
    uint32_t v = 2, bs = APC_IDX_BLOCK;
    memcpy(hdr + 8, &v, 4);
    memcpy(hdr + 12, &bs, 4);
    w->blocks = committed / APC_IDX_BLOCK;
    size_t rem = (size_t)(committed % APC_IDX_BLOCK);
    if (rem) {
        int n = read_block(w->dfd, w->bfd, w->path, w->blocks, w->cur);
        if (n >= 0 && (size_t)n < rem)
            n = apc__err(APC_ESTORE, "index '%s' holds fewer records than its capture's %llu",
                         w->path, (unsigned long long)committed);
        if (n < 0)
            return n;
        w->n = rem;
    }
    struct stat st;
    if (fstat(w->bfd, &st) != 0)
        return apc__err_errno(errno, "cannot open index '%s'", dpath);
    w->out_at = (uint64_t)st.st_size;
    w->ent_first = w->blocks;
    off_t end = (off_t)(APC_IDX_HDR + (w->blocks + (rem ? 1 : 0)) * ENT);
    if (apc__pwrite_all(w->dfd, hdr, sizeof hdr, 0) != 0 || ftruncate(w->dfd, end) != 0)
        return apc__err_errno(errno, "cannot prepare index '%s'", w->path);
    return 0;
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
    w->bfd = -1;
    w->dfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
    if (w->dfd < 0) {
        int r = apc__err_errno(errno, "cannot open index '%s'", path);
        free(w->path);
        free(w);
        return r;
    }
    int v = committed ? header_version(w->dfd) : 2;
    int r;
    if (v == 1)
        r = open_v1(w, committed);
    else if (v == 2)
        r = open_v2(w, dir, committed);
    else
        r = apc__err(APC_ESTORE, "'%s' is not a packet index (or is cut short)", path);
    if (r < 0) {
        apc__idxw_close(w);
        return r;
    }
    *out = w;
    return 0;
}

int apc__idxw_append(apc__idxw_t *w, const apc__idxrec_t *rec)
{
    if (w->v1) {
        if (w->n == V1_BATCH) {
            int r = apc__idxw_flush(w);
            if (r < 0)
                return r;
        }
        w->v1buf[w->n++] = *rec;
        return 0;
    }
    w->cur[w->n++] = *rec;
    if (w->n < APC_IDX_BLOCK)
        return 0;
    int r = add_block(w);
    if (r < 0) {
        w->n--;
        return r;
    }
    w->blocks++;
    w->n = 0;
    return 0;
}

int apc__idxw_flush(apc__idxw_t *w)
{
    if (w->v1) {
        if (w->n == 0)
            return 0;
        int r = apc__write_all(w->dfd, w->v1buf, w->n * sizeof(apc__idxrec_t));
        if (r < 0)
            return apc__err_errno(-r, "writing index '%s'", w->path);
        w->n = 0;
        return 0;
    }
    int r = write_out(w);
    if (r < 0 || !w->n)
        return r;
    /* The partial block, at the end of index.apd, then its entry (a new copy at each flush:
     * the old one stays valid for readers until the entry moves). */
    size_t len = apc__idxblk_encode(w->cur, w->n, w->out);
    uint8_t e[ENT];
    put_ent(e, w->out_at, (uint32_t)len, (uint32_t)w->n);
    if ((r = apc__pwrite_all(w->bfd, w->out, len, w->out_at)) == 0 &&
        (r = apc__pwrite_all(w->dfd, e, ENT, APC_IDX_HDR + w->blocks * ENT)) == 0)
        w->out_at += len;
    return r < 0 ? apc__err_errno(-r, "writing index '%s'", w->path) : 0;
}

void apc__idxw_close(apc__idxw_t *w)
{
    if (!w)
        return;
    if (w->dfd >= 0) {
        if (w->v1 || w->bfd >= 0)
            apc__idxw_flush(w);
        close(w->dfd);
    }
    if (w->bfd >= 0)
        close(w->bfd);
    free(w->out);
    free(w->v1buf);
    free(w->path);
    free(w);
}

static long read_v1(int fd, const char *path, uint64_t first, size_t n, apc__idxrec_t *out)
{
    ssize_t k = apc__pread_upto(fd, out, n * sizeof(apc__idxrec_t),
                                APC_IDX_HDR + first * sizeof(apc__idxrec_t));
    if (k < 0)
        return apc__err_errno((int)-k, "reading index '%s'", path);
    return (long)((size_t)k / sizeof(apc__idxrec_t));
}

static long read_v2(int dfd, const char *dir, const char *path, uint64_t first, size_t n,
                    apc__idxrec_t *out)
{
    char dpath[4096];
    data_path(dpath, sizeof dpath, dir);
    int bfd = open(dpath, O_RDONLY | O_CLOEXEC);
    if (bfd < 0)
        return apc__err_errno(errno, "cannot open index '%s'", dpath);
    apc__idxrec_t blk[APC_IDX_BLOCK];
    size_t got = 0;
    long r = 0;
    while (got < n) {
        uint64_t at = first + got, b = at / APC_IDX_BLOCK;
        int k = read_block(dfd, bfd, path, b, blk);
        if (k < 0)
            r = k;
        size_t skip = (size_t)(at % APC_IDX_BLOCK);
        if (k <= 0 || (size_t)k <= skip)
            break;
        size_t take = (size_t)k - skip;
        if (take > n - got)
            take = n - got;
        memcpy(out + got, blk + skip, take * sizeof *out);
        got += take;
        if (k < APC_IDX_BLOCK)
            break;
    }
    close(bfd);
    return r < 0 ? r : (long)got;
}

long apc__idx_read(const char *dir, uint64_t first, size_t n, apc__idxrec_t *out)
{
    char path[4096];
    apc__idx_path(path, sizeof path, dir);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return apc__err_errno(errno, "cannot open index '%s'", path);
    int v = header_version(fd);
    long r = v == 1   ? read_v1(fd, path, first, n, out)
             : v == 2 ? read_v2(fd, dir, path, first, n, out)
             : v == 0 ? 0
                      : apc__err(APC_ESTORE, "'%s' is not a packet index", path);
    close(fd);
    return r;
}

int apc__idx_truncate(const char *dir, uint64_t records)
{
    char path[4096];
    apc__idx_path(path, sizeof path, dir);
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? 0 : apc__err_errno(errno, "cannot cut index '%s'", path);
    int v = header_version(fd);
    close(fd);
    if (v == 1) {
        if (truncate(path, (off_t)(APC_IDX_HDR + records * sizeof(apc__idxrec_t))) != 0)
            return apc__err_errno(errno, "cannot cut index '%s'", path);
        return 0;
    }
    if (v != 2)
        return 0; /* nothing written yet */
    /* Reopening for appending after `records` cuts the directory and rewrites a partial last
     * block; closing writes it. */
    apc__idxw_t *w;
    int r = apc__idxw_open(&w, dir, records);
    if (r < 0)
        return r;
    apc__idxw_close(w);
    return 0;
}
