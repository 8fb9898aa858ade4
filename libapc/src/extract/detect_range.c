/* SPDX-License-Identifier: MIT */
/*
 * Files joined from HTTP 206 ranges (extract/engine.h): a download in pieces (a resumed
 * download, a download manager's parallel connections, a media player seeking) is one file,
 * put together with extract/sparse.h at the offsets each Content-Range gives (RFC 9110 14.4),
 * whatever the order and the connections the ranges came on. Two ranges belong to the same
 * file when they have the same host, URI, complete length and validator (RFC 9110 8.8: the
 * ETag, else Last-Modified): a range of a changed representation is another file.
 *
 * The file is complete when every byte from 0 to the complete length is there; otherwise
 * partial with the bytes missing, holes being zeros in the stored bytes (as for SMB).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "extract/engine.h"
#include "util/array.h"

void apc__xe_range_head(xdir_t *d, const char *host, int status, const apc__http_meta_t *m)
{
    free(d->range_key);
    d->range_key = NULL;
    uint64_t a, b, t;
    if (status != 206 || apc__http_content_range(m->content_range, &a, &b, &t) < 0)
        return; /* multipart/byteranges has no Content-Range of its own: one file as carried */
    /* no Host (HTTP/1.0): the server's address stands for it */
    const conninfo_t *ci = &d->c->e->ci[d->c->id - 1];
    char srv[64];
    snprintf(srv, sizeof srv, "[%s]:%d", d->idx == 1 ? ci->dst_ip : ci->src_ip,
             d->idx == 1 ? ci->dst_port : ci->src_port);
    const char *uri = d->resp_uri ? d->resp_uri : "";
    if (asprintf(&d->range_key, "%s\n%s\n%s\n%" PRIu64, host && host[0] ? host : srv, uri,
                 m->etag[0] ? m->etag : m->last_modified, t) < 0) {
        d->range_key = NULL;
        apc__xe_set_err(d->c->e, apc__err(APC_ENOMEM, "out of memory"));
        return;
    }
    d->range_first = a;
    d->range_stop = b + 1;
    d->range_total = t;
}

/* The joined file with that key, a new one when none: its index + 1, 0 when out of memory. */
static size_t group_of(xdir_t *d, const char *name, const char *ctype)
{
    engine_t *e = d->c->e;
    for (size_t i = 0; i < e->n_rgs; i++)
        if (strcmp(e->rgs[i].key, d->range_key) == 0)
            return i + 1;
    if (apc__grow((void **)&e->rgs, &e->cap_rgs, e->n_rgs + 1, sizeof *e->rgs) < 0)
        return 0;
    xrange_t *g = &e->rgs[e->n_rgs];
    memset(g, 0, sizeof *g);
    g->key = d->range_key;
    d->range_key = NULL;
    g->name = strdup(name ? name : "");
    g->ctype = strdup(ctype ? ctype : "");
    if (!g->name || !g->ctype) {
        free(g->name);
        free(g->ctype);
        d->range_key = g->key;
        return 0;
    }
    g->total = d->range_total;
    g->conn_id = d->c->id;
    g->dir = d->idx == 0 ? APC_DIR_OUT : APC_DIR_IN;
    g->nth = d->nth;
    g->first_packet = g->last_packet = e->cur_packet;
    g->time = e->cur_time;
    return ++e->n_rgs;
}

int apc__xe_range_begin(xdir_t *d, const char *name, const char *ctype)
{
    if (!d->range_key)
        return 0;
    if (!(d->rg = group_of(d, name, ctype))) {
        apc__xe_set_err(d->c->e, apc__err(APC_ENOMEM, "out of memory"));
        return 1;
    }
    free(d->range_key);
    d->range_key = NULL;
    return 1;
}

void apc__xe_range_body(xdir_t *d, const uint8_t *data, size_t len)
{
    engine_t *e = d->c->e;
    xrange_t *g = &e->rgs[d->rg - 1];
    /* bytes past the range the header announced are not the file's: a server's error */
    if (d->range_first >= d->range_stop || len == 0)
        return;
    if (len > d->range_stop - d->range_first)
        len = (size_t)(d->range_stop - d->range_first);
    if (apc__sparse_put(&g->s, &e->range_pool, APC__EXTRACT_RANGE_FILE_CAP, d->range_first, data,
                        len) < 0)
        apc__xe_set_err(e, apc__err(APC_ENOMEM, "out of memory"));
    d->range_first += len;
    if (e->cur_packet > g->last_packet)
        g->last_packet = e->cur_packet;
}

