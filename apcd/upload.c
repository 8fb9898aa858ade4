/* SPDX-License-Identifier: MIT */
/*
 * Streaming uploads. h2o 2.2 reads a whole request body before its handler runs, so an upload
 * would sit in memory (or in h2o's temporary file) before anyone checked the caller. Instead
 * the FIRST request of each plain-HTTP connection is read here: when it is a multipart POST to
 * .../ajax with a Content-Length, it is parsed as it arrives (multipart.c) and the part `file`
 * goes straight to <data>/uploads/<generated name>. When the token is known before the file
 * (query string, X-Apc-Token header, or a field placed before it) the session is checked
 * before one byte is written; when it comes after the file (fields in any order, as some
 * browsers' FormData send them), the file is spooled and the session checked when the body
 * has ended, the file removed if refused. Any other request is handed to h2o with the bytes
 * already read. Every plain-HTTP connection serves one request (http.c), so each upload is
 * the first request of its connection. (Uploads over TLS go through h2o and are limited to
 * max_body: docs/apcd.md.)
 * A client must send the whole head within header_timeout seconds of connecting (a deadline,
 * not reset by each byte, so a trickle of bytes cannot keep the connection), and may pause an
 * upload's body for at most upload_idle_timeout seconds; otherwise it gets a 408 and is
 * disconnected. h2o applies the same header_timeout to what it reads (http.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "http.h"

#define HEAD_MAX 16384
#define READ_CHUNK 65536

typedef struct up {
    uv_tcp_t *tcp;
    char head[HEAD_MAX];
    size_t hlen;
    int phase; /* 0 head, 1 body, 2 done */
    char rbuf[READ_CHUNK];
    apcd_mp_t *mp;
    apc_params_t *params;
    unsigned long long clen, got;
    char token_hdr[80], peer[64], upload[64], path[4200];
    int fd, has_file, checked;
    int fail_status, fail_code;
    char fail_msg[300];
    apcd_job_t *job;
    uv_write_t wr;
    char *resp;
    uv_timer_t timer; /* head deadline, then upload idle time; u is freed when it has closed */
} up_t;

static void timer_closed(uv_handle_t *h)
{
    free(h->data);
}

/* The end of u: its timer is closed first, and its close callback frees u. */
static void up_release(up_t *u)
{
    uv_timer_stop(&u->timer);
    uv_close((uv_handle_t *)&u->timer, timer_closed);
}

static void up_free(uv_handle_t *h)
{
    up_t *u = h->data;
    free(h);
    apcd_conn_closed();
    if (!u)
        return;
    if (u->fd >= 0)
        close(u->fd);
    if (u->path[0])
        unlink(u->path); /* whatever happened, an upload never stays behind */
    apcd_mp_free(u->mp);
    if (u->params)
        apc_params_free(u->params);
    free(u->resp);
    up_release(u);
}

static void after_write(uv_write_t *w, int status)
{
    (void)status;
    up_t *u = w->data;
    uv_close((uv_handle_t *)u->tcp, up_free);
}

static void respond(up_t *u, int status, const char *json)
{
    u->phase = 2;
    uv_read_stop((uv_stream_t *)u->tcp);
    uv_timer_stop(&u->timer);
    const char *reason = status == 200   ? "OK"
                         : status == 413 ? "Payload Too Large"
                         : status == 403 ? "Forbidden"
                         : status == 408 ? "Request Timeout"
                                         : "Bad Request";
    size_t jl = json ? strlen(json) : 0;
    size_t n = jl + 200;
    u->resp = malloc(n);
    if (!u->resp) {
        uv_close((uv_handle_t *)u->tcp, up_free);
        return;
    }
    int hl = snprintf(u->resp, n,
                      "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
                      "Cache-Control: no-store\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
                      status, reason, jl);
    memcpy(u->resp + hl, json ? json : "", jl);
    uv_buf_t b = uv_buf_init(u->resp, (unsigned)(hl + (int)jl));
    u->wr.data = u;
    if (uv_write(&u->wr, (uv_stream_t *)u->tcp, &b, 1, after_write) != 0)
        uv_close((uv_handle_t *)u->tcp, up_free);
}

