/* SPDX-License-Identifier: MIT */
/* Trigger and action actions (apc/trigger.h): TRIGGER and ACTION objects, docs/triggers.md. */
#include <apc/trigger.h>

#include "ops/ops_internal.h"

#define TRIGGER_VERSION 1
#define ACTION_VERSION 1

static cJSON *id_array(const int64_t *ids, size_t n)
{
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; arr && i < n; i++)
        arr = apc__json_push(arr, apc__json_i64(ids[i]));
    return arr;
}

static cJSON *json_trigger(const apc_trigger_t *t)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    int rc = apc__json_add_i64(o, "Version", TRIGGER_VERSION);
    rc |= apc__json_add_i64(o, "TriggerId", t->id);
    rc |= apc__json_add_str(o, "Name", t->name);
    rc |= apc__json_add_i64(o, "Type", t->type);
    rc |= apc__json_add_str(o, "Path", t->path);
    rc |= apc__json_add_str(o, "Filter", t->filter);
    rc |= apc__json_add_u64(o, "Flags", t->flags);
    rc |= apc__json_add_i64(o, "Enabled", t->enabled);
    cJSON *a = id_array(t->action_ids, t->n_actions);
    if (!a || !cJSON_AddItemToObject(o, "Actions", a))
        rc = -1;
    rc |= apc__json_add_u64(o, "TimesFired", t->times_fired);
    rc |= apc__json_add_time(o, "LastFired", t->last_fired);
    rc |= apc__json_add_i64(o, "LastCaptureId", t->last_capture_id);
    rc |= apc__json_add_str(o, "LastError", t->last_error);
    rc |= apc__json_add_str(o, "Watcher", t->watcher);
    rc |= apc__json_add_u64(o, "Drops", t->drops);   /* ours, after the spec's fields */
    rc |= apc__json_add_u64(o, "Missed", t->missed); /* ours */
    if (rc) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

static cJSON *json_action(const apc_action_t *a)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    int rc = apc__json_add_i64(o, "Version", ACTION_VERSION);
    rc |= apc__json_add_i64(o, "ActionId", a->id);
    rc |= apc__json_add_str(o, "Name", a->name);
    rc |= apc__json_add_i64(o, "Type", a->type);
    rc |= apc__json_add_str(o, "Path", a->path);
    rc |= apc__json_add_str(o, "Params", a->params);
    cJSON *t = id_array(a->trigger_ids, a->n_triggers);
    if (!t || !cJSON_AddItemToObject(o, "Triggers", t))
        rc = -1;
    rc |= apc__json_add_i64(o, "SystemWide", a->system_wide);
    rc |= apc__json_add_time(o, "LastRun", a->last_run);
    rc |= apc__json_add_i64(o, "LastCaptureId", a->last_capture_id);
    rc |= apc__json_add_i64(o, "LastStatus", a->last_status);
    rc |= apc__json_add_str(o, "LastError", a->last_error);
    rc |= apc__json_add_str(o, "LastOutput", a->last_output);
    rc |= apc__json_add_str(o, "LastFile", a->last_file);
    if (rc) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

static int actions_reply(apc__op_res_t *res, int rc, apc_action_list_t *l)
{
    if (rc < 0)
        return rc;
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; arr && i < l->count; i++)
        arr = apc__json_push(arr, json_action(&l->items[i]));
    apc_action_list_free(l);
    return apc__res_json(res, arr);
}

static int done(apc__op_res_t *res, int rc)
{
    return rc < 0 ? rc : apc__res_int(res, 0);
}

int apc__op_trigger_add(apc__op_req_t *req, apc__op_res_t *res)
{
    int64_t id = 0;
    int rc =
        apc_trigger_add(req->ctx, apc__arg_str(req, "name"), (int)apc__arg_int(req, "trigger_type"),
                        apc__arg_str(req, "path"), apc__arg_str(req, "filter"),
                        (uint32_t)apc__arg_int(req, "flags"), &id);
    return rc < 0 ? rc : apc__res_int(res, id);
}

int apc__op_trigger_mod(apc__op_req_t *req, apc__op_res_t *res)
{
    return done(res,
                apc_trigger_mod(req->ctx, apc__arg_int(req, "trigger_id"),
                                apc__arg_str(req, "filter"), (uint32_t)apc__arg_int(req, "flags")));
}

int apc__op_trigger_remove(apc__op_req_t *req, apc__op_res_t *res)
{
    return done(res, apc_trigger_remove(req->ctx, apc__arg_int(req, "trigger_id")));
}

int apc__op_trigger_list(apc__op_req_t *req, apc__op_res_t *res)
{
    apc_trigger_list_t *l = NULL;
    int rc = apc_trigger_list(req->ctx, &l);
    if (rc < 0)
        return rc;
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; arr && i < l->count; i++)
        arr = apc__json_push(arr, json_trigger(&l->items[i]));
    apc_trigger_list_free(l);
    return apc__res_json(res, arr);
}

int apc__op_trigger_get_actions(apc__op_req_t *req, apc__op_res_t *res)
{
    apc_action_list_t *l = NULL;
    int rc = apc_trigger_get_actions(req->ctx, apc__arg_int(req, "trigger_id"), &l);
    return actions_reply(res, rc, l);
}

int apc__op_trigger_set_action(apc__op_req_t *req, apc__op_res_t *res)
{
    return done(res, apc_trigger_set_action(req->ctx, apc__arg_int(req, "trigger_id"),
                                            apc__arg_int(req, "action_id")));
}

int apc__op_trigger_clear_actions(apc__op_req_t *req, apc__op_res_t *res)
{
    return done(res, apc_trigger_clear_actions(req->ctx, apc__arg_int(req, "trigger_id")));
}

int apc__op_action_add(apc__op_req_t *req, apc__op_res_t *res)
{
    int64_t id = 0;
    int rc = apc_action_add(req->ctx, apc__arg_str(req, "name"),
                            (int)apc__arg_int(req, "action_type"), apc__arg_str(req, "path"),
                            apc__arg_str(req, "params"), apc__arg_int(req, "trigger_id"), &id);
    apc_action_t *a = NULL;
    if (rc == 0)
        rc = apc_action_get(req->ctx, id, &a);
    if (rc < 0)
        return rc;
    cJSON *o = json_action(a);
    apc_action_free(a);
    return apc__res_json(res, o);
}

int apc__op_action_mod(apc__op_req_t *req, apc__op_res_t *res)
{
    return done(res,
                apc_action_mod(req->ctx, apc__arg_int(req, "action_id"), apc__arg_str(req, "name"),
                               apc__arg_str(req, "path"), apc__arg_str(req, "params")));
}

int apc__op_action_remove(apc__op_req_t *req, apc__op_res_t *res)
{
    return done(res, apc_action_remove(req->ctx, apc__arg_int(req, "action_id")));
}

int apc__op_action_list(apc__op_req_t *req, apc__op_res_t *res)
{
    apc_action_list_t *l = NULL;
    int rc = apc_action_list(req->ctx, &l);
    return actions_reply(res, rc, l);
}

int apc__op_action_set_trigger(apc__op_req_t *req, apc__op_res_t *res)
{
    return done(res, apc_action_set_trigger(req->ctx, apc__arg_int(req, "action_id"),
                                            apc__arg_int(req, "trigger_id")));
}

int apc__op_action_clear_triggers(apc__op_req_t *req, apc__op_res_t *res)
{
    return done(res, apc_action_clear_triggers(req->ctx, apc__arg_int(req, "action_id")));
}
