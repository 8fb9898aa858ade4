/* SPDX-License-Identifier: MIT */
/*
 * Fleet peers (peer.h): who owns a capture, and a packet read asked of the owning node's apcd.
 * The request is a POST of the action to the peer's /ajax (RFC 9110 section 9.3.3) carrying
 * the fleet's shared secret in the X-Apc-Token header as "node:SECRET"; the peer compares it
 * in constant time (auth/sessions.c) and runs the action as a viewer. The reply is read whole
 * up to a bound, then checked field by field before any of it reaches our caller.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <apc/capture.h>

#include "core/ctx.h"
#include "core/error.h"
#include "fleet/peer.h"
#include "fleet/peer_int.h"
#include "store/captures.h"

/* A page is at most APC_PAGE_MAX packets of at most 256 KiB each, hex-encoded: bound the
 * reply well above what an honest peer sends, so a broken one cannot exhaust our memory. */
#define REPLY_MAX (600u << 20)
#define SNAP_MAX (256u * 1024u)

int apc__fleet_owner(apc_ctx_t *ctx, int64_t capture_id, char **node, char **url)
{
    *node = *url = NULL;
    if (!ctx->store_url)
        return 0; /* SQLite: one node, every capture is ours */
    apc_capture_t *c = NULL;
    int r = apc_capture_get(ctx, capture_id, &c);
    if (r < 0)
        return r;
    if (!c->node || !ctx->node_name || strcmp(c->node, ctx->node_name) == 0) {
        apc_capture_free(c);
        return 0;
    }
    *node = c->node;
    c->node = NULL;
    apc_capture_free(c);
    if (apc__captures_node_url(ctx->store, *node, url) <= 0)
        *url = NULL;
    if (!*url && !(*url = strdup(""))) {
        free(*node);
        *node = NULL;
        return apc__err(APC_ENOMEM, "out of memory");
    }
    return 1;
}

static int is_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') ||
              (s[i] >= 'A' && s[i] <= 'F')))
            return 0;
    return 1;
}

int apc__fleet_whole(const cJSON *v, double lo, double hi)
{
    /* NaN fails both comparisons; doubles hold every integer up to 2^53 exactly */
    return cJSON_IsNumber(v) && v->valuedouble >= lo && v->valuedouble <= hi &&
           v->valuedouble == (double)(int64_t)v->valuedouble;
}

int apc__fleet_bad(const char *node, const char *why, long long a)
{
    return apc__err(APC_EFORMAT, "node '%s' sent a bad reply: %s (%lld)", node, why, a);
}

static int check_packet(const cJSON *p, int64_t capture_id, int with_data, const char *node)
{
    const cJSON *cid = cJSON_GetObjectItemCaseSensitive(p, "CaptureId");
    const cJSON *len = cJSON_GetObjectItemCaseSensitive(p, "Length");
    const cJSON *cap = cJSON_GetObjectItemCaseSensitive(p, "CapturedLength");
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(p, "Data");
    if (!apc__fleet_whole(cid, (double)capture_id, (double)capture_id))
        return apc__fleet_bad(node, "a packet of another capture", (long long)capture_id);
    /* Checked as whole numbers in range before any is converted: a double beyond an integer
     * type (1e300, NaN) has no value there (C11 6.3.1.4). */
    if (!apc__fleet_whole(len, 0, SNAP_MAX) || !apc__fleet_whole(cap, 0, len->valuedouble))
        return apc__fleet_bad(node, "packet lengths out of range",
                              apc__fleet_whole(cap, 0, SNAP_MAX) ? (long long)cap->valuedouble
                                                                 : -1);
    size_t n = (size_t)cap->valuedouble;
    if (!with_data && data)
        return apc__fleet_bad(node, "packet data not asked for", (long long)n);
    if (with_data && (!cJSON_IsString(data) || strlen(data->valuestring) != 2 * n ||
                      !is_hex(data->valuestring, 2 * n)))
        return apc__fleet_bad(node, "packet data does not match its CapturedLength", (long long)n);
    return 0;
}

