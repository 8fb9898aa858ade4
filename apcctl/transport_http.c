/* SPDX-License-Identifier: MIT */
/*
 * The HTTP transport: each action is a form POST to <url>/ajax (spec/wire.md "Requests") over
 * a plain TCP socket, one connection per request (HTTP/1.1 with "Connection: close"; apcctl
 * makes a handful of calls, so keep-alive would buy nothing, and no TLS: for a remote server
 * put apcctl behind an SSH tunnel or use curl). The first call logs in as --user (default
 * admin) with the password from $APC_PASSWORD or asked on the terminal without echo; the
 * token is kept for the process and the session is ended on close.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "apcctl.h"

#define RESP_MAX (256u << 20)

typedef struct http_t {
    apcctl_transport_t base;
    char host[256], port[8], prefix[512];
    char user[128];
    char *token;
    int login_failed;
} http_t;

/* Appends s percent-encoded (application/x-www-form-urlencoded) to the buffer. */
static int enc(char **b, size_t *n, size_t *cap, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t need = strlen(s) * 3 + 2;
    if (*n + need > *cap) {
        size_t nc = (*n + need) * 2;
        char *p = realloc(*b, nc);
        if (!p)
            return -1;
        *b = p, *cap = nc;
    }
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '_' || *p == '.' || *p == '*')
            (*b)[(*n)++] = (char)*p;
        else if (*p == ' ')
            (*b)[(*n)++] = '+';
        else {
            (*b)[(*n)++] = '%';
            (*b)[(*n)++] = hex[*p >> 4];
            (*b)[(*n)++] = hex[*p & 15];
        }
    }
    (*b)[*n] = '\0';
    return 0;
}

static int add_pair(char **b, size_t *n, size_t *cap, const char *k, const char *v)
{
    if (*n > 0 && enc(b, n, cap, "") == 0)
        (*b)[(*n)++] = '&';
    if (enc(b, n, cap, k) < 0)
        return -1;
    (*b)[(*n)++] = '=';
    return enc(b, n, cap, v);
}

