/* SPDX-License-Identifier: MIT */
/*
 * search_scan (ours): the packet ids of one capture that a filter matches, in order. It is the
 * byte scan of a search over another node's capture, which that search's node asks of the
 * capture's node (fleet/matches.c, docs/fleet.md); a viewer may ask it too, and a capture of
 * another node is then asked of its node. The node secret scans this node's captures only:
 * never asked onwards, so two nodes that disagree about an owner never ask each other in a loop.
 */
#include <stdlib.h>

#include <apc/capture.h>

#include "core/error.h"
#include "fleet/peer.h"
#include "ops/op_search.h"
#include "search/search.h"

typedef struct ids {
    cJSON *arr;
} ids_t;

static int add_id(int64_t capture_id, int64_t packet_id, void *payload)
{
    ids_t *a = payload;
    (void)capture_id;
    cJSON *v = apc__json_i64(packet_id);
    if (!v || !cJSON_AddItemToArray(a->arr, v)) {
        cJSON_Delete(v);
        return apc__err(APC_ENOMEM, "out of memory");
    }
    return 0;
}

int apc__op_search_scan(apc__op_req_t *req, apc__op_res_t *res)
{
    int64_t capture_id = apc__arg_int(req, "capture_id");
    int64_t from = apc__arg_int(req, "start_dtg"), to = apc__arg_int(req, "end_dtg");
    apc__fleet_scan_t q = {.capture_id = capture_id,
                           .filter = apc__arg_str(req, "filter"),
                           .time_from = from ? apc_time_from_filetime(from) : 0,
                           .time_to = to ? apc_time_from_filetime(to) : 0};
    char *node = NULL, *url = NULL;
    int rc = apc__fleet_owner(req->ctx, capture_id, &node, &url);
    ids_t a = {cJSON_CreateArray()};
    uint64_t scanned = 0;
    if (rc >= 0 && !a.arr)
        rc = apc__err(APC_ENOMEM, "out of memory");
    if (rc == 1 && req->session && req->session->role == APC_ROLE_NODE)
        rc = apc__err(APC_ENOTFOUND, "capture %lld is not this node's: it is on node '%s'",
                      (long long)capture_id, node);
    if (rc == 1) {
        apc_capture_t *c = NULL;
        rc = apc_capture_get(req->ctx, capture_id, &c);
        q.packets = rc == 0 ? c->packets : 0;
        apc_capture_free(c);
        q.node = node;
        q.url = url;
        if (rc == 0)
            rc = apc__fleet_matches(req->ctx, &q, add_id, &a, &scanned);
    } else if (rc == 0) {
        rc = apc__search_filter_capture(req->ctx, q.filter, capture_id, q.time_from, q.time_to,
                                        NULL, add_id, &a, &scanned);
    }
    free(node);
    free(url);
    cJSON *o = rc == 0 ? cJSON_CreateObject() : NULL;
    if (rc == 0 && o) {
        int bad = apc__json_add_i64(o, "Version", 1);
        bad |= apc__json_add_i64(o, "CaptureId", capture_id);
        bad |= apc__json_add_u64(o, "Scanned", scanned);
        if (!bad && cJSON_AddItemToObject(o, "PacketIds", a.arr))
            a.arr = NULL;
        else
            bad = 1;
        if (bad) {
            cJSON_Delete(o);
            o = NULL;
        }
    }
    cJSON_Delete(a.arr);
    return rc < 0 ? rc : apc__res_json(res, o);
}
