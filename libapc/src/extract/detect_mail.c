/* SPDX-License-Identifier: MIT */
/*
 * Mail in the extraction engine (extract/engine.h): the messages SMTP carries (RFC 5321 DATA,
 * RFC 3030 BDAT) and POP3 fetches (RFC 1939 RETR, TOP), each an extracted file of protocol
 * "imf" (Internet Message Format, RFC 5322, the name Wireshark's Export Objects uses), as the
 * receiver stores it: SMTP's and POP3's dot-stuffing undone (RFC 5321 4.5.2), the terminating
 * "." line left out. A message is named by its Subject header (metadata only).
 *
 * Both directions of a connection are followed: the client's commands say what the server's
 * replies mean (POP3) and which reply answers DATA (SMTP, where a refused DATA is followed by
 * commands, not by a message). Replies and commands are paired by counting, as pipelining
 * (RFC 2920, RFC 2449) keeps them in order. STARTTLS needs nothing of its own: what follows an
 * accepted one is ciphertext, in which no command line is ever recognised.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/error.h"
#include "extract/engine.h"

#define CMD_Q 64         /* POP3 commands awaiting their replies (pipelining depth kept) */
#define SUBJECT_MAX 200  /* the name kept of a Subject header */
#define OUT_CHUNK 4096   /* body bytes handed to the file at once */
#define HEADER_LINE 1024 /* a header line longer than this is not looked at for a Subject */

/* What the bytes of a direction are at this moment. */
enum {
    M_LINES = 0, /* command or reply lines */
    M_BODY,      /* a dot-stuffed message or multi-line reply, up to its "." line */
    M_CHUNK,     /* BDAT: a counted chunk, taken as it is */
};

/* Where the dot-stuffing state machine is within a body line. */
enum { B_LINE = 0, B_MID, B_DOT, B_DOTCR };

/* POP3 commands by what their successful reply carries. */
enum { Q_SINGLE = 0, Q_MULTI, Q_MESSAGE };

typedef struct mail_dir {
    int mode;
    int discard;    /* M_BODY of a multi-line reply that is no message (LIST, UIDL, CAPA) */
    int bstate;     /* B_* */
    int in_headers; /* still in the message's header section */
    char hdr[HEADER_LINE + 1];
    size_t hdr_len; /* HEADER_LINE + 1: the line is too long to look at */
    uint64_t chunk; /* M_CHUNK: bytes left */
    int chunk_last; /* the BDAT chunk was LAST */
    int by_data;    /* SMTP: the message came by DATA, whose end the server answers too */
    uint8_t out[OUT_CHUNK];
    size_t out_len;
} mail_dir_t;

struct mail_conn {
    int pop;             /* POP3 (port 110), else SMTP */
    uint64_t cmds;       /* SMTP: commands the client sent */
    uint64_t replies;    /* SMTP: final replies of the server, its greeting not counted */
    int greeted;         /* SMTP: the greeting (first reply) was seen */
    uint64_t data_reply; /* SMTP: which reply answers the pending DATA, 0 none */
    int data_code;       /* SMTP: that reply's code once seen, 0 not yet */
    uint8_t q[CMD_Q];    /* POP3: the kinds of the commands awaiting replies, a ring */
    unsigned q_first, q_len;
    mail_dir_t d[2];
};

/* The dispatcher's side (extract/detect.c) says which direction the server sends. */
static int is_server(const xdir_t *d)
{
    return d->proto == PROTO_MAIL_S;
}

static struct mail_conn *conn_state(xdir_t *d)
{
    xconn_t *c = d->c;
    if (c->mail)
        return c->mail;
    if (!(c->mail = calloc(1, sizeof *c->mail))) {
        apc__xe_set_err(c->e, apc__err(APC_ENOMEM, "out of memory"));
        c->d[0].proto = c->d[1].proto = PROTO_NONE;
        return NULL;
    }
    const conninfo_t *ci = &c->e->ci[c->id - 1];
    c->mail->pop = ci->dst_port == APC__POP3_PORT || ci->src_port == APC__POP3_PORT;
    return c->mail;
}

