/* SPDX-License-Identifier: MIT */
/* Internals of module fleet: one HTTP request to a peer node, shared by the packet reads
 * (peer.c) and the export stream (fetch.c). */
#ifndef APC_FLEET_PEER_INT_H
#define APC_FLEET_PEER_INT_H

#include <curl/curl.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include <apc/ctx.h>

typedef struct apc__fleet_req {
    CURL *c;
    struct curl_slist *h;
    char *url; /* the peer's URL and the path */
    char *hdr; /* "X-Apc-Token: node:<secret>", wiped when closed */
    size_t hl;
    const volatile int *cancel[2]; /* apc__fleet_req_cancel */
    char err[CURL_ERROR_SIZE];     /* curl's own words on a failure (a TLS alert, say) */
    int mtls;                      /* over mutual TLS (ctx->node_tls) */
} apc__fleet_req_t;

/* A request to `path` ("/ajax") of node `node` at `url`, carrying this node's secret: an easy
 * handle with the URL, headers and the connect timeout set, the rest the caller's. Without
 * a URL or a secret: APC_EIO naming the node and capture_id. Close it in every case. */
/* Loads libcurl (curl_dl.c); APC_ENOTSUP naming the reason when it cannot be. */
int apc__curl_load(void);

int apc__fleet_req_open(apc_ctx_t *ctx, const char *node, const char *url, const char *path,
                        int64_t capture_id, apc__fleet_req_t *r);
void apc__fleet_req_close(apc__fleet_req_t *r);
/* Stops the transfer (CURLE_ABORTED_BY_CALLBACK) once *c1 or *c2 is set (NULL: never),
 * looked at about once a second even while the peer is silent. */
void apc__fleet_req_cancel(apc__fleet_req_t *r, const volatile int *c1, const volatile int *c2);
/* The error of r's transfer that failed (the node down, a timeout, a certificate refused):
 * names the node and URL, and says curl's details when it has some. */
int apc__fleet_req_down(const apc__fleet_req_t *r, CURLcode cc, const char *node, const char *url,
                        int64_t capture_id);

/* POSTs action=`action`&`form` to the node's /ajax: its reply's bytes in *body (caller frees;
 * NUL-terminated, *len without it) once it answered HTTP 200 within the size bound; an error
 * naming the node and URL otherwise, APC_ECANCELED when a flag was set. */
int apc__fleet_post(apc_ctx_t *ctx, const char *node, const char *url, const char *action,
                    const char *form, int64_t capture_id, const volatile int *cancel,
                    const volatile int *cancel2, char **body, size_t *len);
/* 1 when v is a JSON number holding a whole number in [lo, hi] (lo, hi within int64): only
 * then may it be converted to an integer type. */
int apc__fleet_whole(const cJSON *v, double lo, double hi);
/* APC_EFORMAT "node 'N' sent a bad reply: why (a)": a peer's answer failed a check. */
int apc__fleet_bad(const char *node, const char *why, long long a);
/* The RESPONSE in text: *root parsed (caller frees, also on error) and its ReturnValue in *rv,
 * an object, when ErrorCode is 0; else the node's own error, or APC_EFORMAT naming it. */
int apc__fleet_response(const char *text, size_t len, const char *node, cJSON **root,
                        const cJSON **rv);

#endif
