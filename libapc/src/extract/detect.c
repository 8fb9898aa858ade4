/* SPDX-License-Identifier: MIT */
/* The extraction engine (extract/detect.h): stored packets -> TCP reassembly -> HTTP framing,
 * FTP control and data connections, SMB2/SMB1 reads and writes; TFTP over UDP -> files with
 * their hashes, MIME type and process. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "capture/read_lean.h"
#include "core/error.h"
#include "decode/decode.h"
#include "extract/engine.h"
#include "extract/mail.h"
#include "extract/smb2.h"
#include "util/array.h"

#define PAGE 1000 /* packets read at a time */

/* --- files ----------------------------------------------------------------------------------- */

/* The digests of zero bytes (FIPS 180-4; RFC 1321) */
#define SHA256_OF_NOTHING "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define MD5_OF_NOTHING "d41d8cd98f00b204e9800998ecf8427e"

static void hex(char *out, const unsigned char *b, unsigned n)
{
    static const char digits[] = "0123456789abcdef";
    for (unsigned i = 0; i < n; i++) {
        out[2 * i] = digits[b[i] >> 4];
        out[2 * i + 1] = digits[b[i] & 15];
    }
    out[2 * n] = '\0';
}

static void file_reset(xfile_t *f)
{
    EVP_MD_CTX_free(f->sha);
    EVP_MD_CTX_free(f->md5);
    free(f->name);
    free(f->ctype);
    memset(f, 0, offsetof(xfile_t, head));
}

void apc__xe_file_drop(xfile_t *f)
{
    file_reset(f);
}

void apc__xe_set_err(engine_t *e, int r)
{
    if (e->err == 0)
        e->err = r;
}

/* Whether the run types (and so hashes) the file: a file is typed and hashed together, when
 * someone first looks at it (extract/typing.h). */
static int wanted(const engine_t *e, int64_t conn_id, int direction, uint32_t nth)
{
    return e->run->want_type && e->run->want_type(e->run->payload, conn_id, direction, nth);
}

int apc__xe_file_start(engine_t *e, xfile_t *f, int64_t conn_id, int direction, uint32_t nth,
                       const char *name, const char *ctype)
{
    file_reset(f);
    int hash = wanted(e, conn_id, direction, nth);
    f->sha = hash ? EVP_MD_CTX_new() : NULL;
    f->md5 = hash ? EVP_MD_CTX_new() : NULL;
    f->name = strdup(name ? name : "");
    f->ctype = strdup(ctype ? ctype : "");
    if ((hash && (!f->sha || !f->md5 || !EVP_DigestInit_ex(f->sha, EVP_sha256(), NULL) ||
                  !EVP_DigestInit_ex(f->md5, EVP_md5(), NULL))) ||
        !f->name || !f->ctype) {
        apc__xe_set_err(e, apc__err(APC_ENOMEM, "cannot start hashing an extracted file"));
        file_reset(f);
        return -1;
    }
    f->open = 1;
    f->first_packet = f->last_packet = e->cur_packet;
    f->time = e->cur_time;
    return 0;
}

/* The direction of d's files in their stream rows. */
static int row_dir(const xdir_t *d)
{
    return d->idx == 0 ? APC_DIR_OUT : APC_DIR_IN;
}

/* The file d's nth names is the one a carving run writes. */
static int carving(const xdir_t *d)
{
    const apc__xtrun_t *run = d->c->e->run;
    return run->only_conn == d->c->id && run->write && run->dir == row_dir(d) && run->nth == d->nth;
}

void apc__xe_begin(void *payload, const char *name, const char *ctype, int64_t length)
{
    (void)length;
    xdir_t *d = payload;
    engine_t *e = d->c->e;
    xfile_t *f = &d->f;
    file_reset(f);
    d->nth++;
    /* a response without Content-Disposition is named by the URI of its request */
    if (!name && d->proto == PROTO_HTTP_RESP)
        name = d->resp_uri;
    if (apc__xe_range_begin(d, name, ctype) ||
        apc__xe_file_start(e, f, d->c->id, row_dir(d), d->nth, name, ctype) < 0)
        return;
    f->carving = carving(d);
    f->nth = d->nth;
    apc__xe_form_begin(d, ctype);
}

