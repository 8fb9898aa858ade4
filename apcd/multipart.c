/* SPDX-License-Identifier: MIT */
/*
 * multipart/form-data (RFC 7578) over the multipart syntax of RFC 2046 section 5.1, parsed as
 * a stream: memory is bounded by one window of input (WINDOW) plus one field value, whatever
 * the body's size, and file parts go out through callbacks as they arrive. The body is read
 * as if preceded by CRLF, so the first boundary is found by the same "CRLF--boundary" search
 * as every other one. Part headers (RFC 7578 section 4.2): only Content-Disposition's `name`
 * and `filename` are used.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "parsers.h"

#define WINDOW 65536
#define HDR_MAX 8192 /* all headers of one part */
#define BOUNDARY_MAX 70

enum { S_PREAMBLE, S_AFTER_DELIM, S_HEADERS, S_FIELD, S_FILE, S_DONE };

struct apcd_mp {
    apcd_limits_t lim;
    apcd_mp_cb_t cb;
    void *u;
    char delim[BOUNDARY_MAX + 5]; /* CRLF "--" boundary */
    size_t dlen;
    int state;
    int err;
    char msg[200];
    char *pend; /* unprocessed input */
    size_t plen;
    char *val; /* value of the current field */
    size_t vlen;
    char name[256];
    size_t fields, field_bytes;
    uint64_t file_bytes;
};

static int fail(apcd_mp_t *m, int code, const char *msg)
{
    if (!m->err) {
        m->err = code;
        snprintf(m->msg, sizeof m->msg, "multipart body: %s", msg);
    }
    return m->err;
}

int apcd_mp_boundary(const char *ctype, size_t len, char out[72])
{
    /* RFC 2046 5.1.1: boundary := 1*70 bchars, possibly quoted, as a parameter of the type. */
    const char *end = ctype + len;
    const char *p = ctype;
    while (p < end) {
        const char *semi = memchr(p, ';', (size_t)(end - p));
        if (!semi)
            break;
        p = semi + 1;
        while (p < end && (*p == ' ' || *p == '\t'))
            p++;
        if ((size_t)(end - p) >= 9 && strncasecmp(p, "boundary=", 9) == 0) {
            p += 9;
            size_t n = 0;
            if (p < end && *p == '"') {
                p++;
                while (p < end && *p != '"' && n < BOUNDARY_MAX)
                    out[n++] = *p++;
                if (p >= end || *p != '"')
                    return APCD_PARSE_FORMAT;
            } else {
                while (p < end && *p != ';' && *p != ' ' && *p != '\t' && n < BOUNDARY_MAX)
                    out[n++] = *p++;
                if (p < end && *p != ';' && *p != ' ' && *p != '\t')
                    return APCD_PARSE_FORMAT;
            }
            out[n] = '\0';
            return n > 0 ? 0 : APCD_PARSE_FORMAT;
        }
    }
    return APCD_PARSE_FORMAT;
}

apcd_mp_t *apcd_mp_new(const char *boundary, const apcd_limits_t *lim, const apcd_mp_cb_t *cb,
                       void *u)
{
    size_t bl = strlen(boundary);
    if (bl == 0 || bl > BOUNDARY_MAX)
        return NULL;
    apcd_mp_t *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->pend = malloc(WINDOW + HDR_MAX + sizeof m->delim);
    if (!m->pend) {
        free(m);
        return NULL;
    }
    m->lim = *lim;
    m->cb = *cb;
    m->u = u;
    m->dlen = (size_t)snprintf(m->delim, sizeof m->delim, "\r\n--%s", boundary);
    memcpy(m->pend, "\r\n", 2); /* see the header comment */
    m->plen = 2;
    return m;
}

void apcd_mp_free(apcd_mp_t *m)
{
    if (!m)
        return;
    free(m->pend);
    free(m->val);
    free(m);
}

const char *apcd_mp_error(const apcd_mp_t *m)
{
    return m->msg;
}

