/* SPDX-License-Identifier: MIT */
/* IP address actions: the per-capture or global list, one address, user data, geolocation. */
#include "ops/ops_internal.h"

int apc__op_capture_query_ip(apc__op_req_t *req, apc__op_res_t *res)
{
    apc_ip_page_t *pg = NULL;
    int rc = apc_ip_list(req->ctx, apc__arg_int(req, "capture_id"), apc__arg_int(req, "last_id"),
                         (unsigned)apc__arg_int(req, "count"), &pg);
    if (rc < 0)
        return rc;
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; arr && i < pg->count; i++)
        arr = apc__json_push(arr, apc__json_ip(&pg->ips[i]));
    apc_ip_page_free(pg);
    return apc__res_json(res, arr);
}

int apc__op_ip_query(apc__op_req_t *req, apc__op_res_t *res)
{
    apc_ip_t *ip = NULL;
    int rc = apc_ip_get(req->ctx, apc__arg_int(req, "capture_id"), apc__arg_str(req, "ip"), &ip);
    if (rc < 0)
        return rc;
    cJSON *o = apc__json_ip(ip);
    apc_ip_free(ip);
    return apc__res_json(res, o);
}

int apc__op_ip_set_data(apc__op_req_t *req, apc__op_res_t *res)
{
    int rc = apc_ip_set_data(req->ctx, apc__arg_int(req, "capture_id"), apc__arg_str(req, "ip"),
                             apc__arg_str(req, "data"));
    return rc < 0 ? rc : apc__res_int(res, 0);
}

int apc__op_ip_set_geo(apc__op_req_t *req, apc__op_res_t *res)
{
    int rc = apc_ip_set_geo(req->ctx, apc__arg_int(req, "capture_id"), apc__arg_str(req, "ip"),
                            apc__arg_str(req, "hostname"), apc__arg_str(req, "country"),
                            apc__arg_str(req, "city"), apc__arg_float(req, "lat"),
                            apc__arg_float(req, "lng"));
    return rc < 0 ? rc : apc__res_int(res, 0);
}