uint32_t apc__xe_file_begin_in(xdir_t *d, xfile_t *f, const char *name, const char *ctype)
{
    d->nth++;
    if (apc__xe_file_start(d->c->e, f, d->c->id, row_dir(d), d->nth, name, ctype) < 0)
        return 0;
    f->carving = carving(d);
    f->nth = d->nth;
    return d->nth;
}

void apc__xe_file_feed(xfile_t *f, const uint8_t *data, size_t len)
{
    if (f->sha) {
        EVP_DigestUpdate(f->sha, data, len);
        EVP_DigestUpdate(f->md5, data, len);
    }
    f->size += len;
    size_t room = HEAD_MAX - f->head_len;
    size_t k = len < room ? len : room;
    memcpy(f->head + f->head_len, data, k);
    f->head_len += k;
}

void apc__xe_body(void *payload, const uint8_t *data, size_t len)
{
    xdir_t *d = payload;
    engine_t *e = d->c->e;
    xfile_t *f = &d->f;
    if (d->rg) {
        apc__xe_range_body(d, data, len);
        return;
    }
    apc__xe_file_body(e, f, data, len);
    apc__xe_form_body(d, data, len);
}

void apc__xe_file_body(engine_t *e, xfile_t *f, const uint8_t *data, size_t len)
{
    if (!f->open || len == 0)
        return;
    apc__xe_file_feed(f, data, len);
    f->last_packet = e->cur_packet;
    if (f->carving && e->err == 0) {
        int r = e->run->write(e->run->payload, data, len);
        if (r < 0)
            apc__xe_set_err(e, r);
    }
}

/* libmagic's database, loaded at the first file typed; a system without it still extracts
 * (every type then reads application/octet-stream). */
static void magic_load_once(engine_t *e)
{
    if (e->magic_tried)
        return;
    e->magic_tried = 1;
    e->magic = magic_open(MAGIC_MIME_TYPE | MAGIC_ERROR);
    if (e->magic && magic_load(e->magic, NULL) != 0) {
        magic_close(e->magic);
        e->magic = NULL;
    }
    e->types = e->magic ? apc__typecache_new() : NULL;
}

static const char *mime_of(engine_t *e, int64_t conn_id, int direction, uint32_t nth,
                           const xfile_t *f)
{
    if (f->head_len == 0)
        return "application/x-empty";
    if (!wanted(e, conn_id, direction, nth))
        return ""; /* untyped: typed when someone looks at it (extract/typing.h) */
    magic_load_once(e);
    if (!e->magic)
        return "application/octet-stream";
    const char *m = e->types ? apc__typecache_get(e->types, f->head, f->head_len) : NULL;
    if (m)
        return m;
    m = magic_buffer(e->magic, f->head, f->head_len);
    if (!m)
        return "application/octet-stream";
    /* the cache's copy: libmagic's string lasts only until its next call */
    const char *kept = e->types ? apc__typecache_put(e->types, f->head, f->head_len, m) : NULL;
    return kept ? kept : m;
}

