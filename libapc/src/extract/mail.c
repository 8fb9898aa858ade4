/* SPDX-License-Identifier: MIT */
/* SMTP (RFC 5321), POP3 (RFC 1939) and IMAP (RFC 3501, RFC 9051) sessions -> the messages they
 * carry (extract/mail.h). SMTP: the client's DATA body up to CRLF.CRLF, dot-unstuffed (RFC
 * 5321 4.5.2), or its BDAT chunks (RFC 3030); a STARTTLS the server accepts (220) ends parsing, a
 * refused one does not. POP3: the multi-line answers (+OK ... CRLF.CRLF, unstuffed) to RETR and
 * TOP. IMAP: the literals of FETCH answers that hold a whole message, and of APPEND commands. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "extract/mail.h"

#define LINE_MAX_ 1024 /* longer command/reply lines are skipped: none needs more */
#define HEAD_KEEP 4096 /* message bytes held back to find the Subject before begin */
#define NAME_MAX_ 200

enum { M_LINE, M_DOT, M_RAW, M_OFF };
enum { D_MID, D_BOL, D_DOT, D_DOTCR }; /* where a dot-terminated body is */

typedef struct mdir {
    int mode;
    char line[LINE_MAX_];
    size_t line_len; /* LINE_MAX_ + 1: skipping a too long line */
    int dst;         /* D_* */
    uint64_t raw_left;
    int raw_last, raw_skip; /* raw_skip: an IMAP literal that is no message, dropped */
    int open, begun, cut;
    uint64_t size;
    uint8_t head[HEAD_KEEP];
    size_t head_len;
    uint8_t out[512];
    size_t out_len;
} mdir_t;

struct apc__mail {
    int kind, client;
    uint64_t cap;
    apc__mail_sink_t sink;
    int tls_wait;  /* SMTP: STARTTLS sent, answer not seen */
    unsigned want; /* POP3: RETR/TOP commands not yet answered */
    mdir_t d[2];
};

static int b64v(int c)
{
    return c >= 'A' && c <= 'Z'   ? c - 'A'
           : c >= 'a' && c <= 'z' ? c - 'a' + 26
           : c >= '0' && c <= '9' ? c - '0' + 52
           : c == '+'             ? 62
           : c == '/'             ? 63
                                  : -1;
}

