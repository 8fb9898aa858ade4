/* SPDX-License-Identifier: MIT */
/*
 * POST .../ajax (spec/wire.md "Requests"): checks the method and Origin/Host on the loop
 * thread, then parses the body, resolves the session and runs the action on the thread pool.
 * Order on a worker: parse (400/413 before anything runs) -> session (no side effect when
 * refused) -> for pcap_ingest_post, the file is written only now -> apc_op_call.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "http.h"

char *apcd_error_json(int code, const char *msg)
{
    cJSON *r = cJSON_CreateObject();
    cJSON_AddNumberToObject(r, "ErrorCode", code);
    cJSON_AddNumberToObject(r, "DataType", APC_DATA_TYPE_STRING);
    cJSON_AddStringToObject(r, "ReturnValue", msg);
    char *s = cJSON_PrintUnformatted(r);
    cJSON_Delete(r);
    return s;
}

static int host_is(const char *host, size_t hlen, const char *want)
{
    return strlen(want) == hlen && strncasecmp(host, want, hlen) == 0;
}

const char *apcd_check_origin(const char *host, size_t hlen, const char *origin, size_t olen)
{
    if (!host || hlen == 0)
        return "the request has no Host header";
    /* DNS rebinding: when we listen on one address, a Host naming another server is refused. */
    if (apcd.host_ok[0][0]) {
        int named = 0;
        for (int i = 0; i < 4 && !named; i++)
            named = apcd.host_ok[i][0] && host_is(host, hlen, apcd.host_ok[i]);
        if (!named)
            return "the Host header does not name this server";
    }
    if (origin) {
        /* Cross-site posts: a browser names the page's origin; it must be this server. */
        const char *p = NULL;
        size_t pl = 0;
        if (olen > 7 && strncasecmp(origin, "http://", 7) == 0)
            p = origin + 7, pl = olen - 7;
        else if (olen > 8 && strncasecmp(origin, "https://", 8) == 0)
            p = origin + 8, pl = olen - 8;
        if (!p || pl != hlen || strncasecmp(p, host, hlen) != 0)
            return "the Origin header does not match this server";
    }
    return NULL;
}

int apcd_upload_name(char out[64])
{
    unsigned char r[16];
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, r, sizeof r);
    close(fd);
    if (n != (ssize_t)sizeof r)
        return -1;
    int o = snprintf(out, 64, "upload-");
    for (int i = 0; i < 16; i++)
        o += snprintf(out + o, (size_t)(64 - o), "%02x", r[i]);
    return 0;
}

int apcd_session_for(const char *action, const char *token, const char *peer, int via_node_port,
                     apc_session_t *s, char **user, char **json)
{
    memset(s, 0, sizeof *s);
    *user = NULL;
    s->peer = peer;
    s->token = token;
    /* A worker thread held by wait=1 serves nobody else: past max_wait the action answers the
     * state as it is and the client polls (docs/apcd.md). */
    s->wait_limit_ms = apcd.cfg.max_wait * 1000;
    if (apcd.cfg.no_auth) {
        s->role = APC_ROLE_ADMIN;
        s->username = "(no-auth)";
        return 0;
    }
    const apc_op_info_t *info = apc_op_find(action);
    /* Unknown actions need a session too: the table is not shown to strangers. */
    int need = info ? info->role : APC_ROLE_VIEWER;
    if (need == APC_ROLE_NONE)
        return 0;
    /* With mutual TLS the fleet's secret alone is not enough: it must come over the node
     * port, whose clients showed a certificate of the fleet's CA (http.c). */
    if (apcd.cfg.node_port && !via_node_port && token && strncmp(token, "node:", 5) == 0) {
        char msg[200];
        snprintf(msg, sizeof msg,
                 "node credentials are accepted on the node port only (%d, mutual TLS with a "
                 "certificate of the fleet's CA)",
                 apcd.cfg.node_port);
        *json = apcd_error_json(APC_SERVE_NO_TOKEN, msg);
        return APC_SERVE_NO_TOKEN;
    }
    int role = 0;
    int rc = apc_session_check(apcd.ctx, token, &role, user);
    if (rc < 0) {
        int code = apc_serve_error_from(rc);
        *json = apcd_error_json(code, apc_last_error_message());
        return code;
    }
    s->role = role;
    s->username = *user;
    return 0;
}