void apc__xe_report(engine_t *e, int64_t conn_id, int direction, uint32_t nth, const char *protocol,
                    xfile_t *f, const char *reason)
{
    unsigned char sha[EVP_MAX_MD_SIZE], md5[EVP_MAX_MD_SIZE];
    unsigned n_sha = 0, n_md5 = 0;
    if (f->sha) {
        EVP_DigestFinal_ex(f->sha, sha, &n_sha);
        EVP_DigestFinal_ex(f->md5, md5, &n_md5);
    }
    int64_t pid;
    const char *pname, *path;
    apc__xe_owner(e, conn_id, &pid, &pname, &path);
    apc_extract_stream_t x = {
        .conn_id = conn_id,
        .direction = direction,
        .nth = nth,
        .protocol = (char *)protocol,
        .name = f->name,
        .mime = (char *)mime_of(e, conn_id, direction, nth, f),
        .ctype = f->ctype,
        .size = f->size,
        .complete = reason == NULL,
        .reason = (char *)(reason ? reason : ""),
        .time = f->time,
        .first_packet = f->first_packet,
        .last_packet = f->last_packet,
        .pid = pid,
        .process_name = (char *)pname,
        .process_path = (char *)path,
    };
    hex(x.sha256, sha, n_sha > 32 ? 32 : n_sha);
    hex(x.md5, md5, n_md5 > 16 ? 16 : n_md5);
    if (!f->sha && f->size == 0) {
        /* an empty file is typed without a look (application/x-empty): its digests need none */
        snprintf(x.sha256, sizeof x.sha256, "%s", SHA256_OF_NOTHING);
        snprintf(x.md5, sizeof x.md5, "%s", MD5_OF_NOTHING);
    }
    if (e->err == 0 && !e->done) {
        int r = e->run->found(e->run->payload, &x);
        if (r < 0)
            apc__xe_set_err(e, r);
        else if (r > 0)
            e->done = 1;
    }
    file_reset(f);
}

void apc__xe_end(void *payload, const char *reason)
{
    xdir_t *d = payload;
    if (d->rg) {
        apc__xe_range_end(d, reason);
        return;
    }
    if (!d->f.open)
        return;
    apc__xe_form_end(d, reason); /* its parts first, as a message's (detect_mail.c) */
    apc__xe_report(d->c->e, d->c->id, row_dir(d), d->f.nth,
                   d->proto == PROTO_FTP_DATA ? "ftp-data"
                   : d->proto == PROTO_TFTP   ? "tftp"
                   : d->proto == PROTO_SMB2   ? "smb"
                   : d->proto == PROTO_MAIL   ? "imf"
                                              : "http",
                   &d->f, reason);
}

/* Pairs responses with requests: the URI names a response's file, and the answer to a HEAD
 * request has no body whatever its Content-Length says. */
static int on_head(void *payload, const char *method, const char *uri, int status,
                   const apc__http_meta_t *meta)
{
    xdir_t *d = payload;
    xconn_t *c = d->c;
    if (d->proto == PROTO_HTTP_REQ) {
        if (c->q_len == REQ_Q) { /* deeper than we keep: forget the oldest */
            free(c->q[c->q_first].uri);
            free(c->q[c->q_first].host);
            c->q_first = (c->q_first + 1) % REQ_Q;
            c->q_len--;
        }
        unsigned k = (c->q_first + c->q_len++) % REQ_Q;
        c->q[k].uri = strdup(uri ? uri : "");
        c->q[k].host = strdup(meta->host);
        c->q[k].is_head = method && strcmp(method, "HEAD") == 0;
        return 0;
    }
    if (status >= 100 && status < 200 && status != 101)
        return 0; /* interim: the final response is still to come */
    free(d->resp_uri);
    d->resp_uri = NULL;
    if (c->q_len == 0) {
        apc__xe_range_head(d, NULL, status, meta);
        return 0;
    }
    unsigned k = c->q_first;
    c->q_first = (c->q_first + 1) % REQ_Q;
    c->q_len--;
    d->resp_uri = c->q[k].uri;
    c->q[k].uri = NULL;
    apc__xe_range_head(d, c->q[k].host, status, meta);
    free(c->q[k].host);
    c->q[k].host = NULL;
    return c->q[k].is_head;
}

/* --- protocol detection ------------------------------------------------------------------- */

/* Request methods of RFC 9110 section 9 and WebDAV's (RFC 4918); a request line has a space
 * after the method (RFC 9112 section 3). */
static const char *const methods[] = {
    "GET",   "POST",     "PUT",       "HEAD", "DELETE", "OPTIONS", "PATCH",  "TRACE",
    "MKCOL", "PROPFIND", "PROPPATCH", "COPY", "MOVE",   "LOCK",    "UNLOCK",
};

