/* SPDX-License-Identifier: MIT */
/* HTTP uploads in the extraction engine (extract/engine.h): a message body of type
 * multipart/form-data (RFC 7578: a browser's or curl's form with files) stays one "http" file,
 * as tshark exports it, and each of its parts that is a file (it has a filename, or a type
 * other than text) becomes a file of its own too, protocol "mime", decoded by extract/mime.c,
 * named by its filename (metadata only, as every name from traffic), in the same direction and
 * connection. A body cut short ends its open part partial with the body's reason. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/error.h"
#include "extract/engine.h"
#include "extract/mime.h"

struct xform {
    xdir_t *d;
    apc__mime_t *mime;
    xfile_t f;    /* the part being decoded */
    uint32_t nth; /* its number among the direction's files */
};

static void part_begin(void *u, const char *name, const char *ctype)
{
    struct xform *x = u;
    x->nth = apc__xe_file_begin_in(x->d, &x->f, name, ctype);
}

static void part_body(void *u, const uint8_t *data, size_t len)
{
    struct xform *x = u;
    apc__xe_file_body(x->d->c->e, &x->f, data, len);
}

static void part_end(void *u, const char *reason)
{
    struct xform *x = u;
    if (x->f.open)
        apc__xe_report(x->d->c->e, x->d->c->id, x->d->idx == 0 ? APC_DIR_OUT : APC_DIR_IN, x->nth,
                       "mime", &x->f, reason);
}

void apc__xe_form_begin(xdir_t *d, const char *ctype)
{
    apc__xe_form_free(d);
    static const char type[] = "multipart/form-data";
    if (!ctype)
        return;
    while (*ctype == ' ' || *ctype == '\t')
        ctype++;
    size_t n = strlen(type);
    if (strncasecmp(ctype, type, n) != 0 || (ctype[n] && ctype[n] != ';' && ctype[n] != ' '))
        return;
    struct xform *x = calloc(1, sizeof *x);
    apc__mime_sink_t sink = {part_begin, part_body, part_end, x};
    if (x)
        x->mime = apc__mime_new_form(APC__EXTRACT_MAX_FILE, &sink);
    if (!x || !x->mime) {
        free(x);
        apc__xe_set_err(d->c->e, apc__err(APC_ENOMEM, "out of memory"));
        return;
    }
    x->d = d;
    d->form = x;
    /* The body's header section is the request's: its Content-Type names the boundary. */
    static const uint8_t head[] = "Content-Type: ";
    apc__mime_feed(x->mime, head, sizeof head - 1);
    apc__mime_feed(x->mime, (const uint8_t *)ctype, strlen(ctype));
    apc__mime_feed(x->mime, (const uint8_t *)"\r\n\r\n", 4);
}

void apc__xe_form_body(xdir_t *d, const uint8_t *data, size_t len)
{
    if (d->form)
        apc__mime_feed(d->form->mime, data, len);
}

void apc__xe_form_end(xdir_t *d, const char *reason)
{
    if (!d->form)
        return;
    apc__mime_close(d->form->mime, reason);
    apc__xe_form_free(d);
}

void apc__xe_form_free(xdir_t *d)
{
    struct xform *x = d->form;
    if (!x)
        return;
    apc__mime_free(x->mime);
    apc__xe_file_drop(&x->f);
    free(x);
    d->form = NULL;
}