void apcd_run_action(apcd_job_t *j, apc_params_t *params, const char *hdr_token, const char *peer,
                     int via_node_port, int has_upload)
{
    const char *action = apc_params_get(params, "action");
    const char *token = apc_params_get(params, "token");
    if (!token || !*token)
        token = hdr_token;
    if (action && apc_op_find(action))
        snprintf(j->action, sizeof j->action, "%s", action);
    else
        snprintf(j->action, sizeof j->action, "%s", action ? "(unknown)" : "(none)");
    j->status = 200;
    apc_session_t s;
    char *user = NULL, *json = NULL;
    /* Before the session: "token=<valid>%00junk" must not pass as <valid>, nor
     * "action=settings_set%00" run settings_set. */
    const char *nul = apc_params_nul(params);
    int code = 0;
    if (nul) {
        snprintf(j->action, sizeof j->action, "%s", "(refused)");
        char msg[256];
        snprintf(msg, sizeof msg,
                 "parameter '%.64s' contains a NUL byte (%%00 or \\u0000): the request is "
                 "refused",
                 nul);
        code = APC_SERVE_MALFORMED_REQUEST;
        json = apcd_error_json(code, msg);
    } else {
        code = apcd_session_for(action ? action : "", token, peer, via_node_port, &s, &user, &json);
    }
    const char *who = code == 0 && s.username ? s.username : "-";
    if (code == 0 && action && strcmp(action, "pcap_ingest_post") == 0 && !has_upload &&
        s.role >= APC_ROLE_ADMIN) {
        code = APC_SERVE_MALFORMED_REQUEST;
        json = apcd_error_json(code, "pcap_ingest_post: no uploaded file: send the file as "
                                     "the multipart field 'file'");
    }
    if (code == 0) {
        code = apc_op_call(apcd.ctx, &s, action, params, &json);
        if (code < 0) {
            free(json);
            json = apcd_error_json(APC_SERVE_GENERIC_ERROR, apc_last_error_message());
            code = APC_SERVE_GENERIC_ERROR;
        }
    }
    /* Before free(user): who may point into it. */
    apcd_access_log(peer, who, j->action, code, apcd_now() - j->t0);
    apcd_audit_log(peer, who, j->action, params, code);
    free(user);
    j->code = code;
    j->body = json;
    j->blen = json ? strlen(json) : 0;
}

/* --- the h2o path: the whole body is in memory (at most max_body) ------------------------ */

enum { B_NONE, B_FORM, B_JSON, B_MULTIPART };

typedef struct ajax {
    char *body, *query, *token;
    size_t blen, qlen;
    int kind;
    char boundary[72];
    char peer[64];
    int via_node_port; /* came over the node port (mutual TLS) */
    /* multipart */
    apc_params_t *params;
    size_t count;
    int pass; /* 1: fields, 2: the file */
    int has_file;
    char upload[64]; /* generated name */
    char *upload_path;
    int fd;
    int werr;
} ajax_t;

static void ajax_free(void *p)
{
    ajax_t *a = p;
    free(a->body);
    free(a->query);
    free(a->token);
    free(a->upload_path);
    free(a);
}

static int mp_field(void *u, const char *name, const char *value, size_t len)
{
    ajax_t *a = u;
    if (a->pass != 1 || strcmp(name, "file") == 0)
        return 0;
    return apc_params_addn(a->params, name, value, len) < 0;
}