/* Reads a parameter of a Content-Disposition value: name="x" or name=x (RFC 7578 4.2). */
static int disp_param(const char *v, size_t vlen, const char *key, char *out, size_t outsz,
                      int *found)
{
    size_t kl = strlen(key);
    *found = 0;
    for (size_t i = 0; i < vlen;) {
        while (i < vlen && (v[i] == ';' || v[i] == ' ' || v[i] == '\t'))
            i++;
        size_t s = i;
        while (i < vlen && v[i] != '=' && v[i] != ';')
            i++;
        int match = i - s == kl && strncasecmp(v + s, key, kl) == 0 && i < vlen && v[i] == '=';
        if (i < vlen && v[i] == '=')
            i++;
        size_t n = 0;
        int over = 0;
        if (i < vlen && v[i] == '"') {
            i++;
            while (i < vlen && v[i] != '"') {
                if (v[i] == '\\' && i + 1 < vlen)
                    i++;
                if (n + 1 < outsz && match)
                    out[n++] = v[i];
                else if (match)
                    over = 1;
                i++;
            }
            if (i >= vlen)
                return APCD_PARSE_FORMAT;
            i++;
        } else {
            while (i < vlen && v[i] != ';') {
                if (n + 1 < outsz && match)
                    out[n++] = v[i];
                else if (match)
                    over = 1;
                i++;
            }
        }
        if (match) {
            if (over)
                return APCD_PARSE_LIMIT;
            out[n] = '\0';
            *found = 1;
            return 0;
        }
    }
    return 0;
}

/* The headers of one part, hdr[0..len) without the final blank line. */
static int part_headers(apcd_mp_t *m, const char *hdr, size_t len)
{
    char filename[256];
    int has_name = 0, has_file = 0;
    size_t i = 0;
    while (i < len) {
        size_t e = i;
        while (e < len && !(hdr[e] == '\r' && e + 1 < len && hdr[e + 1] == '\n'))
            e++;
        const char *line = hdr + i;
        size_t ll = e - i;
        const char *colon = memchr(line, ':', ll);
        if (colon && colon - line == 19 && strncasecmp(line, "content-disposition", 19) == 0) {
            const char *v = colon + 1;
            size_t vl = ll - 20;
            while (vl && (*v == ' ' || *v == '\t'))
                v++, vl--;
            if (vl < 9 || strncasecmp(v, "form-data", 9) != 0)
                return fail(m, APCD_PARSE_FORMAT, "a part is not form-data");
            int rc = disp_param(v + 9, vl - 9, "name", m->name, sizeof m->name, &has_name);
            if (rc == 0)
                rc = disp_param(v + 9, vl - 9, "filename", filename, sizeof filename, &has_file);
            if (rc == APCD_PARSE_LIMIT)
                return fail(m, rc, "a part's name or filename is longer than 255 bytes");
            if (rc)
                return fail(m, rc, "malformed Content-Disposition");
        }
        i = e + 2;
    }
    if (!has_name || !m->name[0])
        return fail(m, APCD_PARSE_FORMAT, "a part has no name");
    if (has_file) {
        m->file_bytes = 0;
        m->state = S_FILE;
        if (m->cb.on_file_begin && m->cb.on_file_begin(m->u, m->name, filename))
            return fail(m, APCD_PARSE_REFUSED, "refused");
        return 0;
    }
    if (++m->fields > m->lim.max_params)
        return fail(m, APCD_PARSE_LIMIT, "too many parameters");
    m->vlen = 0;
    m->state = S_FIELD;
    return 0;
}

/* Body bytes of the current part. */
static int part_data(apcd_mp_t *m, const char *d, size_t n)
{
    if (n == 0)
        return 0;
    if (m->state == S_FILE) {
        m->file_bytes += n;
        if (m->file_bytes > m->lim.max_upload)
            return fail(m, APCD_PARSE_LIMIT, "the uploaded file is over the upload limit");
        if (m->cb.on_file_data && m->cb.on_file_data(m->u, d, n))
            return fail(m, APCD_PARSE_REFUSED, "refused");
        return 0;
    }
    m->field_bytes += n;
    if (m->vlen + n > m->lim.max_param_len || m->field_bytes > m->lim.max_body)
        return fail(m, APCD_PARSE_LIMIT, "a parameter is over the length limit");
    char *nv = realloc(m->val, m->vlen + n + 1);
    if (!nv)
        return fail(m, APCD_PARSE_NOMEM, "out of memory");
    m->val = nv;
    memcpy(m->val + m->vlen, d, n);
    m->vlen += n;
    return 0;
}

