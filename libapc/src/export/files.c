/* SPDX-License-Identifier: MIT */
/*
 * The exports of every export root: list with provenance (table export_files), delete.
 * A root's top level is listed whole (the operator made it a place for exports); deeper, only
 * what this library recorded writing. <data>/exports keeps bare file names (the names clients
 * have always used); a file of any other root is named by its absolute path, which is unique.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/ctx.h"
#include "core/error.h"
#include "core/roots.h"
#include "export/export_int.h"
#include "store/exports.h"

static void file_free(apc_export_file_t *f)
{
    free(f->name);
    free(f->command_uid);
    free(f->path);
    free(f->root);
}

APC_API void apc_export_list_free(apc_export_list_t *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->count; i++)
        file_free(&l->files[i]);
    free(l->files);
    free(l);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const apc_export_file_t *)a)->name, ((const apc_export_file_t *)b)->name);
}

/* What a listing is built with: the list, its capacity, the default folder's realpath, and
 * the store that knows where recorded files came from. */
typedef struct lister {
    apc_export_list_t *l;
    size_t cap;
    const char *home; /* realpath of <data>/exports */
    const char *data; /* realpath of <data> */
    apc__store_t *store;
    const char *roots; /* for add_recorded */
} lister_t;

/* Fills capture/search/command of f from the record of its path, if any. */
static int provenance(apc__store_t *s, apc_export_file_t *f)
{
    apc__st_export_origin_t o = {0};
    int r = apc__exports_origin(s, f->path, &o);
    if (r == 1) {
        f->capture_id = o.capture_id;
        f->search_id = o.search_id;
        free(f->command_uid);
        f->command_uid = o.command_uid;
    }
    return r < 0 ? r : 0;
}

static int has_path(const apc_export_list_t *l, const char *path)
{
    for (size_t i = 0; i < l->count; i++)
        if (strcmp(l->files[i].path, path) == 0)
            return 1;
    return 0;
}

/* Adds file `path` (a realpath inside `root`) when it is a regular file not listed yet. */
static int add_file(lister_t *b, const char *root, const char *path)
{
    const char *slash = strrchr(path, '/');
    size_t dirlen = (size_t)(slash - path), datalen = strlen(b->data);
    int home = strlen(b->home) == dirlen && strncmp(path, b->home, dirlen) == 0;
    /* A root that holds the data directory must not offer the store's own files to
     * export_delete: inside <data>, only <data>/exports and roots the operator made inside
     * <data> hold exports. */
    if (!home && strncmp(path, b->data, datalen) == 0 && path[datalen] == '/' &&
        !(strncmp(root, b->data, datalen) == 0 && root[datalen] == '/'))
        return 0;
    struct stat sb;
    if (lstat(path, &sb) != 0 || !S_ISREG(sb.st_mode) || has_path(b->l, path))
        return 0;
    apc_export_list_t *l = b->l;
    if (l->count == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 16;
        apc_export_file_t *nf = realloc(l->files, cap * sizeof *nf);
        if (!nf)
            return apc__err(APC_ENOMEM, "out of memory");
        l->files = nf;
        b->cap = cap;
    }
    apc_export_file_t *f = &l->files[l->count];
    memset(f, 0, sizeof *f);
    f->name = strdup(home ? slash + 1 : path);
    f->command_uid = strdup("");
    f->path = strdup(path);
    f->root = strdup(root);
    if (!f->name || !f->command_uid || !f->path || !f->root) {
        file_free(f);
        return apc__err(APC_ENOMEM, "out of memory");
    }
    l->count++;
    f->size = (uint64_t)sb.st_size;
    f->created = (apc_time_t)sb.st_mtim.tv_sec * 1000000000LL + sb.st_mtim.tv_nsec;
    return provenance(b->store, f);
}

/* The top level of root `real` (a realpath). A root that cannot be read is skipped with a
 * warning: one unmounted root must not hide the exports of the others. */
static int add_root(apc_ctx_t *ctx, lister_t *b, const char *real)
{
    DIR *d = opendir(real);
    if (!d) {
        apc__log(ctx, APC_LOG_WARN, "export_list: cannot read export root '%s': %s", real,
                 strerror(errno));
        return 0;
    }
    int r = 0;
    struct dirent *e;
    while (r == 0 && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') /* ".", "..", and exports being written */
            continue;
        char path[PATH_MAX + 256];
        if ((size_t)snprintf(path, sizeof path, "%s/%s", real, e->d_name) >= sizeof path)
            continue;
        r = add_file(b, real, path);
    }
    closedir(d);
    return r;
}

