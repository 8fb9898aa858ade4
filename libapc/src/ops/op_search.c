/* SPDX-License-Identifier: MIT */
/* Search actions: SEARCHSYNTAX, SEARCHMETA and SEARCHLIST over apc/search.h (docs/api.md). */
#include <stdlib.h>
#include <string.h>

#include <apc/export.h>
#include <apc/search.h>

#include "core/error.h"
#include "fleet/peer.h"
#include "ops/jsonw.h"
#include "ops/op_search.h"

static cJSON *json_meta(const apc_search_meta_t *m)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    int rc = 0;
    rc |= apc__json_add_i64(o, "Version", 1);
    rc |= apc__json_add_i64(o, "SearchId", m->id);
    rc |= apc__json_add_str(o, "Filter", m->filter);
    rc |= apc__json_add_str(o, "State", apc_search_state_name(m->state));
    rc |= apc__json_add_i64(o, "Progress", m->progress);
    rc |= apc__json_add_u64(o, "Scanned", m->scanned);
    rc |= apc__json_add_u64(o, "Matches", m->matches);
    rc |= apc__json_add_time(o, "StartTime", m->start_time);
    rc |= apc__json_add_time(o, "EndTime", m->end_time);
    rc |= apc__json_add_str(o, "Error", m->error);
    /* ours, after the known fields */
    rc |= apc__json_add_i64(o, "CaptureId", m->capture_id);
    rc |= apc__json_add_time(o, "Created", m->created);
    rc |= apc__json_add_str(o, "Owner", m->owner);
    if (rc) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

static int reply_meta(apc__op_req_t *req, apc__op_res_t *res, int64_t id)
{
    apc_search_meta_t *m = NULL;
    int rc = apc_search_get(req->ctx, id, &m);
    if (rc < 0)
        return rc;
    cJSON *o = json_meta(m);
    apc_search_meta_free(m);
    return apc__res_json(res, o);
}

int apc__op_search_verify_filter(apc__op_req_t *req, apc__op_res_t *res)
{
    apc_search_syntax_t *s = NULL;
    int rc = apc_search_verify(apc__arg_str(req, "filter"), &s);
    if (rc < 0)
        return rc;
    cJSON *o = cJSON_CreateObject();
    if (o) {
        int e = 0;
        e |= apc__json_add_i64(o, "Version", 1);
        e |= apc__json_add_i64(o, "Valid", s->valid);
        e |= apc__json_add_str(o, "Error", s->error);
        e |= apc__json_add_i64(o, "ErrorOffset", (int64_t)s->error_offset);
        e |= apc__json_add_str(o, "Normalized", s->normalized);
        if (e) {
            cJSON_Delete(o);
            o = NULL;
        }
    }
    apc_search_syntax_free(s);
    return apc__res_json(res, o);
}

int apc__op_search_start(apc__op_req_t *req, apc__op_res_t *res)
{
    /* The original's list names the parameter `filter`, its text `q`: both are accepted. */
    const char *filter = apc__arg_str(req, "filter");
    if (!filter)
        filter = apc__arg_str(req, "q");
    if (!filter)
        return apc__err(APC_EINVAL, "missing parameter 'filter' (or 'q')");
    apc_search_options_t o;
    int rc = apc_search_options_init(&o, APC_SEARCH_OPTIONS_VERSION);
    if (rc < 0)
        return rc;
    o.capture_id = apc__arg_int(req, "capture_id");
    int64_t from = apc__arg_int(req, "start_dtg"), to = apc__arg_int(req, "end_dtg");
    o.start_time = from ? apc_time_from_filetime(from) : 0;
    o.end_time = to ? apc_time_from_filetime(to) : 0;
    o.owner = req->session ? req->session->username : NULL;
    int64_t id = 0;
    if ((rc = apc_search_start(req->ctx, filter, &o, &id)) < 0)
        return rc;
    /* ours: a caller that exits when the call returns (apcctl) needs the search finished */
    if (apc__arg_int(req, "wait") &&
        (rc = apc__op_waited(apc_search_wait(req->ctx, id, apc__op_wait_ms(req)))) < 0)
        return rc;
    return reply_meta(req, res, id);
}

int apc__op_search_open(apc__op_req_t *req, apc__op_res_t *res)
{
    return reply_meta(req, res, apc__arg_int(req, "search_id"));
}

int apc__op_search_list(apc__op_req_t *req, apc__op_res_t *res)
{
    apc_search_list_t *l = NULL;
    int rc = apc_search_list(req->ctx, &l);
    if (rc < 0)
        return rc;
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; arr && i < l->count; i++)
        arr = apc__json_push(arr, json_meta(l->items[i]));
    apc_search_list_free(l);
    return apc__res_json(res, arr);
}

/* The PACKETs of matches i..*j of another node's capture (one request: the run of the page's
 * matches of that capture within APC_PAGE_MAX ids of the first), as that node answers them. */
static int remote_run(apc_ctx_t *ctx, const apc_search_page_t *pg, size_t i, size_t *j,
                      const char *node, const char *url, char **raws)
{
    int64_t ids[APC_PAGE_MAX];
    size_t n = 0;
    const apc_packet_t *ps = pg->packets;
    while (i + n < pg->count && n < APC_PAGE_MAX && ps[i + n].capture_id == ps[i].capture_id &&
           ps[i + n].id - ps[i].id < APC_PAGE_MAX && (n == 0 || ps[i + n].id > ids[n - 1])) {
        ids[n] = ps[i + n].id;
        n++;
    }
    *j = i + n;
    return apc__fleet_packets_meta(ctx, node, url, ps[i].capture_id, ids, n, raws + i);
}