static void skip_ws(const char *s, size_t n, size_t *i)
{
    while (*i < n && (s[*i] == ' ' || s[*i] == '\t' || s[*i] == '\n' || s[*i] == '\r'))
        (*i)++;
}

/* Skips one JSON value (RFC 8259) starting at *i; -1 if the text ends first. The text was
 * parsed whole before, so only where values end matters here, never their meaning. */
static int skip_value(const char *s, size_t n, size_t *i)
{
    int depth = 0;
    do {
        skip_ws(s, n, i);
        if (*i >= n)
            return -1;
        char ch = s[*i];
        if (ch == '"') {
            for ((*i)++; *i < n && s[*i] != '"'; (*i)++)
                if (s[*i] == '\\')
                    (*i)++;
            if (*i >= n)
                return -1;
            (*i)++;
        } else if (ch == '{' || ch == '[') {
            depth++, (*i)++;
        } else if (ch == '}' || ch == ']') {
            if (--depth < 0)
                return -1;
            (*i)++;
        } else if (ch == ',' || ch == ':') {
            if (depth == 0)
                return -1;
            (*i)++;
        } else {
            while (*i < n && !strchr(" \t\r\n,:]}", s[*i]))
                (*i)++;
        }
    } while (depth > 0);
    return 0;
}

/* Where the value of member `key` (quoted, as in the text) of the object text s is: [*at,
 * *end). */
static int find_member(const char *s, size_t n, const char *key, size_t *at, size_t *end)
{
    size_t kl = strlen(key);
    size_t i = 0;
    skip_ws(s, n, &i);
    if (i >= n || s[i++] != '{')
        return -1;
    for (;;) {
        skip_ws(s, n, &i);
        size_t k = i;
        if (skip_value(s, n, &i) < 0)
            return -1;
        int hit = i - k == kl && memcmp(s + k, key, kl) == 0;
        skip_ws(s, n, &i);
        if (i >= n || s[i++] != ':')
            return -1;
        skip_ws(s, n, &i);
        *at = i;
        if (skip_value(s, n, &i) < 0)
            return -1;
        *end = i;
        if (hit)
            return 0;
        skip_ws(s, n, &i);
        if (i >= n || s[i++] != ',')
            return -1;
    }
}

int apc__fleet_response(const char *text, size_t len, const char *node, cJSON **root,
                        const cJSON **rv)
{
    *root = NULL;
    *rv = NULL;
    /* RFC 8259 section 7: no raw control character in a string, and outside them only
     * whitespace; cJSON lets some through, and a NUL would cut the text passed on. */
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)text[i] < 0x20 && text[i] != '\t' && text[i] != '\n' && text[i] != '\r')
            return apc__fleet_bad(node, "a control character in the JSON text at offset",
                                  (long long)i);
    *root = cJSON_ParseWithLength(text, len);
    if (!*root)
        return apc__fleet_bad(node, "not JSON", (long long)len);
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(*root, "ErrorCode");
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(*root, "ReturnValue");
    int rc = 0;
    if (!cJSON_IsNumber(code) || !v)
        rc = apc__fleet_bad(node, "not a RESPONSE", (long long)len);
    else if (code->valueint != 0)
        rc = apc__err(APC_EIO, "node '%s' answered error %d: %.300s", node, code->valueint,
                      cJSON_IsString(v) ? v->valuestring : "");
    else if (!cJSON_IsObject(v))
        rc = apc__fleet_bad(node, "ReturnValue is not an object", (long long)len);
    *rv = v;
    return rc;
}

