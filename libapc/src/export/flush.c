/* SPDX-License-Identifier: MIT */
/*
 * apc_flush: deletes saved data by kind. The store empties each kind's rows (store/flush.h,
 * in one transaction); this file checks that nothing is running, then removes the files of
 * the kinds that keep some under <data> (`dirs` below).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/ctx.h"
#include "core/error.h"
#include "core/fsutil.h"
#include "export/export_int.h"
#include "search/search.h"
#include "store/flush.h"

/* The directory under <data> whose contents each kind removes (its rows are the store's:
 * store/flush.h). */
static const struct {
    uint32_t flag;
    const char *dir;
} dirs[] = {
    {APC_FLUSH_CAPTURES, "captures"},
    {APC_FLUSH_EXPORTS, "exports"},
    {APC_FLUSH_EXTRACTED, "extracted"},
};

/* Removes what is inside <data>/<rel>, keeping the directory. */
static int empty_dir(apc_ctx_t *ctx, const char *rel)
{
    char *dir = apc__ctx_path(ctx, rel);
    if (!dir)
        return apc__err(APC_ENOMEM, "out of memory");
    DIR *d = opendir(dir);
    if (!d) {
        int e = errno;
        free(dir);
        return e == ENOENT ? 0 : apc__err_errno(e, "cannot read '%s/%s'", ctx->data_dir, rel);
    }
    int r = 0;
    struct dirent *e;
    while (r == 0 && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char path[8192];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        r = apc__rm_rf(path);
    }
    closedir(d);
    free(dir);
    return r;
}

static int check_idle(apc_ctx_t *ctx)
{
    int64_t id = 0;
    int r = apc__flush_active_capture(ctx->store, &id);
    if (r < 0)
        return r;
    if (r == 1)
        return apc__err(APC_EBUSY, "capture %lld is active: stop every capture before flushing",
                        (long long)id);
    int64_t search = apc__search_any_active(ctx);
    if (search)
        return apc__err(APC_EBUSY,
                        "search %lld is running: wait for it or cancel it before flushing "
                        "(search_list shows it)",
                        (long long)search);
    if (apc__cmd_any_live(ctx))
        return apc__err(APC_EBUSY, "a command is running: wait for it or cancel it before "
                                   "flushing (command_list shows it)");
    return 0;
}

APC_API int apc_flush(apc_ctx_t *ctx, uint32_t flags)
{
    if (!ctx)
        return apc__err(APC_EINVAL, "NULL context");
    if (flags == 0 || (flags & ~(uint32_t)APC_FLUSH_ALL))
        return apc__err(APC_EINVAL,
                        "flush flags 0x%x: expected a combination of 0x1 to 0x100 "
                        "(0x1ff for everything)",
                        flags);
    if (ctx->read_only)
        return apc__err(APC_ENOTSUP, "the context is read-only");
    int r = check_idle(ctx);
    if (r == 0)
        r = apc__flush_rows(ctx->store, flags);
    /* Files after the rows: once the rows are gone nothing refers to them. */
    for (size_t k = 0; r == 0 && k < sizeof dirs / sizeof dirs[0]; k++)
        if (flags & dirs[k].flag)
            r = empty_dir(ctx, dirs[k].dir);
    if (r == 0 && apc__flush_compact(ctx->store) < 0)
        apc__log(ctx, APC_LOG_INFO, "flush: %s", apc_last_error_message());
    return r;
}
