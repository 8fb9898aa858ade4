/* SPDX-License-Identifier: MIT */
/* Dispatch of the extracts calls to the store's backend (see extracts.h). */
#include "store/extracts.h"

#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"

int apc__st_extract_enabled(apc__store_t *s, int *on)
{
    return s->be->extracts->extract_enabled(s->impl, on);
}

int apc__st_extract_set_enabled(apc__store_t *s, int on)
{
    return s->be->extracts->extract_set_enabled(s->impl, on);
}

int apc__st_extract_run(apc__store_t *s, int64_t capture_id, int *state, char **uid, char **error)
{
    return s->be->extracts->extract_run(s->impl, capture_id, state, uid, error);
}

int apc__st_extract_run_begin(apc__store_t *s, int64_t capture_id, const char *uid, char **busy_uid)
{
    return s->be->extracts->extract_run_begin(s->impl, capture_id, uid, busy_uid);
}

int apc__st_extract_run_end(apc__store_t *s, int64_t capture_id, const apc_extract_stream_t *v,
                            size_t n, const char *error)
{
    return s->be->extracts->extract_run_end(s->impl, capture_id, v, n, error);
}

int apc__st_extract_runs_reset(apc__store_t *s)
{
    return s->be->extracts->extract_runs_reset(s->impl);
}

int apc__st_extract_streams(apc__store_t *s, int64_t capture_id, int64_t last_id, unsigned max,
                            apc_extract_page_t *pg)
{
    return s->be->extracts->extract_streams(s->impl, capture_id, last_id, max, pg);
}

int apc__st_extract_stream(apc__store_t *s, int64_t capture_id, int64_t id,
                           apc_extract_stream_t *out)
{
    return s->be->extracts->extract_stream(s->impl, capture_id, id, out);
}

int apc__st_extract_set_types(apc__store_t *s, int64_t capture_id, const apc__st_xtyped_t *v,
                              size_t n)
{
    return n ? s->be->extracts->extract_set_types(s->impl, capture_id, v, n) : 0;
}

int apc__st_extract_file_add(apc__store_t *s, apc_extract_file_t *f)
{
    return s->be->extracts->extract_file_add(s->impl, f);
}

int apc__st_extract_files(apc__store_t *s, int64_t capture_id, int64_t file_id,
                          apc_extract_file_list_t *l)
{
    return s->be->extracts->extract_files(s->impl, capture_id, file_id, l);
}

int apc__st_extract_file_remove(apc__store_t *s, int64_t id)
{
    return s->be->extracts->extract_file_remove(s->impl, id);
}

int apc__st_extract_spans(apc__store_t *s, int64_t capture_id, apc__st_xspan_fn fn, void *payload)
{
    return s->be->extracts->extract_spans(s->impl, capture_id, fn, payload);
}

void apc__st_extract_stream_clear(apc_extract_stream_t *x)
{
    free(x->protocol);
    free(x->name);
    free(x->mime);
    free(x->ctype);
    free(x->reason);
    free(x->process_name);
    free(x->process_path);
    memset(x, 0, sizeof *x);
}
