/* SPDX-License-Identifier: MIT */
/*
 * The listener: h2o on the libuv loop (the shape of h2o's libuv example: one host, one path
 * "/" with our handler, connections accepted on a uv_tcp_t and handed to h2o_accept), TLS
 * when a certificate and key are configured, and the thread-pool dispatch of jobs.
 */
#include <arpa/inet.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "http.h"
#include "util/clock.h"

static h2o_globalconf_t config;
static h2o_context_t hctx;
static h2o_accept_ctx_t accept_ctx;
static uv_tcp_t listener;
/* The node port (node_port): TLS that asks each client for a certificate of the fleet's CA;
 * the same handler behind it. */
static h2o_accept_ctx_t node_accept_ctx;
static uv_tcp_t node_listener;
/* Changed on the loop thread only; read by /metrics on a worker thread, hence atomics. */
static int jobs_inflight;
/* When a job last ended, or when the pool last went from idle to busy: the start of the span
 * in which the busy workers have finished nothing. */
static double last_progress;

int apcd_jobs_in_flight(void)
{
    return __atomic_load_n(&jobs_inflight, __ATOMIC_RELAXED);
}

void apcd_job_queued(void)
{
    if (__atomic_fetch_add(&jobs_inflight, 1, __ATOMIC_RELAXED) == 0)
        last_progress = apcd_now();
}

void apcd_job_ended(void)
{
    __atomic_fetch_sub(&jobs_inflight, 1, __ATOMIC_RELAXED);
    last_progress = apcd_now();
}

int apcd_pool_stuck(char *why, size_t n)
{
    int limit = apcd.cfg.stuck_seconds ? apcd.cfg.stuck_seconds
                : apcd.cfg.max_wait    ? apcd.cfg.max_wait + 60
                                       : 600;
    double idle = apcd_now() - last_progress;
    int busy = apcd_jobs_in_flight();
    if (busy < (int)apcd.cfg.workers || idle <= limit)
        return 0;
    snprintf(why, n,
             "worker pool stuck: %d requests in flight on %u workers, none finished for %.0f s "
             "(stuck_seconds %d)\n",
             busy, apcd.cfg.workers, idle, limit);
    return 1;
}

double apcd_now(void)
{
    return (double)apc__mono_ns() / 1e9;
}

/* How many headers named `name` the request carries. */
static int header_count(h2o_req_t *req, const char *name)
{
    int n = 0;
    for (ssize_t i = -1; (i = h2o_find_header_by_str(&req->headers, name, strlen(name), i)) >= 0;)
        n++;
    return n;
}

const char *apcd_check_request(h2o_req_t *req)
{
    /* Two Origin headers leave it to each reader which one counts: refuse. (h2o keeps only the
     * last Host header; upload.c, which reads every plain-HTTP head first, refuses two.) */
    if (header_count(req, "origin") > 1)
        return "the request has more than one Origin header";
    size_t ol = 0;
    const char *origin = apcd_header(req, "origin", &ol);
    return apcd_check_origin(req->authority.base, req->authority.len, origin, ol);
}

const char *apcd_header(h2o_req_t *req, const char *name, size_t *len)
{
    ssize_t i = h2o_find_header_by_str(&req->headers, name, strlen(name), -1);
    if (i < 0)
        return NULL;
    *len = req->headers.entries[i].value.len;
    return req->headers.entries[i].value.base;
}

void apcd_peer(h2o_req_t *req, char *out, size_t n)
{
    struct sockaddr_storage ss;
    socklen_t sl = req->conn->callbacks->get_peername(req->conn, (struct sockaddr *)&ss);
    snprintf(out, n, "unknown");
    if (sl && ss.ss_family == AF_INET)
        inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, out, (socklen_t)n);
    else if (sl && ss.ss_family == AF_INET6)
        inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, out, (socklen_t)n);
}

int apcd_via_node_port(h2o_req_t *req)
{
    if (!apcd.cfg.node_port)
        return 0;
    struct sockaddr_storage ss;
    socklen_t sl = req->conn->callbacks->get_sockname(req->conn, (struct sockaddr *)&ss);
    if (sl && ss.ss_family == AF_INET)
        return ntohs(((struct sockaddr_in *)&ss)->sin_port) == apcd.cfg.node_port;
    if (sl && ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port) == apcd.cfg.node_port;
    return 0;
}

