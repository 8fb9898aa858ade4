/* SPDX-License-Identifier: MIT */
/* Capture actions: ingest, lists, details, open, notes, delete. */
#include <inttypes.h>
#include <string.h>

#include <apc/live.h>

#include "core/error.h"
#include "ops/op_live.h"
#include "ops/ops_internal.h"

int apc__op_pcap_ingest_file(apc__op_req_t *req, apc__op_res_t *res)
{
    apc_ingest_options_t o;
    int rc = apc_ingest_options_init(&o, APC_INGEST_OPTIONS_VERSION);
    if (rc < 0)
        return rc;
    o.name = apc__arg_str(req, "name");
    int64_t id = 0;
    if ((rc = apc_ingest_file(req->ctx, apc__arg_str(req, "path"), &o, &id)) < 0)
        return rc;
    /* The original answered ERROR_SUCCESS; we answer the new capture's id. Whether the ingest
     * went well is the capture's State/Error (capture_get_details), also with wait=1. */
    if (apc__arg_int(req, "wait") &&
        (rc = apc__op_waited(apc_capture_wait(req->ctx, id, apc__op_wait_ms(req)))) < 0)
        return rc;
    return apc__res_int(res, id);
}

static int list_captures(apc__op_req_t *req, apc__op_res_t *res, int which)
{
    apc_capture_list_t *l = NULL;
    int rc = apc_capture_list(req->ctx, which, &l);
    if (rc < 0)
        return rc;
    const char *node = apc__arg_str(req, "node"); /* NULL or "": every node */
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; arr && i < l->count; i++)
        if (!node || !*node || !strcmp(node, l->items[i]->node ? l->items[i]->node : ""))
            arr = apc__json_push(arr, apc__json_capture(l->items[i]));
    apc_capture_list_free(l);
    return apc__res_json(res, arr);
}

int apc__op_capture_list_completed(apc__op_req_t *req, apc__op_res_t *res)
{
    return list_captures(req, res, APC_LIST_COMPLETED);
}

int apc__op_capture_list_system(apc__op_req_t *req, apc__op_res_t *res)
{
    return list_captures(req, res, APC_LIST_SYSTEM_COMPLETED);
}

int apc__op_capture_get_details(apc__op_req_t *req, apc__op_res_t *res)
{
    apc_capture_t *c = NULL;
    int rc = apc_capture_get(req->ctx, apc__arg_int(req, "capture_id"), &c);
    if (rc < 0)
        return rc;
    cJSON *o = apc__json_capture(c);
    if (o && apc_capture_is_live(req->ctx, c->id) && apc__json_add_attribution(o, req->ctx)) {
        cJSON_Delete(o); /* live captures: the attribution backend at the end (op_live.c) */
        o = NULL;
    }
    apc_capture_free(c);
    return apc__res_json(res, o);
}

/* CAPTUREMETA: the CAPTURE fields, then the packet range, interfaces and protocol counts. */
static cJSON *capture_meta_json(const apc_capture_meta_t *m)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    int rc = apc__json_capture_fields(o, m->capture);
    rc |= apc__json_add_i64(o, "FirstPacketId", m->first_packet_id);
    rc |= apc__json_add_i64(o, "LastPacketId", m->last_packet_id);
    rc |= apc__json_add_time(o, "FirstTime", m->first_time);
    rc |= apc__json_add_time(o, "LastTime", m->last_time);
    cJSON *ifs = cJSON_AddArrayToObject(o, "Interfaces");
    for (size_t i = 0; ifs && i < m->n_ifaces; i++) {
        const apc_capture_iface_t *f = &m->ifaces[i];
        cJSON *x = cJSON_CreateObject();
        if (!x || !cJSON_AddItemToArray(ifs, x)) {
            cJSON_Delete(x);
            rc = 1;
            break;
        }
        rc |= apc__json_add_i64(x, "Index", f->index);
        rc |= apc__json_add_i64(x, "LinkType", f->linktype);
        rc |= apc__json_add_i64(x, "SnapLen", f->snaplen);
        rc |= apc__json_add_str(x, "Name", f->name);
        rc |= apc__json_add_str(x, "Description", f->description);
        rc |= apc__json_add_u64(x, "Packets", f->packets);
    }
    cJSON *ps = cJSON_AddArrayToObject(o, "Protocols");
    for (size_t i = 0; ps && i < m->n_protocols; i++) {
        const apc_proto_count_t *pc = &m->protocols[i];
        cJSON *x = cJSON_CreateObject();
        if (!x || !cJSON_AddItemToArray(ps, x)) {
            cJSON_Delete(x);
            rc = 1;
            break;
        }
        rc |= apc__json_add_i64(x, "Protocol", pc->protocol);
        rc |= apc__json_add_u64(x, "Packets", pc->packets);
        rc |= apc__json_add_u64(x, "Bytes", pc->bytes);
    }
    if (rc || !ifs || !ps) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

int apc__op_capture_open(apc__op_req_t *req, apc__op_res_t *res)
{
    int64_t id = apc__arg_int(req, "capture_id");
    apc_capture_meta_t *m = NULL;
    int rc = apc_capture_meta(req->ctx, id, &m);
    if (rc < 0)
        return rc;
    if (m->capture->state == APC_STATE_ACTIVE) {
        apc_capture_meta_free(m);
        return apc__err(APC_EBUSY,
                        "capture %" PRId64 " is active; capture_open reads completed captures "
                        "(use capture_stream or capture_read for active ones)",
                        id);
    }
    cJSON *o = capture_meta_json(m);
    apc_capture_meta_free(m);
    return apc__res_json(res, o);
}

int apc__op_capture_set_notes(apc__op_req_t *req, apc__op_res_t *res)
{
    int rc = apc_capture_set_notes(req->ctx, apc__arg_int(req, "capture_id"),
                                   apc__arg_int(req, "packet_id"), apc__arg_str(req, "notes"));
    return rc < 0 ? rc : apc__res_int(res, 0);
}

int apc__op_capture_delete(apc__op_req_t *req, apc__op_res_t *res)
{
    int rc = apc_capture_delete(req->ctx, apc__arg_int(req, "capture_id"));
    return rc < 0 ? rc : apc__res_int(res, 0);
}