int apc__fleet_check_reply(const char *text, size_t len, int64_t capture_id, int kind,
                           const char *node, cJSON **value)
{
    *value = NULL;
    cJSON *root = NULL;
    const cJSON *rv = NULL;
    int rc = apc__fleet_response(text, len, node, &root, &rv);
    int with_data = (kind & APC_FLEET_DATA) != 0;
    if (rc == 0 && (kind & APC_FLEET_SINGLE)) {
        rc = check_packet(rv, capture_id, with_data, node);
    } else if (rc == 0) {
        const cJSON *pk = cJSON_GetObjectItemCaseSensitive(rv, "Packets");
        const cJSON *cid = cJSON_GetObjectItemCaseSensitive(rv, "CaptureId");
        if (!cJSON_IsArray(pk) || !apc__fleet_whole(cid, (double)capture_id, (double)capture_id))
            rc = apc__fleet_bad(node, "not a PACKETSTREAM of the capture", (long long)capture_id);
        const cJSON *p;
        cJSON_ArrayForEach(p, pk) if (rc == 0) rc = check_packet(p, capture_id, with_data, node);
    }
    cJSON_Delete(root);
    /* The checked value is passed on as the peer's own text: cJSON keeps numbers as doubles,
     * which would round FILETIMEs (above 2^53) on the way through. */
    size_t at = 0, end = 0;
    if (rc == 0 && find_member(text, len, "\"ReturnValue\"", &at, &end) < 0)
        rc = apc__fleet_bad(node, "ReturnValue not found again", (long long)len);
    char *raw = rc == 0 ? strndup(text + at, end - at) : NULL;
    if (rc == 0 && (!raw || !(*value = cJSON_CreateRaw(raw))))
        rc = apc__err(APC_ENOMEM, "out of memory");
    free(raw);
    return rc;
}

typedef struct {
    char *buf;
    size_t len, cap;
} reply_t;

static size_t on_data(char *d, size_t sz, size_t n, void *u)
{
    reply_t *r = u;
    size_t k = sz * n;
    if (k > REPLY_MAX - r->len)
        return 0; /* too long: curl fails the transfer (CURLE_WRITE_ERROR) */
    if (r->len + k > r->cap) {
        size_t c = r->cap ? r->cap : 65536;
        while (c < r->len + k + 1) /* and a NUL */
            c *= 2;
        char *b = realloc(r->buf, c);
        if (!b)
            return 0;
        r->buf = b, r->cap = c;
    }
    memcpy(r->buf + r->len, d, k);
    r->len += k;
    r->buf[r->len] = '\0';
    return k;
}