static void flush_out(xdir_t *d, mail_dir_t *m)
{
    if (m->out_len && d->f.open)
        apc__xe_body(d, m->out, m->out_len);
    m->out_len = 0;
}

/* The Subject of the header line h[0..n) (unfolded lines only; encoded words kept as sent)
 * names the file. */
static void header_line(xdir_t *d, const char *h, size_t n)
{
    if (n < 8 || strncasecmp(h, "Subject:", 8) != 0 || !d->f.open)
        return;
    size_t i = 8;
    while (i < n && (h[i] == ' ' || h[i] == '\t'))
        i++;
    size_t len = n - i < SUBJECT_MAX ? n - i : SUBJECT_MAX;
    char *name = malloc(len + 1);
    if (!name)
        return;                      /* the file keeps the name it has */
    for (size_t k = 0; k < len; k++) /* a name is text: controls become spaces */
        name[k] = (unsigned char)h[i + k] < 0x20 || h[i + k] == 0x7f ? ' ' : h[i + k];
    name[len] = 0;
    free(d->f.name);
    d->f.name = name;
}

/* One byte of the message's text as stored: to the file, and to the header reader while the
 * header section lasts. */
static void emit(xdir_t *d, mail_dir_t *m, uint8_t b)
{
    if (m->discard)
        return;
    if (m->in_headers) {
        if (b == '\n') {
            size_t n = m->hdr_len;
            if (n <= HEADER_LINE) {
                if (n && m->hdr[n - 1] == '\r')
                    n--;
                if (n == 0)
                    m->in_headers = 0; /* the empty line: the body follows */
                else
                    header_line(d, m->hdr, n);
            }
            m->hdr_len = 0;
        } else if (m->hdr_len < HEADER_LINE) {
            m->hdr[m->hdr_len++] = (char)b;
        } else {
            m->hdr_len = HEADER_LINE + 1;
        }
    }
    if (!d->f.open)
        return;
    if (d->f.size + m->out_len >= APC__EXTRACT_MAX_FILE) {
        flush_out(d, m);
        apc__xe_end(d, "file size cap");
        return; /* the rest of the message is read, and dropped */
    }
    m->out[m->out_len++] = b;
    if (m->out_len == OUT_CHUNK)
        flush_out(d, m);
}

static void message_begin(xdir_t *d, mail_dir_t *m)
{
    m->in_headers = 1;
    m->hdr_len = 0;
    m->out_len = 0;
    m->bstate = B_LINE;
    if (!m->discard)
        apc__xe_begin(d, "message", "message/rfc822", -1);
}

static void message_end(xdir_t *d, mail_dir_t *m)
{
    struct mail_conn *mc = d->c->mail;
    if (m->by_data) /* the end of the data is answered like a command (RFC 5321 4.1.1.4) */
        mc->cmds++;
    m->by_data = 0;
    flush_out(d, m);
    if (!m->discard && d->f.open)
        apc__xe_end(d, NULL);
    m->mode = M_LINES;
    m->discard = 0;
}

/* Body bytes up to the "." line: returns how many of data[0..len) it took (all, or up to
 * and with the terminating line). */
static size_t body_bytes(xdir_t *d, mail_dir_t *m, const uint8_t *data, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        uint8_t b = data[i];
        switch (m->bstate) {
        case B_DOT: /* the line began with a dot */
            if (b == '\r') {
                m->bstate = B_DOTCR;
                continue;
            }
            if (b == '\n') { /* a bare-LF terminator, as some servers send */
                message_end(d, m);
                return i + 1;
            }
            m->bstate = B_MID; /* a stuffed dot: dropped, the rest of the line kept */
            emit(d, m, b);
            continue;
        case B_DOTCR:
            if (b == '\n') {
                message_end(d, m);
                return i + 1;
            }
            emit(d, m, '\r'); /* ".\r" then more: the line "\r..." with its dot dropped */
            m->bstate = B_MID;
            break;
        case B_LINE:
            if (b == '.') {
                m->bstate = B_DOT;
                continue;
            }
            m->bstate = B_MID;
            break;
        default:
            break;
        }
        emit(d, m, b);
        if (b == '\n')
            m->bstate = B_LINE;
    }
    return len;
}

