/* SPDX-License-Identifier: MIT */
/* Written files (apc/extract.h): carving one stream to <data>/extracted/<capture>/, the list of
 * written files, deleting them. */
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <apc/capture.h>
#include <apc/extract.h>

#include "core/ctx.h"
#include "core/error.h"
#include "core/fsutil.h"
#include "extract/detect.h"
#include "store/extracts.h"
#include "util/clock.h"

#define SAFE_MAX 96

/* The last segment of the name seen (query and fragment dropped), reduced to [A-Za-z0-9._-],
 * never starting with a dot: nothing from the traffic chooses where the file goes. */
static void safe_name(char out[SAFE_MAX + 1], const char *seen)
{
    const char *s = seen ? seen : "";
    size_t end = strcspn(s, "?#");
    size_t start = end;
    while (start > 0 && s[start - 1] != '/' && s[start - 1] != '\\')
        start--;
    size_t n = 0;
    for (size_t i = start; i < end && n < SAFE_MAX; i++) {
        char c = s[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '.' || c == '_' || c == '-';
        if (n == 0 && c == '.')
            continue;
        out[n++] = ok ? c : '_';
    }
    out[n] = '\0';
    if (n == 0)
        snprintf(out, SAFE_MAX + 1, "file");
}

typedef struct carve {
    int fd;
    EVP_MD_CTX *sha;
    uint64_t size;
    const apc_extract_stream_t *x; /* the file written */
    char *mime;                    /* its type, when it had none yet (extract/typing.h) */
    char sha256[65], md5[33];      /* and its digests then, as the replay found them */
} carve_t;

static int carve_write(void *payload, const uint8_t *data, size_t len)
{
    carve_t *c = payload;
    if (apc__write_all(c->fd, data, len) < 0)
        return apc__err_errno(errno, "cannot write the extracted file");
    EVP_DigestUpdate(c->sha, data, len);
    c->size += len;
    return 0;
}

static int is_target(const apc_extract_stream_t *t, int64_t conn_id, int direction, uint32_t nth)
{
    return t->conn_id == conn_id && t->direction == direction && t->nth == nth;
}

/* The file written is typed and hashed on the way when the examination left it so. */
static int carve_want(void *payload, int64_t conn_id, int direction, uint32_t nth)
{
    const carve_t *c = payload;
    return !c->x->mime[0] && is_target(c->x, conn_id, direction, nth);
}

static int carve_found(void *payload, const apc_extract_stream_t *x)
{
    carve_t *c = payload;
    if (!is_target(c->x, x->conn_id, x->direction, x->nth))
        return 0;
    if (x->mime[0] && !c->mime && !(c->mime = strdup(x->mime)))
        return apc__err(APC_ENOMEM, "out of memory");
    memcpy(c->sha256, x->sha256, sizeof c->sha256);
    memcpy(c->md5, x->md5, sizeof c->md5);
    return 1; /* every byte of it was written: the rest of the capture is not needed */
}

/* Opens a new file <dir>/<stream>-<name>, or <stream>-<k>-<name> when written before. */
static int open_new(const char *dir, int64_t stream_id, const char *safe, char **path_out)
{
    for (int k = 1; k < 1000; k++) {
        char *path = NULL;
        int n = k == 1 ? asprintf(&path, "%s/%lld-%s", dir, (long long)stream_id, safe)
                       : asprintf(&path, "%s/%lld-%d-%s", dir, (long long)stream_id, k, safe);
        if (n < 0)
            return apc__err(APC_ENOMEM, "out of memory");
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0640);
        if (fd >= 0) {
            *path_out = path;
            return fd;
        }
        int e = errno;
        if (e != EEXIST) {
            int r = apc__err_errno(e, "cannot create '%s'", path);
            free(path);
            return r;
        }
        free(path);
    }
    return apc__err(APC_ELIMIT, "stream %lld was written 999 times already", (long long)stream_id);
}

/* Writes x's bytes to fd; when x was untyped, its type (*mime, caller's) and digests found on
 * the way are put in x. */
