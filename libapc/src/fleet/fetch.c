/* SPDX-License-Identifier: MIT */
/*
 * The export of another node's capture, streamed from that node (peer.h): the owner writes its
 * own export (the same blocks, timestamps, comments and notes as an export made there) and
 * sends it as a download; each block is checked here (ngcheck.h) as it arrives and passed on
 * whole. The stream is never held in memory: one block at a time.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/error.h"
#include "fleet/peer.h"
#include "fleet/peer_int.h"

/* An error reply is a RESPONSE of a few hundred bytes: keep that much of it for the message. */
#define ERR_MAX 4096
/* The owner writes the whole export before its first byte: allow it that long, silent. */
#define SILENT_S 600L

typedef struct stream {
    CURL *c;
    apc__ngchk_t chk;
    apc__ngchk_fn fn;
    void *payload;
    const volatile int *cancelled;
    long status;
    int rc; /* the error that stopped the transfer, with its message set */
    char err[ERR_MAX + 1];
    size_t elen;
} stream_t;

static size_t on_bytes(char *d, size_t sz, size_t n, void *u)
{
    stream_t *s = u;
    size_t k = sz * n;
    if (!s->status)
        curl_easy_getinfo(s->c, CURLINFO_RESPONSE_CODE, &s->status);
    if (s->status != 200) { /* an error's RESPONSE: its start is enough */
        size_t take = k < ERR_MAX - s->elen ? k : ERR_MAX - s->elen;
        memcpy(s->err + s->elen, d, take);
        s->elen += take;
        s->err[s->elen] = '\0';
        return k;
    }
    if (*s->cancelled) {
        s->rc = APC_ECANCELED;
        return 0; /* curl stops the transfer (CURLE_WRITE_ERROR) */
    }
    s->rc = apc__ngchk_feed(&s->chk, (const uint8_t *)d, k, s->fn, s->payload);
    return s->rc < 0 ? 0 : k;
}

/* The owner's refusal, with the message of its RESPONSE when it sent one. */
static int refused(stream_t *s, const char *node, const char *url, int64_t capture_id)
{
    cJSON *r = cJSON_ParseWithLength(s->err, s->elen);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(r, "ReturnValue");
    int rc = apc__err(APC_EIO, "capture %lld: node '%s' (%s) answered HTTP %ld: %.400s",
                      (long long)capture_id, node, url, s->status,
                      cJSON_IsString(v) ? v->valuestring : "(no message)");
    cJSON_Delete(r);
    return rc;
}

int apc__fleet_fetch_export(apc_ctx_t *ctx, const char *node, const char *url, int64_t capture_id,
                            const char *filter, apc__ngchk_fn fn, void *payload,
                            const volatile int *cancelled)
{
    char *esc = NULL, *path = NULL;
    apc__fleet_req_t q;
    int rc = apc__fleet_req_open(ctx, node, url, "", capture_id, &q);
    if (rc < 0)
        return rc;
    esc = curl_easy_escape(q.c, filter ? filter : "", 0);
    size_t pl = (esc ? strlen(esc) : 0) + strlen(q.url) + 80;
    path = esc ? malloc(pl) : NULL;
    if (!path) {
        curl_free(esc);
        apc__fleet_req_close(&q);
        return apc__err(APC_ENOMEM, "out of memory");
    }
    snprintf(path, pl, "%s/download?kind=capture&capture_id=%lld%s%s", q.url, (long long)capture_id,
             *esc ? "&filter=" : "", esc);
    curl_free(esc);
    stream_t s = {.c = q.c, .fn = fn, .payload = payload, .cancelled = cancelled};
    s.chk.node = node;
    curl_easy_setopt(q.c, CURLOPT_URL, path);
    curl_easy_setopt(q.c, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(q.c, CURLOPT_WRITEFUNCTION, on_bytes);
    curl_easy_setopt(q.c, CURLOPT_WRITEDATA, &s);
    /* a cancel stops the wait too, while the owner is still writing (silent) */
    apc__fleet_req_cancel(&q, cancelled, NULL);
    /* No limit on the whole (a large capture takes what it takes), one on silence. */
    curl_easy_setopt(q.c, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(q.c, CURLOPT_LOW_SPEED_TIME, SILENT_S);
    CURLcode cc = curl_easy_perform(q.c);
    if (!s.status)
        curl_easy_getinfo(q.c, CURLINFO_RESPONSE_CODE, &s.status);
    if (s.rc < 0)
        rc = s.rc; /* its message is set: a bad block, a write error, cancelled */
    else if (cc == CURLE_ABORTED_BY_CALLBACK)
        rc = APC_ECANCELED;
    else if (cc != CURLE_OK)
        rc = apc__fleet_req_down(&q, cc, node, url, capture_id);
    else if (s.status != 200)
        rc = refused(&s, node, url, capture_id);
    else
        rc = apc__ngchk_end(&s.chk);
    apc__ngchk_free(&s.chk);
    apc__fleet_req_close(&q);
    free(path);
    return rc;
}
