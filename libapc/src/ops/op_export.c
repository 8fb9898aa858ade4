/* SPDX-License-Identifier: MIT */
/* Export actions: capture_export, export files, commands (COMMAND, EXPORTFILE), apc_flush. */
#include <stdlib.h>

#include <apc/export.h>

#include "core/error.h"
#include "fleet/peer.h"

#include "ops/op_export.h"

cJSON *apc__json_command(const apc_command_t *c)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    int rc = apc__json_add_i64(o, "Version", 1);
    rc |= apc__json_add_str(o, "CommandUid", c->uid);
    rc |= apc__json_add_str(o, "Type", c->type);
    rc |= apc__json_add_str(o, "State", apc_command_state_name(c->state));
    rc |= apc__json_add_i64(o, "Progress", c->progress);
    rc |= apc__json_add_time(o, "Created", c->created);
    rc |= apc__json_add_time(o, "Started", c->started);
    rc |= apc__json_add_time(o, "Finished", c->finished);
    rc |= apc__json_add_str(o, "Result", c->result);
    rc |= apc__json_add_str(o, "Error", c->error);
    rc |= apc__json_add_i64(o, "CaptureId", c->capture_id);
    rc |= apc__json_add_i64(o, "SearchId", c->search_id);
    rc |= apc__json_add_u64(o, "Packets", c->packets);
    if (rc) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

static int reply_command(apc__op_req_t *req, apc__op_res_t *res, const char *uid)
{
    apc_command_t *c = NULL;
    int rc = apc_command_get(req->ctx, uid, &c);
    if (rc < 0)
        return rc;
    cJSON *o = apc__json_command(c);
    apc_command_free(c);
    return apc__res_json(res, o);
}

/* What the node secret may export (apc_op_node_action): this node's own capture, into the
 * default folder, never replacing a file. Asked by another node for its export of our capture
 * (fleet/fetch.c); a capture this node does not hold is refused rather than asked onwards, so
 * two nodes that disagree about an owner never ask each other in a loop. */
static int node_export_allowed(apc__op_req_t *req)
{
    if (!req->session || req->session->role != APC_ROLE_NODE)
        return 0;
    const char *path = apc__arg_str(req, "path");
    if ((path && *path) || apc__arg_int(req, "overwrite"))
        return apc__err(APC_EPERM, "permission denied: a node may export a capture into the "
                                   "default folder only (no path, no overwrite)");
    int64_t capture_id = apc__arg_int(req, "capture_id");
    char *node = NULL, *url = NULL;
    int rc = apc__fleet_owner(req->ctx, capture_id, &node, &url);
    if (rc == 1)
        rc = apc__err(APC_ENOTFOUND, "capture %lld is not this node's: it is on node '%s'",
                      (long long)capture_id, node);
    free(node);
    free(url);
    return rc;
}

int apc__op_capture_export(apc__op_req_t *req, apc__op_res_t *res)
{
    char *uid = NULL;
    int rc = node_export_allowed(req);
    if (rc < 0)
        return rc;
    rc = apc_export_start(req->ctx, apc__arg_int(req, "capture_id"), apc__arg_str(req, "path"),
                          apc__arg_str(req, "filter"), (int)apc__arg_int(req, "overwrite"), &uid);
    if (rc < 0)
        return rc;
    /* wait=1 (ours) answers the ended command: a one-shot caller like apcctl would otherwise
     * end, and its jobs with it, before the export is written. */
    if (apc__arg_int(req, "wait"))
        rc = apc__op_waited(apc_command_wait(req->ctx, uid, apc__op_wait_ms(req)));
    if (rc == 0)
        rc = reply_command(req, res, uid);
    apc_free(uid);
    return rc;
}

int apc__op_command_list(apc__op_req_t *req, apc__op_res_t *res)
{
    apc_command_list_t *l = NULL;
    int rc = apc_command_list(req->ctx, &l);
    if (rc < 0)
        return rc;
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; arr && i < l->count; i++)
        arr = apc__json_push(arr, apc__json_command(l->items[i]));
    apc_command_list_free(l);
    return apc__res_json(res, arr);
}

int apc__op_command_query(apc__op_req_t *req, apc__op_res_t *res)
{
    return reply_command(req, res, apc__arg_str(req, "command_uid"));
}

int apc__op_command_delete(apc__op_req_t *req, apc__op_res_t *res)
{
    int rc = apc_command_delete(req->ctx, apc__arg_str(req, "command_uid"));
    return rc < 0 ? rc : apc__res_int(res, 0);
}

int apc__op_export_list(apc__op_req_t *req, apc__op_res_t *res)
{
    apc_export_list_t *l = NULL;
    int rc = apc_export_list(req->ctx, &l);
    if (rc < 0)
        return rc;
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; arr && i < l->count; i++) {
        const apc_export_file_t *f = &l->files[i];
        cJSON *o = cJSON_CreateObject();
        int bad = !o;
        if (o) {
            bad |= apc__json_add_i64(o, "Version", 1);
            bad |= apc__json_add_str(o, "Name", f->name);
            bad |= apc__json_add_u64(o, "Size", f->size);
            bad |= apc__json_add_time(o, "Created", f->created);
            bad |= apc__json_add_i64(o, "CaptureId", f->capture_id);
            bad |= apc__json_add_i64(o, "SearchId", f->search_id);
            bad |= apc__json_add_str(o, "CommandUid", f->command_uid);
            bad |= apc__json_add_str(o, "Path", f->path);
            cJSON_AddItemToArray(arr, o);
        }
        if (bad) {
            cJSON_Delete(arr);
            arr = NULL;
        }
    }
    apc_export_list_free(l);
    return apc__res_json(res, arr);
}

int apc__op_export_delete(apc__op_req_t *req, apc__op_res_t *res)
{
    uint64_t n = 0;
    int rc = apc_export_delete(req->ctx, apc__arg_str(req, "filename"), &n);
    return rc < 0 ? rc : apc__res_int(res, (int64_t)n);
}

int apc__op_apc_flush(apc__op_req_t *req, apc__op_res_t *res)
{
    int rc = apc_flush(req->ctx, (uint32_t)apc__arg_int(req, "flags"));
    return rc < 0 ? rc : apc__res_int(res, 0);
}