static void fail(up_t *u, int status, int code, const char *msg)
{
    char *json = apcd_error_json(code, msg);
    apcd_metrics_request("pcap_ingest_post", code, 0);
    respond(u, status, json);
    free(json);
}

/* --- multipart callbacks ----------------------------------------------------------------- */

static int cb_field(void *p, const char *name, const char *value, size_t len)
{
    up_t *u = p;
    if (strcmp(name, "file") == 0)
        return 0;
    return apc_params_addn(u->params, name, value, len) < 0;
}

/* The session, before one byte of the file is written, when the token is already known (query
 * string, X-Apc-Token, or a field before the file): a single indexed read of the store, done
 * here so the parser needs no suspension. 0 when the file may be written. */
static int check_early(up_t *u)
{
    const char *tok = apc_params_get(u->params, "token");
    const char *action = apc_params_get(u->params, "action");
    if (apc_params_nul(u->params)) {
        u->fail_status = 200;
        u->fail_code = APC_SERVE_MALFORMED_REQUEST;
        snprintf(u->fail_msg, sizeof u->fail_msg,
                 "parameter '%.64s' contains a NUL byte: the request is refused",
                 apc_params_nul(u->params));
        return u->fail_code;
    }
    if (!(tok && *tok) && !u->token_hdr[0] && !apcd.cfg.no_auth)
        return 0; /* the token comes after the file: checked when the body has ended */
    apc_session_t s;
    char *user = NULL, *json = NULL;
    int code = apcd_session_for("pcap_ingest_post", tok && *tok ? tok : u->token_hdr, u->peer, 0,
                                &s, &user, &json);
    free(user);
    free(json);
    if (code == 0 && !apcd.cfg.no_auth && s.role < APC_ROLE_ADMIN)
        code = APC_SERVE_INVALID_PERMISSIONS;
    if (code == 0 && action && strcmp(action, "pcap_ingest_post") != 0)
        code = APC_SERVE_MALFORMED_REQUEST;
    if (code) {
        u->fail_status = 200;
        u->fail_code = code;
        snprintf(u->fail_msg, sizeof u->fail_msg, "%s",
                 code == APC_SERVE_MALFORMED_REQUEST
                     ? "a file may only be sent with action=pcap_ingest_post"
                 : code == APC_SERVE_INVALID_PERMISSIONS
                     ? "permission denied: pcap_ingest_post needs the admin role"
                     : apc_last_error_message());
    }
    return code;
}

