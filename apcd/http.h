/* SPDX-License-Identifier: MIT */
/* Internals shared by http.c, ajax.c, static.c and upload.c. */
#ifndef APCD_HTTP_H
#define APCD_HTTP_H

#include <h2o.h>

#include "apcd.h"

/* A request answered from the libuv thread pool. The worker never touches `req`: it fills
 * status/ctype/body; the loop thread sends them if the request still exists (a client that
 * went away frees its request, and the pool-allocated link then clears `req`). */
typedef struct apcd_job {
    uv_work_t w;
    h2o_req_t *req;
    void (*run)(struct apcd_job *j); /* on a worker thread */
    int status;
    const char *ctype;
    char *body; /* malloc'd */
    size_t blen;
    char action[64];
    int code; /* wire ErrorCode, -1 for pages */
    double t0;
    void *data; /* the job kind's own */
    void (*free_data)(void *data);
    void *link; /* the request-pool link that clears req (http.c) */
    /* When set, called on the loop thread (instead of sending status/ctype/body) with the
     * request that still exists: download.c sends a file this way. */
    void (*send)(struct apcd_job *j, h2o_req_t *req);
} apcd_job_t;

double apcd_now(void);
/* Queues j (with j->req set); the reply goes out when it ends. */
void apcd_job_start(apcd_job_t *j, h2o_req_t *req);
/* Number of jobs queued or running (the graceful stop, /metrics). Any thread. */
int apcd_jobs_in_flight(void);
/* Bookkeeping of the pool, on the loop thread: a job queued, a job ended. */
void apcd_job_queued(void);
void apcd_job_ended(void);
/* Why the worker pool looks stuck (every worker busy, none finished a request for the
 * configured stuck_seconds), written to why; 0 when it does not. Loop thread only. */
int apcd_pool_stuck(char *why, size_t n);

/* The value of header `name` (lowercase) or NULL; *len set. */
const char *apcd_header(h2o_req_t *req, const char *name, size_t *len);
/* Why the request must be refused for where it claims to come from and go to (one Host and at
 * most one Origin header, both naming this server: apcd_check_origin), or NULL. Every route
 * asks it. */
const char *apcd_check_request(h2o_req_t *req);
/* The peer address as text. */
void apcd_peer(h2o_req_t *req, char *out, size_t n);
/* 1 when req came over the node port (node_port: mutual TLS, so its client showed a
 * certificate of the fleet's CA), else 0. */
int apcd_via_node_port(h2o_req_t *req);

int apcd_ajax_on_req(h2o_req_t *req);
int apcd_static_on_req(h2o_req_t *req);
int apcd_metrics_on_req(h2o_req_t *req);
/* metrics.c: GET /healthz asks the store; 503 naming what failed. */
int apcd_healthz_on_req(h2o_req_t *req);
/* download.c: GET/POST .../download (docs/apcd.md "Downloads"). */
int apcd_download_on_req(h2o_req_t *req);

/* The wire RESPONSE for an error, malloc'd. */
char *apcd_error_json(int code, const char *msg);

/* Connections: the close callback of an accepted connection calls apcd_conn_closed (it may
 * give memory back after a burst). Counts for /metrics (any thread). */
void apcd_conn_closed(void);
unsigned long apcd_connections_open(void);
unsigned long apcd_connections_refused(void);

/* upload.c: the first request of a plain connection is read here; uploads are streamed, and
 * everything else is handed to h2o with the bytes already read. */
void apcd_upload_sniff(uv_tcp_t *conn);
void apcd_http_handoff(uv_tcp_t *conn, const char *bytes, size_t n);

/* ajax.c: who is calling `action`. 0 with *s filled (its username malloc'd in *user, free it),
 * or the wire ErrorCode of the refusal with the RESPONSE in *json. Blocking (store). */
int apcd_session_for(const char *action, const char *token, const char *peer, int via_node_port,
                     apc_session_t *s, char **user, char **json);
/* Runs the action of `params` as the caller; fills the job's body/code/action. Blocking. */
void apcd_run_action(apcd_job_t *j, apc_params_t *params, const char *hdr_token, const char *peer,
                     int via_node_port, int has_upload);
/* A fresh upload name under <data>/uploads/ ("upload-<32 hex>"); 0 or -1. */
int apcd_upload_name(char out[64]);
#endif