/* POSTs body; on 0, *out is the response body (NUL-terminated). */
static int post(http_t *h, const char *body, char **out, char *err, size_t errlen)
{
    struct addrinfo hints = {0}, *ai = NULL;
    hints.ai_socktype = SOCK_STREAM;
    int g = getaddrinfo(h->host, h->port, &hints, &ai);
    if (g != 0) {
        snprintf(err, errlen, "%s: %s", h->host, gai_strerror(g));
        return -1;
    }
    int fd = -1;
    for (struct addrinfo *p = ai; p && fd < 0; p = p->ai_next) {
        fd = socket(p->ai_family, p->ai_socktype | SOCK_CLOEXEC, p->ai_protocol);
        if (fd >= 0 && connect(fd, p->ai_addr, p->ai_addrlen) < 0) {
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(ai);
    if (fd < 0) {
        snprintf(err, errlen, "connecting to %s port %s: %s", h->host, h->port, strerror(errno));
        return -1;
    }
    size_t bl = strlen(body);
    char head[1200];
    int hl = snprintf(head, sizeof head,
                      "POST %s/ajax HTTP/1.1\r\nHost: %s:%s\r\nUser-Agent: apcctl\r\n"
                      "Content-Type: application/x-www-form-urlencoded\r\n"
                      "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                      h->prefix, h->host, h->port, bl);
    int ok = write(fd, head, (size_t)hl) == hl;
    for (size_t o = 0; ok && o < bl;) {
        ssize_t w = write(fd, body + o, bl - o);
        if (w <= 0)
            ok = 0;
        else
            o += (size_t)w;
    }
    char *r = NULL;
    size_t n = 0, cap = 0;
    while (ok) {
        if (n + 65536 + 1 > cap) {
            cap = (n + 65536 + 1) * 2;
            char *p = realloc(r, cap);
            if (!p || cap > RESP_MAX) {
                free(p ? p : r);
                r = NULL;
                ok = 0;
                break;
            }
            r = p;
        }
        ssize_t k = read(fd, r + n, 65536);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break;
        n += (size_t)k;
    }
    close(fd);
    if (!ok || !r) {
        free(r);
        snprintf(err, errlen, "talking to %s port %s failed", h->host, h->port);
        return -1;
    }
    r[n] = '\0';
    int status = 0;
    char *sep = strstr(r, "\r\n\r\n");
    if (sscanf(r, "HTTP/1.%*d %d", &status) != 1 || !sep) {
        free(r);
        snprintf(err, errlen, "%s port %s: not an HTTP reply", h->host, h->port);
        return -1;
    }
    /* Every RESPONSE is JSON, also with 400/413 (transport errors carry one too). */
    char *b = sep + 4;
    if (status != 200 && *b != '{') {
        snprintf(err, errlen, "HTTP %d from %s port %s", status, h->host, h->port);
        free(r);
        return -1;
    }
    /* RFC 9112 section 7.1: chunked bodies (h2o uses them for replies it did not size). */
    *sep = '\0';
    if (strcasestr(r, "\r\ntransfer-encoding: chunked")) {
        char *w = b, *p = b;
        for (;;) {
            char *e;
            unsigned long len = strtoul(p, &e, 16);
            char *crlf = strstr(p, "\r\n");
            if (!crlf || e == p || len == 0 || len > (size_t)(r + n - (crlf + 2)))
                break;
            memmove(w, crlf + 2, len);
            w += len;
            p = crlf + 2 + len + 2;
            if (p > r + n)
                break;
        }
        *w = '\0';
    }
    *out = strdup(b);
    free(r);
    return *out ? 0 : -1;
}

static void read_password(char *buf, size_t n)
{
    const char *env = getenv("APC_PASSWORD");
    buf[0] = '\0';
    if (env) {
        snprintf(buf, n, "%s", env);
        return;
    }
    int tty = open("/dev/tty", O_RDWR | O_CLOEXEC);
    if (tty < 0)
        return;
    struct termios old, quiet;
    int have = tcgetattr(tty, &old) == 0;
    if (have) {
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(tty, TCSAFLUSH, &quiet);
    }
    (void)!write(tty, "Password: ", 10);
    ssize_t k = read(tty, buf, n - 1);
    buf[k > 0 ? k : 0] = '\0';
    buf[strcspn(buf, "\r\n")] = '\0';
    if (have)
        tcsetattr(tty, TCSAFLUSH, &old);
    (void)!write(tty, "\n", 1);
    close(tty);
}

static int login(http_t *h, char **out_json, char *err, size_t errlen)
{
    char pw[1100];
    read_password(pw, sizeof pw);
    char *b = NULL;
    size_t n = 0, cap = 0;
    int rc = add_pair(&b, &n, &cap, "action", "login");
    rc |= add_pair(&b, &n, &cap, "username", h->user);
    rc |= add_pair(&b, &n, &cap, "password", pw);
    memset(pw, 0, sizeof pw);
    char *json = NULL;
    if (rc == 0)
        rc = post(h, b, &json, err, errlen);
    if (b)
        memset(b, 0, n);
    free(b);
    if (rc < 0)
        return -1;
    cJSON *r = cJSON_Parse(json);
    cJSON *code = cJSON_GetObjectItem(r, "ErrorCode");
    cJSON *val = cJSON_GetObjectItem(r, "ReturnValue");
    if (cJSON_IsNumber(code) && code->valueint == 0 && cJSON_IsString(val)) {
        h->token = strdup(val->valuestring);
        free(json);
        cJSON_Delete(r);
        return 0;
    }
    cJSON_Delete(r);
    /* The login's own RESPONSE (wrong password...) is the answer of this call. */
    *out_json = json;
    h->login_failed = 1;
    return 1;
}

static int http_call(apcctl_transport_t *t, const char *action, const apcctl_args_t *args,
                     char **out_json, char *err, size_t errlen)
{
    http_t *h = (http_t *)t;
    *out_json = NULL;
    if (strcmp(action, "login") != 0 && !h->token && !h->login_failed) {
        int l = login(h, out_json, err, errlen);
        if (l != 0)
            return l < 0 ? -1 : 0;
    }
    char *b = NULL;
    size_t n = 0, cap = 0;
    int rc = add_pair(&b, &n, &cap, "action", action);
    if (h->token)
        rc |= add_pair(&b, &n, &cap, "token", h->token);
    for (size_t i = 0; rc == 0 && i < args->count; i++)
        rc = add_pair(&b, &n, &cap, args->items[i].name, args->items[i].value);
    if (rc < 0) {
        free(b);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    rc = post(h, b, out_json, err, errlen);
    free(b);
    return rc;
}

static void http_close(apcctl_transport_t *t)
{
    http_t *h = (http_t *)t;
    if (h->token) {
        char *json = NULL, err[200];
        char body[200];
        snprintf(body, sizeof body, "action=logout&token=%s", h->token);
        if (post(h, body, &json, err, sizeof err) == 0)
            free(json);
        free(h->token);
    }
    free(h);
}

int apcctl_transport_http_open(apcctl_transport_t **out, const char *url, const char *user,
                               char *err, size_t errlen)
{
    *out = NULL;
    if (strncmp(url, "http://", 7) != 0) {
        snprintf(err, errlen, "--url %s: only http://HOST[:PORT][/PREFIX] is supported", url);
        return -1;
    }
    http_t *h = calloc(1, sizeof *h);
    if (!h) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    const char *p = url + 7;
    const char *slash = strchr(p, '/');
    size_t hp = slash ? (size_t)(slash - p) : strlen(p);
    char hostport[300];
    snprintf(hostport, sizeof hostport, "%.*s", (int)(hp < 299 ? hp : 299), p);
    char *colon = strrchr(hostport, ':');
    if (hostport[0] == '[') { /* [v6]:port */
        char *rb = strchr(hostport, ']');
        colon = rb && rb[1] == ':' ? rb + 1 : NULL;
        if (rb)
            *rb = '\0';
        memmove(hostport, hostport + 1, strlen(hostport));
        if (colon)
            colon--;
    }
    snprintf(h->port, sizeof h->port, "%s", colon ? colon + 1 : "80");
    if (colon)
        *colon = '\0';
    snprintf(h->host, sizeof h->host, "%s", hostport);
    if (slash) {
        snprintf(h->prefix, sizeof h->prefix, "%s", slash);
        size_t l = strlen(h->prefix);
        while (l > 0 && h->prefix[l - 1] == '/')
            h->prefix[--l] = '\0';
        if (l >= 5 && strcmp(h->prefix + l - 5, "/ajax") == 0)
            h->prefix[l - 5] = '\0';
    }
    if (!user || !*user)
        user = getenv("APC_USER");
    snprintf(h->user, sizeof h->user, "%s", user && *user ? user : "admin");
    if (!h->host[0]) {
        free(h);
        snprintf(err, errlen, "--url %s: no host", url);
        return -1;
    }
    h->base.name = "http";
    h->base.detached_jobs = true;
    h->base.call = http_call;
    h->base.close = http_close;
    *out = &h->base;
    return 0;
}
