/* SPDX-License-Identifier: MIT */
/* HTTP/1.x message framing of one direction; the policy is in http.h. */
#include "extract/http.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

enum st {
    ST_HEAD,       /* reading a start line and headers into head[] */
    ST_LEN,        /* Content-Length body: left bytes */
    ST_CHUNK_SIZE, /* reading a chunk-size line into line[] */
    ST_CHUNK_DATA, /* left bytes of a chunk */
    ST_CHUNK_END,  /* the CRLF after a chunk's data */
    ST_TRAILER,    /* trailer lines after the last chunk, up to an empty line */
    ST_CLOSE,      /* body delimited by the close of the connection */
    ST_FAILED,
};

#define MAX_LINE 1024

struct apc__http {
    int is_request;
    uint64_t max_file;
    apc__http_sink_t sink;
    enum st st;
    size_t head_len;
    size_t line_len;
    size_t trailer_len;
    uint64_t left;
    /* The current message. */
    int begun;
    uint64_t written;
    const char *cut; /* why the file was cut (cap), reported at its end */
    char name[512], ctype[256];
    int has_name, has_ctype;
    int64_t length;
    const char *failed;
    /* Content-Encoding gzip or deflate: the body is stored decoded. */
    int coded, z_ready, z_done;
    z_stream z;
    /* Last, not zeroed at creation (17 KB a direction, most of a new connection's cost in
     * memset): only their first head_len / line_len bytes are ever read. */
    char head[APC__HTTP_MAX_HEAD + 1];
    char line[MAX_LINE + 1];
};

apc__http_t *apc__http_new(int is_request, uint64_t max_file, const apc__http_sink_t *sink)
{
    apc__http_t *h = malloc(sizeof(*h));
    if (!h)
        return NULL;
    memset(h, 0, offsetof(apc__http_t, head));
    h->is_request = is_request;
    h->max_file = max_file;
    if (sink)
        h->sink = *sink;
    h->st = ST_HEAD;
    return h;
}

static void z_reset(apc__http_t *h)
{
    if (h->z_ready)
        inflateEnd(&h->z);
    h->z_ready = 0;
    h->z_done = 0;
}

void apc__http_free(apc__http_t *h)
{
    if (!h)
        return;
    z_reset(h);
    free(h);
}

const char *apc__http_failed(const apc__http_t *h)
{
    return h->failed;
}

static void emit(apc__http_t *h, const uint8_t *d, size_t n);

/* The file starts at the message's first body byte as carried (so a coded body that does not
 * decode still gives a file, partial with the reason). */
static void start_file(apc__http_t *h)
{
    if (h->begun)
        return;
    h->begun = 1;
    h->written = 0;
    if (h->sink.begin)
        h->sink.begin(h->sink.payload, h->has_name ? h->name : NULL, h->has_ctype ? h->ctype : NULL,
                      h->length);
}

/* Body bytes as carried: decoded first when the message has a content coding. Decoding stops
 * at the file cap (a gzip bomb costs no more than the cap) and at the first error, which cuts
 * the file ("bad compressed data"); the message is still framed. */
static void body(apc__http_t *h, const uint8_t *d, size_t n)
{
    if (n == 0)
        return;
    if (!h->coded) {
        emit(h, d, n);
        return;
    }
    start_file(h);
    if (h->z_done || h->cut)
        return;
    if (!h->z_ready) {
        memset(&h->z, 0, sizeof(h->z));
        /* 15 + 32: a zlib or gzip header, detected (deflate is zlib-wrapped, RFC 9110 8.4.1.2). */
        if (inflateInit2(&h->z, 15 + 32) != Z_OK) {
            h->cut = "out of memory";
            return;
        }
        h->z_ready = 1;
    }
    uint8_t out[16384];
    h->z.next_in = (Bytef *)(uintptr_t)d;
    h->z.avail_in = (uInt)n; /* n <= a feed's piece; callers feed at most 1 GiB at once */
    while (h->z.avail_in > 0 && !h->z_done && !h->cut) {
        h->z.next_out = out;
        h->z.avail_out = sizeof(out);
        int rc = inflate(&h->z, Z_NO_FLUSH);
        size_t got = sizeof(out) - h->z.avail_out;
        if (got)
            emit(h, out, got);
        if (rc == Z_STREAM_END) {
            h->z_done = 1; /* bytes after the end of the compressed data are ignored */
        } else if (rc != Z_OK && !(rc == Z_BUF_ERROR && got)) {
            h->cut = "bad compressed data";
        }
    }
}