static int mp_file_begin(void *u, const char *name, const char *filename)
{
    ajax_t *a = u;
    if (strcmp(name, "file") != 0 || a->has_file > (a->pass == 2))
        return 0;
    if (a->pass == 1) {
        a->has_file = 1;
        /* The client's file name only names the capture, never a path. */
        if (filename && *filename && !apc_params_get(a->params, "name"))
            apc_params_add(a->params, "name", filename);
        return 0;
    }
    a->has_file = 2;
    a->fd = open(a->upload_path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (a->fd < 0)
        a->werr = errno;
    return a->fd < 0;
}

static int mp_file_data(void *u, const char *d, size_t n)
{
    ajax_t *a = u;
    if (a->pass != 2 || a->fd < 0)
        return 0;
    while (n > 0) {
        ssize_t w = write(a->fd, d, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            a->werr = errno;
            return 1;
        }
        d += w, n -= (size_t)w;
    }
    return 0;
}

static int mp_file_end(void *u)
{
    ajax_t *a = u;
    if (a->pass == 2 && a->fd >= 0) {
        if (close(a->fd) < 0)
            a->werr = errno;
        a->fd = -1;
    }
    return a->werr != 0;
}

static const apcd_mp_cb_t mp_cb = {mp_field, mp_file_begin, mp_file_data, mp_file_end};

static int mp_pass(ajax_t *a, int pass, char *err, size_t errlen)
{
    a->pass = pass;
    apcd_mp_t *m = apcd_mp_new(a->boundary, &apcd.cfg.lim, &mp_cb, a);
    if (!m) {
        snprintf(err, errlen, "multipart body: bad boundary");
        return APCD_PARSE_FORMAT;
    }
    int rc = apcd_mp_feed(m, a->body, a->blen);
    if (rc == 0)
        rc = apcd_mp_finish(m);
    if (rc)
        snprintf(err, errlen, "%s", apcd_mp_error(m));
    apcd_mp_free(m);
    return rc;
}

static void ajax_run(apcd_job_t *j)
{
    ajax_t *a = j->data;
    char err[300] = "";
    a->fd = -1;
    if (apc_params_new(&a->params) < 0) {
        j->status = 500;
        return;
    }
    int rc = 0;
    if (a->kind == B_MULTIPART) {
        /* Ours first: apc_params_get answers the first value, so a client's `file` is moot. */
        if (apcd_upload_name(a->upload) < 0 || apc_params_add(a->params, "file", a->upload) < 0)
            rc = APCD_PARSE_NOMEM;
    }
    if (rc == 0 && a->query)
        rc = apcd_form_parse(a->query, a->qlen, &apcd.cfg.lim, a->params, &a->count, err,
                             sizeof err);
    if (rc == 0 && a->kind == B_FORM)
        rc =
            apcd_form_parse(a->body, a->blen, &apcd.cfg.lim, a->params, &a->count, err, sizeof err);
    else if (rc == 0 && a->kind == B_JSON)
        rc = apcd_json_parse(a->body, a->blen, &apcd.cfg.lim, a->params, err, sizeof err);
    else if (rc == 0 && a->kind == B_MULTIPART)
        rc = mp_pass(a, 1, err, sizeof err);
    if (rc) {
        int code = rc == APCD_PARSE_LIMIT ? APC_SERVE_LIMIT_EXCEEDED : APC_SERVE_MALFORMED_REQUEST;
        j->status = rc == APCD_PARSE_LIMIT ? 413 : 400;
        j->code = code;
        snprintf(j->action, sizeof j->action, "(malformed)");
        j->body = apcd_error_json(code, err[0] ? err : "malformed request");
        j->blen = j->body ? strlen(j->body) : 0;
        apc_params_free(a->params);
        return;
    }
    const char *action = apc_params_get(a->params, "action");
    int upload =
        a->kind == B_MULTIPART && a->has_file && action && strcmp(action, "pcap_ingest_post") == 0;
    if (upload) {
        /* The session first: nothing is written for a caller who may not upload. */
        apc_session_t s;
        char *user = NULL, *json = NULL;
        const char *tok = apc_params_get(a->params, "token");
        int code = apcd_session_for(action, tok && *tok ? tok : a->token, a->peer, a->via_node_port,
                                    &s, &user, &json);
        if (code == 0 && s.role < APC_ROLE_ADMIN && !apcd.cfg.no_auth) {
            code = APC_SERVE_INVALID_PERMISSIONS;
            json = apcd_error_json(code, "permission denied: pcap_ingest_post needs the admin "
                                         "role");
        }
        free(user);
        if (code) {
            snprintf(j->action, sizeof j->action, "%s", action);
            j->status = 200, j->code = code, j->body = json;
            j->blen = json ? strlen(json) : 0;
            apc_params_free(a->params);
            return;
        }
        /* Sized from the data directory: a fixed buffer cut long paths (the upload then went
         * to a truncated, wrong directory). */
        const char *data_dir = apc_ctx_data_dir(apcd.ctx);
        size_t pl = strlen(data_dir) + sizeof "/uploads/" + strlen(a->upload);
        a->upload_path = malloc(pl);
        if (a->upload_path) {
            snprintf(a->upload_path, pl, "%s/uploads", data_dir);
            mkdir(a->upload_path, 0700);
            snprintf(a->upload_path, pl, "%s/uploads/%s", data_dir, a->upload);
        }
        if (!a->upload_path || mp_pass(a, 2, err, sizeof err) || a->werr) {
            if (a->fd >= 0)
                close(a->fd);
            if (a->upload_path)
                unlink(a->upload_path);
            j->status = 200, j->code = APC_SERVE_IO_ERROR;
            snprintf(j->action, sizeof j->action, "%s", action);
            snprintf(err, sizeof err, "storing the upload: %s", strerror(a->werr ? a->werr : EIO));
            j->body = apcd_error_json(j->code, err);
            j->blen = j->body ? strlen(j->body) : 0;
            apc_params_free(a->params);
            return;
        }
    }
    apcd_run_action(j, a->params, a->token, a->peer, a->via_node_port, upload);
    if (upload && a->upload_path)
        unlink(a->upload_path); /* normally gone already (pcap_ingest_post removes it) */
    apc_params_free(a->params);
}

static int reply_now(h2o_req_t *req, int status, const char *reason, int code, const char *msg)
{
    char *json = apcd_error_json(code, msg);
    req->res.status = status;
    req->res.reason = reason;
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL,
                   H2O_STRLIT("application/json"));
    h2o_send_inline(req, json, strlen(json));
    free(json);
    apcd_metrics_request("(refused)", code, 0);
    return 0;
}

