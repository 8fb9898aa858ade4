/* SPDX-License-Identifier: MIT */
/*
 * Downloads (docs/apcd.md "Downloads"): `GET .../download?kind=...` sends an export, an
 * extracted file or a capture's packets as pcapng to a caller with a session, as an attachment
 * with a safe name, with single Range requests (RFC 9110 section 14) answered 206.
 *
 * A browser cannot put a header on a link it follows, and a session token in a URL would land
 * in histories and logs; so `POST .../download` with the same parameters (and the token in
 * X-Apc-Token or the `token` field) answers a RESPONSE whose ReturnValue is a relative URL
 * "download?link=<64 hex>": a link token that names that one file, lives LINK_SECONDS and is
 * worth nothing once its session has ended (logout, expiry). Links live in apcd's memory only.
 *
 * What a kind may read is decided by the action table (the caller's role for the listing
 * action), and files are found through the library's own lists, never by a path the client
 * wrote: kind=export (name: one of export_list's names), kind=capture (capture_id: exported
 * with capture_export into the export folder, with `filter` if given, sent, and removed; the
 * fleet's node secret may ask this one, fleet/fetch.c), kind=extracted (capture_id,
 * file_id: a FileId of extract_file_list, stored under <data>/extracted/<capture>/).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "http.h"

#define LINK_SECONDS 60
#define LINKS_MAX 256
#define CHUNK 65536

typedef struct dl_req {
    char kind[16];
    char name[256];
    long long capture_id, file_id;
    char filter[4096]; /* kind=capture: the export's filter (another node asks it, fleet) */
} dl_req_t;

typedef struct link {
    char id[65];
    char token[80]; /* the session it belongs to */
    dl_req_t what;
    double expires;
} link_t;

static link_t links[LINKS_MAX];
static pthread_mutex_t links_mu = PTHREAD_MUTEX_INITIALIZER;

typedef struct dl {
    dl_req_t what;
    char token[80], link[80], peer[64];
    int via_node_port; /* came over the node port (mutual TLS) */
    int make_link, head;
    char range[80];
    /* resolved */
    char path[4200], fname[256];
    int unlink_after;
    int err_status;
} dl_t;

/* --- parameters ---------------------------------------------------------------------------- */

static int read_params(dl_t *d, apc_params_t *p, char *err, size_t errlen)
{
    const char *kind = apc_params_get(p, "kind");
    const char *v;
    snprintf(d->what.kind, sizeof d->what.kind, "%s", kind ? kind : "");
    if ((v = apc_params_get(p, "name")))
        snprintf(d->what.name, sizeof d->what.name, "%s", v);
    if ((v = apc_params_get(p, "filter")) &&
        (size_t)snprintf(d->what.filter, sizeof d->what.filter, "%s", v) >= sizeof d->what.filter) {
        snprintf(err, errlen, "parameter 'filter' is longer than %zu bytes",
                 sizeof d->what.filter - 1);
        return -1;
    }
    const char *ids[2] = {"capture_id", "file_id"};
    long long *out[2] = {&d->what.capture_id, &d->what.file_id};
    for (int i = 0; i < 2; i++) {
        if (!(v = apc_params_get(p, ids[i])) || !*v)
            continue;
        char *end;
        errno = 0;
        *out[i] = strtoll(v, &end, 10);
        if (*end || errno || *out[i] < 1) {
            snprintf(err, errlen, "parameter '%s' must be a positive integer, got '%.40s'", ids[i],
                     v);
            return -1;
        }
    }
    if ((v = apc_params_get(p, "link")))
        snprintf(d->link, sizeof d->link, "%s", v);
    if ((v = apc_params_get(p, "token")) && *v && !d->token[0])
        snprintf(d->token, sizeof d->token, "%s", v);
    return 0;
}

/* --- link tokens ----------------------------------------------------------------------------- */

static int link_new(const char *token, const dl_req_t *what, char out[65])
{
    unsigned char r[32];
    if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r)
        return -1;
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", r[i]);
    double now = apcd_now();
    pthread_mutex_lock(&links_mu);
    link_t *slot = &links[0];
    for (int i = 0; i < LINKS_MAX; i++) { /* a free or expired slot, else the oldest */
        if (links[i].expires < now) {
            slot = &links[i];
            break;
        }
        if (links[i].expires < slot->expires)
            slot = &links[i];
    }
    memcpy(slot->id, out, 65);
    snprintf(slot->token, sizeof slot->token, "%s", token);
    slot->what = *what;
    slot->expires = now + LINK_SECONDS;
    pthread_mutex_unlock(&links_mu);
    return 0;
}

