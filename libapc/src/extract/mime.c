/* SPDX-License-Identifier: MIT */
/*
 * MIME parts as files (extract/mime.h). Lines are read one at a time (a line longer than
 * LINE_MAX is body, never a boundary: RFC 2046 5.1.1 keeps a delimiter line to 70 + 4 bytes).
 * The line break before a delimiter belongs to the delimiter (RFC 2046 5.1.1), so a decoded
 * part's last line break is held back until the next line shows it is no boundary.
 */
#include "extract/mime.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define LINE_MAX 1024  /* a line kept whole */
#define FIELD_MAX 4096 /* an unfolded header field kept; the rest is cut */
#define BND_MAX 70     /* RFC 2046 5.1.1 */
#define NAME_MAX_ 255  /* a file name or type kept */
#define OUT_MAX 1024   /* decoded bytes handed on at once */

enum { CTE_IDENTITY = 0, CTE_BASE64, CTE_QP };

struct apc__mime {
    apc__mime_sink_t sink;
    uint64_t cap;
    int head;    /* reading a header section (the message's, then each part's) */
    int top;     /* the header section is the message's own */
    int form;    /* multipart/form-data: `name` names a field, not a file (RFC 7578) */
    int bare_lf; /* form: the line being handed on ended with LF alone (kept as sent) */
    int depth;   /* boundaries open */
    char bnd[APC__MIME_DEPTH][BND_MAX + 1];
    size_t bnd_len[APC__MIME_DEPTH];
    /* the header section being read */
    char field[FIELD_MAX + 1];
    size_t field_len;
    char ctype[NAME_MAX_ + 1], boundary[BND_MAX + 1], name[NAME_MAX_ + 1], fname[NAME_MAX_ + 1];
    int cte;
    /* the part being decoded */
    int file, cut; /* a file is open; it reached the cap (the rest is dropped) */
    int files;
    uint64_t size;
    int pend_crlf; /* a line break held back */
    uint32_t quad;
    int quad_n, b64_done, b64_bad;
    uint8_t out[OUT_MAX];
    size_t out_len;
    /* the line being read */
    char line[LINE_MAX];
    size_t line_len;
    int long_line; /* the line under way overflowed: its start was handed on already */
};

apc__mime_t *apc__mime_new(uint64_t cap, const apc__mime_sink_t *sink)
{
    apc__mime_t *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->sink = *sink;
    m->cap = cap;
    m->head = m->top = 1;
    return m;
}

apc__mime_t *apc__mime_new_form(uint64_t cap, const apc__mime_sink_t *sink)
{
    apc__mime_t *m = apc__mime_new(cap, sink);
    if (m)
        m->form = 1;
    return m;
}

void apc__mime_free(apc__mime_t *m)
{
    free(m);
}

/* --- a part's bytes ---------------------------------------------------------------------- */

static void flush(apc__mime_t *m)
{
    if (m->out_len && m->file && !m->cut)
        m->sink.body(m->sink.u, m->out, m->out_len);
    m->out_len = 0;
}

static void part_end(apc__mime_t *m, const char *reason)
{
    if (!m->file)
        return;
    flush(m);
    if (!reason && m->b64_bad)
        reason = "malformed base64";
    if (!reason && m->cte == CTE_BASE64 && m->quad_n == 1)
        reason = "base64 ends inside a byte";
    m->sink.end(m->sink.u, m->cut ? "file size cap" : reason);
    m->file = 0;
}

static void put(apc__mime_t *m, uint8_t b)
{
    if (m->cut)
        return;
    if (m->size >= m->cap) {
        flush(m);
        m->cut = 1; /* the part's other bytes are read and dropped; part_end says why */
        return;
    }
    m->size++;
    m->out[m->out_len++] = b;
    if (m->out_len == OUT_MAX)
        flush(m);
}

