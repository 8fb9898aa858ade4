/* SPDX-License-Identifier: MIT */
/* FTP in the extraction engine (extract/engine.h): control connections announce data
 * connections (RFC 959 PASV, PORT; RFC 2428 EPSV, EPRT), the next RETR or store command names
 * the file, and the data connection's bytes are it. Lines are parsed by extract/ftp.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "extract/engine.h"
#include "extract/ftp.h"
#include "util/array.h"

/* The newest transfer control connection `ctl` announced, or NULL. */
static xfer_t *xfer_of_ctl(engine_t *e, int64_t ctl)
{
    for (size_t i = e->n_xfers; i-- > 0;)
        if (e->xfers[i].ctl == ctl)
            return &e->xfers[i];
    return NULL;
}

static void xfer_announce(engine_t *e, int64_t ctl, const apc__ftp_addr_t *a)
{
    if (apc__grow((void **)&e->xfers, &e->cap_xfers, e->n_xfers + 1, sizeof *e->xfers) < 0) {
        apc__xe_set_err(e, apc__err(APC_ENOMEM, "out of memory"));
        return;
    }
    const conninfo_t *ci = &e->ci[ctl - 1];
    xfer_t *x = &e->xfers[e->n_xfers++];
    memset(x, 0, sizeof *x);
    /* EPSV names no host: the data connection goes to the control connection's server */
    snprintf(x->ip, sizeof x->ip, "%s",
             a->ip[0]                   ? a->ip
             : ci->dst_port == FTP_PORT ? ci->dst_ip
                                        : ci->src_ip);
    x->port = a->port;
    x->ctl = ctl;
}

/* The transfer a new connection is the data connection of: its listening end is the one
 * announced, or (behind NAT a 227 reply names an inside address) the port is and the two
 * hosts are those of the control connection. Newest first; each transfer has one. */
int64_t apc__xe_ftp_match(engine_t *e, const conninfo_t *ci)
{
    for (size_t i = e->n_xfers; i-- > 0;) {
        xfer_t *x = &e->xfers[i];
        if (x->used || x->port != ci->dst_port)
            continue;
        const conninfo_t *k = &e->ci[x->ctl - 1];
        int hosts = (!strcmp(ci->src_ip, k->src_ip) || !strcmp(ci->src_ip, k->dst_ip)) &&
                    (!strcmp(ci->dst_ip, k->src_ip) || !strcmp(ci->dst_ip, k->dst_ip));
        if (strcmp(x->ip, ci->dst_ip) == 0 || hosts) {
            x->used = 1;
            return (int64_t)i + 1;
        }
    }
    return 0;
}

static void ftp_line(xdir_t *d, const char *line, size_t n)
{
    xconn_t *c = d->c;
    engine_t *e = c->e;
    apc__ftp_addr_t a;
    if (d->proto == PROTO_FTP_CTL_C) {
        char arg[sizeof((xfer_t *)0)->name];
        int k = apc__ftp_command(line, n, arg, sizeof arg, &a);
        if (k == APC__FTP_PORT) {
            xfer_announce(e, c->id, &a);
        } else if (k != APC__FTP_OTHER) {
            xfer_t *x = xfer_of_ctl(e, c->id);
            if (x && x->kind == APC__FTP_OTHER) {
                x->kind = k;
                memcpy(x->name, arg, sizeof x->name);
            }
        }
        return;
    }
    uint64_t size = 0;
    int k = apc__ftp_reply(line, n, &a, &size);
    if (k == 1) {
        xfer_announce(e, c->id, &a);
    } else if (k == 2) {
        xfer_t *x = xfer_of_ctl(e, c->id);
        if (x)
            x->size = size;
    }
}

/* Control bytes, split into lines (CR LF; a bare LF too). */
void apc__xe_ftp_ctl(xdir_t *d, const uint8_t *data, size_t len)
{
    if (!d->line && !(d->line = malloc(FTP_LINE_MAX))) {
        apc__xe_set_err(d->c->e, apc__err(APC_ENOMEM, "out of memory"));
        d->proto = PROTO_NONE;
        return;
    }
    for (size_t i = 0; i < len; i++) {
        if (data[i] == '\n') {
            size_t n = d->line_len;
            if (n <= FTP_LINE_MAX) {
                if (n && d->line[n - 1] == '\r')
                    n--;
                ftp_line(d, d->line, n);
            }
            d->line_len = 0;
        } else if (d->line_len < FTP_LINE_MAX) {
            d->line[d->line_len++] = (char)data[i];
        } else {
            d->line_len = FTP_LINE_MAX + 1; /* too long: skipped up to its end */
        }
    }
}

/* Data bytes: one file per direction, from its first byte to the close; a listing (LIST)
 * or a connection no command explains is no file. */
void apc__xe_ftp_data(xdir_t *d, const uint8_t *data, size_t len)
{
    xconn_t *c = d->c;
    engine_t *e = c->e;
    if (!d->f.open) {
        const xfer_t *x = c->xfer ? &e->xfers[c->xfer - 1] : NULL;
        if (d->nth || (!e->run->ftp_data &&
                       (!x || (x->kind != APC__FTP_RETR && x->kind != APC__FTP_STORE)))) {
            d->proto = PROTO_NONE;
            return;
        }
        apc__xe_begin(d, x ? x->name : "", "", -1);
        if (!d->f.open)
            return;
    }
    uint64_t room = APC__EXTRACT_MAX_FILE - d->f.size;
    apc__xe_body(d, data, len < room ? len : (size_t)room);
    if (len >= room) {
        apc__xe_end(d, "file size cap");
        d->proto = PROTO_NONE;
    }
}

/* The end of a data connection's direction: complete when it closed with what the 150 reply
 * announced (or no announcement), partial otherwise. `why`: the reason when this direction
 * did not close (reset, end of the capture). */
void apc__xe_ftp_end(xdir_t *d, const char *why)
{
    xconn_t *c = d->c;
    if (!d->f.open)
        return;
    const xfer_t *x = c->xfer ? &c->e->xfers[c->xfer - 1] : NULL;
    char buf[96];
    const char *reason = c->fin[d->idx] ? NULL : why ? why : "connection not closed";
    if (!reason && x && x->size && d->f.size != x->size) {
        snprintf(buf, sizeof buf, "%llu of the %llu bytes announced", (unsigned long long)d->f.size,
                 (unsigned long long)x->size);
        reason = buf;
    }
    apc__xe_end(d, reason);
}