/* --- jobs on the thread pool ------------------------------------------------------------- */

typedef struct req_link {
    apcd_job_t *job;
} req_link_t;

static void link_dispose(void *p)
{
    req_link_t *l = p;
    if (l->job)
        l->job->req = NULL;
}

static void job_work(uv_work_t *w)
{
    apcd_job_t *j = w->data;
    j->run(j);
}

static void job_done(uv_work_t *w, int status)
{
    apcd_job_t *j = w->data;
    apcd_job_ended();
    if (j->code >= 0)
        apcd_metrics_request(j->action[0] ? j->action : "(none)", j->code, apcd_now() - j->t0);
    else
        apcd_metrics_request(j->status == 200 ? "(page)" : "(page-error)", j->status,
                             apcd_now() - j->t0);
    h2o_req_t *req = j->req;
    if (req && j->send) {
        ((req_link_t *)j->link)->job = NULL;
        j->send(j, req);
    } else if (req) {
        ((req_link_t *)j->link)->job = NULL; /* the request outlives the job */
        req->res.status = j->status ? j->status : 500;
        req->res.reason = j->status == 200   ? "OK"
                          : j->status == 404 ? "Not Found"
                          : j->status == 413 ? "Payload Too Large"
                          : j->status == 400 ? "Bad Request"
                          : j->status == 405 ? "Method Not Allowed"
                          : j->status == 403 ? "Forbidden"
                                             : "Error";
        const char *ct = j->ctype ? j->ctype : "application/json";
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, ct, strlen(ct));
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL,
                       H2O_STRLIT("no-store"));
        h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("x-content-type-options"),
                              0, NULL, H2O_STRLIT("nosniff"));
        /* h2o_send_inline copies the body into the request's pool. */
        h2o_send_inline(req, j->body ? j->body : "", j->body ? j->blen : 0);
    }
    if (j->free_data)
        j->free_data(j->data);
    free(j->body);
    free(j);
    (void)status;
}

void apcd_job_start(apcd_job_t *j, h2o_req_t *req)
{
    j->req = req;
    req_link_t *l = h2o_mem_alloc_shared(&req->pool, sizeof *l, link_dispose);
    l->job = j;
    j->link = l;
    j->w.data = j;
    apcd_job_queued();
    uv_queue_work(apcd.loop, &j->w, job_work, job_done);
}

/* --- routing ----------------------------------------------------------------------------- */

static int ends_with(h2o_iovec_t p, const char *s)
{
    size_t n = strlen(s);
    return p.len >= n && memcmp(p.base + p.len - n, s, n) == 0;
}

static int on_req(h2o_handler_t *self, h2o_req_t *req)
{
    (void)self;
    /* The path without the query. */
    h2o_iovec_t path =
        h2o_iovec_init(req->path.base, req->query_at != SIZE_MAX ? req->query_at : req->path.len);
    /* h2o 2.2 buffers a request body whole (at most max_body) before calling us, so a large
     * upload must be the first request of its connection, where upload.c streams it. Plain
     * HTTP connections therefore serve one request each: the reply says "Connection: close"
     * and the client's next request (an upload, say) comes on a new connection that upload.c
     * reads. A client that keeps its connection alive notices nothing but the reconnect. */
    if (!accept_ctx.ssl_ctx)
        req->http1_is_persistent = 0;
    if (ends_with(path, "/ajax"))
        return apcd_ajax_on_req(req);
    if (ends_with(path, "/download"))
        return apcd_download_on_req(req);
    /* Every route, not only /ajax: a DNS-rebinding page must not read /metrics or pages. */
    const char *why = apcd_check_request(req);
    if (why) {
        h2o_send_error_403(req, "Forbidden", why, 0);
        apcd_metrics_request("(refused)", 403, 0);
        return 0;
    }
    int get = h2o_memis(req->method.base, req->method.len, H2O_STRLIT("GET")) ||
              h2o_memis(req->method.base, req->method.len, H2O_STRLIT("HEAD"));
    if (!get) {
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_ALLOW, NULL,
                       H2O_STRLIT("GET, HEAD"));
        h2o_send_error_405(req, "Method Not Allowed", "method not allowed\n",
                           H2O_SEND_ERROR_KEEP_HEADERS);
        return 0;
    }
    if (h2o_memis(path.base, path.len, H2O_STRLIT("/healthz")))
        return apcd_healthz_on_req(req);
    if (h2o_memis(path.base, path.len, H2O_STRLIT("/metrics")))
        return apcd_metrics_on_req(req);
    return apcd_static_on_req(req);
}