static int b64_value(uint8_t c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* RFC 2045 6.8: characters outside the alphabet are ignored; "=" ends the data. */
static void b64_text(apc__mime_t *m, const uint8_t *s, size_t n)
{
    for (size_t i = 0; i < n && !m->b64_done; i++) {
        if (s[i] == '=') {
            if (m->quad_n == 2)
                put(m, (uint8_t)(m->quad >> 4));
            else if (m->quad_n == 3) {
                put(m, (uint8_t)(m->quad >> 10));
                put(m, (uint8_t)(m->quad >> 2));
            } else if (m->quad_n == 1)
                m->b64_bad = 1;
            m->quad_n = 0;
            m->b64_done = 1;
            continue;
        }
        int v = b64_value(s[i]);
        if (v < 0)
            continue;
        m->quad = m->quad << 6 | (uint32_t)v;
        if (++m->quad_n == 4) {
            put(m, (uint8_t)(m->quad >> 16));
            put(m, (uint8_t)(m->quad >> 8));
            put(m, (uint8_t)m->quad);
            m->quad_n = 0;
            m->quad = 0;
        }
    }
}

static int hexval(uint8_t c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c |= 0x20;
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* RFC 2045 6.7: "=XX" is a byte, "=" at the end of a line a soft break; a malformed "=" is
 * kept as it is (the robust reading the RFC suggests). */
static void qp_text(apc__mime_t *m, const uint8_t *s, size_t n, int eol)
{
    if (eol)
        while (n && (s[n - 1] == ' ' || s[n - 1] == '\t')) /* rule 3: trailing space */
            n--;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '=' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
            put(m, (uint8_t)(hexval(s[i + 1]) << 4 | hexval(s[i + 2])));
            i += 2;
        } else if (s[i] == '=' && i + 1 == n && eol) {
            m->pend_crlf = -1; /* a soft break: no line break follows */
        } else {
            put(m, s[i]);
        }
    }
}

/* Text of the part: a whole line (eol) or the start of a long one. */
static void part_text(apc__mime_t *m, const uint8_t *s, size_t n, int eol)
{
    if (!m->file)
        return;
    if (m->cte == CTE_BASE64) {
        b64_text(m, s, n);
        return;
    }
    if (m->pend_crlf > 0) {
        if (m->pend_crlf == 1)
            put(m, '\r');
        put(m, '\n');
    }
    m->pend_crlf = 0;
    if (m->cte == CTE_QP)
        qp_text(m, s, n, eol);
    else
        for (size_t i = 0; i < n; i++)
            put(m, s[i]);
    /* A mail's lines end with CRLF (RFC 5322); an upload's bytes are a file's, whose line
     * breaks are whatever the file holds: 2 is LF alone. */
    if (eol)
        m->pend_crlf = m->pend_crlf < 0 ? 0 : m->form && m->bare_lf ? 2 : 1;
}

/* --- header sections ---------------------------------------------------------------------- */

static void copy_lower(char *dst, size_t cap, const char *s, size_t n)
{
    size_t k = n < cap - 1 ? n : cap - 1;
    for (size_t i = 0; i < k; i++) {
        char c = s[i];
        dst[i] = c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
    }
    dst[k] = 0;
}

/* A name is text: controls become spaces, %XX of an RFC 2231 extended value is decoded. */
static void copy_name(char *dst, size_t cap, const char *s, size_t n, int pct)
{
    size_t k = 0;
    for (size_t i = 0; i < n && k + 1 < cap; i++) {
        unsigned char c = (unsigned char)s[i];
        if (pct && c == '%' && i + 2 < n && hexval((uint8_t)s[i + 1]) >= 0 &&
            hexval((uint8_t)s[i + 2]) >= 0) {
            c = (unsigned char)(hexval((uint8_t)s[i + 1]) << 4 | hexval((uint8_t)s[i + 2]));
            i += 2;
        }
        dst[k++] = c < 0x20 || c == 0x7f ? ' ' : (char)c;
    }
    dst[k] = 0;
}

/* The parameters after a header field's value (RFC 2045 5.1, RFC 2183, RFC 2231's simple
 * `name*=charset'lang'%XX` form; continuations are not joined). */