/* 1: p starts with tok; 0: p is a proper prefix of tok (more bytes could tell); -1: neither. */
static int starts(const uint8_t *p, size_t n, const char *tok)
{
    size_t m = strlen(tok), k = n < m ? n : m;
    if (memcmp(p, tok, k) != 0)
        return -1;
    return n >= m ? 1 : 0;
}

/* starts() for a method and the space after it. */
static int starts_method(const uint8_t *p, size_t n, const char *method)
{
    size_t m = strlen(method);
    int r = starts(p, n, method);
    if (r <= 0)
        return r;
    return n == m ? 0 : p[m] == ' ' ? 1 : -1;
}

/* What a stream starting with p[0..n) carries: requests, responses, not HTTP, or (when `final`
 * is 0 and more bytes could tell) undecided. Either side may be the initiator's: a capture that
 * starts mid-connection has no SYN to say who connected. */
static int classify(const uint8_t *p, size_t n, int final)
{
    int maybe = 0;
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++) {
        int m = starts_method(p, n, methods[i]);
        if (m == 1)
            return PROTO_HTTP_REQ;
        maybe |= m == 0;
    }
    int m = starts(p, n, "HTTP/1.");
    if (m == 1)
        return PROTO_HTTP_RESP;
    maybe |= m == 0;
    return maybe && !final ? PROTO_UNDECIDED : PROTO_NONE;
}

static int start_parser(xdir_t *d)
{
    apc__http_free(d->http);
    apc__http_sink_t sink = {apc__xe_begin, apc__xe_body, apc__xe_end, on_head, d};
    d->http = apc__http_new(d->proto == PROTO_HTTP_REQ, APC__EXTRACT_MAX_FILE, &sink);
    if (d->http)
        return 0;
    d->proto = PROTO_NONE;
    apc__xe_set_err(d->c->e, apc__err(APC_ENOMEM, "out of memory"));
    return -1;
}

/* After a gap (or a malformed message), parsing of a direction starts again at the first
 * segment that begins with a message of the same kind: servers start a response, and clients
 * a request, at a segment boundary. The requests still queued were answered by responses lost
 * in the gap, but the newest, which the next response answers (no pipelining across a loss). */
static int resync(xdir_t *d, const uint8_t *data, size_t len)
{
    int kind = classify(data, len, 1);
    if (kind <= 0 || (d->proto > 0 && kind != d->proto))
        return 0;
    d->proto = kind;
    if (start_parser(d) < 0)
        return 0;
    xconn_t *c = d->c;
    while (kind == PROTO_HTTP_RESP && c->q_len > 1) {
        free(c->q[c->q_first].uri);
        free(c->q[c->q_first].host);
        c->q[c->q_first].uri = c->q[c->q_first].host = NULL;
        c->q_first = (c->q_first + 1) % REQ_Q;
        c->q_len--;
    }
    return 1;
}

static void dir_data(void *payload, uint64_t off, const uint8_t *data, size_t len)
{
    (void)off;
    xdir_t *d = payload;
    if (d->proto == PROTO_FTP_DATA) {
        apc__xe_ftp_data(d, data, len);
        return;
    }
    if (d->proto == PROTO_SMB2) {
        apc__xe_smb2_data(d, data, len);
        return;
    }
    if (d->proto == PROTO_MAIL) {
        apc__xe_mail_data(d, data, len);
        return;
    }
    if (d->proto == PROTO_FTP_CTL_C || d->proto == PROTO_FTP_CTL_S) {
        apc__xe_ftp_ctl(d, data, len);
        return;
    }
    if (d->proto == PROTO_NONE)
        return;
    if (d->proto == PROTO_LOST || (d->http && apc__http_failed(d->http))) {
        if (!resync(d, data, len))
            return;
    } else if (d->proto == PROTO_UNDECIDED) {
        size_t k = PROBE_MAX - d->probe_len;
        if (k > len)
            k = len;
        memcpy(d->probe + d->probe_len, data, k);
        d->probe_len += k;
        d->proto = classify(d->probe, d->probe_len, d->probe_len == PROBE_MAX);
        if (d->proto <= 0 || start_parser(d) < 0)
            return;
        /* the probe's bytes, then the rest of this chunk */
        apc__http_feed(d->http, d->probe, d->probe_len);
        data += k;
        len -= k;
    }
    if (len)
        apc__http_feed(d->http, data, len);
}

