/* SPDX-License-Identifier: MIT */
/* Mail in the extraction engine (extract/engine.h): connections to the SMTP (25), submission
 * (587), POP3 (110) and IMAP (143) ports are parsed by extract/mail.c; each message becomes a file
 * of protocol "imf" (the name tshark's Export Objects uses), in the direction that carried it.
 * Each message is also read by extract/mime.c as it goes: every MIME part that is a file (an
 * attachment) becomes a file of its own, protocol "mime", decoded, beside its message. */
#include <stdlib.h>

#include "core/error.h"
#include "extract/engine.h"
#include "extract/mail.h"
#include "extract/mime.h"

/* The parts of the message under way in one direction. */
typedef struct xpart {
    xconn_t *c;
    int dir;
    apc__mime_t *mime; /* NULL when no message is under way */
    xfile_t f;         /* the part being decoded */
    uint32_t nth;      /* its number among the direction's files */
} xpart_t;

struct xmail {
    apc__mail_t *p;
    xpart_t part[2];
};

static void part_begin(void *u, const char *name, const char *ctype)
{
    xpart_t *x = u;
    x->nth = apc__xe_file_begin_in(&x->c->d[x->dir], &x->f, name, ctype);
}

static void part_body(void *u, const uint8_t *data, size_t len)
{
    xpart_t *x = u;
    apc__xe_file_body(x->c->e, &x->f, data, len);
}

static void part_end(void *u, const char *reason)
{
    xpart_t *x = u;
    if (x->f.open)
        apc__xe_report(x->c->e, x->c->id, x->dir == 0 ? APC_DIR_OUT : APC_DIR_IN, x->nth, "mime",
                       &x->f, reason);
}

static void on_begin(void *u, int dir, const char *name)
{
    xconn_t *c = u;
    apc__xe_begin(&c->d[dir], name, "message/rfc822", -1);
    xpart_t *x = &c->mail->part[dir];
    apc__mime_free(x->mime);
    apc__mime_sink_t sink = {part_begin, part_body, part_end, x};
    if (!(x->mime = apc__mime_new(APC__EXTRACT_MAX_FILE, &sink)))
        apc__xe_set_err(c->e, apc__err(APC_ENOMEM, "out of memory"));
}

static void on_body(void *u, int dir, const uint8_t *data, size_t len)
{
    xconn_t *c = u;
    if (c->d[dir].f.open)
        apc__xe_body(&c->d[dir], data, len);
    xpart_t *x = &c->mail->part[dir];
    if (x->mime)
        apc__mime_feed(x->mime, data, len);
}

static void on_end(void *u, int dir, const char *reason)
{
    xconn_t *c = u;
    xpart_t *x = &c->mail->part[dir];
    if (x->mime) {
        apc__mime_close(x->mime, reason);
        apc__mime_free(x->mime);
        x->mime = NULL;
    }
    apc__xe_end(&c->d[dir], reason);
}

int apc__xe_mail_classify(xconn_t *c, const conninfo_t *ci)
{
    int kind = 0, server = -1;
    if (ci->dst_port == APC__SMTP_PORT || ci->dst_port == APC__SUBMISSION_PORT)
        kind = APC__MAIL_SMTP, server = 1;
    else if (ci->src_port == APC__SMTP_PORT || ci->src_port == APC__SUBMISSION_PORT)
        kind = APC__MAIL_SMTP, server = 0;
    else if (ci->dst_port == APC__POP3_PORT)
        kind = APC__MAIL_POP3, server = 1;
    else if (ci->src_port == APC__POP3_PORT)
        kind = APC__MAIL_POP3, server = 0;
    else if (ci->dst_port == APC__IMAP_PORT)
        kind = APC__MAIL_IMAP, server = 1;
    else if (ci->src_port == APC__IMAP_PORT)
        kind = APC__MAIL_IMAP, server = 0;
    if (!kind)
        return 0;
    if (!(c->mail = calloc(1, sizeof *c->mail))) {
        apc__xe_set_err(c->e, apc__err(APC_ENOMEM, "out of memory"));
        return 0;
    }
    for (int i = 0; i < 2; i++) {
        c->mail->part[i].c = c;
        c->mail->part[i].dir = i;
    }
    apc__mail_sink_t sink = {on_begin, on_body, on_end, c};
    if (!(c->mail->p = apc__mail_new(kind, !server, APC__EXTRACT_MAX_FILE, &sink))) {
        apc__xe_set_err(c->e, apc__err(APC_ENOMEM, "out of memory"));
        apc__xe_mail_free(c);
        return 0;
    }
    c->d[0].proto = c->d[1].proto = PROTO_MAIL;
    return 1;
}

void apc__xe_mail_data(xdir_t *d, const uint8_t *data, size_t len)
{
    apc__mail_feed(d->c->mail->p, d->idx, data, len);
}

void apc__xe_mail_gap(xdir_t *d)
{
    apc__mail_gap(d->c->mail->p, d->idx);
}

void apc__xe_mail_end(xconn_t *c, const char *why)
{
    if (!c->mail)
        return;
    apc__mail_close(c->mail->p, why);
    apc__xe_mail_free(c);
}

void apc__xe_mail_free(xconn_t *c)
{
    if (!c->mail)
        return;
    apc__mail_free(c->mail->p);
    for (int i = 0; i < 2; i++) {
        apc__mime_free(c->mail->part[i].mime);
        apc__xe_file_drop(&c->mail->part[i].f);
    }
    free(c->mail);
    c->mail = NULL;
}