static void params(apc__mime_t *m, const char *p, const char *end)
{
    while (p < end) {
        while (p < end && (*p == ';' || *p == ' ' || *p == '\t'))
            p++;
        const char *k = p;
        while (p < end && *p != '=' && *p != ';')
            p++;
        size_t klen = (size_t)(p - k);
        while (klen && (k[klen - 1] == ' ' || k[klen - 1] == '\t'))
            klen--;
        if (p >= end || *p != '=')
            continue;
        p++;
        while (p < end && (*p == ' ' || *p == '\t'))
            p++;
        char v[NAME_MAX_ + 1];
        size_t vn = 0;
        if (p < end && *p == '"') {
            for (p++; p < end && *p != '"'; p++) {
                if (*p == '\\' && p + 1 < end)
                    p++;
                if (vn < NAME_MAX_)
                    v[vn++] = *p;
            }
            if (p < end)
                p++;
        } else {
            while (p < end && *p != ';' && *p != ' ' && *p != '\t') {
                if (vn < NAME_MAX_)
                    v[vn++] = *p;
                p++;
            }
        }
        v[vn] = 0;
        if (klen == 8 && !strncasecmp(k, "boundary", 8)) {
            size_t b = vn < BND_MAX ? vn : BND_MAX;
            memcpy(m->boundary, v, b);
            m->boundary[b] = 0;
        } else if (klen == 4 && !strncasecmp(k, "name", 4) && !m->form)
            copy_name(m->name, sizeof m->name, v, vn, 0);
        else if (klen == 8 && !strncasecmp(k, "filename", 8))
            copy_name(m->fname, sizeof m->fname, v, vn, 0);
        else if (klen == 9 && !strncasecmp(k, "filename*", 9)) {
            const char *q = memchr(v, '\'', vn);
            const char *r = q ? memchr(q + 1, '\'', (size_t)(v + vn - (q + 1))) : NULL;
            if (r)
                copy_name(m->fname, sizeof m->fname, r + 1, (size_t)(v + vn - (r + 1)), 1);
        }
    }
}

/* One unfolded header field of the section being read. */
static void field_done(apc__mime_t *m)
{
    const char *f = m->field, *end = f + m->field_len;
    const char *colon = memchr(f, ':', m->field_len);
    m->field_len = 0;
    if (!colon)
        return;
    size_t nlen = (size_t)(colon - f);
    const char *v = colon + 1;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    size_t rest = v < end ? (size_t)(end - v) : 0;
    const char *semi = memchr(v, ';', rest);
    const char *vend = semi ? semi : end;
    while (vend > v && (vend[-1] == ' ' || vend[-1] == '\t'))
        vend--;
    if (nlen == 12 && !strncasecmp(f, "Content-Type", 12)) {
        copy_lower(m->ctype, sizeof m->ctype, v, (size_t)(vend - v));
        if (semi)
            params(m, semi, end);
    } else if (nlen == 19 && !strncasecmp(f, "Content-Disposition", 19)) {
        if (semi)
            params(m, semi, end);
    } else if (nlen == 25 && !strncasecmp(f, "Content-Transfer-Encoding", 25)) {
        size_t n = (size_t)(vend - v);
        m->cte = n == 6 && !strncasecmp(v, "base64", 6)               ? CTE_BASE64
                 : n == 16 && !strncasecmp(v, "quoted-printable", 16) ? CTE_QP
                                                                      : CTE_IDENTITY;
    }
}

static void head_begin(apc__mime_t *m, int top)
{
    m->head = 1;
    m->top = top;
    m->field_len = 0;
    m->ctype[0] = m->boundary[0] = m->name[0] = m->fname[0] = 0;
    m->cte = CTE_IDENTITY;
}

/* The empty line after a header section: a multipart opens a level, a leaf that is a file
 * begins it, anything else is skipped up to the next boundary. */
