/* SPDX-License-Identifier: MIT */
/*
 * Files a killed process left half-written, removed at open (docs/storage.md "Crash repair"):
 *  - uploads being received by apcd: <data>/uploads/upload-* (apcd/upload.c names them);
 *  - exports being written: ".<final name>.XXXXXX" next to the final file (export/export.c
 *    writes to such a temporary and renames it into place), in <data>/exports and in the
 *    operator's export roots (core/roots.h), with their subdirectories.
 * The data directory is locked by this process (lib/ctx_open.c), so nothing of ours is being
 * written while this runs: every match inside it goes. An export root outside the data
 * directory may be shared with another data directory's process writing its own export right
 * now, so there a temporary goes only once unmodified for SWEEP_AGE seconds (a running export
 * writes continuously). The walk never follows a symbolic link, stays on the device of the
 * root it started from, and stops after SWEEP_MAX entries per root (an export root of "/"
 * must not make every open walk the whole system).
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/ctx.h"
#include "core/error.h"
#include "store/repair.h"
#include "store/sql.h"

#define SWEEP_MAX 200000
#define SWEEP_DEPTH 16
#define SWEEP_AGE 600

typedef struct sweep {
    apc_ctx_t *ctx;
    int (*match)(const char *name);
    int recurse;
    time_t older_than; /* only files modified before it; 0 = any */
    dev_t dev;
    unsigned long visited, removed;
    unsigned long long bytes;
} sweep_t;

/* ".<name>.XXXXXX": mkostemp's six characters are letters and digits. */
/* ".<final name>.<12 hex digits>" (export/export.c), or ".<name>.XXXXXX" of older versions. */
static int is_export_tmp(const char *n)
{
    size_t l = strlen(n);
    for (size_t k = 12; k >= 6; k -= 6) {
        if (l < k + 3 || n[0] != '.' || n[l - k - 1] != '.')
            continue;
        size_t i = l - k;
        while (i < l && (k == 12 ? isxdigit((unsigned char)n[i]) : isalnum((unsigned char)n[i])))
            i++;
        if (i == l)
            return 1;
    }
    return 0;
}

static int is_upload(const char *n)
{
    return strncmp(n, "upload-", 7) == 0;
}

/* Walks the directory open on dfd (taking it over), removing what matches. */
static void sweep_fd(sweep_t *s, int dfd, int depth)
{
    DIR *d = fdopendir(dfd);
    if (!d) {
        close(dfd);
        return;
    }
    struct dirent *e;
    while (s->visited < SWEEP_MAX && (e = readdir(d)) != NULL) {
        s->visited++;
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        struct stat st;
        if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
            continue;
        if (S_ISREG(st.st_mode) && s->match(e->d_name) &&
            (!s->older_than || st.st_mtime < s->older_than)) {
            if (unlinkat(dirfd(d), e->d_name, 0) == 0) {
                s->removed++;
                s->bytes += (unsigned long long)st.st_size;
            } else {
                apc__log(s->ctx, APC_LOG_WARN, "cannot remove the leftover '%s': %s", e->d_name,
                         strerror(errno));
            }
        } else if (S_ISDIR(st.st_mode) && s->recurse && depth < SWEEP_DEPTH &&
                   st.st_dev == s->dev) {
            int sub = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (sub >= 0)
                sweep_fd(s, sub, depth + 1);
        }
    }
    closedir(d);
}

static void sweep(apc_ctx_t *ctx, const char *dir, int (*match)(const char *), int recurse,
                  time_t older_than)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return; /* not there: nothing left behind */
    struct stat st;
    if (fstat(fd, &st) != 0) {
        close(fd);
        return;
    }
    sweep_t s = {
        .ctx = ctx, .match = match, .recurse = recurse, .older_than = older_than, .dev = st.st_dev};
    sweep_fd(&s, fd, 0);
    if (s.removed)
        apc__log(ctx, APC_LOG_WARN,
                 "removed %lu unfinished %s (%llu bytes) left in '%s' by a process that stopped",
                 s.removed, match == is_upload ? "upload(s)" : "export file(s)", s.bytes, dir);
}

/* 1 when `dir` is the data directory or inside it (both as given: roots are absolute). */
static int in_data_dir(const apc_ctx_t *ctx, const char *dir)
{
    size_t n = strlen(ctx->data_dir);
    return strncmp(dir, ctx->data_dir, n) == 0 && (dir[n] == '\0' || dir[n] == '/');
}

void apc__store_sweep_leftovers(apc_ctx_t *ctx, sqlite3 *db)
{
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/uploads", ctx->data_dir);
    sweep(ctx, dir, is_upload, 0, 0);
    snprintf(dir, sizeof dir, "%s/exports", ctx->data_dir);
    sweep(ctx, dir, is_export_tmp, 1, 0);

    /* The operator's export roots (a ':'-separated list; core/roots.c). */
    (void)db;
    if (!ctx->export_roots)
        return;
    char *roots = strdup(ctx->export_roots);
    if (!roots)
        return;
    char *save = NULL;
    for (char *r = strtok_r(roots, ":", &save); r; r = strtok_r(NULL, ":", &save)) {
        if (r[0] != '/')
            continue;
        int ours = in_data_dir(ctx, r);
        sweep(ctx, r, is_export_tmp, 1, ours ? 0 : time(NULL) - SWEEP_AGE);
    }
    free(roots);
}