static int part_end(apcd_mp_t *m)
{
    if (m->state == S_FILE) {
        if (m->cb.on_file_end && m->cb.on_file_end(m->u))
            return fail(m, APCD_PARSE_REFUSED, "refused");
        return 0;
    }
    if (m->val)
        m->val[m->vlen] = '\0';
    m->name[apcd_param_name_len(m->name, strlen(m->name))] = '\0';
    if (m->cb.on_field && m->cb.on_field(m->u, m->name, m->val ? m->val : "", m->vlen))
        return fail(m, APCD_PARSE_REFUSED, "refused");
    return 0;
}

/* Processes pend as far as possible; returns bytes consumed or a negative error. */
static long step(apcd_mp_t *m)
{
    char *p = m->pend;
    size_t n = m->plen;
    switch (m->state) {
    case S_PREAMBLE:
    case S_FIELD:
    case S_FILE: {
        char *hit = memmem(p, n, m->delim, m->dlen);
        if (hit) {
            size_t pos = (size_t)(hit - p);
            if (m->state != S_PREAMBLE && (part_data(m, p, pos) || part_end(m)))
                return m->err;
            m->state = S_AFTER_DELIM;
            return (long)(pos + m->dlen);
        }
        /* Keep a tail that could be the start of the delimiter. */
        size_t keep = m->dlen - 1;
        if (n <= keep)
            return 0;
        if (m->state != S_PREAMBLE && part_data(m, p, n - keep))
            return m->err;
        if (m->state == S_PREAMBLE && (m->field_bytes += n - keep) > m->lim.max_body)
            return fail(m, APCD_PARSE_LIMIT, "preamble over the body limit");
        return (long)(n - keep);
    }
    case S_AFTER_DELIM: {
        if (n < 2)
            return 0;
        if (p[0] == '-' && p[1] == '-') {
            m->state = S_DONE;
            return (long)n;
        }
        size_t i = 0;
        while (i < n && (p[i] == ' ' || p[i] == '\t')) /* transport padding, RFC 2046 */
            i++;
        if (n - i < 2)
            return i > 256 ? fail(m, APCD_PARSE_FORMAT, "junk after a boundary") : 0;
        if (p[i] != '\r' || p[i + 1] != '\n')
            return fail(m, APCD_PARSE_FORMAT, "junk after a boundary");
        m->state = S_HEADERS;
        return (long)(i + 2);
    }
    case S_HEADERS: {
        if (n >= 2 && p[0] == '\r' && p[1] == '\n') {
            int rc = part_headers(m, p, 0);
            return rc ? rc : 2;
        }
        char *end = memmem(p, n, "\r\n\r\n", 4);
        if (!end)
            return n > HDR_MAX ? fail(m, APCD_PARSE_LIMIT, "part headers over 8 KiB") : 0;
        if ((size_t)(end - p) > HDR_MAX)
            return fail(m, APCD_PARSE_LIMIT, "part headers over 8 KiB");
        int rc = part_headers(m, p, (size_t)(end - p));
        return rc ? rc : (long)(end - p + 4);
    }
    default: /* S_DONE: the epilogue is ignored */
        return (long)n;
    }
}

int apcd_mp_feed(apcd_mp_t *m, const char *data, size_t len)
{
    while (!m->err && len > 0) {
        size_t room = WINDOW + HDR_MAX + sizeof m->delim - m->plen;
        size_t k = len < room ? len : room;
        if (k == 0)
            return fail(m, APCD_PARSE_FORMAT, "internal window full");
        memcpy(m->pend + m->plen, data, k);
        m->plen += k;
        data += k;
        len -= k;
        for (;;) {
            long c = step(m);
            if (c < 0)
                return m->err;
            if (c == 0)
                break;
            memmove(m->pend, m->pend + c, m->plen - (size_t)c);
            m->plen -= (size_t)c;
        }
    }
    return m->err;
}

int apcd_mp_finish(apcd_mp_t *m)
{
    if (m->err)
        return m->err;
    if (m->state != S_DONE)
        return fail(m, APCD_PARSE_FORMAT, "the closing boundary is missing");
    return 0;
}