static void head_end(apc__mime_t *m)
{
    if (m->field_len)
        field_done(m);
    m->head = 0;
    if (!strncmp(m->ctype, "multipart/", 10)) {
        if (m->boundary[0] && m->depth < APC__MIME_DEPTH) {
            size_t n = strlen(m->boundary);
            memcpy(m->bnd[m->depth], m->boundary, n + 1);
            m->bnd_len[m->depth++] = n;
        }
        return;
    }
    const char *name = m->fname[0] ? m->fname : m->name;
    int typed = m->ctype[0] && strncmp(m->ctype, "text/", 5) && strncmp(m->ctype, "message/", 8);
    if ((name[0] || typed) && m->files < APC__MIME_FILES) {
        m->files++;
        m->file = 1;
        m->cut = m->b64_done = m->b64_bad = 0;
        m->size = 0;
        m->pend_crlf = 0;
        m->quad = 0;
        m->quad_n = 0;
        m->out_len = 0;
        m->sink.begin(m->sink.u, name, m->ctype);
    }
}

static void head_line(apc__mime_t *m, const char *s, size_t n)
{
    if (n == 0) {
        head_end(m);
        return;
    }
    if ((s[0] == ' ' || s[0] == '\t') && m->field_len) { /* folded: one space joins it */
        while (n && (s[0] == ' ' || s[0] == '\t'))
            s++, n--;
        if (m->field_len < FIELD_MAX)
            m->field[m->field_len++] = ' ';
    } else if (m->field_len) {
        field_done(m);
    }
    size_t k = n < FIELD_MAX - m->field_len ? n : FIELD_MAX - m->field_len;
    memcpy(m->field + m->field_len, s, k);
    m->field_len += k;
}

/* --- lines ----------------------------------------------------------------------------- */

/* A delimiter of an open level (innermost first): its level + 1, negated for a close
 * delimiter; 0 when the line is none. */
static int delimiter(const apc__mime_t *m, const char *s, size_t n)
{
    if (n < 3 || s[0] != '-' || s[1] != '-')
        return 0;
    for (int i = m->depth - 1; i >= 0; i--) {
        size_t b = m->bnd_len[i];
        if (n < 2 + b || memcmp(s + 2, m->bnd[i], b))
            continue;
        const char *r = s + 2 + b;
        size_t rn = n - 2 - b;
        if (rn >= 2 && r[0] == '-' && r[1] == '-')
            return -(i + 1);
        size_t j = 0;
        while (j < rn && (r[j] == ' ' || r[j] == '\t'))
            j++;
        if (j == rn)
            return i + 1;
    }
    return 0;
}

static void line_done(apc__mime_t *m, const char *s, size_t n, int eol)
{
    m->bare_lf = eol && !(n && s[n - 1] == '\r');
    if (eol && !m->bare_lf)
        n--;
    int was_long = m->long_line;
    int d = was_long ? 0 : delimiter(m, s, n);
    m->long_line = 0;
    if (d) {
        part_end(m, NULL);
        m->head = 0;
        if (d > 0) {
            m->depth = d;
            head_begin(m, 0);
        } else {
            m->depth = -d - 1; /* the level closes: its parent's part goes on, skipped */
        }
        return;
    }
    if (m->head) {
        if (!was_long) /* the rest of an over-long field: its start was kept, this is cut */
            head_line(m, s, n);
    } else
        part_text(m, (const uint8_t *)s, n, eol);
}

void apc__mime_feed(apc__mime_t *m, const uint8_t *data, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (data[i] == '\n') {
            line_done(m, m->line, m->line_len, 1);
            m->line_len = 0;
            continue;
        }
        if (m->line_len == LINE_MAX) { /* too long for a boundary: its start is text */
            if (!m->head)
                part_text(m, (const uint8_t *)m->line, m->line_len, 0);
            else if (!m->long_line)
                head_line(m, m->line, m->line_len);
            m->long_line = 1;
            m->line_len = 0;
        }
        m->line[m->line_len++] = (char)data[i];
    }
}

void apc__mime_close(apc__mime_t *m, const char *why)
{
    if (m->line_len) {
        line_done(m, m->line, m->line_len, 0);
        m->line_len = 0;
    }
    /* a part inside a multipart whose boundary never came is cut off */
    part_end(m, why ? why : m->depth ? "the message ended before the part's boundary" : NULL);
}