static int carve(apc_ctx_t *ctx, apc_extract_stream_t *x, const char *path, int fd, char **mime)
{
    carve_t c = {.fd = fd, .sha = EVP_MD_CTX_new(), .x = x};
    if (!c.sha || !EVP_DigestInit_ex(c.sha, EVP_sha256(), NULL)) {
        EVP_MD_CTX_free(c.sha);
        return apc__err(APC_ENOMEM, "out of memory");
    }
    /* a file joined from 206 ranges may span connections: the whole capture is read again */
    int ranges = strcmp(x->protocol, "http-ranges") == 0;
    apc__xtrun_t run = {.ctx = ctx,
                        .capture_id = x->capture_id,
                        .only_conn = ranges ? 0 : x->conn_id,
                        .range_conn = ranges ? x->conn_id : 0,
                        .dir = x->direction,
                        .nth = x->nth,
                        .ftp_data = strcmp(x->protocol, "ftp-data") == 0,
                        .tftp = strcmp(x->protocol, "tftp") == 0,
                        .write = carve_write,
                        .found = carve_found,
                        .want_type = carve_want, /* untyped: typed and hashed */
                        .payload = &c};
    int r = apc__extract_run(&run);
    *mime = c.mime;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    EVP_DigestFinal_ex(c.sha, md, &n);
    EVP_MD_CTX_free(c.sha);
    if (r == 0 && fsync(fd) != 0)
        r = apc__err_errno(errno, "cannot write '%s'", path);
    if (r < 0)
        return r;
    char hex[65];
    for (unsigned i = 0; i < 32 && i < n; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    if (!x->sha256[0]) {
        /* unhashed until now: what was written is checked against the replay's digest, and
         * the size against the examination's */
        memcpy(x->sha256, c.sha256, sizeof x->sha256);
        memcpy(x->md5, c.md5, sizeof x->md5);
    }
    if (c.size != x->size || strcmp(hex, x->sha256) != 0)
        return apc__err(APC_EIO,
                        "stream %lld of capture %lld: the stored packets now give %llu bytes "
                        "(SHA-256 %.16s...) where %llu (%.16s...) were found; examine the "
                        "capture again",
                        (long long)x->id, (long long)x->capture_id, (unsigned long long)c.size, hex,
                        (unsigned long long)x->size, x->sha256);
    return 0;
}

APC_API int apc_extract_file_write(apc_ctx_t *ctx, int64_t capture_id, int64_t stream_id,
                                   apc_extract_file_t **out)
{
    if (!ctx || !out)
        return apc__err(APC_EINVAL, "ctx and out must not be NULL");
    *out = NULL;
    if (ctx->read_only)
        return apc__err(APC_ENOTSUP, "the context is read-only: it writes no files");
    int state = 0;
    int r = apc__st_extract_run(ctx->store, capture_id, &state, NULL, NULL);
    if (r < 0)
        return r;
    if (state != APC__XRUN_DONE)
        return apc__err(APC_EBUSY,
                        "capture %lld has not been examined yet: extract_query starts it",
                        (long long)capture_id);
    apc_extract_stream_t x;
    if ((r = apc__st_extract_stream(ctx->store, capture_id, stream_id, &x)) < 0)
        return r;
    char rel[64], safe[SAFE_MAX + 1];
    snprintf(rel, sizeof rel, "extracted/%lld", (long long)capture_id);
    safe_name(safe, x.name);
    char *dir = apc__ctx_path(ctx, rel), *path = NULL;
    if (!dir)
        r = apc__err(APC_ENOMEM, "out of memory");
    else if (apc__mkdir_p(dir, 0750) < 0)
        r = apc__err_errno(errno, "cannot create '%s'", dir);
    int fd = r < 0 ? r : open_new(dir, stream_id, safe, &path);
    char *mime = NULL;
    if (fd >= 0) {
        r = carve(ctx, &x, path, fd, &mime);
        close(fd);
    } else {
        r = fd;
    }
    if (r == 0 && !x.mime[0]) {
        /* typed and hashed on the way: stored for the listings too */
        apc__st_xtyped_t t = {stream_id, mime, x.sha256, x.md5};
        if (!mime || !x.sha256[0])
            r = apc__err(APC_EIO, "stream %lld of capture %lld: the replay did not type it",
                         (long long)stream_id, (long long)capture_id);
        else
            r = apc__st_extract_set_types(ctx->store, capture_id, &t, 1);
        if (r == 0) {
            free(x.mime);
            x.mime = mime;
            mime = NULL;
        }
    }
    free(mime);
    apc_extract_file_t *f = r < 0 ? NULL : calloc(1, sizeof *f);
    if (r == 0 && !f)
        r = apc__err(APC_ENOMEM, "out of memory");
    if (r == 0) {
        f->capture_id = capture_id;
        f->stream_id = stream_id;
        f->path = path;
        path = NULL;
        f->name = strdup(x.name);
        f->size = x.size;
        f->mime = strdup(x.mime);
        memcpy(f->sha256, x.sha256, sizeof f->sha256);
        f->time = apc__real_ns();
        f->complete = x.complete;
        f->pid = x.pid;
        f->process_name = strdup(x.process_name);
        f->process_path = strdup(x.process_path);
        if (!f->name || !f->mime || !f->process_name || !f->process_path)
            r = apc__err(APC_ENOMEM, "out of memory");
        if (r == 0)
            r = apc__st_extract_file_add(ctx->store, f);
        if (r < 0)
            unlink(f->path);
    } else if (path) {
        unlink(path); /* nothing half-written stays */
    }
    free(path);
    free(dir);
    apc__st_extract_stream_clear(&x);
    if (r < 0) {
        apc_extract_file_free(f);
        return r;
    }
    *out = f;
    return 0;
}

APC_API int apc_extract_file_list(apc_ctx_t *ctx, int64_t capture_id, apc_extract_file_list_t **out)
{
    if (!ctx || !out)
        return apc__err(APC_EINVAL, "ctx and out must not be NULL");
    *out = NULL;
    if (capture_id < 0)
        return apc__err(APC_EINVAL, "capture_id must not be negative");
    apc_extract_file_list_t *l = calloc(1, sizeof *l);
    if (!l)
        return apc__err(APC_ENOMEM, "out of memory");
    int r = apc__st_extract_files(ctx->store, capture_id, 0, l);
    if (r < 0) {
        apc_extract_file_list_free(l);
        return r;
    }
    *out = l;
    return 0;
}

APC_API int apc_extract_file_delete(apc_ctx_t *ctx, int64_t capture_id, int64_t file_id,
                                    size_t *out_count)
{
    if (!ctx)
        return apc__err(APC_EINVAL, "ctx is NULL");
    if (out_count)
        *out_count = 0;
    if (capture_id <= 0 || file_id < 0)
        return apc__err(APC_EINVAL, "capture_id must be positive and file_id not negative");
    apc_extract_file_list_t l = {0};
    int r = apc__st_extract_files(ctx->store, capture_id, file_id, &l);
    char *root = apc__ctx_path(ctx, "extracted/");
    if (r == 0 && !root)
        r = apc__err(APC_ENOMEM, "out of memory");
    size_t done = 0;
    for (size_t i = 0; r == 0 && i < l.count; i++) {
        const char *p = l.items[i].path;
        /* only a file of ours is removed, whatever the row says */
        if (strncmp(p, root, strlen(root)) == 0 && strstr(p, "/../") == NULL && unlink(p) != 0 &&
            errno != ENOENT) {
            r = apc__err_errno(errno, "cannot delete '%s'", p);
            break;
        }
        r = apc__st_extract_file_remove(ctx->store, l.items[i].id);
        if (r == 0)
            done++;
    }
    free(root);
    for (size_t i = 0; i < l.count; i++) {
        apc_extract_file_t *f = &l.items[i];
        free(f->path);
        free(f->name);
        free(f->mime);
        free(f->process_name);
        free(f->process_path);
    }
    free(l.items);
    if (out_count)
        *out_count = done;
    return r;
}