/* The session token and request of a live link; -1 when unknown or expired. */
static int link_find(const char *id, char token[80], dl_req_t *what)
{
    int rc = -1;
    double now = apcd_now();
    pthread_mutex_lock(&links_mu);
    for (int i = 0; i < LINKS_MAX && strlen(id) == 64; i++)
        if (links[i].expires >= now && strcmp(links[i].id, id) == 0) {
            memcpy(token, links[i].token, 80);
            *what = links[i].what;
            rc = 0;
            break;
        }
    pthread_mutex_unlock(&links_mu);
    return rc;
}

/* --- resolving a kind to a file (worker thread) -------------------------------------------- */

/* Runs `action` as the caller; the RESPONSE parsed, or NULL with the reply's code and message
 * in the job. */
static cJSON *call_as(apcd_job_t *j, const apc_session_t *s, const char *action, apc_params_t *p)
{
    char *json = NULL;
    int code = apc_op_call(apcd.ctx, s, action, p, &json);
    cJSON *r = json ? cJSON_Parse(json) : NULL;
    if (code != 0 || !r) {
        cJSON_Delete(r);
        j->code = code > 0 ? code : APC_SERVE_GENERIC_ERROR;
        j->body = json ? json : apcd_error_json(j->code, apc_last_error_message());
        j->blen = j->body ? strlen(j->body) : 0;
        return NULL;
    }
    free(json);
    return r;
}

/* call_as with the parameters the resolvers pass: capture_id when > 0, wait=1 when asked, a
 * filter when not NULL or "". */
static cJSON *run_as(apcd_job_t *j, const apc_session_t *s, const char *action,
                     long long capture_id, int wait, const char *filter)
{
    apc_params_t *p = NULL;
    char id[24];
    snprintf(id, sizeof id, "%lld", capture_id);
    cJSON *r = NULL;
    if (apc_params_new(&p) == 0 && (capture_id <= 0 || apc_params_add(p, "capture_id", id) == 0) &&
        (!wait || apc_params_add(p, "wait", "1") == 0) &&
        (!filter || !*filter || apc_params_add(p, "filter", filter) == 0))
        r = call_as(j, s, action, p);
    else {
        j->code = APC_SERVE_GENERIC_ERROR;
        j->body = apcd_error_json(j->code, "out of memory");
        j->blen = j->body ? strlen(j->body) : 0;
    }
    apc_params_free(p);
    return r;
}

static int refuse(apcd_job_t *j, int status, int code, const char *msg)
{
    dl_t *d = j->data;
    d->err_status = status;
    j->code = code;
    free(j->body);
    j->body = apcd_error_json(code, msg);
    j->blen = j->body ? strlen(j->body) : 0;
    return -1;
}

static int resolve_export(apcd_job_t *j, const apc_session_t *s)
{
    dl_t *d = j->data;
    cJSON *r = run_as(j, s, "export_list", 0, 0, NULL);
    if (!r)
        return -1;
    /* The Name a client chose, looked up in export_list: only a file listed there (a file of
     * an export root) is ever sent; its Path is what is opened. */
    const cJSON *f, *list = cJSON_GetObjectItemCaseSensitive(r, "ReturnValue");
    const char *path = NULL;
    cJSON_ArrayForEach(f, list)
    {
        const cJSON *n = cJSON_GetObjectItemCaseSensitive(f, "Name");
        const cJSON *p = cJSON_GetObjectItemCaseSensitive(f, "Path");
        if (cJSON_IsString(n) && cJSON_IsString(p) && strcmp(n->valuestring, d->what.name) == 0)
            path = p->valuestring;
    }
    int fits = path && (size_t)snprintf(d->path, sizeof d->path, "%s", path) < sizeof d->path;
    cJSON_Delete(r);
    if (!d->what.name[0] || !fits)
        return refuse(j, 404, APC_SERVE_NOT_FOUND, "download: no export has that name");
    const char *base = strrchr(d->path, '/');
    base = base ? base + 1 : d->path;
    size_t n = strnlen(base, sizeof d->fname - 1); /* the attachment's name; a longer is cut */
    memcpy(d->fname, base, n);
    d->fname[n] = '\0';
    return 0;
}

