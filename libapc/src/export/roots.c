/* SPDX-License-Identifier: MIT */
/*
 * Where exports may be written: inside the export roots only (DESIGN.md section 9). The setting
 * "export_roots" lists directories separated by ':' (default: <data>/exports). Paths are
 * compared after realpath(), so "..", symbolic links and doubled slashes cannot leave a root.
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

/* 1 when `dir` (a realpath) is `root` or below it. */
static int under(const char *dir, const char *root)
{
    size_t n = strlen(root);
    if (n == 1 && root[0] == '/')
        return 1;
    return strncmp(dir, root, n) == 0 && (dir[n] == 0 || dir[n] == '/');
}

/* Checks that directory `dir` (a realpath) lies inside a root. */
static int check_roots(apc_ctx_t *ctx, const char *dir, const char *shown)
{
    char *setting = NULL;
    int r = apc_settings_get(ctx, "export_roots", &setting);
    if (r == APC_ENOTFOUND || (r == 0 && !*setting)) {
        free(setting);
        setting = NULL;
        char *d;
        if ((r = apc__export_dir(ctx, &d)) < 0)
            return r;
        setting = d;
    } else if (r < 0) {
        return r;
    }
    int ok = 0;
    char *save = NULL;
    char *copy = strdup(setting);
    if (!copy) {
        free(setting);
        return apc__err(APC_ENOMEM, "out of memory");
    }
    for (char *tok = strtok_r(copy, ":", &save); tok && !ok; tok = strtok_r(NULL, ":", &save)) {
        if (tok[0] != '/')
            continue; /* a relative root would depend on the daemon's working directory */
        char *real = realpath(tok, NULL);
        if (!real)
            continue;
        ok = under(dir, real);
        free(real);
    }
    free(copy);
    if (!ok)
        r = apc__err(APC_EPERM,
                     "'%s' is outside the export roots (%s); choose a path inside one, or add "
                     "its directory to the setting export_roots",
                     shown, setting);
    free(setting);
    return ok ? 0 : r;
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
                        int overwrite, char **out)
{
    *out = NULL;
    char *dir = NULL, *final = NULL;
    const char *name = NULL;
    int r = 0;
    struct stat st;
    if (!path || !*path) {
        char *d;
        if ((r = apc__export_dir(ctx, &d)) < 0)
            return r;
        dir = realpath(d, NULL);
        free(d);
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
    r = check_roots(ctx, dir, path && *path ? path : dir);
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
        return r;
    }
    *out = final;
    return 0;
}