/* --- accept ------------------------------------------------------------------------------ */

/* Open connections (accepted, not yet closed) and those refused past max_connections. Changed
 * on the loop thread only; read by /metrics on a worker thread, hence atomics. */
static unsigned long conns_open, conns_refused;
/* The most connections open since memory was last given back (loop thread only). */
static unsigned long conns_peak;

unsigned long apcd_connections_open(void)
{
    return __atomic_load_n(&conns_open, __ATOMIC_RELAXED);
}

unsigned long apcd_connections_refused(void)
{
    return __atomic_load_n(&conns_refused, __ATOMIC_RELAXED);
}

static uv_timer_t trim_timer;

static void trim_now(uv_timer_t *t)
{
    (void)t;
    malloc_trim(0);
}

void apcd_conn_closed(void)
{
    unsigned long now = __atomic_sub_fetch(&conns_open, 1, __ATOMIC_RELAXED);
    /* Each idle connection holds ~80 KB (upload.c's buffers, h2o's) scattered over the heap:
     * once a burst has mostly closed, glibc keeps those pages unless asked. Ask when the count
     * has halved since its peak, so a burst of N costs O(log N) trims, on this (loop) thread.
     * Not at once: a connection's memory is freed by close callbacks that run in a later loop
     * iteration (upload.c frees its state when its timer has closed), so the trim waits a
     * little, and one pending trim covers every connection closed meanwhile. */
    if (conns_peak >= 16 && now <= conns_peak / 2) {
        conns_peak = now;
        if (!uv_is_active((uv_handle_t *)&trim_timer))
            uv_timer_start(&trim_timer, trim_now, 200, 0);
    }
}

static void free_handle(uv_handle_t *h)
{
    free(h);
}

/* The close callback of an accepted connection: it is no longer counted. */
static void free_conn(uv_handle_t *h)
{
    free(h);
    apcd_conn_closed();
}

static void handoff(uv_tcp_t *conn, h2o_accept_ctx_t *actx, const char *bytes, size_t n)
{
    h2o_socket_t *sock = h2o_uv_socket_create((uv_stream_t *)conn, free_conn);
    if (n > 0) {
        h2o_iovec_t b = h2o_buffer_reserve(&sock->input, n);
        memcpy(b.base, bytes, n);
        sock->input->size += n;
    }
    h2o_accept(actx, sock);
}

void apcd_http_handoff(uv_tcp_t *conn, const char *bytes, size_t n)
{
    handoff(conn, &accept_ctx, bytes, n);
}

static void on_accept(uv_stream_t *l, int status)
{
    if (status != 0 || apcd.stopping)
        return;
    uv_tcp_t *conn = calloc(1, sizeof *conn);
    if (!conn)
        return;
    uv_tcp_init(l->loop, conn);
    if (uv_accept(l, (uv_stream_t *)conn) != 0) {
        uv_close((uv_handle_t *)conn, free_handle);
        return;
    }
    if (conns_open >= apcd.cfg.max_connections) {
        /* Past the cap: a short answer (when the socket takes it at once) and the end of the
         * connection, before anything is allocated for it. */
        static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\n"
                                   "Content-Type: text/plain\r\nContent-Length: 21\r\n"
                                   "Connection: close\r\n\r\ntoo many connections\n";
        uv_buf_t b = uv_buf_init((char *)busy, sizeof busy - 1);
        uv_try_write((uv_stream_t *)conn, &b, 1);
        __atomic_add_fetch(&conns_refused, 1, __ATOMIC_RELAXED);
        uv_close((uv_handle_t *)conn, free_handle);
        return;
    }
    __atomic_add_fetch(&conns_open, 1, __ATOMIC_RELAXED);
    if (conns_open > conns_peak)
        conns_peak = conns_open;
    uv_tcp_nodelay(conn, 1);
    if (l == (uv_stream_t *)&node_listener)
        handoff(conn, &node_accept_ctx, NULL, 0);
    else if (accept_ctx.ssl_ctx)
        apcd_http_handoff(conn, NULL, 0); /* uploads over TLS go through h2o: docs/apcd.md */
    else
        apcd_upload_sniff(conn);
}

