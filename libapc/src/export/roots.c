/* SPDX-License-Identifier: MIT */
/*
 * Where exports may be written: inside the export roots only (DESIGN.md section 9), which the
 * operator sets (apc_ctx_options_t.export_roots; default <data>/exports; core/roots.c). Paths
 * are compared after realpath() here, and the job later creates the file relative to the
 * opened root (export.c), so a directory swapped for a link in between cannot leave it.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <apc/capture.h>

#include "core/ctx.h"
#include "core/error.h"
#include "core/fsutil.h"
#include "core/roots.h"
#include "export/export_int.h"

int apc__export_dir(apc_ctx_t *ctx, char **out)
{
    char *d = apc__ctx_path(ctx, "exports");
    if (!d)
        return apc__err(APC_ENOMEM, "out of memory");
    int r = apc__mkdir_p(d, 0750);
    if (r < 0) {
        free(d);
        return r;
    }
    *out = d;
    return 0;
}

/* Checks that directory `dir` (a realpath) lies inside an export root; its realpath in *root. */
static int check_roots(apc_ctx_t *ctx, const char *dir, const char *shown, char **root)
{
    char *roots = apc__roots_export(ctx);
    if (!roots)
        return apc__err(APC_ENOMEM, "out of memory");
    int r = apc__roots_find(roots, dir, root);
    if (r == 1)
        r = apc__err(APC_EPERM,
                     "'%s' is outside the export roots (%s); choose a path inside one (the "
                     "operator sets export_roots in apcd's config)",
                     shown, roots);
    else if (r < 0)
        r = apc__err(APC_ENOMEM, "out of memory");
    free(roots);
    return r;
}

static char *join(const char *dir, const char *name)
{
    char *p = NULL;
    if (asprintf(&p, "%s%s%s", dir, strcmp(dir, "/") ? "/" : "", name) < 0)
        return NULL;
    return p;
}

/* <kind>-<id>-<UTC time>.pcapng, with -2, -3... when taken. */
static char *generated(const char *dir, const char *kind, int64_t id)
{
    char stamp[32];
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
    for (int i = 1; i < 10000; i++) {
        char name[128];
        if (i == 1)
            snprintf(name, sizeof name, "%s-%lld-%s.pcapng", kind, (long long)id, stamp);
        else
            snprintf(name, sizeof name, "%s-%lld-%s-%d.pcapng", kind, (long long)id, stamp, i);
        char *p = join(dir, name);
        struct stat st;
        if (!p || lstat(p, &st) != 0)
            return p;
        free(p);
    }
    return NULL;
}

int apc__export_resolve(apc_ctx_t *ctx, const char *kind, int64_t id, const char *path,
                        int overwrite, char **out, char **root)
{
    *out = NULL;
    *root = NULL;
    char *dir = NULL, *final = NULL;
    const char *name = NULL;
    int r = 0;
    struct stat st;
    /* The default folder is made on first use, also when a path names a file in it
     * (<data>/exports/x.pcapng on a fresh data directory). */
    char *home = NULL; /* set when apc__export_dir succeeds; -O3 cannot see it */
    if ((r = apc__export_dir(ctx, &home)) < 0)
        return r;
    if (!path || !*path)
        dir = realpath(home, NULL);
    free(home);
    if (!path || !*path) {
        if (!dir)
            return apc__err_errno(errno, "cannot resolve the export directory");
    } else if (path[0] != '/') {
        return apc__err(APC_EINVAL, "export path '%s' is not absolute", path);
    } else if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        dir = realpath(path, NULL);
        if (!dir)
            return apc__err_errno(errno, "cannot resolve '%s'", path);
    } else {
        const char *slash = strrchr(path, '/');
        name = slash + 1;
        if (!*name || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
            return apc__err(APC_EINVAL, "export path '%s' does not name a file", path);
        if (strlen(name) > NAME_MAX)
            return apc__err(APC_ELIMIT, "file name in '%s' is longer than %d bytes", path,
                            NAME_MAX);
        char *parent = strndup(path, slash == path ? 1 : (size_t)(slash - path));
        if (!parent)
            return apc__err(APC_ENOMEM, "out of memory");
        dir = realpath(parent, NULL);
        if (!dir) {
            r = errno == ENOENT || errno == ENOTDIR
                    ? apc__err(APC_ENOTFOUND, "directory '%s' does not exist", parent)
                    : apc__err_errno(errno, "cannot resolve '%s'", parent);
            free(parent);
            return r;
        }
        free(parent);
    }
    r = check_roots(ctx, dir, path && *path ? path : dir, root);
    if (r == 0) {
        final = name ? join(dir, name) : generated(dir, kind, id);
        if (!final)
            r = apc__err(APC_ENOMEM, "out of memory");
    }
    if (r == 0 && lstat(final, &st) == 0) {
        if (S_ISDIR(st.st_mode))
            r = apc__err(APC_EEXISTS, "'%s' is a directory", final);
        else if (!overwrite)
            r = apc__err(APC_EEXISTS, "'%s' already exists; pass overwrite=1 to replace it", final);
    }
    free(dir);
    if (r < 0) {
        free(final);
        free(*root);
        *root = NULL;
        return r;
    }
    *out = final;
    return 0;
}