/* The PACKETs of a page of matches: ours encoded here, those of another node's capture as
 * that node answers them (fleet/peer.h), in the page's order. */
static int search_packets(apc_ctx_t *ctx, const apc_search_page_t *pg, cJSON **out)
{
    *out = NULL;
    char **raws = calloc(pg->count ? pg->count : 1, sizeof *raws);
    if (!raws)
        return apc__err(APC_ENOMEM, "out of memory");
    apc__jw_t w = {0};
    apc__jw_open(&w, '[');
    char *node = NULL, *url = NULL;
    int64_t seen = 0;
    int theirs = 0, rc = 0;
    size_t run_end = 0; /* raws[i] filled up to here */
    for (size_t i = 0; rc == 0 && i < pg->count; i++) {
        const apc_packet_t *p = &pg->packets[i];
        if (p->capture_id != seen) {
            free(node);
            free(url);
            theirs = apc__fleet_owner(ctx, p->capture_id, &node, &url) == 1;
            seen = p->capture_id;
        }
        if (theirs && i >= run_end)
            rc = remote_run(ctx, pg, i, &run_end, node, url, raws);
        cJSON *one = NULL;
        if (rc == 0 && !theirs && !(one = apc__json_packet(p, 0)))
            rc = apc__err(APC_ENOMEM, "out of memory");
        const char *text = theirs ? raws[i] : one ? one->valuestring : NULL;
        if (rc == 0 && i)
            apc__jw_raw(&w, ",", 1);
        if (rc == 0)
            apc__jw_raw(&w, text, strlen(text));
        cJSON_Delete(one);
    }
    for (size_t i = 0; i < pg->count; i++)
        free(raws[i]);
    free(raws);
    free(node);
    free(url);
    apc__jw_close(&w, ']');
    char *t = apc__jw_take(&w);
    cJSON *arr = t && rc == 0 ? cJSON_CreateRaw(t) : NULL;
    free(t);
    if (rc < 0) {
        cJSON_Delete(arr);
        return rc;
    }
    *out = arr;
    return arr ? 0 : apc__err(APC_ENOMEM, "out of memory");
}

int apc__op_search_read(apc__op_req_t *req, apc__op_res_t *res)
{
    apc_search_page_t *pg = NULL;
    int rc = apc_search_read(req->ctx, apc__arg_int(req, "search_id"), apc__arg_int(req, "last_id"),
                             (unsigned)apc__arg_int(req, "count"), &pg);
    if (rc < 0)
        return rc;
    cJSON *o = cJSON_CreateObject();
    cJSON *arr = NULL;
    int e = !o;
    if (o) {
        e |= apc__json_add_i64(o, "Version", 1);
        e |= apc__json_add_i64(o, "SearchId", pg->search_id);
        e |= apc__json_add_i64(o, "LastId", pg->last_id);
        e |= apc__json_add_i64(o, "More", pg->more ? 1 : 0);
        arr = NULL;
        e |= (rc = search_packets(req->ctx, pg, &arr)) < 0;
        if (!arr || !cJSON_AddItemToObject(o, "Packets", arr)) {
            cJSON_Delete(arr);
            e = 1;
        }
    }
    apc_search_page_free(pg);
    if (e) {
        cJSON_Delete(o);
        o = NULL;
    }
    return rc < 0 ? rc : apc__res_json(res, o);
}

/* An admin may change any search; a viewer only those its own account started (a search
 * without an owner was started by a local caller or before owners were recorded). */
static int may_change(const apc__op_req_t *req, int64_t id, const char *what)
{
    if (!req->session || req->session->role >= APC_ROLE_ADMIN)
        return 0;
    apc_search_meta_t *m = NULL;
    int rc = apc_search_get(req->ctx, id, &m);
    if (rc < 0)
        return rc;
    const char *me = req->session->username;
    int mine = me && *me && strcmp(m->owner, me) == 0;
    if (!mine)
        rc = apc__err(APC_EPERM,
                      "permission denied: search %lld was started by %s; a viewer can %s only "
                      "its own searches",
                      (long long)id, *m->owner ? "another account" : "no account", what);
    apc_search_meta_free(m);
    return rc;
}

int apc__op_search_cancel(apc__op_req_t *req, apc__op_res_t *res)
{
    int64_t id = apc__arg_int(req, "search_id");
    int rc = may_change(req, id, "cancel");
    if (rc == 0)
        rc = apc_search_cancel(req->ctx, id);
    return rc < 0 ? rc : apc__res_int(res, 0);
}

int apc__op_search_delete(apc__op_req_t *req, apc__op_res_t *res)
{
    int64_t id = apc__arg_int(req, "search_id");
    int rc = may_change(req, id, "delete");
    if (rc == 0)
        rc = apc_search_delete(req->ctx, id);
    return rc < 0 ? rc : apc__res_int(res, 0);
}

int apc__op_search_export(apc__op_req_t *req, apc__op_res_t *res)
{
    char *uid = NULL;
    int rc = apc_search_export(req->ctx, apc__arg_int(req, "search_id"), apc__arg_str(req, "path"),
                               (int)apc__arg_int(req, "overwrite"), &uid);
    if (rc < 0)
        return rc;
    if (apc__arg_int(req, "wait"))
        rc = apc__op_waited(apc_command_wait(req->ctx, uid, apc__op_wait_ms(req)));
    apc_command_t *c = NULL;
    if (rc == 0)
        rc = apc_command_get(req->ctx, uid, &c);
    apc_free(uid);
    if (rc < 0)
        return rc;
    cJSON *o = apc__json_command(c);
    apc_command_free(c);
    return apc__res_json(res, o);
}