static void emit(apc__http_t *h, const uint8_t *d, size_t n)
{
    if (n == 0)
        return;
    start_file(h);
    if (h->max_file && h->written + n > h->max_file) {
        n = (size_t)(h->max_file - h->written);
        h->cut = "file size cap";
    }
    if (n && h->sink.body)
        h->sink.body(h->sink.payload, d, n);
    h->written += n;
}

/* Ends the current message's file (if it had a body) and goes back to reading a head. */
static void end_msg(apc__http_t *h, const char *reason)
{
    if (h->coded && h->z_ready && !h->z_done && !h->cut && !reason)
        h->cut = "compressed data cut short";
    z_reset(h);
    if (h->begun && h->sink.end)
        h->sink.end(h->sink.payload, reason ? reason : h->cut);
    h->begun = 0;
    h->cut = NULL;
    h->st = ST_HEAD;
    h->head_len = 0;
}

static void fail(apc__http_t *h, const char *why)
{
    z_reset(h);
    if (h->begun && h->sink.end)
        h->sink.end(h->sink.payload, why);
    h->begun = 0;
    h->st = ST_FAILED;
    h->failed = why;
}

static int ieq_prefix(const char *s, size_t n, const char *name)
{
    size_t k = strlen(name);
    if (n < k)
        return 0;
    for (size_t i = 0; i < k; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != name[i])
            return 0;
    }
    return 1;
}

/* Copies value [v, v+n) trimmed into dst (size cap), dropping control bytes. */
static void copy_value(char *dst, size_t cap, const char *v, size_t n)
{
    while (n && (*v == ' ' || *v == '\t'))
        v++, n--;
    while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
        n--;
    size_t o = 0;
    for (size_t i = 0; i < n && o + 1 < cap; i++)
        if ((unsigned char)v[i] >= 0x20 && v[i] != 0x7f)
            dst[o++] = v[i];
    dst[o] = '\0';
}

/* filename="..." or filename=token from a Content-Disposition value; 1 if found. */
static int disposition_name(char *dst, size_t cap, const char *v, size_t n)
{
    for (size_t i = 0; i + 9 <= n; i++) {
        if (!ieq_prefix(v + i, n - i, "filename="))
            continue;
        if (i > 0 && v[i - 1] != ';' && v[i - 1] != ' ' && v[i - 1] != '\t')
            continue;
        const char *p = v + i + 9;
        size_t rest = n - i - 9;
        size_t len = 0;
        if (rest && *p == '"') {
            p++, rest--;
            while (len < rest && p[len] != '"')
                len++;
        } else {
            while (len < rest && p[len] != ';' && p[len] != ' ' && p[len] != '\t')
                len++;
        }
        copy_value(dst, cap, p, len);
        return dst[0] != '\0';
    }
    return 0;
}

/* Parses a decimal Content-Length; -1 if malformed or over 2^62. */
static int64_t parse_len(const char *v, size_t n)
{
    while (n && (*v == ' ' || *v == '\t'))
        v++, n--;
    while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
        n--;
    if (n == 0 || n > 18)
        return -1;
    int64_t x = 0;
    for (size_t i = 0; i < n; i++) {
        if (v[i] < '0' || v[i] > '9')
            return -1;
        x = x * 10 + (v[i] - '0');
    }
    return x;
}

