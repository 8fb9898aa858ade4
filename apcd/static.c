/* SPDX-License-Identifier: MIT */
/*
 * Pages of the themes in <data>/http/<theme>/ (spec/wire.md "Authentication and pages").
 * "/" is the default theme's index.html; "/<theme>/<page>" a page of an installed theme;
 * "/<page>" a page of the default theme. A path is walked one component at a time with
 * openat(O_NOFOLLOW) from the http/ folder, so no symlink is followed and no component can be
 * "..", hidden or encoded: the raw request path is refused if it holds '%', '\' or a dot
 * segment. Placeholders in .html and .js are replaced case-insensitively, and only with the
 * token of a live session: a request parameter is never copied into a page.
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

#define PAGE_MAX (8 << 20)

typedef struct page {
    char path[1024]; /* decoded-free raw path, without the query */
    char token[80];
} page_t;

static const char *mime(const char *name)
{
    const char *dot = strrchr(name, '.');
    static const char *map[][2] = {
        {".html", "text/html; charset=utf-8"},
        {".htm", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".json", "application/json"},
        {".png", "image/png"},
        {".svg", "image/svg+xml"},
        {".ico", "image/x-icon"},
        {".txt", "text/plain; charset=utf-8"},
        {".jpg", "image/jpeg"},
    };
    for (size_t i = 0; dot && i < sizeof map / sizeof map[0]; i++)
        if (strcasecmp(dot, map[i][0]) == 0)
            return map[i][1];
    return "application/octet-stream";
}