static int resolve_capture(apcd_job_t *j, const apc_session_t *s)
{
    dl_t *d = j->data;
    cJSON *r = run_as(j, s, "capture_export", d->what.capture_id, 1, d->what.filter);
    if (!r)
        return -1;
    const cJSON *cmd = cJSON_GetObjectItemCaseSensitive(r, "ReturnValue");
    const cJSON *uid = cJSON_GetObjectItemCaseSensitive(cmd, "CommandUid");
    const cJSON *state = cJSON_GetObjectItemCaseSensitive(cmd, "State");
    const cJSON *res = cJSON_GetObjectItemCaseSensitive(cmd, "Result");
    const cJSON *why = cJSON_GetObjectItemCaseSensitive(cmd, "Error");
    int ok = cJSON_IsString(state) && strcmp(state->valuestring, "completed") == 0 &&
             cJSON_IsString(res) && res->valuestring[0] == '/';
    if (ok) {
        snprintf(d->path, sizeof d->path, "%s", res->valuestring);
        snprintf(d->fname, sizeof d->fname, "capture-%lld.pcapng", d->what.capture_id);
        d->unlink_after = 1;
    } else {
        char msg[400];
        snprintf(msg, sizeof msg, "download: exporting capture %lld failed: %s", d->what.capture_id,
                 cJSON_IsString(why) ? why->valuestring : "unknown reason");
        refuse(j, 500, APC_SERVE_IO_ERROR, msg);
    }
    /* The export was only the means: its command record goes, the file after sending. */
    if (cJSON_IsString(uid))
        apc_command_delete(apcd.ctx, uid->valuestring);
    cJSON_Delete(r);
    return ok ? 0 : -1;
}

static int resolve_extracted(apcd_job_t *j, const apc_session_t *s)
{
    dl_t *d = j->data;
    cJSON *r = run_as(j, s, "extract_file_list", d->what.capture_id, 0, NULL);
    if (!r)
        return -1;
    const cJSON *f, *list = cJSON_GetObjectItemCaseSensitive(r, "ReturnValue");
    int found = 0;
    cJSON_ArrayForEach(f, list)
    {
        const cJSON *fid = cJSON_GetObjectItemCaseSensitive(f, "FileId");
        const cJSON *stored = cJSON_GetObjectItemCaseSensitive(f, "StoredName");
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(f, "Name");
        if (!cJSON_IsNumber(fid) || (long long)fid->valuedouble != d->what.file_id ||
            !cJSON_IsString(stored) || strchr(stored->valuestring, '/') ||
            stored->valuestring[0] == '.' || !stored->valuestring[0])
            continue;
        snprintf(d->path, sizeof d->path, "%s/extracted/%lld/%s", apc_ctx_data_dir(apcd.ctx),
                 d->what.capture_id, stored->valuestring);
        snprintf(d->fname, sizeof d->fname, "%s",
                 cJSON_IsString(name) && name->valuestring[0] ? name->valuestring
                                                              : stored->valuestring);
        found = 1;
    }
    cJSON_Delete(r);
    if (!found)
        return refuse(j, 404, APC_SERVE_NOT_FOUND, "download: no extracted file has that id");
    return 0;
}

static void dl_run(apcd_job_t *j)
{
    dl_t *d = j->data;
    snprintf(j->action, sizeof j->action, "(download)");
    j->status = 200;
    if (d->link[0] && link_find(d->link, d->token, &d->what) < 0) {
        refuse(j, 403, APC_SERVE_NO_TOKEN, "download: the link is unknown or has expired");
        return;
    }
    apc_session_t s;
    char *user = NULL, *json = NULL;
    int code =
        apcd_session_for("export_list", d->token, d->peer, d->via_node_port, &s, &user, &json);
    if (code) {
        free(json);
        refuse(j, 403, code,
               code == APC_SERVE_SESSION_TIMEOUT ? "download: the session has expired"
                                                 : "download: no token: log in, then send it in "
                                                   "X-Apc-Token or ask for a link");
        free(user);
        return;
    }
    int rc;
    if (strcmp(d->what.kind, "export") == 0)
        rc = d->make_link ? 0 : resolve_export(j, &s);
    else if (strcmp(d->what.kind, "capture") == 0 && d->what.capture_id > 0)
        rc = d->make_link ? 0 : resolve_capture(j, &s);
    else if (strcmp(d->what.kind, "extracted") == 0 && d->what.capture_id > 0 &&
             d->what.file_id > 0)
        rc = d->make_link ? 0 : resolve_extracted(j, &s);
    else
        rc = refuse(j, 400, APC_SERVE_MALFORMED_REQUEST,
                    "download: kind must be export (with name), capture (with capture_id) or "
                    "extracted (with capture_id and file_id)");
    free(user);
    if (rc < 0) {
        if (!d->err_status) /* refused by the listing action: its own RESPONSE */
            d->err_status = j->code == APC_SERVE_NOT_FOUND             ? 404
                            : j->code == APC_SERVE_INVALID_PERMISSIONS ? 403
                            : j->code == APC_SERVE_NOT_SUPPORTED       ? 501
                            : j->code == APC_SERVE_MALFORMED_REQUEST   ? 400
                                                                       : 500;
        return;
    }
    j->code = 0;
    if (d->make_link) {
        char id[65], url[100];
        if (link_new(d->token, &d->what, id) < 0) {
            refuse(j, 500, APC_SERVE_GENERIC_ERROR, "download: no random bytes for a link");
            return;
        }
        snprintf(url, sizeof url, "download?link=%s", id);
        cJSON *r = cJSON_CreateObject();
        cJSON_AddNumberToObject(r, "ErrorCode", 0);
        cJSON_AddNumberToObject(r, "DataType", APC_DATA_TYPE_STRING);
        cJSON_AddStringToObject(r, "ReturnValue", url);
        j->body = cJSON_PrintUnformatted(r);
        j->blen = j->body ? strlen(j->body) : 0;
        cJSON_Delete(r);
    }
}

