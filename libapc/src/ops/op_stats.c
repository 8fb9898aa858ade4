/* SPDX-License-Identifier: MIT */
/* Statistics actions: STATSQUERY and STATSCAPTUREQUERY (docs/api.md, docs/stats.md). */
#include "ops/op_stats.h"

#include <apc/stats.h>

static cJSON *json_tops(const apc_stats_tops_t *t)
{
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; arr && i < t->count; i++) {
        const apc_stats_top_t *e = &t->items[i];
        cJSON *o = cJSON_CreateObject();
        int rc = !o;
        if (o) {
            rc |= apc__json_add_i64(o, "Version", 1);
            rc |= apc__json_add_i64(o, "Id", e->id);
            rc |= apc__json_add_str(o, "Value", e->value);
            rc |= apc__json_add_str(o, "Name", e->name);
            rc |= apc__json_add_i64(o, "Pid", e->pid);
            rc |= apc__json_add_u64(o, "Packets", e->packets);
            rc |= apc__json_add_u64(o, "Bytes", e->bytes);
        }
        if (rc) {
            cJSON_Delete(o);
            cJSON_Delete(arr);
            return NULL;
        }
        cJSON_AddItemToArray(arr, o);
    }
    return arr;
}

/* Adds a list under `name`; nonzero on allocation failure. */
static int add_tops(cJSON *o, const char *name, const apc_stats_tops_t *t)
{
    cJSON *a = json_tops(t);
    return !a || !cJSON_AddItemToObject(o, name, a);
}

int apc__op_stats_totals(apc__op_req_t *req, apc__op_res_t *res)
{
    apc_stats_totals_t *t = NULL;
    int rc = apc_stats_totals(req->ctx, &t);
    if (rc < 0)
        return rc;
    cJSON *o = cJSON_CreateObject();
    int e = !o;
    if (o) {
        e |= apc__json_add_i64(o, "Version", 1);
        e |= apc__json_add_u64(o, "Packets", t->packets);
        e |= apc__json_add_u64(o, "Bytes", t->bytes);
        e |= apc__json_add_u64(o, "Captures", t->captures);
        e |= apc__json_add_u64(o, "Connections", t->connections);
        e |= apc__json_add_u64(o, "Ips", t->ips);
        e |= apc__json_add_u64(o, "Processes", t->processes);
        e |= apc__json_add_u64(o, "Drops", t->drops);
        e |= apc__json_add_time(o, "Since", t->since);
        e |= add_tops(o, "TopProtocols", &t->protocols);
        e |= add_tops(o, "TopPorts", &t->ports);
        e |= add_tops(o, "TopIps", &t->ips_top);
        e |= add_tops(o, "TopProcesses", &t->processes_top);
    }
    apc_stats_totals_free(t);
    if (e) {
        cJSON_Delete(o);
        o = NULL;
    }
    return apc__res_json(res, o);
}

int apc__op_stats_reset(apc__op_req_t *req, apc__op_res_t *res)
{
    int rc = apc_stats_reset(req->ctx);
    return rc < 0 ? rc : apc__res_int(res, 0);
}

static cJSON *json_query(const apc_stats_query_t *q)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    int e = 0;
    e |= apc__json_add_i64(o, "Version", 1);
    e |= apc__json_add_i64(o, "CaptureId", q->capture_id);
    e |= apc__json_add_str(o, "Key", apc_stats_key_name(q->key));
    e |= apc__json_add_str(o, "Value", q->value);
    e |= apc__json_add_str(o, "Name", q->name);
    e |= apc__json_add_u64(o, "Packets", q->packets);
    e |= apc__json_add_u64(o, "Bytes", q->bytes);
    e |= apc__json_add_time(o, "FirstTime", q->first_time);
    e |= apc__json_add_time(o, "LastTime", q->last_time);
    e |= apc__json_add_time(o, "StartTime", q->start_time);
    e |= apc__json_add_time(o, "EndTime", q->end_time);
    e |= apc__json_add_i64(o, "BucketSeconds", q->bucket_ns / 1000000000LL);
    cJSON *b = cJSON_CreateArray();
    e |= !b;
    for (size_t i = 0; b && !e && i < q->nbuckets; i++) {
        cJSON *x = cJSON_CreateObject();
        e |= !x;
        if (x) {
            e |= apc__json_add_i64(x, "Version", 1);
            e |= apc__json_add_time(x, "Time", q->buckets[i].time);
            e |= apc__json_add_u64(x, "Packets", q->buckets[i].packets);
            e |= apc__json_add_u64(x, "Bytes", q->buckets[i].bytes);
            cJSON_AddItemToArray(b, x);
        }
    }
    if (b)
        e |= !cJSON_AddItemToObject(o, "Buckets", b);
    e |= add_tops(o, "TopIps", &q->ips);
    e |= add_tops(o, "TopPorts", &q->ports);
    e |= add_tops(o, "TopProtocols", &q->protocols);
    e |= add_tops(o, "TopProcesses", &q->processes);
    e |= apc__json_add_i64(o, "SeriesComplete", q->series_complete);
    if (e) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

static int reply(int rc, apc_stats_query_t *q, apc__op_res_t *res)
{
    if (rc < 0)
        return rc;
    cJSON *o = json_query(q);
    apc_stats_query_free(q);
    return apc__res_json(res, o);
}

int apc__op_stats_by_id(apc__op_req_t *req, apc__op_res_t *res)
{
    apc_stats_query_t *q = NULL;
    int rc = apc_stats_by_capture(req->ctx, apc__arg_int(req, "capture_id"), &q);
    return reply(rc, q, res);
}

int apc__op_stats_by_date(apc__op_req_t *req, apc__op_res_t *res)
{
    apc_stats_query_t *q = NULL;
    const apc__op_arg_t *end = apc__arg(req, "end_dtg");
    apc_time_t end_ns = end && end->present ? apc_time_from_filetime(end->i) : 0;
    int rc = apc_stats_by_date(req->ctx, apc__arg_int(req, "capture_id"),
                               apc_time_from_filetime(apc__arg_int(req, "start_dtg")), end_ns, &q);
    return reply(rc, q, res);
}

int apc__op_stats_by_ip(apc__op_req_t *req, apc__op_res_t *res)
{
    apc_stats_query_t *q = NULL;
    int rc =
        apc_stats_by_ip(req->ctx, apc__arg_int(req, "capture_id"), apc__arg_str(req, "ip"), &q);
    return reply(rc, q, res);
}

int apc__op_stats_by_port(apc__op_req_t *req, apc__op_res_t *res)
{
    apc_stats_query_t *q = NULL;
    int rc = apc_stats_by_port(req->ctx, apc__arg_int(req, "capture_id"),
                               (int)apc__arg_int(req, "port"), &q);
    return reply(rc, q, res);
}

int apc__op_stats_by_protocol(apc__op_req_t *req, apc__op_res_t *res)
{
    apc_stats_query_t *q = NULL;
    int rc = apc_stats_by_protocol(req->ctx, apc__arg_int(req, "capture_id"),
                                   (int)apc__arg_int(req, "protocol"), &q);
    return reply(rc, q, res);
}

int apc__op_stats_by_process(apc__op_req_t *req, apc__op_res_t *res)
{
    apc_stats_query_t *q = NULL;
    int rc = apc_stats_by_process(req->ctx, apc__arg_int(req, "capture_id"),
                                  apc__arg_int(req, "process_id"), apc__arg_int(req, "pid"), &q);
    return reply(rc, q, res);
}