static int cb_file_begin(void *p, const char *name, const char *filename)
{
    up_t *u = p;
    if (strcmp(name, "file") != 0 || u->has_file)
        return 0;
    if (check_early(u))
        return 1;
    if (filename && *filename && !apc_params_get(u->params, "name"))
        apc_params_add(u->params, "name", filename);
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/uploads", apc_ctx_data_dir(apcd.ctx));
    mkdir(dir, 0700);
    snprintf(u->path, sizeof u->path, "%s/%s", dir, u->upload);
    u->fd = open(u->path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (u->fd < 0) {
        u->path[0] = '\0';
        u->fail_status = 200, u->fail_code = APC_SERVE_IO_ERROR;
        snprintf(u->fail_msg, sizeof u->fail_msg, "storing the upload: %s", strerror(errno));
        return 1;
    }
    u->has_file = 1;
    return 0;
}

static int cb_file_data(void *p, const char *d, size_t n)
{
    up_t *u = p;
    while (u->fd >= 0 && n > 0) {
        ssize_t w = write(u->fd, d, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            u->fail_status = 200, u->fail_code = APC_SERVE_IO_ERROR;
            snprintf(u->fail_msg, sizeof u->fail_msg, "storing the upload: %s", strerror(errno));
            return 1;
        }
        d += w, n -= (size_t)w;
    }
    return 0;
}

static int cb_file_end(void *p)
{
    up_t *u = p;
    if (u->fd >= 0 && close(u->fd) < 0) {
        u->fd = -1;
        u->fail_status = 200, u->fail_code = APC_SERVE_IO_ERROR;
        snprintf(u->fail_msg, sizeof u->fail_msg, "storing the upload: %s", strerror(errno));
        return 1;
    }
    u->fd = -1;
    return 0;
}

static const apcd_mp_cb_t cbs = {cb_field, cb_file_begin, cb_file_data, cb_file_end};

/* --- the action, on the pool -------------------------------------------------------------- */

static void work(uv_work_t *w)
{
    up_t *u = w->data;
    /* Fields may come in any order: the action and the session are checked (again) here, and
     * a file sent with another action is only removed (up_free). */
    const char *action = apc_params_get(u->params, "action");
    int upload = u->has_file && action && strcmp(action, "pcap_ingest_post") == 0;
    /* Plain HTTP on the browsers' port: never the node port (TLS, h2o's). */
    apcd_run_action(u->job, u->params, u->token_hdr, u->peer, 0, upload);
}

static void work_done(uv_work_t *w, int status)
{
    (void)status;
    up_t *u = w->data;
    apcd_job_ended();
    apcd_metrics_request(u->job->action, u->job->code, apcd_now() - u->job->t0);
    if (u->path[0]) { /* a refused upload is gone before the reply says so */
        unlink(u->path);
        u->path[0] = '\0';
    }
    respond(u, 200, u->job->body);
    free(u->job->body);
    free(u->job);
    u->job = NULL;
}

static void body_bytes(up_t *u, const char *d, size_t n)
{
    if (n > u->clen - u->got)
        n = (size_t)(u->clen - u->got); /* bytes past the body: a pipelined request, dropped */
    u->got += n;
    int rc = apcd_mp_feed(u->mp, d, n);
    if (rc == 0 && u->got == u->clen)
        rc = apcd_mp_finish(u->mp);
    if (rc == APCD_PARSE_REFUSED)
        return fail(u, u->fail_status, u->fail_code, u->fail_msg);
    if (rc)
        return fail(u, rc == APCD_PARSE_LIMIT ? 413 : 400,
                    rc == APCD_PARSE_LIMIT ? APC_SERVE_LIMIT_EXCEEDED : APC_SERVE_MALFORMED_REQUEST,
                    apcd_mp_error(u->mp));
    if (u->got < u->clen)
        return;
    u->phase = 2;
    uv_read_stop((uv_stream_t *)u->tcp);
    uv_timer_stop(&u->timer);
    u->job = calloc(1, sizeof *u->job);
    if (!u->job)
        return fail(u, 200, APC_SERVE_GENERIC_ERROR, "out of memory");
    u->job->t0 = apcd_now();
    uv_work_t *w = &u->job->w;
    w->data = u;
    apcd_job_queued();
    uv_queue_work(apcd.loop, w, work, work_done);
}

/* A client too slow for the head deadline or pausing an upload too long: a 408 and the end of
 * the connection (with whatever it had uploaded). */
static void on_timeout(uv_timer_t *t)
{
    up_t *u = t->data;
    if (u->phase == 2)
        return;
    char msg[120];
    if (u->phase == 0)
        snprintf(msg, sizeof msg, "no complete request head within %d s", apcd.cfg.header_timeout);
    else
        snprintf(msg, sizeof msg, "the upload stalled: no bytes for %d s",
                 apcd.cfg.upload_idle_timeout);
    apcd_log(APC_LOG_DEBUG, "closing a slow connection: %s", msg);
    char *json = apcd_error_json(APC_SERVE_MALFORMED_REQUEST, msg);
    apcd_metrics_request(u->phase == 0 ? "(none)" : "pcap_ingest_post", APC_SERVE_MALFORMED_REQUEST,
                         0);
    respond(u, 408, json);
    free(json);
}

/* --- the request head ------------------------------------------------------------------- */

/* Value of header `name` in the head (lines after the first), or NULL. */
static const char *hval(const char *head, size_t hl, const char *name, size_t *len)
{
    size_t nl = strlen(name);
    const char *p = memchr(head, '\n', hl);
    while (p && (size_t)(p - head) + 1 < hl) {
        const char *line = p + 1;
        const char *eol = memchr(line, '\n', hl - (size_t)(line - head));
        if (!eol)
            break;
        if ((size_t)(eol - line) > nl && strncasecmp(line, name, nl) == 0 && line[nl] == ':') {
            const char *v = line + nl + 1;
            while (v < eol && (*v == ' ' || *v == '\t'))
                v++;
            const char *e = eol;
            while (e > v && (e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
                e--;
            *len = (size_t)(e - v);
            return v;
        }
        p = eol;
    }
    return NULL;
}

/* How many header lines named `name` the head holds. */
static int hcount(const char *head, size_t hl, const char *name)
{
    int n = 0;
    size_t nl = strlen(name);
    for (const char *p = memchr(head, '\n', hl); p && (size_t)(p - head) + 1 < hl;
         p = memchr(p + 1, '\n', hl - (size_t)(p + 1 - head))) {
        const char *line = p + 1;
        if (hl - (size_t)(line - head) > nl && strncasecmp(line, name, nl) == 0 && line[nl] == ':')
            n++;
    }
    return n;
}

/* 1 when the head is an upload we stream, 0 to hand the connection to h2o. */
static int start_upload(up_t *u, size_t head_end)
{
    const char *h = u->head;
    /* Every plain-HTTP request's head passes here first (one request per connection), and
     * only here are repeated Host headers visible: h2o keeps the last one. Two Host or Origin
     * headers leave it to each reader which one counts: refuse, on every route. */
    const char *dup = hcount(h, head_end, "host") > 1 ? "the request has more than one Host header"
                      : hcount(h, head_end, "origin") > 1
                          ? "the request has more than one Origin header"
                          : NULL;
    if (dup) {
        fail(u, 400, APC_SERVE_MALFORMED_REQUEST, dup);
        return 1;
    }
    if (head_end < 5 || strncmp(h, "POST ", 5) != 0)
        return 0;
    const char *t = h + 5;
    const char *sp = memchr(t, ' ', head_end - 5);
    if (!sp)
        return 0;
    size_t tl = (size_t)(sp - t);
    const char *q = memchr(t, '?', tl);
    size_t pl = q ? (size_t)(q - t) : tl;
    if (pl < 5 || memcmp(t + pl - 5, "/ajax", 5) != 0)
        return 0;
    size_t cl = 0, ll = 0, hl = 0, ol = 0, tel = 0, xl = 0;
    const char *ct = hval(h, head_end, "content-type", &cl);
    const char *len = hval(h, head_end, "content-length", &ll);
    if (!ct || cl < 19 || strncasecmp(ct, "multipart/form-data", 19) != 0 || !len ||
        hval(h, head_end, "transfer-encoding", &tel))
        return 0;
    char boundary[72];
    if (apcd_mp_boundary(ct, cl, boundary) != 0)
        return 0; /* h2o's path answers it */
    /* From here this connection is ours. */
    const char *host = hval(h, head_end, "host", &hl);
    const char *origin = hval(h, head_end, "origin", &ol);
    const char *why = apcd_check_origin(host, hl, origin, ol);
    if (why) {
        fail(u, 403, APC_SERVE_INVALID_PERMISSIONS, why);
        return 1;
    }
    char num[32];
    snprintf(num, sizeof num, "%.*s", (int)(ll < 31 ? ll : 31), len);
    char *end;
    u->clen = strtoull(num, &end, 10);
    if (*end || ll == 0 || ll > 20) {
        fail(u, 400, APC_SERVE_MALFORMED_REQUEST, "bad Content-Length");
        return 1;
    }
    if (u->clen > apcd.cfg.lim.max_upload + apcd.cfg.lim.max_body) {
        fail(u, 413, APC_SERVE_LIMIT_EXCEEDED, "the body is over the upload limit");
        return 1;
    }
    const char *x = hval(h, head_end, "x-apc-token", &xl);
    if (x && xl < sizeof u->token_hdr)
        memcpy(u->token_hdr, x, xl);
    char err[300];
    if (apc_params_new(&u->params) < 0 || apcd_upload_name(u->upload) < 0 ||
        apc_params_add(u->params, "file", u->upload) < 0) {
        fail(u, 200, APC_SERVE_GENERIC_ERROR, "out of memory");
        return 1;
    }
    if (q &&
        apcd_form_parse(q + 1, tl - pl - 1, &apcd.cfg.lim, u->params, NULL, err, sizeof err) < 0) {
        fail(u, 400, APC_SERVE_MALFORMED_REQUEST, err);
        return 1;
    }
    if (!(u->mp = apcd_mp_new(boundary, &apcd.cfg.lim, &cbs, u))) {
        fail(u, 400, APC_SERVE_MALFORMED_REQUEST, "bad multipart boundary");
        return 1;
    }
    u->phase = 1;
    uv_timer_start(&u->timer, on_timeout, (uint64_t)apcd.cfg.upload_idle_timeout * 1000, 0);
    if (u->hlen > head_end)
        body_bytes(u, u->head + head_end, u->hlen - head_end);
    return 1;
}

static void on_alloc(uv_handle_t *h, size_t sugg, uv_buf_t *b)
{
    (void)sugg;
    up_t *u = h->data;
    *b = uv_buf_init(u->rbuf, sizeof u->rbuf);
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
    up_t *u = s->data;
    if (n < 0) {
        uv_read_stop(s);
        if (u->phase != 2)
            uv_close((uv_handle_t *)s, up_free);
        return;
    }
    if (u->phase == 1) {
        if (n > 0) /* progress: the idle time starts again */
            uv_timer_start(&u->timer, on_timeout, (uint64_t)apcd.cfg.upload_idle_timeout * 1000, 0);
        body_bytes(u, b->base, (size_t)n);
        return;
    }
    if (u->phase != 0)
        return;
    size_t room = sizeof u->head - u->hlen;
    size_t k = (size_t)n < room ? (size_t)n : room;
    memcpy(u->head + u->hlen, b->base, k);
    u->hlen += k;
    const char *e = memmem(u->head, u->hlen, "\r\n\r\n", 4);
    if (!e && u->hlen < sizeof u->head && k == (size_t)n)
        return;
    if (e && start_upload(u, (size_t)(e - u->head) + 4)) {
        if (u->phase == 1 && (size_t)n > k)
            body_bytes(u, b->base + k, (size_t)n - k);
        return;
    }
    /* Not ours: h2o gets the connection and every byte read so far. */
    uv_read_stop(s);
    s->data = NULL;
    char *bytes = malloc(u->hlen + ((size_t)n - k));
    size_t total = 0;
    if (bytes) {
        memcpy(bytes, u->head, u->hlen);
        memcpy(bytes + u->hlen, b->base + k, (size_t)n - k);
        total = u->hlen + ((size_t)n - k);
    }
    up_release(u);
    apcd_http_handoff((uv_tcp_t *)s, bytes, total);
    free(bytes);
}

void apcd_upload_sniff(uv_tcp_t *conn)
{
    up_t *u = calloc(1, sizeof *u);
    if (!u) {
        apcd_http_handoff(conn, NULL, 0);
        return;
    }
    u->tcp = conn;
    u->fd = -1;
    conn->data = u;
    uv_timer_init(apcd.loop, &u->timer);
    u->timer.data = u;
    if (uv_read_start((uv_stream_t *)conn, on_alloc, on_read) != 0) {
        conn->data = NULL;
        up_release(u);
        apcd_http_handoff(conn, NULL, 0);
        return;
    }
    uv_timer_start(&u->timer, on_timeout, (uint64_t)apcd.cfg.header_timeout * 1000, 0);
}