/* --- sending (loop thread) ------------------------------------------------------------------- */

typedef struct sender {
    h2o_generator_t super;
    int fd;
    unsigned long long off, left;
    char buf[CHUNK];
} sender_t;

static void sender_proceed(h2o_generator_t *g, h2o_req_t *req)
{
    sender_t *f = (sender_t *)g;
    size_t n = f->left < sizeof f->buf ? (size_t)f->left : sizeof f->buf;
    ssize_t r = n ? pread(f->fd, f->buf, n, (off_t)f->off) : 0;
    if (r <= 0 && n) { /* the file shrank or failed under us: end the response abruptly */
        h2o_send(req, NULL, 0, H2O_SEND_STATE_ERROR);
        return;
    }
    f->off += (unsigned long long)r;
    f->left -= (unsigned long long)r;
    h2o_iovec_t v = h2o_iovec_init(f->buf, (size_t)r);
    h2o_send(req, &v, 1, f->left ? H2O_SEND_STATE_IN_PROGRESS : H2O_SEND_STATE_FINAL);
}

static void sender_stop(h2o_generator_t *g, h2o_req_t *req)
{
    (void)g, (void)req;
}

static void sender_dispose(void *p)
{
    sender_t *f = p;
    if (f->fd >= 0)
        close(f->fd);
}

static void dl_send(apcd_job_t *j, h2o_req_t *req)
{
    dl_t *d = j->data;
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL,
                   H2O_STRLIT("no-store"));
    h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("x-content-type-options"), 0,
                          NULL, H2O_STRLIT("nosniff"));
    int fd = -1;
    struct stat st;
    if (j->code == 0 && !d->make_link) {
        fd = open(d->path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd >= 0 && (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))) {
            close(fd);
            fd = -1;
        }
        if (fd < 0)
            refuse(j, 404, APC_SERVE_NOT_FOUND, "download: the file is gone");
    }
    if (d->unlink_after)
        unlink(d->path); /* the open descriptor keeps it readable */
    if (fd < 0) {
        req->res.status = d->err_status ? d->err_status : 200;
        req->res.reason = req->res.status == 200 ? "OK" : "Error";
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL,
                       H2O_STRLIT("application/json"));
        h2o_send_inline(req, j->body ? j->body : "", j->body ? j->blen : 0);
        return;
    }
    sender_t *f = h2o_mem_alloc_shared(&req->pool, sizeof *f, sender_dispose);
    memset(f, 0, sizeof *f);
    f->fd = fd;
    f->super.proceed = sender_proceed;
    f->super.stop = sender_stop;
    unsigned long long size = (unsigned long long)st.st_size, from = 0, len = size;
    int ranged = d->range[0] ? apcd_range_parse(d->range, size, &from, &len) : 0;
    char *cd = h2o_mem_alloc_pool(&req->pool, APCD_DISPOSITION_MAX);
    apcd_disposition(d->fname, cd, APCD_DISPOSITION_MAX);
    h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("content-disposition"), 0, NULL,
                          cd, strlen(cd));
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_ACCEPT_RANGES, NULL,
                   H2O_STRLIT("bytes"));
    if (ranged < 0) {
        char *cr = h2o_mem_alloc_pool(&req->pool, 48);
        int l = snprintf(cr, 48, "bytes */%llu", size);
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_RANGE, NULL, cr, (size_t)l);
        req->res.status = 416;
        req->res.reason = "Range Not Satisfiable";
        h2o_send_inline(req, H2O_STRLIT(""));
        return;
    }
    if (ranged > 0) {
        char *cr = h2o_mem_alloc_pool(&req->pool, 80);
        int l = snprintf(cr, 80, "bytes %llu-%llu/%llu", from, from + len - 1, size);
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_RANGE, NULL, cr, (size_t)l);
    }
    const char *dot = strrchr(d->fname, '.');
    const char *ct = dot && (!strcmp(dot, ".pcapng") || !strcmp(dot, ".pcap"))
                         ? "application/vnd.tcpdump.pcap"
                         : "application/octet-stream";
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, ct, strlen(ct));
    req->res.status = ranged > 0 ? 206 : 200;
    req->res.reason = ranged > 0 ? "Partial Content" : "OK";
    req->res.content_length = (size_t)len;
    f->off = from;
    f->left = d->head ? 0 : len;
    h2o_start_response(req, &f->super);
    if (d->head || len == 0)
        h2o_send(req, NULL, 0, H2O_SEND_STATE_FINAL);
    else
        sender_proceed(&f->super, req);
}