/* A recorded export: listed when it is still there, inside a root. */
static int add_recorded(const char *path, void *payload)
{
    lister_t *b = payload;
    char *real = realpath(path, NULL);
    char *root = NULL;
    int r = 0;
    if (real && real[0] == '/' && apc__roots_find(b->roots, real, &root) == 0)
        r = add_file(b, root, real);
    free(root);
    free(real);
    return r;
}

APC_API int apc_export_list(apc_ctx_t *ctx, apc_export_list_t **out)
{
    if (!ctx || !out)
        return apc__err(APC_EINVAL, "NULL argument");
    *out = NULL;
    char *dir;
    int r = apc__export_dir(ctx, &dir);
    if (r < 0)
        return r;
    char *home = realpath(dir, NULL);
    if (!home) {
        r = apc__err_errno(errno, "cannot read '%s'", dir);
        free(dir);
        return r;
    }
    free(dir);
    char *roots = apc__roots_export(ctx);
    char *data = realpath(apc_ctx_data_dir(ctx), NULL);
    lister_t b = {.l = calloc(1, sizeof *b.l), .home = home, .data = data, .store = ctx->store};
    r = !b.l || !roots || !data ? apc__err(APC_ENOMEM, "out of memory") : 0;
    /* <data>/exports first, whether or not it is one of the roots: exports were always there. */
    if (r == 0)
        r = add_root(ctx, &b, home);
    for (char *save = NULL, *one = r == 0 ? strtok_r(roots, ":", &save) : NULL; r == 0 && one;
         one = strtok_r(NULL, ":", &save)) {
        char *real = one[0] == '/' ? realpath(one, NULL) : NULL;
        if (real)
            r = add_root(ctx, &b, real);
        free(real);
    }
    /* Then exports recorded deeper inside a root (capture_export into a sub-folder). */
    if (r == 0) {
        char *again = apc__roots_export(ctx); /* strtok_r cut the first copy */
        b.roots = again;
        r = again ? apc__exports_paths(ctx->store, add_recorded, &b)
                  : apc__err(APC_ENOMEM, "out of memory");
        free(again);
    }
    free(roots);
    free(data);
    free(home);
    if (r < 0) {
        apc_export_list_free(b.l);
        return r;
    }
    if (b.l->count)
        qsort(b.l->files, b.l->count, sizeof *b.l->files, by_name);
    *out = b.l;
    return 0;
}

static int check_name(const char *name)
{
    if ((name[0] != '/' && strchr(name, '/')) || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return apc__err(APC_EINVAL,
                        "'%s' is not a file name: give the name of a file in the export folder "
                        "as export_list shows it",
                        name);
    return 0;
}

static int remove_one(apc_ctx_t *ctx, const apc_export_file_t *f)
{
    struct stat sb;
    if (lstat(f->path, &sb) != 0 || !S_ISREG(sb.st_mode))
        return apc__err(APC_ENOTFOUND, "export '%s' not found", f->name);
    if (unlink(f->path) != 0)
        return apc__err_errno(errno, "cannot delete '%s'", f->path);
    /* The file is gone: a record left behind is only listed if the path comes back. */
    if (apc__exports_forget(ctx->store, f->path) < 0)
        apc__log(ctx, APC_LOG_WARN, "%s", apc_last_error_message());
    return 0;
}

/* Deleted by "delete all": the files of <data>/exports, and the ones this library wrote. */
static int ours(const apc_export_file_t *f)
{
    return f->name[0] != '/' || f->capture_id || f->search_id || f->command_uid[0];
}

APC_API int apc_export_delete(apc_ctx_t *ctx, const char *name, uint64_t *out_deleted)
{
    if (!ctx)
        return apc__err(APC_EINVAL, "NULL context");
    if (out_deleted)
        *out_deleted = 0;
    if (name && *name) {
        int r = check_name(name);
        if (r < 0)
            return r;
    }
    apc_export_list_t *l = NULL;
    int r = apc_export_list(ctx, &l);
    uint64_t n = 0;
    if (r == 0 && name && *name) {
        const apc_export_file_t *f = NULL;
        for (size_t i = 0; !f && i < l->count; i++)
            if (strcmp(l->files[i].name, name) == 0)
                f = &l->files[i];
        r = f ? remove_one(ctx, f) : apc__err(APC_ENOTFOUND, "export '%s' not found", name);
        n = r == 0;
    } else {
        for (size_t i = 0; r == 0 && l && i < l->count; i++) {
            if (!ours(&l->files[i]))
                continue;
            r = remove_one(ctx, &l->files[i]);
            if (r == APC_ENOTFOUND) /* deleted meanwhile: that is what was asked */
                r = 0;
            else if (r == 0)
                n++;
        }
    }
    apc_export_list_free(l);
    if (out_deleted)
        *out_deleted = n;
    return r;
}
