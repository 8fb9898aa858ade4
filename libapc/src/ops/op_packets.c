/* SPDX-License-Identifier: MIT */
/* Packet and per-capture list actions. Lists answer one page as a JSON array; the caller
 * passes the last item's id back as last_id (docs/api.md "Paging"). */
#include <inttypes.h>

#include "core/error.h"
#include "ops/ops_internal.h"

static unsigned page_count(const apc__op_req_t *req)
{
    return (unsigned)apc__arg_int(req, "count");
}

int apc__op_capture_read(apc__op_req_t *req, apc__op_res_t *res)
{
    unsigned flags = (unsigned)apc__arg_int(req, "flags");
    apc_packet_page_t *pg = NULL;
    int rc = apc_capture_read(req->ctx, apc__arg_int(req, "capture_id"),
                              apc__arg_int(req, "last_id"), page_count(req), flags, &pg);
    if (rc < 0)
        return rc;
    cJSON *o = apc__json_packet_page(pg, flags & APC_READ_BYTES);
    apc_packet_page_free(pg);
    return apc__res_json(res, o);
}

/* An unknown connection reads as an empty page in the typed API; callers deserve a not
 * found. The connection list starting right before conn_id tells whether it exists. */
static int conn_exists(apc_ctx_t *ctx, int64_t capture_id, int64_t conn_id)
{
    apc_conn_page_t *cp = NULL;
    int rc = apc_capture_list_conns(ctx, capture_id, conn_id - 1, 1, &cp);
    if (rc < 0)
        return rc;
    int found = cp->count == 1 && cp->conns[0].id == conn_id;
    apc_conn_page_free(cp);
    if (!found)
        return apc__err(APC_ENOTFOUND, "connection %" PRId64 " not found in capture %" PRId64,
                        conn_id, capture_id);
    return 0;
}

int apc__op_capture_conn_stream(apc__op_req_t *req, apc__op_res_t *res)
{
    unsigned flags = (unsigned)apc__arg_int(req, "flags");
    int64_t capture_id = apc__arg_int(req, "capture_id"), conn_id = apc__arg_int(req, "conn_id");
    int rc = conn_exists(req->ctx, capture_id, conn_id);
    if (rc < 0)
        return rc;
    apc_packet_page_t *pg = NULL;
    rc = apc_capture_read_conn(req->ctx, capture_id, conn_id, apc__arg_int(req, "last_id"),
                               page_count(req), flags, &pg);
    if (rc < 0)
        return rc;
    cJSON *o = apc__json_packet_page(pg, flags & APC_READ_BYTES);
    apc_packet_page_free(pg);
    return apc__res_json(res, o);
}

int apc__op_capture_get_packet(apc__op_req_t *req, apc__op_res_t *res)
{
    apc_packet_t *p = NULL;
    int rc = apc_capture_get_packet(req->ctx, apc__arg_int(req, "capture_id"),
                                    apc__arg_int(req, "packet_id"), &p);
    if (rc < 0)
        return rc;
    cJSON *o = apc__json_packet(p, 1);
    apc_packet_free(p);
    return apc__res_json(res, o);
}

int apc__op_capture_list_conns(apc__op_req_t *req, apc__op_res_t *res)
{
    apc_conn_page_t *pg = NULL;
    int rc = apc_capture_list_conns(req->ctx, apc__arg_int(req, "capture_id"),
                                    apc__arg_int(req, "last_id"), page_count(req), &pg);
    if (rc < 0)
        return rc;
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; arr && i < pg->count; i++)
        arr = apc__json_push(arr, apc__json_conn(&pg->conns[i]));
    apc_conn_page_free(pg);
    return apc__res_json(res, arr);
}

int apc__op_capture_get_processes(apc__op_req_t *req, apc__op_res_t *res)
{
    apc_process_page_t *pg = NULL;
    int rc = apc_capture_get_processes(req->ctx, apc__arg_int(req, "capture_id"),
                                       apc__arg_int(req, "last_id"), page_count(req), &pg);
    if (rc < 0)
        return rc;
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; arr && i < pg->count; i++)
        arr = apc__json_push(arr, apc__json_process(&pg->procs[i]));
    apc_process_page_free(pg);
    return apc__res_json(res, arr);
}
