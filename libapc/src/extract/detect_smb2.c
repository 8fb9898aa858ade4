/* SPDX-License-Identifier: MIT */
/* SMB2, and SMB1 in SMB2's terms (extract/smb1.h), in the extraction engine
 * (extract/engine.h): the messages of a connection to port 445 ([MS-SMB2] 2.1 framing, parsed
 * by extract/smb2.c) are read in both directions; requests are paired with their responses by
 * MessageId (3.2.4.1.3: a response carries its request's); a successful CREATE response opens
 * a file (the request's name, the response's FileId and EndofFile), READ responses and WRITE
 * requests whose response succeeded put bytes at their offsets, and a CLOSE (or the end of the
 * connection) reports what was read of the file (a download, in the server's direction) and
 * what was written (an upload, in the client's). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "extract/engine.h"
#include "extract/smb1.h"
#include "extract/smb2.h"
#include "extract/sparse.h"
#include "util/array.h"

/* a message longer than this is skipped (servers' MaxReadSize is at most 8 MiB) */
#define SMB2_MSG_MAX (16u << 20)
#define SMB2_FILE_CAP (64u << 20) /* bytes of one file assembled in memory; later ones dropped */
#define SMB2_PENDING_MAX 1024     /* requests awaiting their response per connection */
#define SMB2_FILES_MAX 4096       /* files open at once per connection */

/* Where a message was: the packets holding its first and last bytes, the first one's time. */
typedef struct where {
    int64_t first, last;
    apc_time_t time;
} where_t;

/* The bytes of one file that flowed in one direction, and where they were. */
typedef struct asmb {
    apc__sparse_t sp;
    int written; /* by WRITE requests (an upload), not READ responses */
    int64_t first_packet, last_packet;
    apc_time_t time;
} asmb_t;

typedef struct sfile {
    uint8_t fid[16];
    char *name;
    uint64_t eof; /* EndofFile of the latest CREATE or CLOSE response */
    asmb_t a[2];  /* by the direction the bytes flowed in */
} sfile_t;

typedef struct pend {
    uint64_t msg_id;
    uint16_t command;
    uint8_t fid[16];
    int fid_of_compound; /* a related request with no FileId of its own (2.2.1.1: the previous one)
                          */
    int idx;             /* the direction the request went */
    uint64_t offset;
    char *name;    /* CREATE */
    uint8_t *data; /* WRITE: applied when its response succeeds */
    size_t len;
    where_t at; /* the request's message */
} pend_t;

struct smb2_dir {
    uint8_t hdr[4];
    size_t hdr_len;
    size_t need;  /* the message's length, once hdr is whole */
    uint8_t *msg; /* the message being read, NULL while skipping it */
    size_t have;  /* bytes of it read (or skipped) */
    int lost;     /* a hole: wait for a segment that starts a message */
    where_t at;   /* the message being read */
};

struct smb2_conn {
    pend_t *pend;
    size_t n_pend, cap_pend;
    sfile_t *files;
    size_t n_files, cap_files;
    /* The FileId the latest successful CREATE response gave: what a related request without
     * its own FileId means (2.2.1.1; its answer may come in a later message than the CREATE's) */
    uint8_t compound_fid[16];
    int has_compound_fid;
    const char *why; /* why messages were not read (encrypted, compressed, a gap, a cap) */
};

static const uint8_t no_fid[16] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                   0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

static struct smb2_conn *conn_state(xconn_t *c)
{
    if (!c->smb && !(c->smb = calloc(1, sizeof *c->smb)))
        apc__xe_set_err(c->e, apc__err(APC_ENOMEM, "out of memory"));
    return c->smb;
}

/* --- assembly ----------------------------------------------------------------------------- */

static void asm_free(engine_t *e, asmb_t *a)
{
    apc__sparse_free(&a->sp, &e->smb_pool);
    memset(a, 0, sizeof *a);
}

/* Puts data[0..len) at offset `off` of the file (extract/sparse.h: the first copy of a byte
 * wins); w: the message that carried it. */
static void asm_put(engine_t *e, asmb_t *s, uint64_t off, const uint8_t *data, size_t len,
                    const where_t *w)
{
    if (len == 0)
        return;
    if (apc__sparse_put(&s->sp, &e->smb_pool, SMB2_FILE_CAP, off, data, len) < 0) {
        apc__xe_set_err(e, apc__err(APC_ENOMEM, "out of memory"));
        return;
    }
    if (!s->first_packet || w->first < s->first_packet) {
        s->first_packet = w->first;
        s->time = w->time;
    }
    if (w->last > s->last_packet)
        s->last_packet = w->last;
}

