/* SPDX-License-Identifier: MIT */
/* Live capture, adapter and process actions: short adapters over apc/live.h and
 * apc/process.h (docs/live.md, docs/api.md "NETADAPTER", "THREAD"). */
#include "ops/op_live.h"

#include <apc/live.h>
#include <apc/process.h>

#include "core/error.h"

int apc__json_add_attribution(cJSON *o, apc_ctx_t *ctx)
{
    const char *reason = "";
    const char *b = apc_attribution_backend(ctx, &reason);
    return apc__json_add_str(o, "AttributionBackend", b) |
           apc__json_add_str(o, "AttributionReason", reason);
}

static cJSON *adapter_json(const apc_adapter_t *a)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    int rc = apc__json_add_i64(o, "Version", 1);
    rc |= apc__json_add_i64(o, "TapId", a->tap_id);
    rc |= apc__json_add_str(o, "Name", a->name);
    rc |= apc__json_add_str(o, "Description", a->description);
    cJSON *ad = cJSON_AddArrayToObject(o, "Addresses");
    for (size_t i = 0; ad && i < a->n_addresses; i++)
        cJSON_AddItemToArray(ad, cJSON_CreateString(a->addresses[i]));
    rc |= !ad;
    rc |= apc__json_add_str(o, "Mac", a->mac);
    rc |= apc__json_add_i64(o, "Up", a->up);
    rc |= apc__json_add_i64(o, "Running", a->running);
    rc |= apc__json_add_i64(o, "Loopback", a->loopback);
    rc |= apc__json_add_i64(o, "Wireless", a->wireless);
    rc |= apc__json_add_i64(o, "MonitorCapable", a->monitor_capable);
    rc |= apc__json_add_i64(o, "Monitor", a->monitor);
    rc |= apc__json_add_i64(o, "LinkType", a->linktype);
    rc |= apc__json_add_i64(o, "Mtu", a->mtu);
    if (rc) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

int apc__op_adapter_list(apc__op_req_t *req, apc__op_res_t *res)
{
    apc_adapter_list_t *l = NULL;
    int rc = apc_adapter_list(req->ctx, &l);
    if (rc < 0)
        return rc;
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; arr && i < l->count; i++)
        arr = apc__json_push(arr, adapter_json(&l->items[i]));
    apc_adapter_list_free(l);
    return apc__res_json(res, arr);
}

int apc__op_monitor_start(apc__op_req_t *req, apc__op_res_t *res)
{
    int rc = apc_monitor_start(req->ctx, apc__arg_int(req, "tap_id"));
    return rc < 0 ? rc : apc__res_int(res, 0);
}

int apc__op_monitor_stop(apc__op_req_t *req, apc__op_res_t *res)
{
    int rc = apc_monitor_stop(req->ctx, apc__arg_int(req, "tap_id"));
    return rc < 0 ? rc : apc__res_int(res, 0);
}

/* A live CAPTURE: the stored fields, then the attribution backend. */
static cJSON *live_capture_json(apc_ctx_t *ctx, const apc_capture_t *c)
{
    cJSON *o = apc__json_capture(c);
    if (o && c->type != APC_CAPTURE_INGEST && apc_capture_is_live(ctx, c->id) &&
        apc__json_add_attribution(o, ctx)) {
        cJSON_Delete(o);
        o = NULL;
    }
    return o;
}

static int reply_capture(apc__op_req_t *req, apc__op_res_t *res, int64_t id)
{
    apc_capture_t *c = NULL;
    int rc = apc_capture_get(req->ctx, id, &c);
    if (rc < 0)
        return rc;
    cJSON *o = live_capture_json(req->ctx, c);
    apc_capture_free(c);
    return apc__res_json(res, o);
}

static void options_from(apc__op_req_t *req, apc_live_options_t *o)
{
    apc_live_options_init(o, APC_LIVE_OPTIONS_VERSION);
    o->filter = apc__arg_str(req, "filter");
    o->flags = (uint32_t)apc__arg_int(req, "flags");
    const apc__op_arg_t *ad = apc__arg(req, "adapter");
    if (ad && ad->present) {
        o->adapters = (const char *const *)ad->list;
        o->n_adapters = ad->nlist;
    }
}

int apc__op_capture_start_system(apc__op_req_t *req, apc__op_res_t *res)
{
    apc_live_options_t o;
    options_from(req, &o);
    int64_t id = 0;
    int rc = apc_capture_start_system(req->ctx, &o, &id);
    return rc < 0 ? rc : reply_capture(req, res, id);
}

int apc__op_capture_start_process(apc__op_req_t *req, apc__op_res_t *res)
{
    apc_live_options_t o;
    options_from(req, &o);
    o.pid = apc__arg_int(req, "pid");
    o.process_id = apc__arg_int(req, "process_id");
    o.tid = apc__arg_int(req, "thread_id");
    o.capture_id = apc__arg_int(req, "capture_id");
    int64_t id = 0;
    int rc = apc_capture_start_process(req->ctx, &o, &id);
    return rc < 0 ? rc : reply_capture(req, res, id);
}