/* Opens rel (components separated by '/') under dirfd without following links. */
static int open_under(int dirfd, const char *rel, struct stat *st)
{
    char buf[2048];
    snprintf(buf, sizeof buf, "%s", rel);
    int fd = dup(dirfd);
    char *save = NULL;
    for (char *c = strtok_r(buf, "/", &save); fd >= 0 && c; c = strtok_r(NULL, "/", &save)) {
        if (c[0] == '.') { /* ".", "..", hidden files */
            close(fd);
            errno = ENOENT;
            return -1;
        }
        int nfd = openat(fd, c, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        close(fd);
        fd = nfd;
    }
    if (fd >= 0 && fstat(fd, st) < 0) {
        close(fd);
        return -1;
    }
    if (fd >= 0 && S_ISDIR(st->st_mode)) {
        int nfd = openat(fd, "index.html", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        close(fd);
        fd = nfd;
        if (fd >= 0 && fstat(fd, st) < 0) {
            close(fd);
            return -1;
        }
    }
    if (fd >= 0 && !S_ISREG(st->st_mode)) {
        close(fd);
        errno = ENOENT;
        return -1;
    }
    return fd;
}

/* Appends s to the growing output. */
static int put(char **o, size_t *n, size_t *cap, const char *s, size_t l)
{
    if (*n + l + 1 > *cap) {
        size_t nc = (*n + l + 1) * 2;
        char *p = realloc(*o, nc);
        if (!p)
            return -1;
        *o = p, *cap = nc;
    }
    memcpy(*o + *n, s, l);
    *n += l;
    return 0;
}

static char *substitute(const char *in, size_t len, const char *token, size_t *outlen)
{
    char link[100] = "", ajax[100] = "", post[100] = "";
    if (*token) {
        snprintf(link, sizeof link, "?token=%s", token);
        snprintf(ajax, sizeof ajax, "\"token\": \"%s\",", token);
        snprintf(post, sizeof post, "token=%s&", token);
    }
    static const char *names[] = {"{%HD_TOKEN}", "{%HD_LINK_TOKEN}", "{%HD_AJAX_TOKEN}",
                                  "{%HD_POST_PARAMS}"};
    const char *vals[] = {token, link, ajax, post};
    char *o = NULL;
    size_t n = 0, cap = 0;
    for (size_t i = 0; i < len;) {
        int hit = -1;
        if (in[i] == '{' && i + 1 < len && in[i + 1] == '%')
            for (int k = 0; k < 4 && hit < 0; k++) {
                size_t kl = strlen(names[k]);
                if (i + kl <= len && strncasecmp(in + i, names[k], kl) == 0)
                    hit = k;
            }
        if (hit >= 0) {
            if (put(&o, &n, &cap, vals[hit], strlen(vals[hit])) < 0)
                goto oom;
            i += strlen(names[hit]);
        } else {
            const char *nx = memchr(in + i + 1, '{', len - i - 1);
            size_t l = nx ? (size_t)(nx - (in + i)) : len - i;
            if (put(&o, &n, &cap, in + i, l) < 0)
                goto oom;
            i += l;
        }
    }
    if (put(&o, &n, &cap, "", 0) < 0)
        goto oom;
    *outlen = n;
    return o;
oom:
    free(o);
    return NULL;
}

static void not_found(apcd_job_t *j, const char *msg)
{
    j->status = 404;
    j->body = apcd_error_json(APC_SERVE_NO_PAGE, msg);
    j->blen = j->body ? strlen(j->body) : 0;
}

static void static_run(apcd_job_t *j)
{
    page_t *pg = j->data;
    j->code = -1;
    char root[4096];
    snprintf(root, sizeof root, "%s/http", apc_ctx_data_dir(apcd.ctx));
    int rfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (rfd < 0)
        return not_found(j, "no themes are installed");
    const char *p = pg->path;
    while (*p == '/')
        p++;
    char rel[1100];
    struct stat st;
    int fd = -1;
    if (!*p) {
        snprintf(rel, sizeof rel, "default/index.html");
    } else {
        /* "/<theme>/..." when the first component is an installed theme, else default. */
        const char *slash = strchr(p, '/');
        char first[256];
        size_t fl = slash ? (size_t)(slash - p) : strlen(p);
        snprintf(first, sizeof first, "%.*s", (int)(fl < 255 ? fl : 255), p);
        struct stat ts;
        int tfd = first[0] != '.'
                      ? openat(rfd, first, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                      : -1;
        int is_theme = tfd >= 0 && fstat(tfd, &ts) == 0;
        if (tfd >= 0)
            close(tfd);
        if (is_theme && strcmp(first, "default") != 0)
            snprintf(rel, sizeof rel, "%s", p);
        else if (is_theme)
            snprintf(rel, sizeof rel, "%s", p);
        else
            snprintf(rel, sizeof rel, "default/%s", p);
    }
    fd = open_under(rfd, rel, &st);
    close(rfd);
    if (fd < 0)
        return not_found(j, "no such page");
    if (st.st_size > PAGE_MAX) {
        close(fd);
        return not_found(j, "page too large");
    }
    size_t len = (size_t)st.st_size, got = 0;
    char *buf = malloc(len + 1);
    while (buf && got < len) {
        ssize_t r = read(fd, buf + got, len - got);
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    if (!buf || got != len) {
        free(buf);
        j->status = 500;
        return;
    }
    const char *slash = strrchr(rel, '/');
    const char *name = slash ? slash + 1 : rel;
    if (st.st_mode && S_ISREG(st.st_mode) && strchr(name, '.') == NULL)
        name = "index.html"; /* a directory's index */
    j->ctype = mime(name);
    const char *dot = strrchr(name, '.');
    if (dot && (!strcasecmp(dot, ".html") || !strcasecmp(dot, ".htm") || !strcasecmp(dot, ".js"))) {
        /* Only a token that is a live session goes into the page (never request text), and
         * never the node secret: it is no user's session. */
        int role = 0;
        if (pg->token[0] &&
            (apc_session_check(apcd.ctx, pg->token, &role, NULL) < 0 || role == APC_ROLE_NODE))
            pg->token[0] = '\0';
        size_t ol = 0;
        char *o = substitute(buf, len, pg->token, &ol);
        free(buf);
        if (!o) {
            j->status = 500;
            return;
        }
        buf = o, len = ol;
    }
    j->status = 200;
    j->body = buf;
    j->blen = len;
}

int apcd_static_on_req(h2o_req_t *req)
{
    size_t plen = req->query_at != SIZE_MAX ? req->query_at : req->path.len;
    const char *path = req->path.base;
    /* Refuse what could name something outside the theme: encodings, backslashes, dots. */
    int bad = plen >= sizeof((page_t *)0)->path || plen == 0 || path[0] != '/';
    for (size_t i = 0; !bad && i < plen; i++) {
        char c = path[i];
        if (c == '%' || c == '\\' || c == '\0' || (unsigned char)c < 0x20)
            bad = 1;
        if (c == '.' && i > 0 && path[i - 1] == '/')
            bad = 1; /* "/." begins ".", ".." and hidden names */
    }
    if (bad) {
        char *json = apcd_error_json(APC_SERVE_NO_PAGE, "no such page");
        req->res.status = 404;
        req->res.reason = "Not Found";
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL,
                       H2O_STRLIT("application/json"));
        h2o_send_inline(req, json, strlen(json));
        free(json);
        apcd_metrics_request("(page-error)", 404, 0);
        return 0;
    }
    page_t *pg = calloc(1, sizeof *pg);
    apcd_job_t *j = calloc(1, sizeof *j);
    if (!pg || !j) {
        free(pg), free(j);
        h2o_send_error_503(req, "Service Unavailable", "out of memory\n", 0);
        return 0;
    }
    memcpy(pg->path, path, plen);
    /* The token of ?token=...: 64 hex digits or nothing. */
    if (req->query_at != SIZE_MAX) {
        const char *q = path + req->query_at + 1;
        size_t ql = req->path.len - req->query_at - 1;
        for (size_t i = 0; i + 6 <= ql; i++) {
            if ((i == 0 || q[i - 1] == '&') && strncmp(q + i, "token=", 6) == 0) {
                size_t k = 0;
                const char *t = q + i + 6;
                while (i + 6 + k < ql && k < 64 &&
                       ((t[k] >= '0' && t[k] <= '9') || (t[k] >= 'a' && t[k] <= 'f')))
                    k++;
                if (k == 64 && (i + 6 + k == ql || t[k] == '&'))
                    memcpy(pg->token, t, 64);
                break;
            }
        }
    }
    j->data = pg;
    j->free_data = free;
    j->run = static_run;
    j->t0 = apcd_now();
    apcd_job_start(j, req);
    return 0;
}

/* Copies the files of src (one level of folders: <theme>/<files>) into <data>/http/, never
 * replacing a file that exists: a user's edits stay. */
static int copy_file(const char *from, const char *to)
{
    int in = open(from, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return -1;
    int out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (out < 0) {
        close(in);
        return errno == EEXIST ? 0 : -1;
    }
    char buf[65536];
    ssize_t r;
    int rc = 0;
    while ((r = read(in, buf, sizeof buf)) > 0)
        if (write(out, buf, (size_t)r) != r)
            rc = -1;
    close(in);
    if (close(out) < 0)
        rc = -1;
    return rc;
}

#include <dirent.h>

static int copy_tree(const char *src, const char *dst, int depth)
{
    if (depth > 8)
        return 0;
    if (mkdir(dst, 0755) < 0 && errno != EEXIST)
        return -1;
    DIR *d = opendir(src);
    if (!d)
        return -1;
    struct dirent *e;
    int rc = 0;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char a[4096], b[4096];
        snprintf(a, sizeof a, "%s/%s", src, e->d_name);
        snprintf(b, sizeof b, "%s/%s", dst, e->d_name);
        struct stat st;
        if (lstat(a, &st) < 0)
            continue;
        if (S_ISDIR(st.st_mode))
            rc |= copy_tree(a, b, depth + 1);
        else if (S_ISREG(st.st_mode))
            rc |= copy_file(a, b);
    }
    closedir(d);
    return rc;
}

int apcd_themes_install(const char *src_dir)
{
    char dst[4096];
    snprintf(dst, sizeof dst, "%s/http", apc_ctx_data_dir(apcd.ctx));
    struct stat st;
    if (stat(src_dir, &st) < 0) {
        apcd_log(APC_LOG_WARN, "themes: %s is missing; pages are not installed", src_dir);
        return 0;
    }
    if (copy_tree(src_dir, dst, 0) < 0) {
        apcd_log(APC_LOG_WARN, "themes: copying %s to %s failed in part", src_dir, dst);
        return -1;
    }
    return 0;
}