/* A decimal number of at most 18 digits at *p, advancing *p; -1 when there is none. */
static int64_t dec(const char **p)
{
    int64_t x = 0;
    int n = 0;
    for (; **p >= '0' && **p <= '9' && n < 18; (*p)++, n++)
        x = x * 10 + (**p - '0');
    return n == 0 || (**p >= '0' && **p <= '9') ? -1 : x;
}

int apc__http_content_range(const char *v, uint64_t *first, uint64_t *last, uint64_t *total)
{
    /* Content-Range = range-unit SP incl-range "/" ( complete-length / "*" ) */
    if (!ieq_prefix(v, strlen(v), "bytes "))
        return -1;
    const char *p = v + 6;
    while (*p == ' ')
        p++;
    int64_t a = dec(&p);
    if (a < 0 || *p++ != '-')
        return -1;
    int64_t b = dec(&p);
    if (b < a || *p++ != '/')
        return -1;
    int64_t t = -1;
    if (*p == '*')
        p++;
    else if ((t = dec(&p)) <= b)
        return -1;
    if (*p != '\0')
        return -1;
    *first = (uint64_t)a;
    *last = (uint64_t)b;
    *total = t < 0 ? UINT64_MAX : (uint64_t)t;
    return 0;
}

/* Parses the head in h->head (head_len bytes, ending with an empty line) and picks the body's
 * framing. */
