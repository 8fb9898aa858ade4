/* SPDX-License-Identifier: MIT */
/* Capture actions: ingest, lists, details, open, notes, delete. */
#include <inttypes.h>

#include "core/error.h"
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
    if (apc__arg_int(req, "wait") && (rc = apc_capture_wait(req->ctx, id, -1)) < 0)
        return rc;
    return apc__res_int(res, id);
}

static int list_captures(apc__op_req_t *req, apc__op_res_t *res, int which)
{
    apc_capture_list_t *l = NULL;
    int rc = apc_capture_list(req->ctx, which, &l);
    if (rc < 0)
        return rc;
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; arr && i < l->count; i++) {
        cJSON *c = apc__json_capture(l->items[i]);
        if (!c) {
            cJSON_Delete(arr);
            arr = NULL;
            break;
        }
        cJSON_AddItemToArray(arr, c);
    }
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
    apc_capture_free(c);
    return apc__res_json(res, o);
}

/*
 * First and last packet of a capture. The typed API reads forward from a cursor only, so the
 * last packet is looked for right before the count (ids are 1-based in capture order) and,
 * should ids have gaps, found by reading on from there until the end.
 */
static int packet_range(apc_ctx_t *ctx, const apc_capture_t *c, apc_packet_t *first,
                        apc_packet_t *last, int *have)
{
    apc_packet_page_t *pg = NULL;
    *have = 0;
    int rc = apc_capture_read(ctx, c->id, 0, 1, 0, &pg);
    if (rc < 0)
        return rc;
    if (pg->count == 0) {
        apc_packet_page_free(pg);
        return 0;
    }
    first->id = pg->packets[0].id;
    first->time = pg->packets[0].time;
    *last = *first;
    apc_packet_page_free(pg);
    *have = 1;

    int64_t cursor = c->packets > 1 ? (int64_t)c->packets - 1 : first->id;
    if (cursor < first->id)
        cursor = first->id;
    for (;;) {
        if ((rc = apc_capture_read(ctx, c->id, cursor, APC_PAGE_MAX, 0, &pg)) < 0)
            return rc;
        if (pg->count) {
            last->id = pg->packets[pg->count - 1].id;
            last->time = pg->packets[pg->count - 1].time;
        }
        int more = pg->more && pg->count;
        cursor = pg->last_id;
        apc_packet_page_free(pg);
        if (!more)
            return 0;
    }
}

int apc__op_capture_open(apc__op_req_t *req, apc__op_res_t *res)
{
    int64_t id = apc__arg_int(req, "capture_id");
    apc_capture_t *c = NULL;
    int rc = apc_capture_get(req->ctx, id, &c);
    if (rc < 0)
        return rc;
    if (c->state == APC_STATE_ACTIVE) {
        apc_capture_free(c);
        return apc__err(APC_EBUSY,
                        "capture %" PRId64 " is active; capture_open reads completed captures "
                        "(use capture_stream or capture_read for active ones)",
                        id);
    }
    apc_packet_t first = {0}, last = {0};
    int have = 0;
    if ((rc = packet_range(req->ctx, c, &first, &last, &have)) < 0) {
        apc_capture_free(c);
        return rc;
    }
    cJSON *o = cJSON_CreateObject();
    if (o) {
        rc = apc__json_capture_fields(o, c);
        rc |= apc__json_add_i64(o, "FirstPacketId", have ? first.id : 0);
        rc |= apc__json_add_i64(o, "LastPacketId", have ? last.id : 0);
        rc |= apc__json_add_time(o, "FirstTime", have ? first.time : 0);
        rc |= apc__json_add_time(o, "LastTime", have ? last.time : 0);
        if (rc) {
            cJSON_Delete(o);
            o = NULL;
        }
    }
    apc_capture_free(c);
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
