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
    int rc = apc_stats_totals_node(req->ctx, apc__arg_str(req, "node"), &t);
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

/* Runs the query k and answers with its STATSCAPTUREQUERY. */
static int reply(apc__op_req_t *req, const apc_stats_ask_t *k, apc__op_res_t *res)
{
    apc_stats_query_t *q = NULL;
    int rc = apc_stats_ask(req->ctx, k, &q);
    if (rc < 0)
        return rc;
    cJSON *o = json_query(q);
    apc_stats_query_free(q);
    return apc__res_json(res, o);
}

/* The capture (0 = all since the reset) and the node (ours) every STATSCAPTUREQUERY takes. */
static apc_stats_ask_t ask(apc__op_req_t *req, int key)
{
    apc_stats_ask_t k = {.key = key,
                         .capture_id = apc__arg_int(req, "capture_id"),
                         .node = apc__arg_str(req, "node")};
    return k;
}

int apc__op_stats_by_id(apc__op_req_t *req, apc__op_res_t *res)
{
    apc_stats_ask_t k = ask(req, APC_STATS_KEY_CAPTURE);
    return reply(req, &k, res);
}

int apc__op_stats_by_date(apc__op_req_t *req, apc__op_res_t *res)
{
    const apc__op_arg_t *end = apc__arg(req, "end_dtg");
    apc_stats_ask_t k = ask(req, APC_STATS_KEY_DATE);
    k.start = apc_time_from_filetime(apc__arg_int(req, "start_dtg"));
    k.end = end && end->present ? apc_time_from_filetime(end->i) : 0;
    return reply(req, &k, res);
}

int apc__op_stats_by_ip(apc__op_req_t *req, apc__op_res_t *res)
{
    apc_stats_ask_t k = ask(req, APC_STATS_KEY_IP);
    k.ip = apc__arg_str(req, "ip");
    return reply(req, &k, res);
}

int apc__op_stats_by_port(apc__op_req_t *req, apc__op_res_t *res)
{
    apc_stats_ask_t k = ask(req, APC_STATS_KEY_PORT);
    k.port = (int)apc__arg_int(req, "port");
    return reply(req, &k, res);
}

int apc__op_stats_by_protocol(apc__op_req_t *req, apc__op_res_t *res)
{
    apc_stats_ask_t k = ask(req, APC_STATS_KEY_PROTOCOL);
    k.proto = (int)apc__arg_int(req, "protocol");
    return reply(req, &k, res);
}

int apc__op_stats_by_process(apc__op_req_t *req, apc__op_res_t *res)
{
    apc_stats_ask_t k = ask(req, APC_STATS_KEY_PROCESS);
    k.process_id = apc__arg_int(req, "process_id");
    k.pid = apc__arg_int(req, "pid");
    return reply(req, &k, res);
}
