/* SPDX-License-Identifier: MIT */
/* Mail in the extraction engine (extract/engine.h): connections to the SMTP (25), submission
 * (587), POP3 (110) and IMAP (143) ports are parsed by extract/mail.c; each message becomes a file
 * of protocol "imf" (the name tshark's Export Objects uses), in the direction that carried it. */
#include "core/error.h"
#include "extract/engine.h"
#include "extract/mail.h"

static void on_begin(void *u, int dir, const char *name)
{
    xconn_t *c = u;
    apc__xe_begin(&c->d[dir], name, "message/rfc822", -1);
}

static void on_body(void *u, int dir, const uint8_t *data, size_t len)
{
    xconn_t *c = u;
    if (c->d[dir].f.open)
        apc__xe_body(&c->d[dir], data, len);
}

static void on_end(void *u, int dir, const char *reason)
{
    xconn_t *c = u;
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
    apc__mail_sink_t sink = {on_begin, on_body, on_end, c};
    if (!(c->mail = apc__mail_new(kind, !server, APC__EXTRACT_MAX_FILE, &sink))) {
        apc__xe_set_err(c->e, apc__err(APC_ENOMEM, "out of memory"));
        return 0;
    }
    c->d[0].proto = c->d[1].proto = PROTO_MAIL;
    return 1;
}

void apc__xe_mail_data(xdir_t *d, const uint8_t *data, size_t len)
{
    apc__mail_feed(d->c->mail, d->idx, data, len);
}

void apc__xe_mail_gap(xdir_t *d)
{
    apc__mail_gap(d->c->mail, d->idx);
}

void apc__xe_mail_end(xconn_t *c, const char *why)
{
    if (!c->mail)
        return;
    apc__mail_close(c->mail, why);
    apc__mail_free(c->mail);
    c->mail = NULL;
}
