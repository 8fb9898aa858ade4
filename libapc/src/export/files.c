/* SPDX-License-Identifier: MIT */
/* Export files in <data>/exports: list with provenance (table export_files), delete. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/ctx.h"
#include "core/error.h"
#include "export/export_int.h"
#include "store/sql.h"
#include "store/store.h"

APC_API void apc_export_list_free(apc_export_list_t *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->count; i++) {
        free(l->files[i].name);
        free(l->files[i].command_uid);
    }
    free(l->files);
    free(l);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const apc_export_file_t *)a)->name, ((const apc_export_file_t *)b)->name);
}

/* Fills capture/search/command of f from the record of its path, if any. */
static void provenance(sqlite3 *db, sqlite3_stmt *st, const char *path, apc_export_file_t *f)
{
    (void)db;
    sqlite3_reset(st);
    sqlite3_bind_text(st, 1, path, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) == SQLITE_ROW) {
        f->capture_id = sqlite3_column_int64(st, 0);
        f->search_id = sqlite3_column_int64(st, 1);
        char *u = apc__sql_text(st, 2);
        if (u) {
            free(f->command_uid);
            f->command_uid = u;
        }
    }
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
    char *real = realpath(dir, NULL);
    DIR *d = real ? opendir(real) : NULL;
    if (!d) {
        r = apc__err_errno(errno, "cannot read '%s'", dir);
        free(real);
        free(dir);
        return r;
    }
    free(dir);
    apc_export_list_t *l = calloc(1, sizeof *l);
    sqlite3 *db = l ? apc__db_get(ctx->store) : NULL;
    sqlite3_stmt *st = NULL;
    r = !l ? apc__err(APC_ENOMEM, "out of memory") : !db ? APC_ESTORE : 0;
    if (r == 0)
        r = apc__sql_prepare(db, "reading export files",
                             "SELECT capture_id, search_id, command_uid FROM export_files "
                             "WHERE path=?",
                             &st);
    size_t cap = 0;
    struct dirent *e;
    while (r == 0 && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') /* ".", "..", and exports being written */
            continue;
        char path[4096 + 256];
        snprintf(path, sizeof path, "%s/%s", real, e->d_name);
        struct stat sb;
        if (lstat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
            continue;
        if (l->count == cap) {
            cap = cap ? cap * 2 : 16;
            apc_export_file_t *nf = realloc(l->files, cap * sizeof *nf);
            if (!nf) {
                r = apc__err(APC_ENOMEM, "out of memory");
                break;
            }
            l->files = nf;
        }
        apc_export_file_t *f = &l->files[l->count];
        memset(f, 0, sizeof *f);
        f->name = strdup(e->d_name);
        f->command_uid = strdup("");
        if (!f->name || !f->command_uid) {
            free(f->name);
            free(f->command_uid);
            r = apc__err(APC_ENOMEM, "out of memory");
            break;
        }
        l->count++;
        f->size = (uint64_t)sb.st_size;
        f->created = (apc_time_t)sb.st_mtim.tv_sec * 1000000000LL + sb.st_mtim.tv_nsec;
        provenance(db, st, path, f);
    }
    closedir(d);
    free(real);
    if (st)
        sqlite3_finalize(st);
    if (db)
        apc__db_put(ctx->store, db);
    if (r < 0) {
        apc_export_list_free(l);
        return r;
    }
    if (l->count)
        qsort(l->files, l->count, sizeof *l->files, by_name);
    *out = l;
    return 0;
}

static int check_name(const char *name)
{
    if (strchr(name, '/') || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return apc__err(APC_EINVAL,
                        "'%s' is not a file name: give the name of a file in the export folder "
                        "as export_list shows it",
                        name);
    return 0;
}

static int remove_one(apc_ctx_t *ctx, sqlite3 *db, const char *real_dir, const char *name)
{
    char path[4096 + 256];
    snprintf(path, sizeof path, "%s/%s", real_dir, name);
    struct stat sb;
    if (lstat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
        return apc__err(APC_ENOTFOUND, "export '%s' not found", name);
    if (unlink(path) != 0)
        return apc__err_errno(errno, "cannot delete '%s'", path);
    if (db && apc__sql_exec(db, "forgetting an export file",
                            "DELETE FROM export_files WHERE path=?", "t", path) < 0)
        apc__log(ctx, APC_LOG_WARN, "%s", apc_last_error_message());
    return 0;
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
    char *dir = NULL;
    int r = apc_export_list(ctx, &l);
    if (r == 0)
        r = apc__export_dir(ctx, &dir);
    char *real = r == 0 ? realpath(dir, NULL) : NULL;
    if (r == 0 && !real)
        r = apc__err_errno(errno, "cannot resolve '%s'", dir);
    sqlite3 *db = r == 0 ? apc__db_get(ctx->store) : NULL;
    uint64_t n = 0;
    if (r == 0 && name && *name) {
        r = remove_one(ctx, db, real, name);
        n = r == 0;
    } else {
        for (size_t i = 0; r == 0 && l && i < l->count; i++) {
            r = remove_one(ctx, db, real, l->files[i].name);
            if (r == APC_ENOTFOUND) /* deleted meanwhile: that is what was asked */
                r = 0;
            else if (r == 0)
                n++;
        }
    }
    if (db)
        apc__db_put(ctx->store, db);
    free(real);
    free(dir);
    apc_export_list_free(l);
    if (out_deleted)
        *out_deleted = n;
    return r;
}