int apc__op_capture_stop_system(apc__op_req_t *req, apc__op_res_t *res)
{
    int rc = apc_capture_stop(req->ctx, apc__arg_int(req, "capture_id"), APC_CAPTURE_SYSTEM);
    return rc < 0 ? rc : apc__res_int(res, 0);
}

int apc__op_capture_stop_process(apc__op_req_t *req, apc__op_res_t *res)
{
    int rc = apc_capture_stop(req->ctx, apc__arg_int(req, "capture_id"), APC_CAPTURE_PROCESS);
    return rc < 0 ? rc : apc__res_int(res, 0);
}

int apc__op_capture_stop_all(apc__op_req_t *req, apc__op_res_t *res)
{
    int rc = apc_capture_stop_all(req->ctx);
    return rc < 0 ? rc : apc__res_int(res, 0);
}

int apc__op_capture_list_active(apc__op_req_t *req, apc__op_res_t *res)
{
    apc_capture_list_t *l = NULL;
    int rc = apc_capture_list(req->ctx, APC_LIST_ACTIVE, &l);
    if (rc < 0)
        return rc;
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; arr && i < l->count; i++)
        arr = apc__json_push(arr, live_capture_json(req->ctx, l->items[i]));
    apc_capture_list_free(l);
    return apc__res_json(res, arr);
}

int apc__op_capture_stream(apc__op_req_t *req, apc__op_res_t *res)
{
    unsigned flags = apc__arg_int(req, "flags") ? APC_READ_BYTES : 0;
    apc_packet_page_t *pg = NULL;
    int rc =
        apc_capture_stream(req->ctx, apc__arg_int(req, "capture_id"), apc__arg_int(req, "last_id"),
                           (unsigned)apc__arg_int(req, "count"), flags, &pg);
    if (rc < 0)
        return rc;
    cJSON *o = apc__json_packet_page(pg, (int)flags);
    apc_packet_page_free(pg);
    return apc__res_json(res, o);
}

int apc__op_capture_thread_stream(apc__op_req_t *req, apc__op_res_t *res)
{
    unsigned flags = apc__arg_int(req, "flags") ? APC_READ_BYTES : 0;
    apc_packet_page_t *pg = NULL;
    int rc = apc_capture_thread_stream(req->ctx, apc__arg_int(req, "capture_id"),
                                       apc__arg_int(req, "pid"), apc__arg_int(req, "thread_id"),
                                       apc__arg_int(req, "last_id"),
                                       (unsigned)apc__arg_int(req, "count"), flags, &pg);
    if (rc < 0)
        return rc;
    cJSON *o = apc__json_packet_page(pg, (int)flags);
    apc_packet_page_free(pg);
    return apc__res_json(res, o);
}

static int reply_procs(apc__op_res_t *res, apc_process_page_t *pg)
{
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; arr && i < pg->count; i++)
        arr = apc__json_push(arr, apc__json_process(&pg->procs[i]));
    apc_process_page_free(pg);
    return apc__res_json(res, arr);
}

int apc__op_process_list_capture(apc__op_req_t *req, apc__op_res_t *res)
{
    apc_process_page_t *pg = NULL;
    int rc = apc_process_list_capture(req->ctx, &pg);
    return rc < 0 ? rc : reply_procs(res, pg);
}

int apc__op_process_list_running(apc__op_req_t *req, apc__op_res_t *res)
{
    apc_process_page_t *pg = NULL;
    int rc = apc_process_list_running(req->ctx, &pg);
    return rc < 0 ? rc : reply_procs(res, pg);
}

static cJSON *thread_json(const apc_thread_t *t)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    int rc = apc__json_add_i64(o, "Version", 1);
    rc |= apc__json_add_i64(o, "ThreadId", t->tid);
    rc |= apc__json_add_i64(o, "Pid", t->pid);
    rc |= apc__json_add_i64(o, "ProcessId", t->process_id);
    rc |= apc__json_add_str(o, "Name", t->name);
    rc |= apc__json_add_time(o, "StartTime", t->start_time);
    rc |= apc__json_add_time(o, "ExitTime", t->exit_time);
    rc |= apc__json_add_i64(o, "Running", t->running);
    if (rc) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

int apc__op_process_list_threads(apc__op_req_t *req, apc__op_res_t *res)
{
    apc_thread_list_t *l = NULL;
    int rc =
        apc_process_list_threads(req->ctx, apc__arg_int(req, "process_id"),
                                 apc__arg_int(req, "pid"), (int)apc__arg_int(req, "flags"), &l);
    if (rc < 0)
        return rc;
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; arr && i < l->count; i++)
        arr = apc__json_push(arr, thread_json(&l->items[i]));
    apc_thread_list_free(l);
    return apc__res_json(res, arr);
}