int apc__fleet_req_open(apc_ctx_t *ctx, const char *node, const char *url, const char *path,
                        int64_t capture_id, apc__fleet_req_t *r)
{
    memset(r, 0, sizeof *r);
    if (!url || !*url)
        return apc__err(APC_EIO,
                        "capture %lld: its packets are on node '%s', which registered no URL "
                        "(apcd --node-url)",
                        (long long)capture_id, node);
    if (!ctx->node_secret)
        return apc__err(APC_EIO,
                        "capture %lld: its packets are on node '%s' (%s); this node has no "
                        "fleet secret to ask it (apcd --node-secret-file)",
                        (long long)capture_id, node, url);
    /* With mutual TLS, the secret never travels in clear and only a node whose certificate
     * chains to the fleet's CA gets it. */
    if (ctx->node_tls[0] && strncasecmp(url, "https://", 8) != 0)
        return apc__err(APC_EIO,
                        "capture %lld: its packets are on node '%s', whose URL %s is not https: "
                        "this node talks to other nodes over mutual TLS only (node_tls_ca)",
                        (long long)capture_id, node, url);
    int lr = apc__curl_load();
    if (lr < 0)
        return lr;
    size_t ul = strlen(url) + strlen(path) + 2;
    r->hl = strlen(ctx->node_secret) + 24;
    r->url = malloc(ul);
    r->hdr = malloc(r->hl);
    r->c = curl_easy_init();
    if (!r->url || !r->hdr || !r->c) {
        apc__fleet_req_close(r);
        return apc__err(APC_ENOMEM, "out of memory");
    }
    snprintf(r->url, ul, "%s%s%s", url, url[strlen(url) - 1] == '/' ? "." : "", path);
    snprintf(r->hdr, r->hl, "X-Apc-Token: node:%s", ctx->node_secret);
    struct curl_slist *h2 = curl_slist_append(NULL, r->hdr);
    r->h = h2 ? curl_slist_append(h2, "Content-Type: application/x-www-form-urlencoded") : NULL;
    if (!r->h) {
        curl_slist_free_all(h2);
        apc__fleet_req_close(r);
        return apc__err(APC_ENOMEM, "out of memory");
    }
    curl_easy_setopt(r->c, CURLOPT_URL, r->url);
    curl_easy_setopt(r->c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(r->c, CURLOPT_HTTPHEADER, r->h);
    curl_easy_setopt(r->c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(r->c, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(r->c, CURLOPT_ERRORBUFFER, r->err);
    if (ctx->node_tls[0]) {
        r->mtls = 1;
        /* The peer's certificate is checked against the fleet's CA alone (not the system's
         * roots), its name against the URL's host; ours goes with the request. */
        curl_easy_setopt(r->c, CURLOPT_CAINFO, ctx->node_tls[0]);
        curl_easy_setopt(r->c, CURLOPT_CAPATH, NULL);
        curl_easy_setopt(r->c, CURLOPT_SSLCERT, ctx->node_tls[1]);
        curl_easy_setopt(r->c, CURLOPT_SSLKEY, ctx->node_tls[2]);
        curl_easy_setopt(r->c, CURLOPT_SSL_VERIFYPEER, 1L);
        curl_easy_setopt(r->c, CURLOPT_SSL_VERIFYHOST, 2L);
        /* HTTP/1.1 as over plain http: one request per connection, the same framing of the
         * streamed export. */
        curl_easy_setopt(r->c, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    }
    return 0;
}

void apc__fleet_req_close(apc__fleet_req_t *r)
{
    curl_slist_free_all(r->h);
    if (r->c)
        curl_easy_cleanup(r->c);
    if (r->hdr) /* the secret */
        memset(r->hdr, 0, r->hl);
    free(r->hdr);
    free(r->url);
    memset(r, 0, sizeof *r);
}

int apc__fleet_req_down(const apc__fleet_req_t *r, CURLcode cc, const char *node, const char *url,
                        int64_t capture_id)
{
    /* curl's buffer says what its code does not: which TLS alert, which certificate check.
     * A node that refuses our certificate under TLS 1.3 does so after our side of the
     * handshake ended, and h2o closes without sending its alert: we see an empty reply. */
    int closed = cc == CURLE_GOT_NOTHING || cc == CURLE_RECV_ERROR || cc == CURLE_SEND_ERROR;
    return apc__err(APC_EIO, "capture %lld: its packets are on node '%s' (%s): %s%s%s%s",
                    (long long)capture_id, node, url, curl_easy_strerror(cc), r->err[0] ? ": " : "",
                    r->err,
                    r->mtls && closed ? " (with mutual TLS, a node that refuses this node's "
                                        "certificate closes the connection: its log says why)"
                                      : "");
}

int apc__fleet_packets_meta(apc_ctx_t *ctx, const char *node, const char *url, int64_t capture_id,
                            const int64_t *ids, size_t n, char **raws)
{
    for (size_t k = 0; k < n; k++)
        raws[k] = NULL;
    if (n == 0)
        return 0;
    char form[128];
    snprintf(form, sizeof form, "capture_id=%lld&last_id=%lld&count=%lld&flags=0",
             (long long)capture_id, (long long)(ids[0] - 1), (long long)(ids[n - 1] - ids[0] + 1));
    cJSON *v = NULL;
    int rc = apc__fleet_call(ctx, node, url, "capture_read", form, capture_id, &v);
    if (rc < 0)
        return rc;
    /* v is the checked PACKETSTREAM's own text: the packets asked for are kept as text (a
     * Time is a FILETIME, which a double would round), each once it is known by its id. */
    const char *t = v->valuestring;
    size_t len = strlen(t), at = 0, end = 0, i = 0, k = 0;
    if (find_member(t, len, "\"Packets\"", &at, &end) == 0 && t[at] == '[')
        i = at + 1;
    while (i && k < n) {
        skip_ws(t, end, &i);
        size_t from = i;
        if (i >= end || t[i] == ']' || skip_value(t, end, &i) < 0)
            break;
        cJSON *p = cJSON_ParseWithLength(t + from, i - from);
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(p, "PacketId");
        if (apc__fleet_whole(id, (double)ids[k], (double)ids[k]) &&
            !(raws[k++] = strndup(t + from, i - from)))
            rc = apc__err(APC_ENOMEM, "out of memory");
        cJSON_Delete(p);
        skip_ws(t, end, &i);
        if (rc < 0 || i >= end || t[i] != ',')
            break;
        i++;
    }
    if (rc == 0 && k < n)
        rc = apc__fleet_bad(node, "not the packets asked for", (long long)ids[k]);
    if (rc < 0)
        for (size_t j = 0; j < n; j++) {
            free(raws[j]);
            raws[j] = NULL;
        }
    cJSON_Delete(v);
    return rc;
}

/* Either flag set stops the transfer; called about once a second, replies or not. */
static int on_progress(void *u, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    const apc__fleet_req_t *r = u;
    (void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
    return (r->cancel[0] && *r->cancel[0]) || (r->cancel[1] && *r->cancel[1]);
}

void apc__fleet_req_cancel(apc__fleet_req_t *r, const volatile int *c1, const volatile int *c2)
{
    r->cancel[0] = c1;
    r->cancel[1] = c2;
    curl_easy_setopt(r->c, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(r->c, CURLOPT_XFERINFODATA, r);
    curl_easy_setopt(r->c, CURLOPT_NOPROGRESS, 0L);
}

int apc__fleet_post(apc_ctx_t *ctx, const char *node, const char *url, const char *action,
                    const char *form, int64_t capture_id, const volatile int *cancel,
                    const volatile int *cancel2, char **body, size_t *len)
{
    *body = NULL;
    *len = 0;
    apc__fleet_req_t q;
    int rc = apc__fleet_req_open(ctx, node, url, "/ajax", capture_id, &q);
    if (rc < 0)
        return rc;
    size_t bl = strlen(action) + strlen(form) + 16;
    char *post = malloc(bl);
    reply_t r = {0};
    if (!post) {
        apc__fleet_req_close(&q);
        return apc__err(APC_ENOMEM, "out of memory");
    }
    snprintf(post, bl, "action=%s&%s", action, form);
    curl_easy_setopt(q.c, CURLOPT_POSTFIELDS, post);
    curl_easy_setopt(q.c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(q.c, CURLOPT_WRITEDATA, &r);
    curl_easy_setopt(q.c, CURLOPT_TIMEOUT, 300L);
    if (cancel || cancel2)
        apc__fleet_req_cancel(&q, cancel, cancel2);
    CURLcode cc = curl_easy_perform(q.c);
    long status = 0;
    curl_easy_getinfo(q.c, CURLINFO_RESPONSE_CODE, &status);
    if (cc == CURLE_ABORTED_BY_CALLBACK)
        rc = APC_ECANCELED;
    else if (cc != CURLE_OK)
        rc = apc__fleet_req_down(&q, cc, node, url, capture_id);
    else if (status != 200)
        rc = apc__err(APC_EIO, "capture %lld: node '%s' (%s) answered HTTP %ld",
                      (long long)capture_id, node, url, status);
    apc__fleet_req_close(&q);
    free(post);
    if (rc < 0) {
        free(r.buf);
        return rc;
    }
    *body = r.buf ? r.buf : strdup("");
    *len = r.len;
    return *body ? 0 : apc__err(APC_ENOMEM, "out of memory");
}

int apc__fleet_call(apc_ctx_t *ctx, const char *node, const char *url, const char *action,
                    const char *form, int64_t capture_id, cJSON **value)
{
    *value = NULL;
    char *body = NULL;
    size_t len = 0;
    int rc = apc__fleet_post(ctx, node, url, action, form, capture_id, NULL, NULL, &body, &len);
    /* What was asked: one packet (always with its bytes), or pages with bytes when flags has
     * APC_READ_BYTES (the forms callers build end "flags=N"). */
    const char *fl = strstr(form, "flags=");
    int kind = strcmp(action, "capture_get_packet") == 0 ? APC_FLEET_SINGLE | APC_FLEET_DATA
               : fl && (strtoul(fl + 6, NULL, 10) & APC_READ_BYTES) ? APC_FLEET_DATA
                                                                    : 0;
    if (rc == 0)
        rc = apc__fleet_check_reply(body, len, capture_id, kind, node, value);
    free(body);
    return rc;
}