static void parse_head(apc__http_t *h)
{
    char *s = h->head;
    size_t n = h->head_len;
    size_t eol = 0;
    while (eol < n && s[eol] != '\n')
        eol++;
    size_t l1 = eol;
    if (l1 && s[l1 - 1] == '\r')
        l1--;
    int status = 0;
    char method[32] = "", uri[sizeof h->name] = "";
    apc__http_meta_t meta = {{0}};
    h->has_name = h->has_ctype = 0;
    h->length = -1;
    if (h->is_request) {
        /* METHOD SP URI SP HTTP/1.x */
        size_t sp1 = 0;
        while (sp1 < l1 && s[sp1] != ' ')
            sp1++;
        size_t sp2 = l1;
        while (sp2 > sp1 && s[sp2 - 1] != ' ')
            sp2--;
        if (sp1 == 0 || sp1 >= l1 || sp2 <= sp1 + 1 || !ieq_prefix(s + sp2, l1 - sp2, "http/1.")) {
            fail(h, "malformed HTTP request line");
            return;
        }
        copy_value(h->name, sizeof(h->name), s + sp1 + 1, sp2 - 1 - (sp1 + 1));
        h->has_name = h->name[0] != '\0';
        memcpy(uri, h->name, sizeof uri);
        copy_value(method, sizeof method, s, sp1);
    } else {
        /* HTTP/1.x SP 3DIGIT ... */
        if (l1 < 12 || !ieq_prefix(s, l1, "http/1.") || s[8] != ' ' || s[9] < '1' || s[9] > '5' ||
            s[10] < '0' || s[10] > '9' || s[11] < '0' || s[11] > '9') {
            fail(h, "malformed HTTP status line");
            return;
        }
        status = (s[9] - '0') * 100 + (s[10] - '0') * 10 + (s[11] - '0');
    }
    int chunked = 0, coded = 0;
    int64_t len = -1;
    for (size_t p = eol + 1; p < n;) {
        size_t e = p;
        while (e < n && s[e] != '\n')
            e++;
        size_t le = e;
        if (le > p && s[le - 1] == '\r')
            le--;
        const char *line = s + p;
        size_t ll = le - p;
        p = e + 1;
        if (ll == 0)
            break;
        size_t colon = 0;
        while (colon < ll && line[colon] != ':')
            colon++;
        if (colon == ll || colon == 0) {
            fail(h, "malformed HTTP header line");
            return;
        }
        const char *v = line + colon + 1;
        size_t vn = ll - colon - 1;
        if (colon == 14 && ieq_prefix(line, colon, "content-length")) {
            int64_t x = parse_len(v, vn);
            if (x < 0 || (len >= 0 && x != len)) {
                fail(h, "bad or conflicting Content-Length");
                return;
            }
            len = x;
        } else if (colon == 17 && ieq_prefix(line, colon, "transfer-encoding")) {
            /* chunked must be the last coding (RFC 9112 6.1). */
            while (vn && (v[vn - 1] == ' ' || v[vn - 1] == '\t'))
                vn--;
            chunked = vn >= 7 && ieq_prefix(v + vn - 7, 7, "chunked");
            if (!chunked) {
                fail(h, "unsupported Transfer-Encoding");
                return;
            }
        } else if (colon == 16 && ieq_prefix(line, colon, "content-encoding")) {
            char enc[64];
            copy_value(enc, sizeof(enc), v, vn);
            size_t el = strlen(enc);
            if ((el == 4 && ieq_prefix(enc, el, "gzip")) ||
                (el == 6 && ieq_prefix(enc, el, "x-gzip")) ||
                (el == 7 && ieq_prefix(enc, el, "deflate")))
                coded = 1;
            else if (!(el == 8 && ieq_prefix(enc, el, "identity")))
                coded = -1; /* another coding, or several: stored as carried */
        } else if (colon == 12 && ieq_prefix(line, colon, "content-type")) {
            copy_value(h->ctype, sizeof(h->ctype), v, vn);
            h->has_ctype = h->ctype[0] != '\0';
        } else if (colon == 19 && ieq_prefix(line, colon, "content-disposition")) {
            if (disposition_name(h->name, sizeof(h->name), v, vn))
                h->has_name = 1;
        } else if (colon == 4 && ieq_prefix(line, colon, "host")) {
            copy_value(meta.host, sizeof meta.host, v, vn);
        } else if (colon == 13 && ieq_prefix(line, colon, "content-range")) {
            copy_value(meta.content_range, sizeof meta.content_range, v, vn);
        } else if (colon == 4 && ieq_prefix(line, colon, "etag")) {
            copy_value(meta.etag, sizeof meta.etag, v, vn);
        } else if (colon == 13 && ieq_prefix(line, colon, "last-modified")) {
            copy_value(meta.last_modified, sizeof meta.last_modified, v, vn);
        }
    }
    int nobody = 0;
    if (h->sink.head)
        nobody = h->sink.head(h->sink.payload, h->is_request ? method : NULL,
                              h->is_request ? uri : NULL, status, &meta) == 1 &&
                 !h->is_request;
    h->coded = coded == 1;
    h->z_done = 0;
    /* The length announced is that of the body as carried; decoded, it is unknown. */
    h->length = chunked || h->coded ? -1 : len;
    h->head_len = 0;
    if (!h->is_request && (nobody || status < 200 || status == 204 || status == 304)) {
        h->st = ST_HEAD; /* no body */
    } else if (chunked) {
        h->st = ST_CHUNK_SIZE;
        h->line_len = 0;
    } else if (len > 0) {
        h->st = ST_LEN;
        h->left = (uint64_t)len;
    } else if (len == 0 || h->is_request) {
        h->st = ST_HEAD; /* a request without a length has no body */
    } else {
        h->st = ST_CLOSE;
    }
}

/* Chunk-size line in h->line: hex digits, then optional extensions after ';'. */
static void parse_chunk_size(apc__http_t *h)
{
    size_t n = h->line_len;
    if (n && h->line[n - 1] == '\r')
        n--;
    uint64_t x = 0;
    size_t i = 0, digits = 0;
    for (; i < n; i++) {
        char c = h->line[i];
        int d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            break;
        if (x >> 56) {
            fail(h, "chunk size too large");
            return;
        }
        x = x * 16 + (uint64_t)d;
        digits++;
    }
    while (i < n && (h->line[i] == ' ' || h->line[i] == '\t'))
        i++;
    if (digits == 0 || (i < n && h->line[i] != ';')) {
        fail(h, "malformed chunk size");
        return;
    }
    h->line_len = 0;
    if (x == 0) {
        h->st = ST_TRAILER;
        h->trailer_len = 0;
    } else {
        h->st = ST_CHUNK_DATA;
        h->left = x;
    }
}

