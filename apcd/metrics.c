/* SPDX-License-Identifier: MIT */
/*
 * /metrics in the Prometheus text exposition format (version 0.0.4): requests by action and
 * ErrorCode (or HTTP status for pages), a latency histogram, and from the store: active
 * captures, packets and bytes stored, drops, store size (cached for 10 s: a walk of the data
 * directory is not free). Action labels are table names or a few fixed words, so the number
 * of series is bounded.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <ftw.h>

#include "http.h"

#define SERIES 512
static const double bounds[] = {0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
#define NB (sizeof bounds / sizeof bounds[0])

typedef struct series {
    char action[64];
    int code;
    unsigned long long n;
} series_t;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static series_t series[SERIES];
static size_t nseries;
static unsigned long long hist[NB + 1], hist_count;
static double hist_sum;

void apcd_metrics_request(const char *action, int code, double seconds)
{
    pthread_mutex_lock(&lock);
    size_t i = 0;
    while (i < nseries && !(series[i].code == code && !strcmp(series[i].action, action)))
        i++;
    if (i == nseries && nseries < SERIES) {
        snprintf(series[i].action, sizeof series[i].action, "%s", action);
        series[i].code = code;
        nseries++;
    }
    if (i < nseries)
        series[i].n++;
    size_t b = 0;
    while (b < NB && seconds > bounds[b])
        b++;
    hist[b]++;
    hist_count++;
    hist_sum += seconds;
    pthread_mutex_unlock(&lock);
}

static unsigned long long du_total;
static int du_add(const char *p, const struct stat *st, int flag, struct FTW *f)
{
    (void)p, (void)flag, (void)f;
    du_total += (unsigned long long)st->st_blocks * 512;
    return 0;
}

static void app(char **o, size_t *n, size_t *cap, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
#include <stdarg.h>
static void app(char **o, size_t *n, size_t *cap, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int w = vsnprintf(*o ? *o + *n : NULL, *o ? *cap - *n : 0, fmt, ap);
        va_end(ap);
        if (w < 0)
            return;
        if (*o && *n + (size_t)w < *cap) {
            *n += (size_t)w;
            return;
        }
        size_t nc = (*cap + (size_t)w + 1) * 2;
        char *p = realloc(*o, nc);
        if (!p)
            return;
        *o = p, *cap = nc;
    }
}

char *apcd_metrics_text(void)
{
    char *o = NULL;
    size_t n = 0, cap = 0;
    app(&o, &n, &cap,
        "# HELP apcd_requests_total Requests by action and ErrorCode (pages: HTTP "
        "status).\n# TYPE apcd_requests_total counter\n");
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < nseries; i++)
        app(&o, &n, &cap, "apcd_requests_total{action=\"%s\",code=\"%d\"} %llu\n", series[i].action,
            series[i].code, series[i].n);
    app(&o, &n, &cap,
        "# HELP apcd_request_seconds Time from request to reply, in seconds.\n"
        "# TYPE apcd_request_seconds histogram\n");
    unsigned long long cum = 0;
    for (size_t b = 0; b < NB; b++) {
        cum += hist[b];
        app(&o, &n, &cap, "apcd_request_seconds_bucket{le=\"%g\"} %llu\n", bounds[b], cum);
    }
    app(&o, &n, &cap, "apcd_request_seconds_bucket{le=\"+Inf\"} %llu\n", hist_count);
    app(&o, &n, &cap, "apcd_request_seconds_sum %.6f\napcd_request_seconds_count %llu\n", hist_sum,
        hist_count);
    pthread_mutex_unlock(&lock);

    apc_capture_list_t *l = NULL;
    unsigned long long active = 0, pk = 0, by = 0, drops = 0, kdrops = 0;
    if (apc_capture_list(apcd.ctx, APC_LIST_ALL, &l) == 0) {
        for (size_t i = 0; i < l->count; i++) {
            const apc_capture_t *c = l->items[i];
            active += c->state == APC_STATE_ACTIVE;
            pk += (unsigned long long)c->packets;
            by += (unsigned long long)c->bytes;
            drops += (unsigned long long)c->drops;
            kdrops += (unsigned long long)c->kernel_drops;
        }
        apc_capture_list_free(l);
    }
    static double du_at = -100;
    static unsigned long long du_cached;
    static pthread_mutex_t du_lock = PTHREAD_MUTEX_INITIALIZER;
    pthread_mutex_lock(&du_lock);
    if (apcd_now() - du_at > 10) {
        du_total = 0;
        nftw(apc_ctx_data_dir(apcd.ctx), du_add, 16, FTW_PHYS);
        du_cached = du_total;
        du_at = apcd_now();
    }
    unsigned long long du = du_cached;
    pthread_mutex_unlock(&du_lock);
    /* Sums over the captures in the store: gauges, not counters, since deleting a capture
     * lowers them (a counter may only go up, or restart from 0 with the process). */
    app(&o, &n, &cap,
        "# HELP apcd_captures_active Captures in state active.\n"
        "# TYPE apcd_captures_active gauge\napcd_captures_active %llu\n"
        "# HELP apcd_packets_stored Packets stored, summed over all captures.\n"
        "# TYPE apcd_packets_stored gauge\napcd_packets_stored %llu\n"
        "# HELP apcd_bytes_stored Packet bytes stored, summed over all captures.\n"
        "# TYPE apcd_bytes_stored gauge\napcd_bytes_stored %llu\n"
        "# HELP apcd_dropped_packets Packets dropped, summed over the captures stored, by "
        "who dropped them.\n"
        "# TYPE apcd_dropped_packets gauge\napcd_dropped_packets{source=\"apcd\"} %llu\n"
        "apcd_dropped_packets{source=\"kernel\"} %llu\n"
        "# HELP apcd_store_bytes Disk used by the data directory (refreshed at most every "
        "10 s).\n"
        "# TYPE apcd_store_bytes gauge\napcd_store_bytes %llu\n",
        active, pk, by, drops, kdrops, du);
    app(&o, &n, &cap,
        "# HELP apcd_connections_open Client connections open now.\n"
        "# TYPE apcd_connections_open gauge\napcd_connections_open %lu\n"
        "# HELP apcd_connections_refused_total Connections refused past max_connections.\n"
        "# TYPE apcd_connections_refused_total counter\napcd_connections_refused_total %lu\n"
        "# HELP apcd_requests_in_flight Requests queued for or running on the worker pool.\n"
        "# TYPE apcd_requests_in_flight gauge\napcd_requests_in_flight %d\n",
        apcd_connections_open(), apcd_connections_refused(), apcd_jobs_in_flight());
    return o;
}

