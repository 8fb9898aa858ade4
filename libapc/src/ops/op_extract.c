/* SPDX-License-Identifier: MIT */
/* Extraction actions (apc/extract.h): EXTRACTSTREAM and EXTRACTFILE objects, docs/extraction.md. */
#include <string.h>

#include <apc/export.h>
#include <apc/extract.h>

#include "core/error.h"
#include "ops/ops_internal.h"

#define OBJ_VERSION 1

static const char *dir_name(int d)
{
    return d == APC_DIR_OUT ? "out" : d == APC_DIR_IN ? "in" : "unknown";
}

static cJSON *json_stream(const apc_extract_stream_t *x)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    int rc = apc__json_add_i64(o, "StreamId", x->id);
    rc |= apc__json_add_i64(o, "CaptureId", x->capture_id);
    rc |= apc__json_add_i64(o, "ConnId", x->conn_id);
    rc |= apc__json_add_str(o, "Direction", dir_name(x->direction));
    rc |= apc__json_add_str(o, "Protocol", x->protocol);
    rc |= apc__json_add_str(o, "Name", x->name);
    rc |= apc__json_add_str(o, "MimeType", x->mime);
    rc |= apc__json_add_str(o, "ContentType", x->ctype);
    rc |= apc__json_add_u64(o, "Size", x->size);
    rc |= apc__json_add_i64(o, "Complete", x->complete);
    rc |= apc__json_add_str(o, "Reason", x->reason);
    rc |= apc__json_add_str(o, "Sha256", x->sha256);
    rc |= apc__json_add_str(o, "Md5", x->md5);
    rc |= apc__json_add_time(o, "Time", x->time);
    rc |= apc__json_add_i64(o, "FirstPacketId", x->first_packet);
    rc |= apc__json_add_i64(o, "LastPacketId", x->last_packet);
    rc |= apc__json_add_i64(o, "Pid", x->pid);
    rc |= apc__json_add_str(o, "ProcessName", x->process_name);
    rc |= apc__json_add_str(o, "ProcessPath", x->process_path);
    if (rc) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

static cJSON *json_file(const apc_extract_file_t *f)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    int rc = apc__json_add_i64(o, "Version", OBJ_VERSION);
    rc |= apc__json_add_i64(o, "FileId", f->id);
    rc |= apc__json_add_i64(o, "CaptureId", f->capture_id);
    rc |= apc__json_add_i64(o, "StreamId", f->stream_id);
    rc |= apc__json_add_str(o, "Path", f->path);
    /* the file's name in <data>/extracted/<capture>/ (what /download serves) */
    const char *slash = strrchr(f->path, '/');
    rc |= apc__json_add_str(o, "StoredName", slash ? slash + 1 : f->path);
    rc |= apc__json_add_str(o, "Name", f->name);
    rc |= apc__json_add_u64(o, "Size", f->size);
    rc |= apc__json_add_str(o, "MimeType", f->mime);
    rc |= apc__json_add_str(o, "Sha256", f->sha256);
    rc |= apc__json_add_time(o, "Time", f->time);
    rc |= apc__json_add_i64(o, "Complete", f->complete);
    rc |= apc__json_add_i64(o, "Pid", f->pid);
    rc |= apc__json_add_str(o, "ProcessName", f->process_name);
    rc |= apc__json_add_str(o, "ProcessPath", f->process_path);
    if (rc) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

int apc__op_extract_enable(apc__op_req_t *req, apc__op_res_t *res)
{
    int rc = apc_extract_set_enabled(req->ctx, 1);
    return rc < 0 ? rc : apc__res_int(res, 0);
}

int apc__op_extract_disable(apc__op_req_t *req, apc__op_res_t *res)
{
    int rc = apc_extract_set_enabled(req->ctx, 0);
    return rc < 0 ? rc : apc__res_int(res, 0);
}

int apc__op_extract_query(apc__op_req_t *req, apc__op_res_t *res)
{
    int64_t capture_id = apc__arg_int(req, "capture_id"), last_id = apc__arg_int(req, "last_id");
    unsigned count = (unsigned)apc__arg_int(req, "count");
    apc_extract_page_t *pg = NULL;
    int rc = apc_extract_query(req->ctx, capture_id, last_id, count, &pg);
    /* wait=1 (ours): a capture not yet examined is examined before the answer, so a one-shot
     * caller gets the files rather than a command to follow. */
    if (rc == 0 && pg->state == APC_EXTRACT_DETECTING && apc__arg_int(req, "wait")) {
        rc = apc__op_waited(apc_command_wait(req->ctx, pg->command_uid, apc__op_wait_ms(req)));
        if (rc == 0) {
            apc_extract_page_free(pg);
            pg = NULL;
            rc = apc_extract_query(req->ctx, capture_id, last_id, count, &pg);
        }
    }
    if (rc < 0)
        return rc;
    cJSON *o = cJSON_CreateObject();
    cJSON *arr = NULL;
    int e = !o;
    if (o) {
        e |= apc__json_add_i64(o, "Version", OBJ_VERSION);
        e |= apc__json_add_i64(o, "CaptureId", pg->capture_id);
        e |= apc__json_add_i64(o, "LastId", pg->last_id);
        e |= apc__json_add_i64(o, "More", pg->more ? 1 : 0);
        e |= apc__json_add_str(o, "State",
                               pg->state == APC_EXTRACT_DETECTING ? "detecting" : "done");
        e |= apc__json_add_str(o, "CommandUid", pg->command_uid);
        arr = cJSON_AddArrayToObject(o, "Streams");
        e |= !arr;
    }
    for (size_t i = 0; !e && i < pg->count; i++) {
        cJSON *x = json_stream(&pg->items[i]);
        if (!x)
            e = 1;
        else
            cJSON_AddItemToArray(arr, x);
    }
    apc_extract_page_free(pg);
    if (e) {
        cJSON_Delete(o);
        return apc__err(APC_ENOMEM, "out of memory");
    }
    return apc__res_json(res, o);
}

int apc__op_extract_file_write(apc__op_req_t *req, apc__op_res_t *res)
{
    apc_extract_file_t *f = NULL;
    int rc = apc_extract_file_write(req->ctx, apc__arg_int(req, "capture_id"),
                                    apc__arg_int(req, "stream_id"), &f);
    if (rc < 0)
        return rc;
    cJSON *o = json_file(f);
    apc_extract_file_free(f);
    return o ? apc__res_json(res, o) : apc__err(APC_ENOMEM, "out of memory");
}

int apc__op_extract_file_list(apc__op_req_t *req, apc__op_res_t *res)
{
    apc_extract_file_list_t *l = NULL;
    int rc = apc_extract_file_list(req->ctx, apc__arg_int(req, "capture_id"), &l);
    if (rc < 0)
        return rc;
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; arr && i < l->count; i++)
        arr = apc__json_push(arr, json_file(&l->items[i]));
    apc_extract_file_list_free(l);
    return apc__res_json(res, arr);
}

int apc__op_extract_file_delete(apc__op_req_t *req, apc__op_res_t *res)
{
    size_t n = 0;
    int rc = apc_extract_file_delete(req->ctx, apc__arg_int(req, "capture_id"),
                                     apc__arg_int(req, "file_id"), &n);
    return rc < 0 ? rc : apc__res_int(res, (int64_t)n);
}
