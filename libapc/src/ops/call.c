/* SPDX-License-Identifier: MIT */
/*
 * apc_op_call: the single entry point for actions. Order of checks: known action, role,
 * implemented, parameters; only then the handler runs, so a refused call has no side effect.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "ops/ops_internal.h"

int apc__res_json(apc__op_res_t *res, cJSON *value)
{
    if (!value)
        return apc__err(APC_ENOMEM, "out of memory building the reply");
    res->data_type = APC_DATA_TYPE_JSON;
    res->value = value;
    return 0;
}

int apc__res_int(apc__op_res_t *res, int64_t v)
{
    cJSON *n = apc__json_i64(v);
    if (!n)
        return apc__err(APC_ENOMEM, "out of memory building the reply");
    res->data_type = APC_DATA_TYPE_INT;
    res->value = n;
    return 0;
}

int apc__res_str(apc__op_res_t *res, const char *s)
{
    /* Through an object so invalid UTF-8 is replaced like in every other string we send. */
    cJSON *tmp = cJSON_CreateObject();
    if (!tmp || apc__json_add_str(tmp, "v", s) < 0) {
        cJSON_Delete(tmp);
        return apc__err(APC_ENOMEM, "out of memory building the reply");
    }
    res->data_type = APC_DATA_TYPE_STRING;
    res->value = cJSON_DetachItemFromObject(tmp, "v");
    cJSON_Delete(tmp);
    return 0;
}

/* Encodes the RESPONSE object; takes ownership of value. NULL on allocation failure. */
static char *encode(int code, int data_type, cJSON *value)
{
    cJSON *r = cJSON_CreateObject();
    if (!r || !value) {
        cJSON_Delete(r);
        cJSON_Delete(value);
        return NULL;
    }
    cJSON_AddNumberToObject(r, "ErrorCode", code);
    cJSON_AddNumberToObject(r, "DataType", data_type);
    cJSON_AddItemToObject(r, "ReturnValue", value);
    char *s = cJSON_PrintUnformatted(r);
    cJSON_Delete(r);
    if (!s)
        return NULL;
    /* Hand back memory the caller frees with apc_free (libc free), whatever cJSON's hooks. */
    char *out = strdup(s);
    cJSON_free(s);
    return out;
}

static int error_reply(int code, const char *msg, char **out_json)
{
    cJSON *tmp = cJSON_CreateObject();
    cJSON *v = NULL;
    if (tmp && apc__json_add_str(tmp, "v", msg) == 0)
        v = cJSON_DetachItemFromObject(tmp, "v");
    cJSON_Delete(tmp);
    *out_json = encode(code, APC_DATA_TYPE_STRING, v);
    return *out_json ? code : APC_ENOMEM;
}

/* The message of a failed handler: its own detailed message, else the code's text. */
static int handler_error(const char *action, int rc, char **out_json)
{
    const char *m = apc_last_error_message();
    char buf[1200];
    snprintf(buf, sizeof buf, "%s: %s", action, m && *m ? m : apc_strerror(rc));
    return error_reply(apc_serve_error_from(rc), buf, out_json);
}

APC_API int apc_op_call(apc_ctx_t *ctx, const apc_session_t *session, const char *action,
                        const apc_params_t *params, char **out_json)
{
    if (!out_json)
        return apc__err(APC_EINVAL, "apc_op_call: out_json is NULL");
    *out_json = NULL;
    char buf[512];

    if (!action || !*action)
        return error_reply(APC_SERVE_MALFORMED_REQUEST, "missing parameter 'action'", out_json);
    const apc__op_def_t *def = apc__ops_def(action);
    if (!def) {
        const char *near = apc__ops_suggest(action);
        if (near)
            snprintf(buf, sizeof buf, "unknown action '%.128s' (did you mean '%s'?)", action, near);
        else
            snprintf(buf, sizeof buf, "unknown action '%.128s'", action);
        return error_reply(APC_SERVE_UNKNOWN_ACTION, buf, out_json);
    }
    const char *nul = apc_params_nul(params);
    if (nul) {
        snprintf(buf, sizeof buf,
                 "parameter '%.64s' contains a NUL byte: a value is text up to its end, so the "
                 "request is refused whole",
                 nul);
        return error_reply(APC_SERVE_MALFORMED_REQUEST, buf, out_json);
    }
    const apc_op_info_t *info = &def->info;
    int role = session ? session->role : APC_ROLE_ADMIN;
    if (role == APC_ROLE_NODE && !apc_op_node_action(info->name)) {
        snprintf(buf, sizeof buf,
                 "permission denied: %s is not a node-to-node action, the node secret does not "
                 "grant it",
                 info->name);
        return error_reply(APC_SERVE_INVALID_PERMISSIONS, buf, out_json);
    }
    if (role != APC_ROLE_NODE && role < info->role) {
        snprintf(buf, sizeof buf, "permission denied: %s needs the %s role", info->name,
                 info->role >= APC_ROLE_ADMIN ? "admin" : "viewer");
        return error_reply(APC_SERVE_INVALID_PERMISSIONS, buf, out_json);
    }
    if (!info->implemented || !def->fn) {
        snprintf(buf, sizeof buf, "%s is not implemented yet", info->name);
        return error_reply(APC_SERVE_NOT_SUPPORTED, buf, out_json);
    }
    if (!ctx)
        return error_reply(APC_SERVE_GENERIC_ERROR, "no library context", out_json);

    size_t np = 0;
    while (info->params && info->params[np].name)
        np++;
    apc__op_req_t req = {.ctx = ctx, .session = session, .info = info};
    req.args = calloc(np + 1, sizeof *req.args);
    if (!req.args)
        return apc__err(APC_ENOMEM, "out of memory for the arguments of %s", info->name);
    int rc = apc__ops_validate(&req, params);
    if (rc < 0) {
        /* Validation messages already name the parameter; no prefix. */
        int code = apc_serve_error_from(rc);
        snprintf(buf, sizeof buf, "%s", apc_last_error_message());
        apc__ops_args_free(info, req.args);
        return error_reply(code, buf, out_json);
    }

    apc__op_res_t res = {0};
    apc__err_clear();
    rc = def->fn(&req, &res);
    apc__ops_args_free(info, req.args);
    if (rc < 0) {
        cJSON_Delete(res.value);
        return handler_error(info->name, rc, out_json);
    }
    *out_json = encode(APC_SERVE_SUCCESS, res.data_type, res.value);
    return *out_json ? APC_SERVE_SUCCESS : apc__err(APC_ENOMEM, "out of memory for the reply");
}

int apc__op_wait_ms(const apc__op_req_t *req)
{
    return req->session && req->session->wait_limit_ms > 0 ? req->session->wait_limit_ms : -1;
}

int apc__op_waited(int rc)
{
    if (rc == APC_EBUSY) {
        apc__err_clear();
        return 0;
    }
    return rc;
}