/* BDAT chunk bytes (no stuffing): returns how many it took. */
static size_t chunk_bytes(xdir_t *d, mail_dir_t *m, const uint8_t *data, size_t len)
{
    size_t k = len < m->chunk ? len : (size_t)m->chunk;
    for (size_t i = 0; i < k; i++)
        emit(d, m, data[i]);
    m->chunk -= k;
    if (m->chunk == 0) {
        if (m->chunk_last)
            message_end(d, m);
        else {
            flush_out(d, m);
            m->mode = M_LINES;
        }
    }
    return k;
}

/* The first word of a command line, upper-cased, into w (at most 8 bytes). */
static size_t verb(const char *line, size_t n, char w[9])
{
    size_t k = 0;
    while (k < n && k < 8 && line[k] != ' ') {
        char ch = line[k];
        w[k] = ch >= 'a' && ch <= 'z' ? (char)(ch - 32) : ch;
        k++;
    }
    w[k] = 0;
    return k;
}

static void smtp_command(xdir_t *d, struct mail_conn *mc, mail_dir_t *m, const char *line, size_t n)
{
    char w[9];
    size_t k = verb(line, n, w);
    mc->cmds++;
    if (!strcmp(w, "DATA") && k == n) {
        mc->data_reply = mc->cmds;
        mc->data_code = 0;
        m->mode = M_BODY;
        m->discard = 0;
        m->bstate = B_LINE;
        /* the message waits for the server's 354: begun at its first byte (dir_bytes) */
        m->in_headers = -1;
    } else if (!strcmp(w, "BDAT") && k < n) {
        char *end = NULL;
        unsigned long long size = strtoull(line + k + 1, &end, 10);
        if (!end || end == line + k + 1)
            return;
        while (*end == ' ')
            end++;
        int last = strncasecmp(end, "LAST", 4) == 0;
        if (!d->f.open)
            message_begin(d, m);
        m->mode = M_CHUNK;
        m->chunk = size;
        m->chunk_last = last;
        if (size == 0 && last)
            message_end(d, m);
        else if (size == 0)
            m->mode = M_LINES;
    }
}

/* A final reply line ("ddd " or a bare "ddd") of the SMTP server. */
static void smtp_reply(struct mail_conn *mc, const char *line, size_t n)
{
    if (n < 3 || line[0] < '1' || line[0] > '5' || line[1] < '0' || line[1] > '9' ||
        line[2] < '0' || line[2] > '9' || (n > 3 && line[3] != ' '))
        return; /* a continuation line ("ddd-") or no reply */
    if (!mc->greeted) {
        mc->greeted = 1;
        return;
    }
    mc->replies++;
    if (mc->data_reply && mc->replies == mc->data_reply)
        mc->data_code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
}

static void pop_push(struct mail_conn *mc, int kind)
{
    if (mc->q_len == CMD_Q) { /* deeper than we keep: forget the oldest */
        mc->q_first = (mc->q_first + 1) % CMD_Q;
        mc->q_len--;
    }
    mc->q[(mc->q_first + mc->q_len++) % CMD_Q] = (uint8_t)kind;
}

static void pop_command(struct mail_conn *mc, const char *line, size_t n)
{
    char w[9];
    size_t k = verb(line, n, w);
    int kind = Q_SINGLE;
    if (!strcmp(w, "RETR") || !strcmp(w, "TOP"))
        kind = Q_MESSAGE;
    else if (((!strcmp(w, "LIST") || !strcmp(w, "UIDL")) && k == n) || !strcmp(w, "CAPA"))
        kind = Q_MULTI;
    pop_push(mc, kind);
}