static void dir_gap(void *payload, uint64_t off, uint64_t len, enum apc__reasm_gap_reason why)
{
    (void)off;
    (void)why;
    xdir_t *d = payload;
    if (d->proto == PROTO_FTP_DATA) {
        /* the bytes after a hole are not where the file's bytes go */
        if (d->f.open)
            apc__xe_end(d, "gap in the capture");
        d->proto = PROTO_NONE;
    } else if (d->proto == PROTO_FTP_CTL_C || d->proto == PROTO_FTP_CTL_S) {
        d->line_len = FTP_LINE_MAX + 1; /* the line under way lost its start */
    } else if (d->proto == PROTO_SMB2) {
        apc__xe_smb2_gap(d);
    } else if (d->proto == PROTO_MAIL) {
        apc__xe_mail_gap(d);
    } else if (d->http)
        apc__http_gap(d->http, len);
    else if (d->proto == PROTO_UNDECIDED)
        d->proto = PROTO_LOST;
}

/* --- connections --------------------------------------------------------------------------- */

xconn_t *apc__xe_conn_new(engine_t *e, int64_t id)
{
    xconn_t *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->e = e;
    c->id = id;
    for (int i = 0; i < 2; i++) {
        xdir_t *d = &c->d[i];
        d->c = c;
        d->idx = i;
        apc__reasm_sink_t sink = {dir_data, dir_gap, d};
        apc__reasm_init(&d->r, &e->pool, APC__EXTRACT_STREAM_CAP, &sink);
    }
    e->conns[id - 1] = c;
    return c;
}

/* FTP and SMB2 are told by their ports, not its first bytes: a control connection by the server's,
 * a data connection by what its control connection announced (or the carving run). */
static void tcp_classify(engine_t *e, xconn_t *c)
{
    const conninfo_t *ci = &e->ci[c->id - 1];
    if (e->run->ftp_data) {
        c->d[0].proto = c->d[1].proto = PROTO_FTP_DATA;
    } else if (ci->dst_port == FTP_PORT || ci->src_port == FTP_PORT) {
        int server = ci->dst_port == FTP_PORT ? 1 : 0; /* which direction the server sends */
        c->d[server].proto = PROTO_FTP_CTL_S;
        c->d[!server].proto = PROTO_FTP_CTL_C;
    } else if (ci->dst_port == APC__SMB2_PORT || ci->src_port == APC__SMB2_PORT ||
               ci->dst_port == APC__SMB_NBSS_PORT || ci->src_port == APC__SMB_NBSS_PORT) {
        c->d[0].proto = c->d[1].proto = PROTO_SMB2;
    } else if ((c->xfer = apc__xe_ftp_match(e, ci)) != 0) {
        c->d[0].proto = c->d[1].proto = PROTO_FTP_DATA;
    } else {
        apc__xe_mail_classify(c, ci);
    }
}

/* Frees what finish leaves: the request queue, the names, the connection. */
static void conn_free(xconn_t *c)
{
    apc__xe_smb2_free(c);
    apc__xe_mail_free(c); /* NULL after conn_finish; a run that stopped reports nothing */
    for (unsigned i = 0; i < REQ_Q; i++) {
        free(c->q[i].uri);
        free(c->q[i].host);
    }
    for (int i = 0; i < 2; i++) {
        free(c->d[i].resp_uri);
        free(c->d[i].range_key);
        free(c->d[i].line);
    }
    free(c);
}

/* Ends both directions: holes reported, bodies closed, everything freed. `why`: what ended a
 * direction that did not close itself (NULL: it did, or both did). */