/* --- files ---------------------------------------------------------------------------------- */

static sfile_t *file_of(struct smb2_conn *s, const uint8_t *fid)
{
    for (size_t i = s->n_files; i-- > 0;)
        if (memcmp(s->files[i].fid, fid, 16) == 0)
            return &s->files[i];
    return NULL;
}

/* Reports the bytes of f that flowed in direction idx, if any: complete when every byte from 0
 * to the end of the file (EndofFile, or further if more was received) is there. Holes read as
 * zeros and make the file partial. */
static void report(xconn_t *c, sfile_t *f, int idx, const char *why)
{
    asmb_t *a = &f->a[idx];
    const apc__sparse_t *s = &a->sp;
    if (s->n_iv == 0)
        return;
    xdir_t *d = &c->d[idx];
    uint64_t total = f->eof > s->end ? f->eof : s->end, got = s->got;
    /* a partial file stops at its last byte received: zeros past it would say nothing */
    uint64_t size = got == total && !s->capped ? total : s->end;
    char buf[160];
    const char *reason = NULL;
    if (size != total || got < size || s->capped) {
        const char *cause = s->capped ? "memory cap" : why;
        snprintf(buf, sizeof buf, "%llu of the %llu bytes %s%s%s (holes are zeros)",
                 (unsigned long long)got, (unsigned long long)total,
                 a->written ? "written" : "read", cause ? ", " : "", cause ? cause : "");
        reason = buf;
    }
    apc__xe_begin(d, f->name, "", (int64_t)size);
    if (!d->f.open)
        return;
    d->f.first_packet = a->first_packet;
    d->f.time = a->time;
    apc__xe_body(d, s->buf, (size_t)size);
    d->f.last_packet = a->last_packet;
    apc__xe_end(d, reason);
}

static void file_close(xconn_t *c, sfile_t *f, const char *why)
{
    struct smb2_conn *s = c->smb;
    for (int i = 0; i < 2; i++) {
        report(c, f, i, why);
        asm_free(c->e, &f->a[i]);
    }
    free(f->name);
    size_t k = (size_t)(f - s->files);
    memmove(f, f + 1, (s->n_files - k - 1) * sizeof *f);
    s->n_files--;
}

/* --- requests and responses ----------------------------------------------------------------- */

static void pend_drop(engine_t *e, struct smb2_conn *s, size_t k)
{
    pend_t *p = &s->pend[k];
    free(p->name);
    if (p->data) {
        e->smb_pool.used -= p->len;
        free(p->data);
    }
    memmove(p, p + 1, (s->n_pend - k - 1) * sizeof *p);
    s->n_pend--;
}

static void on_request(xdir_t *d, struct smb2_conn *s, const apc__smb2_cmd_t *x)
{
    engine_t *e = d->c->e;
    if (x->command != APC__SMB2_CREATE && x->command != APC__SMB2_READ &&
        x->command != APC__SMB2_WRITE && x->command != APC__SMB2_CLOSE)
        return;
    if (s->n_pend == SMB2_PENDING_MAX) /* never answered: forget the oldest */
        pend_drop(e, s, 0);
    if (apc__grow((void **)&s->pend, &s->cap_pend, s->n_pend + 1, sizeof *s->pend) < 0) {
        apc__xe_set_err(e, apc__err(APC_ENOMEM, "out of memory"));
        return;
    }
    pend_t *p = &s->pend[s->n_pend];
    memset(p, 0, sizeof *p);
    p->msg_id = x->msg_id;
    p->command = x->command;
    p->idx = d->idx;
    p->offset = x->offset;
    p->at = d->smb->at;
    memcpy(p->fid, x->file_id, 16);
    p->fid_of_compound = x->related && memcmp(x->file_id, no_fid, 16) == 0;
    if (x->command == APC__SMB2_CREATE && !(p->name = strdup(x->name))) {
        apc__xe_set_err(e, apc__err(APC_ENOMEM, "out of memory"));
        return;
    }
    if (x->command == APC__SMB2_WRITE && x->data_len) {
        if (!apc__sparse_take(&e->smb_pool, x->data_len)) {
            s->why = "memory cap";
            return;
        }
        if (!(p->data = malloc(x->data_len))) {
            e->smb_pool.used -= x->data_len;
            apc__xe_set_err(e, apc__err(APC_ENOMEM, "out of memory"));
            return;
        }
        memcpy(p->data, x->data, x->data_len);
        p->len = x->data_len;
    }
    s->n_pend++;
}

