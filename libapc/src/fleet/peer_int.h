/* SPDX-License-Identifier: MIT */
/* Internals of module fleet: one HTTP request to a peer node, shared by the packet reads
 * (peer.c) and the export stream (fetch.c). */
#ifndef APC_FLEET_PEER_INT_H
#define APC_FLEET_PEER_INT_H

#include <curl/curl.h>
#include <stddef.h>
#include <stdint.h>

#include <apc/ctx.h>

typedef struct apc__fleet_req {
    CURL *c;
    struct curl_slist *h;
    char *url; /* the peer's URL and the path */
    char *hdr; /* "X-Apc-Token: node:<secret>", wiped when closed */
    size_t hl;
} apc__fleet_req_t;

/* A request to `path` ("/ajax") of node `node` at `url`, carrying this node's secret: an easy
 * handle with the URL, headers and the connect timeout set, the rest the caller's. Without
 * a URL or a secret: APC_EIO naming the node and capture_id. Close it in every case. */
int apc__fleet_req_open(apc_ctx_t *ctx, const char *node, const char *url, const char *path,
                        int64_t capture_id, apc__fleet_req_t *r);
void apc__fleet_req_close(apc__fleet_req_t *r);
/* The error of a transfer that failed (the node down, a timeout): names the node and URL. */
int apc__fleet_req_down(CURLcode cc, const char *node, const char *url, int64_t capture_id);

#endif