static int hexv(int c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* RFC 2047 in its simple form: a value made only of encoded-words (UTF-8 or US-ASCII, B or
 * Q), separated by white space, is decoded into out (bytes < 0x20 become '_'); 0 when the
 * value is anything else (it is then kept as it is). */
static int decode_2047(const char *v, size_t n, char *out, size_t cap)
{
    size_t k = 0, i = 0;
    while (i < n) {
        while (i < n && (v[i] == ' ' || v[i] == '\t'))
            i++;
        if (i == n)
            break;
        if (n - i < 8 || v[i] != '=' || v[i + 1] != '?')
            return 0;
        const char *cs = v + i + 2;
        const char *q = memchr(cs, '?', n - (size_t)(cs - v));
        if (!q || q + 3 > v + n || q[2] != '?')
            return 0;
        size_t csn = (size_t)(q - cs);
        if (!((csn == 5 && strncasecmp(cs, "utf-8", 5) == 0) ||
              (csn == 8 && strncasecmp(cs, "us-ascii", 8) == 0)))
            return 0;
        int enc = q[1] == 'B' || q[1] == 'b' ? 'B' : q[1] == 'Q' || q[1] == 'q' ? 'Q' : 0;
        if (!enc)
            return 0;
        const char *t = q + 3, *end = NULL;
        for (const char *x = t; x + 1 < v + n; x++)
            if (x[0] == '?' && x[1] == '=') {
                end = x;
                break;
            }
        if (!end)
            return 0;
        uint32_t acc = 0;
        int bits = 0;
        for (const char *x = t; x < end; x++) {
            int b = -1;
            if (enc == 'B') {
                if (*x == '=')
                    break;
                int d = b64v((unsigned char)*x);
                if (d < 0)
                    return 0;
                acc = acc << 6 | (uint32_t)d;
                bits += 6;
                if (bits >= 8) {
                    bits -= 8;
                    b = (int)(acc >> bits & 0xff);
                }
            } else if (*x == '_') {
                b = ' ';
            } else if (*x == '=') {
                if (end - x < 3 || hexv(x[1]) < 0 || hexv(x[2]) < 0)
                    return 0;
                b = hexv(x[1]) << 4 | hexv(x[2]);
                x += 2;
            } else {
                b = (unsigned char)*x;
            }
            if (b >= 0 && k + 1 < cap)
                out[k++] = b < 0x20 || b == 0x7f ? '_' : (char)b;
        }
        i = (size_t)(end + 2 - v);
    }
    if (!k)
        return 0;
    out[k] = 0;
    return 1;
}

/* The Subject header's value in the head (up to its empty line), decoded when it is simple
 * RFC 2047, control bytes replaced. "message" when there is none. */
static void subject_of(const uint8_t *h, size_t n, char *out, size_t cap)
{
    snprintf(out, cap, "message");
    for (size_t i = 0; i < n;) {
        size_t e = i;
        while (e < n && h[e] != '\n')
            e++;
        size_t l = e - i;
        if (l && h[i + l - 1] == '\r')
            l--;
        if (l == 0)
            return; /* the end of the headers */
        if (l > 8 && strncasecmp((const char *)h + i, "subject:", 8) == 0) {
            size_t s = i + 8, k = 0;
            while (s < i + l && (h[s] == ' ' || h[s] == '\t'))
                s++;
            if (decode_2047((const char *)h + s, i + l - s, out, cap))
                return;
            for (; s < i + l && k + 1 < cap; s++)
                out[k++] = h[s] < 0x20 || h[s] == 0x7f ? '_' : (char)h[s];
            if (k) {
                out[k] = 0;
                return;
            }
            snprintf(out, cap, "message");
            return;
        }
        i = e + 1;
    }
}

static void do_begin(apc__mail_t *m, int dir)
{
    mdir_t *d = &m->d[dir];
    char name[NAME_MAX_];
    subject_of(d->head, d->head_len, name, sizeof name);
    m->sink.begin(m->sink.u, dir, name);
    d->begun = 1;
    if (d->head_len)
        m->sink.body(m->sink.u, dir, d->head, d->head_len);
    d->head_len = 0;
}

static void msg_end(apc__mail_t *m, int dir, const char *reason)
{
    mdir_t *d = &m->d[dir];
    if (!d->open)
        return;
    if (!d->cut) { /* a cut message was reported at the cap: its rest is dropped */
        if (!d->begun)
            do_begin(m, dir);
        m->sink.end(m->sink.u, dir, reason);
    }
    d->open = d->begun = d->cut = 0;
    d->size = 0;
    d->head_len = 0;
}

static void msg_start(apc__mail_t *m, int dir)
{
    mdir_t *d = &m->d[dir];
    if (d->open)
        msg_end(m, dir, "message not ended");
    d->open = 1;
}

/* Message bytes: held back until the head is full, cut at the cap (the sink never gets an
 * empty chunk: at the cap the message ends instead). */
static void msg_bytes(apc__mail_t *m, int dir, const uint8_t *p, size_t len)
{
    mdir_t *d = &m->d[dir];
    if (!d->open || d->cut || !len)
        return;
    int at_cap = 0;
    if (len >= m->cap - d->size) {
        len = (size_t)(m->cap - d->size);
        at_cap = 1;
    }
    d->size += len;
    while (len && !d->begun) {
        size_t k = HEAD_KEEP - d->head_len;
        if (k > len)
            k = len;
        memcpy(d->head + d->head_len, p, k);
        d->head_len += k;
        p += k;
        len -= k;
        if (d->head_len == HEAD_KEEP)
            do_begin(m, dir);
    }
    if (len)
        m->sink.body(m->sink.u, dir, p, len);
    if (at_cap) {
        msg_end(m, dir, "file size cap");
        d->open = 1; /* the rest of the message is read and dropped */
        d->cut = 1;
    }
}

static void out_flush(apc__mail_t *m, int dir)
{
    mdir_t *d = &m->d[dir];
    msg_bytes(m, dir, d->out, d->out_len);
    d->out_len = 0;
}

static void out_byte(apc__mail_t *m, int dir, uint8_t b)
{
    mdir_t *d = &m->d[dir];
    if (d->out_len == sizeof d->out)
        out_flush(m, dir);
    d->out[d->out_len++] = b;
}

/* A dot-terminated body: returns how many bytes it took (to and with the terminator). */
static size_t dot_body(apc__mail_t *m, int dir, const uint8_t *p, size_t len)
{
    mdir_t *d = &m->d[dir];
    for (size_t i = 0; i < len; i++) {
        uint8_t b = p[i];
        switch (d->dst) {
        case D_BOL:
            if (b == '.') {
                d->dst = D_DOT; /* a stuffed dot or the terminator: dropped either way */
                continue;
            }
            break;
        case D_DOT:
            if (b == '\r') {
                d->dst = D_DOTCR;
                continue;
            }
            if (b == '\n') { /* a bare LF after the dot: taken as the end too */
                out_flush(m, dir);
                msg_end(m, dir, NULL);
                d->mode = M_LINE;
                return i + 1;
            }
            break;
        case D_DOTCR:
            if (b == '\n') {
                out_flush(m, dir);
                msg_end(m, dir, NULL);
                d->mode = M_LINE;
                return i + 1;
            }
            out_byte(m, dir, '\r');
            break;
        default:
            break;
        }
        out_byte(m, dir, b);
        d->dst = b == '\n' ? D_BOL : D_MID;
    }
    out_flush(m, dir);
    return len;
}

static int word_is(const char *line, size_t n, const char *w)
{
    size_t k = strlen(w);
    return n >= k && strncasecmp(line, w, k) == 0 && (n == k || line[k] == ' ');
}

static void to_dot(mdir_t *d)
{
    d->mode = M_DOT;
    d->dst = D_BOL;
}

static void stop_all(apc__mail_t *m)
{
    for (int i = 0; i < 2; i++) {
        msg_end(m, i, "the session switched to TLS");
        m->d[i].mode = M_OFF;
    }
}

static void smtp_line(apc__mail_t *m, int dir, const char *line, size_t n)
{
    mdir_t *d = &m->d[dir];
    if (dir != m->client) {
        if (m->tls_wait && n >= 3 && line[0] >= '2' && line[0] <= '5') {
            m->tls_wait = 0;
            if (strncmp(line, "220", 3) == 0)
                stop_all(m);
        }
        return;
    }
    if (word_is(line, n, "DATA")) {
        msg_start(m, dir);
        to_dot(d);
    } else if (word_is(line, n, "BDAT")) {
        char buf[64];
        size_t k = n - 5 < sizeof buf - 1 ? n - 5 : sizeof buf - 1;
        memcpy(buf, line + 5, k);
        buf[k] = 0;
        char *end;
        unsigned long long size = strtoull(buf, &end, 10);
        if (end == buf)
            return;
        while (*end == ' ')
            end++;
        if (!d->open)
            msg_start(m, dir);
        d->raw_left = size;
        d->raw_last = strncasecmp(end, "LAST", 4) == 0;
        d->raw_skip = 0;
        d->mode = M_RAW;
        if (!size && d->raw_last) {
            msg_end(m, dir, NULL);
            d->mode = M_LINE;
        }
    } else if (word_is(line, n, "STARTTLS")) {
        m->tls_wait = 1;
    }
}

static void pop3_line(apc__mail_t *m, int dir, const char *line, size_t n)
{
    if (dir == m->client) {
        if ((word_is(line, n, "RETR") || word_is(line, n, "TOP")) && m->want < 64)
            m->want++;
        else if (word_is(line, n, "STLS"))
            m->tls_wait = 1;
        return;
    }
    if (m->tls_wait) {
        m->tls_wait = 0;
        if (n >= 3 && strncmp(line, "+OK", 3) == 0)
            stop_all(m);
        return;
    }
    if (!m->want)
        return;
    if (n >= 3 && strncmp(line, "+OK", 3) == 0) {
        m->want--;
        msg_start(m, dir);
        to_dot(&m->d[dir]);
    } else if (n >= 4 && strncmp(line, "-ERR", 4) == 0) {
        m->want--;
    }
}

/* The literal {n} or {n+} (RFC 7888) a line ends with: 1 and its size, or 0. */
static int literal_of(const char *line, size_t n, uint64_t *size, size_t *open)
{
    if (n < 3 || line[n - 1] != '}')
        return 0;
    size_t e = n - 1;
    if (line[e - 1] == '+')
        e--;
    size_t b = e;
    while (b > 0 && line[b - 1] >= '0' && line[b - 1] <= '9' && e - b < 19)
        b--;
    if (b == e || b == 0 || line[b - 1] != '{')
        return 0;
    uint64_t v = 0;
    for (size_t i = b; i < e; i++)
        v = v * 10 + (uint64_t)(line[i] - '0');
    *size = v;
    *open = b - 1;
    return 1;
}

/* Whether what a FETCH line says just before its literal names the whole message: BODY[],
 * BODY.PEEK[], BINARY[] (each maybe with a <partial>), RFC822 (RFC 3501 6.4.5, RFC 9051). */
static int whole_message(const char *line, size_t end)
{
    while (end > 0 && line[end - 1] == ' ')
        end--;
    if (end > 0 && line[end - 1] == '>') { /* a partial fetch's <origin> */
        while (end > 0 && line[end - 1] != '<')
            end--;
        if (end)
            end--;
    }
    static const char *const ends[] = {"BODY[]", "BINARY[]", " RFC822", "(RFC822"};
    for (size_t i = 0; i < sizeof ends / sizeof *ends; i++) {
        size_t k = strlen(ends[i]);
        if (end >= k && strncasecmp(line + end - k, ends[i], k) == 0)
            return 1;
    }
    return 0;
}

/* IMAP (RFC 3501, RFC 9051): a FETCH answer's message literal (server), an APPEND's (client);
 * any other literal is skipped; STARTTLS ends parsing when the server's tagged answer is OK. */
static void imap_line(apc__mail_t *m, int dir, const char *line, size_t n)
{
    mdir_t *d = &m->d[dir];
    const char *sp = memchr(line, ' ', n);
    size_t rest = sp ? n - (size_t)(sp + 1 - line) : 0;
    if (dir == m->client && sp && word_is(sp + 1, rest, "STARTTLS"))
        m->tls_wait = 1;
    if (dir != m->client && m->tls_wait && sp && line[0] != '*' && line[0] != '+') {
        m->tls_wait = 0;
        if (word_is(sp + 1, rest, "OK")) {
            stop_all(m);
            return;
        }
    }
    uint64_t size;
    size_t open;
    if (!literal_of(line, n, &size, &open) || !size)
        return;
    int msg;
    if (dir == m->client) {
        msg = sp && word_is(sp + 1, rest, "APPEND");
    } else {
        int fetch = 0;
        for (size_t i = 0; i + 7 <= n && !fetch; i++)
            fetch = strncasecmp(line + i, " FETCH ", 7) == 0;
        msg = line[0] == '*' && fetch && whole_message(line, open);
    }
    d->mode = M_RAW;
    d->raw_left = size;
    d->raw_skip = !msg;
    d->raw_last = 1;
    if (msg)
        msg_start(m, dir);
}

void apc__mail_feed(apc__mail_t *m, int dir, const uint8_t *p, size_t len)
{
    mdir_t *d = &m->d[dir];
    while (len) {
        if (d->mode == M_OFF)
            return;
        if (d->mode == M_DOT) {
            size_t k = dot_body(m, dir, p, len);
            p += k;
            len -= k;
            continue;
        }
        if (d->mode == M_RAW) {
            size_t k = d->raw_left < len ? (size_t)d->raw_left : len;
            if (!d->raw_skip)
                msg_bytes(m, dir, p, k);
            p += k;
            len -= k;
            d->raw_left -= k;
            if (!d->raw_left) {
                if (d->raw_last && !d->raw_skip)
                    msg_end(m, dir, NULL);
                d->mode = M_LINE;
            }
            continue;
        }
        uint8_t b = *p++;
        len--;
        if (b != '\n') {
            if (d->line_len < LINE_MAX_)
                d->line[d->line_len++] = (char)b;
            else
                d->line_len = LINE_MAX_ + 1;
            continue;
        }
        size_t n = d->line_len;
        d->line_len = 0;
        if (n > LINE_MAX_)
            continue;
        if (n && d->line[n - 1] == '\r')
            n--;
        if (m->kind == APC__MAIL_SMTP)
            smtp_line(m, dir, d->line, n);
        else if (m->kind == APC__MAIL_POP3)
            pop3_line(m, dir, d->line, n);
        else
            imap_line(m, dir, d->line, n);
    }
}

void apc__mail_gap(apc__mail_t *m, int dir)
{
    mdir_t *d = &m->d[dir];
    if (d->mode == M_OFF)
        return;
    msg_end(m, dir, "gap in the capture");
    d->mode = M_LINE;
    d->line_len = LINE_MAX_ + 1; /* the line under way lost its start */
}

void apc__mail_close(apc__mail_t *m, const char *why)
{
    for (int i = 0; i < 2; i++)
        msg_end(m, i, why ? why : "the session ended inside the message");
}

apc__mail_t *apc__mail_new(int kind, int client, uint64_t cap, const apc__mail_sink_t *sink)
{
    apc__mail_t *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->kind = kind;
    m->client = client;
    m->cap = cap ? cap : 1;
    m->sink = *sink;
    return m;
}

void apc__mail_free(apc__mail_t *m)
{
    free(m);
}