void apc__http_feed(apc__http_t *h, const uint8_t *d, size_t n)
{
    while (n > 0) {
        switch (h->st) {
        case ST_FAILED:
            return;
        case ST_HEAD:
            /* Blank lines between messages are tolerated (RFC 9112 2.2). */
            if (h->head_len == 0 && (*d == '\r' || *d == '\n')) {
                d++, n--;
                break;
            }
            if (h->head_len >= APC__HTTP_MAX_HEAD) {
                fail(h, "HTTP head too long");
                return;
            }
            h->head[h->head_len++] = (char)*d;
            d++, n--;
            if (h->head_len >= 2 && h->head[h->head_len - 1] == '\n' &&
                (h->head[h->head_len - 2] == '\n' ||
                 (h->head_len >= 3 && h->head[h->head_len - 2] == '\r' &&
                  h->head[h->head_len - 3] == '\n'))) {
                h->head[h->head_len] = '\0';
                parse_head(h);
            }
            break;
        case ST_LEN:
        case ST_CHUNK_DATA: {
            size_t k = n < h->left ? n : (size_t)h->left;
            body(h, d, k);
            d += k, n -= k;
            h->left -= k;
            if (h->left == 0) {
                if (h->st == ST_LEN) {
                    end_msg(h, NULL);
                } else {
                    h->st = ST_CHUNK_END;
                    h->line_len = 0;
                }
            }
            break;
        }
        case ST_CHUNK_END:
            /* CRLF (a bare LF tolerated) after a chunk's data. */
            if (*d == '\r' && h->line_len == 0) {
                h->line_len = 1;
            } else if (*d == '\n') {
                h->st = ST_CHUNK_SIZE;
                h->line_len = 0;
            } else {
                fail(h, "missing CRLF after chunk data");
                return;
            }
            d++, n--;
            break;
        case ST_CHUNK_SIZE:
            if (*d == '\n') {
                parse_chunk_size(h);
            } else if (h->line_len >= MAX_LINE) {
                fail(h, "chunk size line too long");
                return;
            } else {
                h->line[h->line_len++] = (char)*d;
            }
            d++, n--;
            break;
        case ST_TRAILER:
            /* Lines up to an empty one; line_len counts the current line's bytes. */
            if (*d == '\n') {
                if (h->line_len == 0 || (h->line_len == 1 && h->line[0] == '\r')) {
                    end_msg(h, NULL);
                } else {
                    h->line_len = 0;
                }
            } else {
                if (++h->trailer_len > APC__HTTP_MAX_HEAD) {
                    fail(h, "HTTP trailers too long");
                    return;
                }
                if (h->line_len < MAX_LINE)
                    h->line[h->line_len] = (char)*d;
                h->line_len++;
            }
            d++, n--;
            break;
        case ST_CLOSE:
            body(h, d, n);
            n = 0;
            break;
        }
    }
}

void apc__http_gap(apc__http_t *h, uint64_t len)
{
    (void)len;
    if (h->st == ST_FAILED)
        return;
    if (h->st == ST_HEAD && h->head_len == 0 && !h->begun) {
        /* Between messages: the next head cannot be found reliably either. */
        h->st = ST_FAILED;
        h->failed = "gap in the capture";
        return;
    }
    fail(h, "gap in the capture");
}

void apc__http_close(apc__http_t *h)
{
    switch (h->st) {
    case ST_CLOSE:
        end_msg(h, NULL);
        break;
    case ST_HEAD:
    case ST_FAILED:
        break;
    default:
        fail(h, "connection closed before the end of the body");
        break;
    }
}