static void conn_finish(engine_t *e, xconn_t *c, const char *why)
{
    for (int i = 0; i < 2; i++) {
        xdir_t *d = &c->d[i];
        apc__reasm_finish(&d->r);
        if (i == 1 && c->smb)
            apc__xe_smb2_end(c, why);
        if (i == 1)
            apc__xe_mail_end(c, why);
        if (d->proto == PROTO_FTP_DATA)
            apc__xe_ftp_end(d, why);
        if (d->proto == PROTO_TFTP && d->f.open)
            apc__xe_end(d, "the capture ended before the last block");
        if (d->http) {
            apc__http_close(d->http);
            apc__http_free(d->http);
        }
        apc__xe_form_free(d);
        file_reset(&d->f);
    }
    e->conns[c->id - 1] = CLOSED;
    conn_free(c);
}

int apc__xe_dir_of(const engine_t *e, const apc_packet_t *p)
{
    const conninfo_t *ci = &e->ci[p->conn_id - 1];
    return strcmp(p->src_ip, ci->src_ip) == 0 && p->src_port == ci->src_port ? 0 : 1;
}

static int add_segment(engine_t *e, const apc_packet_t *p)
{
    int64_t id = p->conn_id;
    if (id <= 0 || (size_t)(id - 1) >= e->n_conns || e->conns[id - 1] == CLOSED)
        return 0;
    if (e->run->only_conn && id != e->run->only_conn)
        return 0;
    apc__pkt_t pk;
    apc__decode(&pk, p->data, p->caplen, p->length, p->linktype);
    if (!pk.has_l4 || pk.ip_proto != 6 || pk.payload_off > p->caplen)
        return 0;
    int idx = apc__xe_dir_of(e, p);
    xconn_t *c = e->conns[id - 1];
    if (!c) {
        if (!(c = apc__xe_conn_new(e, id)))
            return apc__err(APC_ENOMEM, "out of memory");
        tcp_classify(e, c);
    }
    size_t len = pk.payload_caplen;
    if (pk.payload_off + len > p->caplen)
        len = p->caplen - pk.payload_off;
    int r = apc__reasm_add(&c->d[idx].r, pk.tcp_seq, (pk.tcp_flags & 0x02) != 0,
                           p->data + pk.payload_off, len);
    if (r < 0 && r != APC_ENOMEM)
        return r; /* APC_ENOMEM: the segment shows as a gap at the end, nothing else lost */
    if (pk.tcp_flags & 0x01)
        c->fin[idx] = 1;
    if ((pk.tcp_flags & 0x04) || (c->fin[0] && c->fin[1]))
        conn_finish(e, c, (pk.tcp_flags & 0x04) ? "connection reset" : NULL);
    else if (c->d[0].proto == PROTO_NONE && c->d[1].proto == PROTO_NONE)
        conn_finish(e, c, NULL); /* neither side carries a protocol we read (TLS, SSH...):
                                  * nothing it sends later can be a file; its packets are no
                                  * longer even read (skip_closed) */
    return 0;
}

static void engine_free(engine_t *e)
{
    for (size_t i = 0; i < e->n_conns; i++)
        if (e->conns[i] && e->conns[i] != CLOSED) {
            xconn_t *c = e->conns[i];
            for (int k = 0; k < 2; k++) {
                apc__reasm_free(&c->d[k].r);
                apc__http_free(c->d[k].http);
                apc__xe_form_free(&c->d[k]);
                file_reset(&c->d[k].f);
            }
            conn_free(c);
        }
    free(e->conns);
    for (size_t i = 0; i < e->n_ci; i++)
        free(e->ci[i].process_name);
    free(e->ci);
    for (size_t i = 0; i < e->n_pp; i++)
        free(e->pp[i].path);
    free(e->pp);
    free(e->xfers);
    free(e->treqs);
    apc__xe_range_free(e);
    if (e->magic)
        magic_close(e->magic);
    apc__typecache_free(e->types);
}

/* --- the run ------------------------------------------------------------------------------- */