static void pop_reply(xdir_t *d, struct mail_conn *mc, mail_dir_t *m, const char *line, size_t n)
{
    int ok = n >= 3 && !strncmp(line, "+OK", 3);
    if (!ok && !(n >= 4 && !strncmp(line, "-ERR", 4)))
        return; /* the greeting comes with no command; "+ " is a SASL challenge */
    if (mc->q_len == 0)
        return;
    int kind = mc->q[mc->q_first];
    mc->q_first = (mc->q_first + 1) % CMD_Q;
    mc->q_len--;
    if (!ok || kind == Q_SINGLE)
        return;
    m->mode = M_BODY;
    m->discard = kind != Q_MESSAGE;
    message_begin(d, m);
}

static void line_of(xdir_t *d, struct mail_conn *mc, mail_dir_t *m, const char *line, size_t n)
{
    if (mc->pop) {
        if (is_server(d))
            pop_reply(d, mc, m, line, n);
        else
            pop_command(mc, line, n);
    } else if (is_server(d)) {
        smtp_reply(mc, line, n);
    } else {
        smtp_command(d, mc, m, line, n);
    }
}

/* Lines (CR LF, a bare LF too) until a command or reply switches to a body: returns how many
 * bytes of data[0..len) it took. */
static size_t line_bytes(xdir_t *d, struct mail_conn *mc, mail_dir_t *m, const uint8_t *data,
                         size_t len)
{
    if (!d->line && !(d->line = malloc(FTP_LINE_MAX))) {
        apc__xe_set_err(d->c->e, apc__err(APC_ENOMEM, "out of memory"));
        d->proto = PROTO_NONE;
        return len;
    }
    for (size_t i = 0; i < len; i++) {
        if (data[i] == '\n') {
            size_t n = d->line_len;
            d->line_len = 0;
            if (n <= FTP_LINE_MAX) {
                if (n && d->line[n - 1] == '\r')
                    n--;
                line_of(d, mc, m, d->line, n);
                if (m->mode != M_LINES)
                    return i + 1;
            }
        } else if (d->line_len < FTP_LINE_MAX) {
            d->line[d->line_len++] = (char)data[i];
        } else {
            d->line_len = FTP_LINE_MAX + 1; /* too long: skipped up to its end */
        }
    }
    return len;
}

void apc__xe_mail_data(xdir_t *d, const uint8_t *data, size_t len)
{
    struct mail_conn *mc = conn_state(d);
    if (!mc)
        return;
    mail_dir_t *m = &mc->d[d->idx];
    while (len && d->proto != PROTO_NONE) {
        size_t k;
        if (m->mode == M_LINES) {
            k = line_bytes(d, mc, m, data, len);
        } else if (m->mode == M_CHUNK) {
            k = chunk_bytes(d, m, data, len);
        } else {
            if (m->in_headers < 0) { /* after DATA: a message unless the server refused it */
                if (mc->data_code && mc->data_code != 354) {
                    m->mode = M_LINES;
                    m->in_headers = 0;
                    continue;
                }
                m->discard = 0;
                m->by_data = !mc->pop;
                message_begin(d, m);
            }
            k = body_bytes(d, m, data, len);
        }
        data += k;
        len -= k;
    }
}

void apc__xe_mail_gap(xdir_t *d)
{
    xconn_t *c = d->c;
    d->line_len = FTP_LINE_MAX + 1; /* the line under way lost its start */
    if (!c->mail)
        return;
    mail_dir_t *m = &c->mail->d[d->idx];
    flush_out(d, m);
    if (d->f.open)
        apc__xe_end(d, "gap in the capture");
    m->mode = M_LINES;
    m->discard = 0;
}

void apc__xe_mail_end(xdir_t *d, const char *why)
{
    xconn_t *c = d->c;
    if (!c->mail)
        return;
    mail_dir_t *m = &c->mail->d[d->idx];
    flush_out(d, m);
    if (d->f.open)
        apc__xe_end(d, why ? why : "the message did not end");
}

void apc__xe_mail_free(xconn_t *c)
{
    free(c->mail);
    c->mail = NULL;
}
