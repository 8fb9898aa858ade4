/* SPDX-License-Identifier: MIT */
/* Packet and per-capture list actions. Lists answer one page as a JSON array; the caller
 * passes the last item's id back as last_id (docs/api.md "Paging"). */
#include <inttypes.h>

#include <stdio.h>
#include <stdlib.h>

#include "core/error.h"
#include "fleet/peer.h"
#include "ops/ops_internal.h"

static unsigned page_count(const apc__op_req_t *req)
{
    return (unsigned)apc__arg_int(req, "count");
}

/* A packet read of another node's capture is that node's to answer (fleet/peer.h): 1 and the
 * checked reply in res when the capture is not ours, 0 when it is, or an error naming the
 * node. `form` holds the read's parameters, all integers. */
static int remote(apc__op_req_t *req, apc__op_res_t *res, const char *form)
{
    int64_t capture_id = apc__arg_int(req, "capture_id");
    char *node = NULL, *url = NULL;
    int rc = apc__fleet_owner(req->ctx, capture_id, &node, &url);
    if (rc == 1) {
        cJSON *v = NULL;
        rc = apc__fleet_call(req->ctx, node, url, req->info->name, form, capture_id, &v);
        rc = rc < 0 ? rc : apc__res_json(res, v) < 0 ? APC_ENOMEM : 1;
    }
    free(node);
    free(url);
    return rc;
}

int apc__op_capture_read(apc__op_req_t *req, apc__op_res_t *res)
{
    unsigned flags = (unsigned)apc__arg_int(req, "flags");
    char form[160];
    snprintf(form, sizeof form, "capture_id=%" PRId64 "&last_id=%" PRId64 "&count=%u&flags=%u",
             apc__arg_int(req, "capture_id"), apc__arg_int(req, "last_id"), page_count(req), flags);
    int rc = remote(req, res, form);
    if (rc != 0)
        return rc < 0 ? rc : 0;
    apc_packet_page_t *pg = NULL;
    rc = apc_capture_read(req->ctx, apc__arg_int(req, "capture_id"), apc__arg_int(req, "last_id"),
                          page_count(req), flags, &pg);
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
    char form[200];
    snprintf(form, sizeof form,
             "capture_id=%" PRId64 "&conn_id=%" PRId64 "&last_id=%" PRId64 "&count=%u&flags=%u",
             capture_id, conn_id, apc__arg_int(req, "last_id"), page_count(req), flags);
    if ((rc = remote(req, res, form)) != 0)
        return rc < 0 ? rc : 0;
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
    char form[100];
    snprintf(form, sizeof form, "capture_id=%" PRId64 "&packet_id=%" PRId64,
             apc__arg_int(req, "capture_id"), apc__arg_int(req, "packet_id"));
    int rc = remote(req, res, form);
    if (rc != 0)
        return rc < 0 ? rc : 0;
    apc_packet_t *p = NULL;
    rc = apc_capture_get_packet(req->ctx, apc__arg_int(req, "capture_id"),
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