static void dl_free(void *p)
{
    dl_t *d = p;
    if (d->unlink_after && d->path[0])
        unlink(d->path); /* when the client went away before the reply */
    free(d);
}

int apcd_download_on_req(h2o_req_t *req)
{
    int get = h2o_memis(req->method.base, req->method.len, H2O_STRLIT("GET"));
    int head = h2o_memis(req->method.base, req->method.len, H2O_STRLIT("HEAD"));
    int post = h2o_memis(req->method.base, req->method.len, H2O_STRLIT("POST"));
    char err[300] = "";
    const char *why = NULL;
    size_t tl = 0, rl = 0, cl = 0;
    if (!get && !head && !post) {
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_ALLOW, NULL,
                       H2O_STRLIT("GET, HEAD, POST"));
        h2o_send_error_405(req, "Method Not Allowed", "method not allowed\n",
                           H2O_SEND_ERROR_KEEP_HEADERS);
        return 0;
    }
    why = apcd_check_request(req);
    dl_t *d = calloc(1, sizeof *d);
    apcd_job_t *j = calloc(1, sizeof *j);
    apc_params_t *p = NULL;
    if (!d || !j || apc_params_new(&p) < 0) {
        free(d), free(j);
        h2o_send_error_503(req, "Service Unavailable", "out of memory\n", 0);
        return 0;
    }
    d->make_link = post;
    d->head = head;
    const char *tok = apcd_header(req, "x-apc-token", &tl);
    if (tok && tl < sizeof d->token)
        memcpy(d->token, tok, tl);
    const char *range = apcd_header(req, "range", &rl);
    if (range && rl < sizeof d->range)
        memcpy(d->range, range, rl);
    const char *ct = apcd_header(req, "content-type", &cl);
    int rc = 0;
    if (!why && req->query_at != SIZE_MAX)
        rc = apcd_form_parse(req->path.base + req->query_at + 1, req->path.len - req->query_at - 1,
                             &apcd.cfg.lim, p, NULL, err, sizeof err);
    if (!why && rc == 0 && post && req->entity.len && ct && cl >= 33 &&
        strncasecmp(ct, "application/x-www-form-urlencoded", 33) == 0)
        rc = apcd_form_parse(req->entity.base, req->entity.len, &apcd.cfg.lim, p, NULL, err,
                             sizeof err);
    /* A GET carries no session token in its URL: a header or a link. */
    if (!why && rc == 0 && !post && apc_params_get(p, "token"))
        why = "download: a token in the URL is refused; send X-Apc-Token or use a link";
    if (!why && rc == 0 && read_params(d, p, err, sizeof err) < 0)
        rc = APCD_PARSE_FORMAT;
    apc_params_free(p);
    if (why || rc) {
        char *json = apcd_error_json(
            why ? APC_SERVE_INVALID_PERMISSIONS : APC_SERVE_MALFORMED_REQUEST, why ? why : err);
        req->res.status = why ? 403 : 400;
        req->res.reason = why ? "Forbidden" : "Bad Request";
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL,
                       H2O_STRLIT("application/json"));
        h2o_send_inline(req, json, json ? strlen(json) : 0);
        free(json);
        free(d), free(j);
        apcd_metrics_request("(download)", why ? 403 : 400, 0);
        return 0;
    }
    apcd_peer(req, d->peer, sizeof d->peer);
    d->via_node_port = apcd_via_node_port(req);
    j->data = d;
    j->free_data = dl_free;
    j->run = dl_run;
    j->send = dl_send;
    j->t0 = apcd_now();
    apcd_job_start(j, req);
    return 0;
}