static int cmp_id(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* The reader's skip (apc__capture_read_lean): a finished connection's packets are ignored by
 * add_segment and apc__xe_tftp alike, so they are not read at all. */
static int skip_closed(void *sp, int64_t conn_id)
{
    const engine_t *e = sp;
    return conn_id > 0 && (size_t)(conn_id - 1) < e->n_conns && e->conns[conn_id - 1] == CLOSED;
}

/* Whether the run reads p's connection (run->conns). */
static int wanted_conn(const apc__xtrun_t *run, const apc_packet_t *p)
{
    return !run->conns ||
           bsearch(&p->conn_id, run->conns, run->n_conns, sizeof *run->conns, cmp_id) != NULL;
}

static int read_packets(engine_t *e)
{
    const apc__xtrun_t *run = e->run;
    int64_t last = run->conns && run->after_packet > 0 ? run->after_packet : 0;
    uint64_t seen = 0;
    int ended = !run->follow; /* a followed capture: once its end was seen, what is committed */
    for (;;) {
        if ((run->cancelled && *run->cancelled) || (run->cancelled2 && *run->cancelled2))
            return apc__err(APC_ECANCELED, "cancelled");
        apc_packet_page_t *pg = NULL;
        /* no summaries nor process names: the engine reads neither (connections carry them) */
        int r = apc__capture_read_lean(run->ctx, run->capture_id, run->only_conn, last, PAGE,
                                       skip_closed, e, &pg);
        if (r < 0)
            return r;
        if (run->follow)
            r = apc__xe_follow_conns(e, pg);
        for (size_t i = 0; r == 0 && i < pg->count && e->err == 0 && !e->done; i++) {
            const apc_packet_t *p = &pg->packets[i];
            if (!p->data || (p->protocol != 6 && p->protocol != 17) || !wanted_conn(run, p))
                continue;
            e->cur_packet = p->id;
            e->cur_time = p->time;
            r = p->protocol == 6 ? add_segment(e, p) : apc__xe_tftp(e, p);
        }
        /* records looked at, skipped ones included; a page may skip them all and have more */
        seen += (uint64_t)(pg->last_id > last ? pg->last_id - last : 0);
        int more = pg->more && pg->last_id > last;
        last = pg->last_id;
        apc__lean_page_free(pg);
        if (r < 0)
            return r;
        if (e->err)
            return e->err;
        if (e->done)
            return 0;
        if (run->progress)
            run->progress(run->payload, seen, !more && !ended);
        if (more)
            continue;
        if (ended)
            return 0;
        /* every committed packet is read: the next commit, or the end, brings more */
        if ((r = apc__xe_follow_wait(e, last, &ended)) < 0)
            return r;
    }
}

int apc__extract_run(const apc__xtrun_t *run)
{
    engine_t e = {.run = run,
                  .pool = {.cap = APC__EXTRACT_POOL_CAP},
                  .smb_pool = {.cap = APC__EXTRACT_SMB_CAP},
                  .range_pool = {.cap = APC__EXTRACT_RANGE_POOL}};
    int r = apc__xe_load_conns(&e, run->only_conn ? run->only_conn - 1 : 0);
    if (r == 0)
        r = apc__xe_load_procs(&e);
    if (r == 0)
        r = read_packets(&e);
    if (r == 0 && run->follow && !e.done)
        r = apc__xe_follow_end(&e);
    /* the end of the capture ends every connection still open, in id order (unless found()
     * already has what it wanted) */
    for (size_t i = 0; r == 0 && !e.done && i < e.n_conns; i++)
        if (e.conns[i] && e.conns[i] != CLOSED) {
            xconn_t *c = e.conns[i];
            const xfile_t *f0 = &c->d[0].f, *f1 = &c->d[1].f;
            e.cur_packet = f0->last_packet > f1->last_packet ? f0->last_packet : f1->last_packet;
            conn_finish(&e, c, "the capture ended before the connection closed");
            r = e.err;
        }
    /* ranges join across connections: their files are complete only now */
    if (r == 0 && !e.done) {
        apc__xe_range_report(&e);
        r = e.err;
    }
    engine_free(&e);
    return r;
}
