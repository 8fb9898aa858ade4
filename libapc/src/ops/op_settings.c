/* SPDX-License-Identifier: MIT */
/* Settings actions: user-defined key -> value strings. */
#include "ops/ops_internal.h"

int apc__op_settings_get_all(apc__op_req_t *req, apc__op_res_t *res)
{
    apc_settings_t *s = NULL;
    int rc = apc_settings_get_all(req->ctx, &s);
    if (rc < 0)
        return rc;
    cJSON *o = cJSON_CreateObject();
    for (size_t i = 0; o && i < s->count; i++) {
        if (apc__json_add_str(o, s->keys[i], s->values[i]) < 0) {
            cJSON_Delete(o);
            o = NULL;
        }
    }
    apc_settings_free(s);
    return apc__res_json(res, o);
}

int apc__op_settings_get_by_key(apc__op_req_t *req, apc__op_res_t *res)
{
    char *v = NULL;
    int rc = apc_settings_get(req->ctx, apc__arg_str(req, "key_name"), &v);
    if (rc < 0)
        return rc;
    rc = apc__res_str(res, v);
    apc_free(v);
    return rc;
}

int apc__op_settings_set(apc__op_req_t *req, apc__op_res_t *res)
{
    int rc = apc_settings_set(req->ctx, apc__arg_str(req, "key_name"), apc__arg_str(req, "value"));
    return rc < 0 ? rc : apc__res_int(res, 0);
}

int apc__op_settings_clear(apc__op_req_t *req, apc__op_res_t *res)
{
    int rc = apc_settings_clear(req->ctx);
    return rc < 0 ? rc : apc__res_int(res, 0);
}