void apc__xe_range_end(xdir_t *d, const char *reason)
{
    xrange_t *g = &d->c->e->rgs[d->rg - 1];
    if (reason && !g->cut)
        g->cut = reason; /* static strings (http.h) */
    d->rg = 0;
}

/* Appends to out (n bytes, k used) what printf would; k stays below n. */
static size_t add(char *out, size_t n, size_t k, uint64_t a, uint64_t b)
{
    if (k + 1 >= n)
        return k;
    int w = a == b ? snprintf(out + k, n - k, " %" PRIu64, a)
                   : snprintf(out + k, n - k, " %" PRIu64 "-%" PRIu64, a, b);
    return w < 0 ? k : k + (size_t)w < n ? k + (size_t)w : n - 1;
}

/* Why g is partial, into out: the bytes received and the first holes; NULL when complete. */
static const char *partial(const xrange_t *g, char *out, size_t n)
{
    const apc__sparse_t *s = &g->s;
    if (g->total != UINT64_MAX && !s->capped && s->got == g->total && s->end == g->total)
        return NULL;
    if (g->total == UINT64_MAX) {
        snprintf(out, n, "%" PRIu64 " bytes received, complete length not given", s->got);
        return out;
    }
    int w = snprintf(out, n, "%s%" PRIu64 " of the %" PRIu64 " bytes received, missing",
                     s->capped ? "memory cap: " : "", s->got, g->total);
    size_t k = w < 0 ? 0 : (size_t)w < n ? (size_t)w : n - 1;
    uint64_t pos = 0;
    unsigned shown = 0;
    for (size_t i = 0; i <= s->n_iv && shown < 4; i++) {
        uint64_t stop = i < s->n_iv ? s->iv[i].a : g->total;
        if (stop > pos) {
            k = add(out, n, k, pos, stop - 1);
            shown++;
        }
        if (i < s->n_iv)
            pos = s->iv[i].b;
    }
    if (shown == 4 && k + 5 < n)
        k += (size_t)snprintf(out + k, n - k, " ...");
    if (g->cut && k + 1 < n)
        snprintf(out + k, n - k, " (%s)", g->cut);
    return out;
}

static void report_one(engine_t *e, xrange_t *g)
{
    xfile_t f = {0};
    if (apc__xe_file_start(e, &f, g->conn_id, g->dir, g->nth, g->name, g->ctype) < 0)
        return;
    /* the stored bytes run to the last byte received; holes are zeros */
    size_t len = (size_t)(g->s.end < g->s.alloc ? g->s.end : g->s.alloc);
    if (len)
        apc__xe_file_feed(&f, g->s.buf, len);
    f.first_packet = g->first_packet;
    f.last_packet = g->last_packet;
    f.time = g->time;
    const apc__xtrun_t *run = e->run;
    if (run->write && run->range_conn == g->conn_id && run->dir == g->dir && run->nth == g->nth &&
        len && e->err == 0) {
        int r = run->write(run->payload, g->s.buf, len);
        if (r < 0)
            apc__xe_set_err(e, r);
    }
    char why[256];
    apc__xe_report(e, g->conn_id, g->dir, g->nth, "http-ranges", &f, partial(g, why, sizeof why));
}

void apc__xe_range_report(engine_t *e)
{
    for (size_t i = 0; i < e->n_rgs && e->err == 0; i++)
        report_one(e, &e->rgs[i]);
}

void apc__xe_range_free(engine_t *e)
{
    for (size_t i = 0; i < e->n_rgs; i++) {
        xrange_t *g = &e->rgs[i];
        free(g->key);
        free(g->name);
        free(g->ctype);
        apc__sparse_free(&g->s, &e->range_pool);
    }
    free(e->rgs);
    e->rgs = NULL;
    e->n_rgs = e->cap_rgs = 0;
}