static sfile_t *file_open(engine_t *e, struct smb2_conn *s, const uint8_t *fid, const char *name)
{
    if (s->n_files == SMB2_FILES_MAX)
        return NULL;
    if (apc__grow((void **)&s->files, &s->cap_files, s->n_files + 1, sizeof *s->files) < 0) {
        apc__xe_set_err(e, apc__err(APC_ENOMEM, "out of memory"));
        return NULL;
    }
    sfile_t *f = &s->files[s->n_files];
    memset(f, 0, sizeof *f);
    memcpy(f->fid, fid, 16);
    if (!(f->name = strdup(name))) {
        apc__xe_set_err(e, apc__err(APC_ENOMEM, "out of memory"));
        return NULL;
    }
    s->n_files++;
    return f;
}

static void on_response(xdir_t *d, struct smb2_conn *s, const apc__smb2_cmd_t *x)
{
    xconn_t *c = d->c;
    engine_t *e = c->e;
    /* 3.3.4.2: an interim response; the final one carries the same MessageId */
    if (x->async && x->status == APC__SMB2_STATUS_PENDING)
        return;
    /* an SMB1 AndX chain puts several commands under one id: the command tells them apart */
    size_t k = s->n_pend;
    while (k-- > 0 && (s->pend[k].msg_id != x->msg_id || s->pend[k].command != x->command))
        ;
    if (k == (size_t)-1)
        return;
    pend_t *p = &s->pend[k];
    const uint8_t *fid =
        p->fid_of_compound ? (s->has_compound_fid ? s->compound_fid : NULL) : p->fid;
    if (x->status == 0 && x->command == APC__SMB2_CREATE) {
        memcpy(s->compound_fid, x->file_id, 16);
        s->has_compound_fid = 1;
        sfile_t *f = file_of(s, x->file_id);
        if (f) /* a FileId used again: the old file ended without its CLOSE seen */
            file_close(c, f, "closed without its CLOSE seen");
        if ((f = file_open(e, s, x->file_id, p->name)))
            f->eof = x->eof;
    } else if (x->status == 0 && fid) {
        sfile_t *f = file_of(s, fid);
        /* a file opened before the capture began: no name */
        if (!f && (x->command == APC__SMB2_READ || x->command == APC__SMB2_WRITE))
            f = file_open(e, s, fid, "");
        if (f && x->command == APC__SMB2_READ)
            asm_put(e, &f->a[d->idx], p->offset, x->data, x->data_len, &d->smb->at);
        else if (f && x->command == APC__SMB2_WRITE) {
            f->a[p->idx].written = 1;
            asm_put(e, &f->a[p->idx], p->offset, p->data, p->len, &p->at);
        } else if (f && x->command == APC__SMB2_CLOSE) {
            if (x->has_eof)
                f->eof = x->eof;
            file_close(c, f, s->why);
        }
    }
    pend_drop(e, s, k);
}

static void on_cmd(void *payload, const apc__smb2_cmd_t *x)
{
    xdir_t *d = payload;
    struct smb2_conn *s = d->c->smb;
    if (x->response)
        on_response(d, s, x);
    else
        on_request(d, s, x);
}

static void on_message(xdir_t *d, const uint8_t *msg, size_t n)
{
    struct smb2_conn *s = conn_state(d->c);
    if (!s)
        return;
    int r = apc__smb2_parse(msg, n, on_cmd, d);
    if (r == APC__SMB2_SMB1)
        r = apc__smb1_parse(msg, n, on_cmd, d);
    if (r == APC__SMB2_ENCRYPTED)
        s->why = "encrypted (SMB3 TRANSFORM header)";
    else if (r == APC__SMB2_COMPRESSED)
        s->why = "compressed (SMB3 compression header)";
}

/* --- framing -------------------------------------------------------------------------------- */

static void lose(xdir_t *d, const char *why);