static int ctype_is(const char *ct, size_t len, const char *want)
{
    size_t n = strlen(want);
    return len >= n && strncasecmp(ct, want, n) == 0 && (len == n || ct[n] == ';' || ct[n] == ' ');
}

int apcd_ajax_on_req(h2o_req_t *req)
{
    if (!h2o_memis(req->method.base, req->method.len, H2O_STRLIT("POST"))) {
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_ALLOW, NULL, H2O_STRLIT("POST"));
        h2o_send_error_405(req, "Method Not Allowed", "ajax takes POST only\n",
                           H2O_SEND_ERROR_KEEP_HEADERS);
        apcd_metrics_request("(refused)", 405, 0);
        return 0;
    }
    size_t hl = 0, cl = 0, tl = 0;
    const char *why = apcd_check_request(req);
    if (why)
        return reply_now(req, 403, "Forbidden", APC_SERVE_INVALID_PERMISSIONS, why);
    (void)hl;
    const char *ct = apcd_header(req, "content-type", &cl);
    ajax_t *a = calloc(1, sizeof *a);
    apcd_job_t *j = calloc(1, sizeof *j);
    if (!a || !j) {
        free(a), free(j);
        h2o_send_error_503(req, "Service Unavailable", "out of memory\n", 0);
        return 0;
    }
    if (!req->entity.base || req->entity.len == 0)
        a->kind = B_NONE;
    else if (ct && ctype_is(ct, cl, "application/x-www-form-urlencoded"))
        a->kind = B_FORM;
    else if (ct && ctype_is(ct, cl, "application/json"))
        a->kind = B_JSON;
    else if (ct && ctype_is(ct, cl, "multipart/form-data") &&
             apcd_mp_boundary(ct, cl, a->boundary) == 0)
        a->kind = B_MULTIPART;
    else {
        free(a), free(j);
        return reply_now(req, 400, "Bad Request", APC_SERVE_MALFORMED_REQUEST,
                         "the body must be application/x-www-form-urlencoded, application/json "
                         "or multipart/form-data (with a boundary)");
    }
    if (a->kind != B_NONE) {
        a->body = malloc(req->entity.len + 1);
        if (a->body) {
            memcpy(a->body, req->entity.base, req->entity.len);
            a->blen = req->entity.len;
        }
    }
    if (req->query_at != SIZE_MAX) {
        a->qlen = req->path.len - req->query_at - 1;
        a->query = strndup(req->path.base + req->query_at + 1, a->qlen);
    }
    const char *tok = apcd_header(req, "x-apc-token", &tl);
    if (tok)
        a->token = strndup(tok, tl);
    apcd_peer(req, a->peer, sizeof a->peer);
    a->via_node_port = apcd_via_node_port(req);
    j->data = a;
    j->free_data = ajax_free;
    j->run = ajax_run;
    j->t0 = apcd_now();
    apcd_job_start(j, req);
    return 0;
}