static void metrics_run(apcd_job_t *j)
{
    j->code = -1;
    j->body = apcd_metrics_text();
    j->blen = j->body ? strlen(j->body) : 0;
    j->status = j->body ? 200 : 500;
    j->ctype = "text/plain; version=0.0.4";
    /* j->data: the peer, taken on the loop thread (the worker never touches req). */
    apcd_access_log(j->data, "-", "(metrics)", j->status, apcd_now() - j->t0);
}

/* A job of `run` for req, with the peer as its data for the access line. */
static int start_job(h2o_req_t *req, void (*run)(apcd_job_t *j))
{
    apcd_job_t *j = calloc(1, sizeof *j);
    char *peer = malloc(64);
    if (!j || !peer) {
        free(j);
        free(peer);
        h2o_send_error_503(req, "Service Unavailable", "out of memory\n", 0);
        return 0;
    }
    apcd_peer(req, peer, 64);
    j->data = peer;
    j->free_data = free;
    j->run = run;
    j->t0 = apcd_now();
    apcd_job_start(j, req);
    return 0;
}

int apcd_metrics_on_req(h2o_req_t *req)
{
    return start_job(req, metrics_run);
}

/* /healthz: the store answers a cheap query (one setting read). A missing setting is an
 * answer too; any other error means the store cannot be read, and the reply names it. */
static void healthz_run(apcd_job_t *j)
{
    j->code = -1;
    j->ctype = "text/plain; charset=utf-8";
    char *v = NULL;
    int rc = apc_settings_get(apcd.ctx, "session_idle_seconds", &v);
    apc_free(v);
    char buf[600];
    if (rc == 0 || rc == APC_ENOTFOUND) {
        j->status = 200;
        snprintf(buf, sizeof buf, "ok\n");
    } else {
        j->status = 503;
        snprintf(buf, sizeof buf, "store: %s\n", apc_last_error_message());
    }
    j->body = strdup(buf);
    j->blen = j->body ? strlen(j->body) : 0;
    apcd_access_log(j->data, "-", "(healthz)", j->status, apcd_now() - j->t0);
}

int apcd_healthz_on_req(h2o_req_t *req)
{
    /* Answered here, on the loop thread, when the pool is stuck: queued behind busy workers
     * the check would never run and the health checker would only see a timeout. */
    char why[256];
    if (apcd_pool_stuck(why, sizeof why)) {
        char peer[64];
        apcd_peer(req, peer, sizeof peer);
        apcd_access_log(peer, "-", "(healthz)", 503, 0);
        req->res.status = 503;
        req->res.reason = "Service Unavailable";
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL,
                       H2O_STRLIT("text/plain; charset=utf-8"));
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL,
                       H2O_STRLIT("no-store"));
        h2o_send_inline(req, why, strlen(why));
        return 0;
    }
    return start_job(req, healthz_run);
}