static int msg_start(const uint8_t *p, size_t n)
{
    size_t len;
    return n >= 8 && apc__smb2_frame(p, n, &len) == 0 && len >= 4 && p[5] == 'S' && p[6] == 'M' &&
           p[7] == 'B' && (p[4] == 0xfe || p[4] == 0xfd || p[4] == 0xfc || p[4] == 0xff);
}

void apc__xe_smb2_data(xdir_t *d, const uint8_t *data, size_t len)
{
    xconn_t *c = d->c;
    engine_t *e = c->e;
    struct smb2_dir *m = d->smb;
    if (!m && !(m = d->smb = calloc(1, sizeof *m))) {
        apc__xe_set_err(e, apc__err(APC_ENOMEM, "out of memory"));
        d->proto = PROTO_NONE;
        return;
    }
    /* after a hole, a message starts where a segment does (senders write whole messages) */
    if (m->lost) {
        if (!msg_start(data, len))
            return;
        m->lost = 0;
    }
    while (len > 0 && e->err == 0) {
        if (m->hdr_len == 0) {
            m->at.first = e->cur_packet;
            m->at.time = e->cur_time;
        }
        if (m->hdr_len < 4) {
            size_t k = 4 - m->hdr_len < len ? 4 - m->hdr_len : len;
            memcpy(m->hdr + m->hdr_len, data, k);
            m->hdr_len += k;
            data += k;
            len -= k;
            if (m->hdr_len < 4)
                return;
            /* 1: a NetBIOS session-service packet that is no message, skipped */
            int kind = apc__smb2_frame(m->hdr, 4, &m->need);
            if (kind < 0) {
                lose(d, "not SMB framing");
                return;
            }
            m->have = 0;
            if (kind == 0 && m->need <= SMB2_MSG_MAX && apc__sparse_take(&e->smb_pool, m->need) &&
                !(m->msg = malloc(m->need ? m->need : 1))) {
                e->smb_pool.used -= m->need;
                apc__xe_set_err(e, apc__err(APC_ENOMEM, "out of memory"));
                return;
            }
            if (kind == 0 && !m->msg && c->smb)
                c->smb->why = "a message over the memory cap";
        }
        size_t k = m->need - m->have < len ? m->need - m->have : len;
        if (m->msg)
            memcpy(m->msg + m->have, data, k);
        m->have += k;
        data += k;
        len -= k;
        if (m->have == m->need) {
            m->at.last = e->cur_packet;
            if (m->msg) {
                on_message(d, m->msg, m->need);
                free(m->msg);
                m->msg = NULL;
                e->smb_pool.used -= m->need;
            }
            m->hdr_len = 0;
        }
    }
}

/* The direction's bytes cannot be followed from here (`why`): the message under way is
 * dropped, and reading starts again at a segment that begins a message. */
static void lose(xdir_t *d, const char *why)
{
    struct smb2_dir *m = d->smb;
    if (m) {
        if (m->msg) {
            free(m->msg);
            m->msg = NULL;
            d->c->e->smb_pool.used -= m->need;
        }
        m->hdr_len = 0;
        m->lost = 1;
    } else if ((m = d->smb = calloc(1, sizeof *m))) {
        m->lost = 1;
    }
    struct smb2_conn *s = conn_state(d->c);
    if (s)
        s->why = why;
}

void apc__xe_smb2_gap(xdir_t *d)
{
    lose(d, "gap in the capture");
}

void apc__xe_smb2_end(xconn_t *c, const char *why)
{
    struct smb2_conn *s = c->smb;
    if (!s)
        return;
    while (s->n_files)
        file_close(c, &s->files[0], s->why ? s->why : why ? why : "not closed in the capture");
}

void apc__xe_smb2_free(xconn_t *c)
{
    engine_t *e = c->e;
    for (int i = 0; i < 2; i++) {
        struct smb2_dir *m = c->d[i].smb;
        if (m && m->msg) {
            free(m->msg);
            e->smb_pool.used -= m->need;
        }
        free(m);
        c->d[i].smb = NULL;
    }
    struct smb2_conn *s = c->smb;
    if (!s)
        return;
    while (s->n_pend)
        pend_drop(e, s, s->n_pend - 1);
    for (size_t i = 0; i < s->n_files; i++) {
        asm_free(e, &s->files[i].a[0]);
        asm_free(e, &s->files[i].a[1]);
        free(s->files[i].name);
    }
    free(s->pend);
    free(s->files);
    free(s);
    c->smb = NULL;
}
