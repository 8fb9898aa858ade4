/* SPDX-License-Identifier: MIT */
/* Dispatch of the export-file calls to the store's backend (see exports.h). */
#include "store/exports.h"

#include "store/store_int.h"

int apc__exports_record(apc__store_t *s, const apc__st_export_file_t *f)
{
    return s->be->exports->record(s->impl, f);
}

int apc__exports_origin(apc__store_t *s, const char *path, apc__st_export_origin_t *out)
{
    return s->be->exports->origin(s->impl, path, out);
}

int apc__exports_paths(apc__store_t *s, apc__st_path_fn fn, void *payload)
{
    return s->be->exports->paths(s->impl, fn, payload);
}

int apc__exports_forget(apc__store_t *s, const char *path)
{
    return s->be->exports->forget(s->impl, path);
}
