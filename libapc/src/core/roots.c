/* SPDX-License-Identifier: MIT */
/* Export and ingest roots (core/roots.h; docs/security.md "Files and roots"). */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/ctx.h"
#include "core/error.h"
#include "core/roots.h"

/* 1 when `dir` (a realpath) is `root` or below it. */
static int under(const char *dir, const char *root)
{
    size_t n = strlen(root);
    if (n == 1 && root[0] == '/')
        return 1;
    return strncmp(dir, root, n) == 0 && (dir[n] == 0 || dir[n] == '/');
}

int apc__roots_find(const char *roots, const char *real, char **match)
{
    *match = NULL;
    char *copy = strdup(roots ? roots : "");
    if (!copy)
        return apc__err(APC_ENOMEM, "out of memory");
    int found = 1;
    char *save = NULL;
    for (char *tok = strtok_r(copy, ":", &save); tok && found == 1;
         tok = strtok_r(NULL, ":", &save)) {
        if (tok[0] != '/')
            continue; /* a relative root would depend on the process's working directory */
        char *r = realpath(tok, NULL);
        if (r && under(real, r)) {
            *match = r;
            found = 0;
        } else {
            free(r);
        }
    }
    free(copy);
    return found;
}

char *apc__roots_export(apc_ctx_t *ctx)
{
    if (ctx->export_roots)
        return strdup(ctx->export_roots);
    return apc__ctx_path(ctx, "exports");
}

/* openat2 where the kernel has it (Linux 5.6); ENOSYS otherwise. */
static int open_beneath(int dirfd, const char *rel)
{
    struct open_how how = {
        .flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
        .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
    };
    long fd = syscall(SYS_openat2, dirfd, rel, &how, sizeof how);
    return fd < 0 ? -errno : (int)fd;
}

/* The same, one component at a time with O_NOFOLLOW ("..", "." refused). */
static int open_walk(int dirfd, const char *rel)
{
    char *copy = strdup(rel);
    if (!copy)
        return -ENOMEM;
    int fd = dup(dirfd);
    char *save = NULL;
    for (char *c = strtok_r(copy, "/", &save); fd >= 0 && c; c = strtok_r(NULL, "/", &save)) {
        if (strcmp(c, "..") == 0 || strcmp(c, ".") == 0) {
            close(fd);
            fd = -EXDEV;
            break;
        }
        int next = openat(fd, c, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        int e = errno;
        close(fd);
        fd = next < 0 ? -e : next;
    }
    free(copy);
    return fd;
}

int apc__roots_open_dir(const char *root, const char *rel)
{
    int rfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (rfd < 0)
        return -errno;
    if (!rel || !*rel)
        return rfd;
    int fd = open_beneath(rfd, rel);
    if (fd == -ENOSYS || fd == -EPERM) /* no openat2, or a seccomp filter refusing it */
        fd = open_walk(rfd, rel);
    close(rfd);
    return fd;
}

int apc__roots_ingest_check(apc_ctx_t *ctx, const char *path, const char *real)
{
    if (!ctx->ingest_roots)
        return 0;
    char *uploads = apc__ctx_path(ctx, "uploads");
    char *match = NULL;
    int r = uploads ? apc__roots_find(ctx->ingest_roots, real, &match) : -1;
    free(match);
    if (r == 1) {
        r = apc__roots_find(uploads, real, &match);
        free(match);
    }
    free(uploads);
    if (r < 0)
        return apc__err(APC_ENOMEM, "out of memory");
    if (r == 1)
        return apc__err(APC_EPERM,
                        "'%s' is outside the ingest roots (%s, and the data directory's "
                        "uploads): the operator sets ingest_roots in apcd's config",
                        path, ctx->ingest_roots);
    return 0;
}