/* OpenSSL's reason for a failure ("No such file or directory", "no start line"...), so the
 * log says why a certificate or key was refused. The first error queued is the cause; those
 * after it only say which layer gave up ("PEM lib", "system lib"). */
static const char *tls_reason(void)
{
    unsigned long e = ERR_peek_error();
    if (!e)
        return "unknown error";
#ifdef ERR_SYSTEM_ERROR
    if (ERR_SYSTEM_ERROR(e))
        return strerror(ERR_GET_REASON(e));
#endif
    if (ERR_GET_LIB(e) == ERR_LIB_SYS)
        return strerror(ERR_GET_REASON(e));
    const char *r = ERR_reason_error_string(e);
    return r ? r : "unknown error";
}

/* `what` names the settings in messages: "tls" (tls_cert, tls_key) or "node_tls". */
static SSL_CTX *tls_setup(const char *what, const char *cert, const char *key)
{
    SSL_load_error_strings();
    SSL_library_init();
    OpenSSL_add_all_algorithms();
    SSL_CTX *s = SSL_CTX_new(TLS_server_method());
    if (!s)
        return NULL;
    SSL_CTX_set_min_proto_version(s, TLS1_2_VERSION);
    ERR_clear_error();
    if (SSL_CTX_use_certificate_chain_file(s, cert) != 1) {
        apcd_log(APC_LOG_ERROR, "%s_cert %s: cannot load the certificate chain: %s", what, cert,
                 tls_reason());
        SSL_CTX_free(s);
        return NULL;
    }
    ERR_clear_error();
    int loaded = SSL_CTX_use_PrivateKey_file(s, key, SSL_FILETYPE_PEM) == 1;
    unsigned long e = ERR_peek_error();
    /* OpenSSL compares the key with the certificate while loading it. */
    int mismatch = !loaded && ERR_GET_LIB(e) == ERR_LIB_X509 &&
                   ERR_GET_REASON(e) == X509_R_KEY_VALUES_MISMATCH;
    if (!loaded && !mismatch) {
        apcd_log(APC_LOG_ERROR, "%s_key %s: cannot load the private key: %s", what, key,
                 tls_reason());
        SSL_CTX_free(s);
        return NULL;
    }
    if (mismatch || SSL_CTX_check_private_key(s) != 1) {
        apcd_log(APC_LOG_ERROR, "%s_key %s: the key does not match the certificate of %s", what,
                 key, cert);
        SSL_CTX_free(s);
        return NULL;
    }
    h2o_ssl_register_alpn_protocols(s, h2o_http2_alpn_protocols);
    return s;
}

/* A client certificate the node port refuses (another CA, expired...): said in the log, with
 * whom it names, since the client only sees a TLS alert. */
static int node_verify(int ok, X509_STORE_CTX *x)
{
    if (!ok) {
        char subject[256] = "?";
        X509 *cert = X509_STORE_CTX_get_current_cert(x);
        if (cert)
            X509_NAME_oneline(X509_get_subject_name(cert), subject, sizeof subject);
        apcd_log(APC_LOG_WARN, "node port: refused the client certificate %s: %s", subject,
                 X509_verify_cert_error_string(X509_STORE_CTX_get_error(x)));
    }
    return ok;
}

/* The node port's TLS: this node's certificate, and a client certificate required, verified
 * against the fleet's CA alone (RFC 8446 section 4.3.2, CertificateRequest). */
static SSL_CTX *node_tls_setup(void)
{
    const apcd_config_t *c = &apcd.cfg;
    SSL_CTX *s = tls_setup("node_tls", c->node_tls_cert, c->node_tls_key);
    if (!s)
        return NULL;
    ERR_clear_error();
    STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(c->node_tls_ca);
    if (SSL_CTX_load_verify_locations(s, c->node_tls_ca, NULL) != 1 || !names) {
        apcd_log(APC_LOG_ERROR, "node_tls_ca %s: cannot load the fleet's CA certificate: %s",
                 c->node_tls_ca, tls_reason());
        if (names)
            sk_X509_NAME_pop_free(names, X509_NAME_free);
        SSL_CTX_free(s);
        return NULL;
    }
    SSL_CTX_set_client_CA_list(s, names); /* owns names */
    SSL_CTX_set_verify(s, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, node_verify);
    /* A resumed session keeps its verified certificate; OpenSSL refuses resumption with
     * verification on unless sessions are tied to a context. */
    static const unsigned char sid[] = "apcd-node-port";
    SSL_CTX_set_session_id_context(s, sid, sizeof sid - 1);
    return s;
}

static int listen_on(uv_tcp_t *l, int port)
{
    struct sockaddr_storage addr;
    int r = strchr(apcd.cfg.address, ':')
                ? uv_ip6_addr(apcd.cfg.address, port, (struct sockaddr_in6 *)&addr)
                : uv_ip4_addr(apcd.cfg.address, port, (struct sockaddr_in *)&addr);
    if (r != 0) {
        apcd_log(APC_LOG_ERROR, "address '%s' is not an IP address", apcd.cfg.address);
        return -1;
    }
    uv_tcp_init(apcd.loop, l);
    if ((r = uv_tcp_bind(l, (struct sockaddr *)&addr, 0)) != 0 ||
        (r = uv_listen((uv_stream_t *)l, 512, on_accept)) != 0) {
        apcd_log(APC_LOG_ERROR, "listening on %s port %d: %s", apcd.cfg.address, port,
                 uv_strerror(r));
        return -1;
    }
    return 0;
}

int apcd_http_start(void)
{
    h2o_config_init(&config);
    /* h2o buffers a body before calling us; bound it by our body limit. Large uploads are
     * streamed by upload.c instead. */
    config.max_request_entity_size = apcd.cfg.lim.max_body;
    /* Downloads are files that change (a new export may reuse nothing, but a file can be
     * replaced in place): no open file is kept between requests. */
    config.filecache.capacity = 0;
    /* What h2o reads (heads of later requests on a connection, TLS handshakes) has the same
     * deadline as the first head that upload.c reads. */
    config.handshake_timeout = (uint64_t)apcd.cfg.header_timeout * 1000;
    config.http1.req_timeout = (uint64_t)apcd.cfg.header_timeout * 1000;
    h2o_hostconf_t *host =
        h2o_config_register_host(&config, h2o_iovec_init(H2O_STRLIT("default")), 65535);
    h2o_pathconf_t *pc = h2o_config_register_path(host, "/", 0);
    h2o_handler_t *h = h2o_create_handler(pc, sizeof *h);
    h->on_req = on_req;
    h2o_context_init(&hctx, apcd.loop, &config);
    accept_ctx.ctx = &hctx;
    accept_ctx.hosts = config.hosts;
    if (apcd.cfg.tls_cert || apcd.cfg.tls_key) {
        if (!apcd.cfg.tls_cert || !apcd.cfg.tls_key) {
            apcd_log(APC_LOG_ERROR, "TLS needs both tls_cert and tls_key");
            return -1;
        }
        if (!(accept_ctx.ssl_ctx = tls_setup("tls", apcd.cfg.tls_cert, apcd.cfg.tls_key)))
            return -1;
    }
    if (apcd.cfg.node_port) {
        node_accept_ctx = accept_ctx;
        if (!(node_accept_ctx.ssl_ctx = node_tls_setup()))
            return -1;
    }
    uv_timer_init(apcd.loop, &trim_timer);
    uv_unref((uv_handle_t *)&trim_timer); /* a pending trim does not keep apcd running */
    if (listen_on(&listener, apcd.cfg.port) < 0)
        return -1;
    if (apcd.cfg.node_port && listen_on(&node_listener, apcd.cfg.node_port) < 0)
        return -1;
    return 0;
}

void apcd_http_stop(void)
{
    if (!uv_is_closing((uv_handle_t *)&listener))
        uv_close((uv_handle_t *)&listener, NULL);
    if (apcd.cfg.node_port && !uv_is_closing((uv_handle_t *)&node_listener))
        uv_close((uv_handle_t *)&node_listener, NULL);
    h2o_context_request_shutdown(&hctx);
}
