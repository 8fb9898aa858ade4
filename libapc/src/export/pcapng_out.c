/* SPDX-License-Identifier: MIT */
/* pcapng writer of exports: buffering and errors here; the blocks are encoded by the store's
 * one pcapng encoder (store/pcapng_enc.h). */
#include "export/pcapng_out.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/fsutil.h"

#define BUF_SIZE (1u << 20)

struct apc__ngw {
    int fd;
    int err; /* first failure, returned from then on */
    char what[512];
    uint64_t written;
    size_t len, cap;
    uint8_t *buf;
};

int apc__ngw_open(apc__ngw_t **out, int fd, const char *what)
{
    apc__ngw_t *w = calloc(1, sizeof *w);
    if (w)
        w->buf = malloc(BUF_SIZE);
    if (!w || !w->buf) {
        free(w);
        return apc__err(APC_ENOMEM, "out of memory");
    }
    w->cap = BUF_SIZE;
    w->fd = fd;
    snprintf(w->what, sizeof w->what, "%s", what ? what : "export file");
    *out = w;
    return 0;
}

void apc__ngw_free(apc__ngw_t *w)
{
    if (!w)
        return;
    free(w->buf);
    free(w);
}

uint64_t apc__ngw_bytes(const apc__ngw_t *w)
{
    return w->written + w->len;
}

int apc__ngw_flush(apc__ngw_t *w)
{
    if (w->err)
        return w->err;
    if (!w->len)
        return 0;
    int r = apc__write_all(w->fd, w->buf, w->len);
    if (r < 0) {
        w->err = r == -ENOSPC ? apc__err(r, "writing '%s': no space left on the device", w->what)
                              : apc__err(r, "writing '%s': %s", w->what, strerror(-r));
        return w->err;
    }
    w->written += w->len;
    w->len = 0;
    return 0;
}

/* Makes room for n more bytes; a block larger than the buffer grows it. */
static int room(apc__ngw_t *w, size_t n)
{
    if (w->err)
        return w->err;
    if (w->len + n > w->cap) {
        int r = apc__ngw_flush(w);
        if (r < 0)
            return r;
    }
    if (n > w->cap) {
        uint8_t *nb = realloc(w->buf, n);
        if (!nb)
            return w->err = apc__err(APC_ENOMEM, "out of memory writing '%s'", w->what);
        w->buf = nb;
        w->cap = n;
    }
    return 0;
}

int apc__ngw_shb(apc__ngw_t *w, const char *comment, const char *userappl)
{
    size_t total = apc__ng_shb_size(comment, userappl);
    int r = room(w, total);
    if (r == 0) {
        apc__ng_shb_put(w->buf + w->len, total, comment, userappl);
        w->len += total;
    }
    return r;
}

int apc__ngw_idb(apc__ngw_t *w, uint16_t linktype, uint32_t snaplen, const char *name,
                 const char *description)
{
    size_t total = apc__ng_idb_size(name, description);
    int r = room(w, total);
    if (r == 0) {
        apc__ng_idb_put(w->buf + w->len, total, linktype, snaplen, name, description);
        w->len += total;
    }
    return r;
}

int apc__ngw_epb(apc__ngw_t *w, const apc__ngpkt_t *p)
{
    size_t total = apc__ng_epb_size(p);
    int r = room(w, total);
    if (r == 0) {
        apc__ng_epb_put(w->buf + w->len, total, p);
        w->len += total;
    }
    return r;
}

int apc__ngw_raw(apc__ngw_t *w, const uint8_t *block, size_t len)
{
    int r = room(w, len);
    if (r == 0) {
        memcpy(w->buf + w->len, block, len);
        w->len += len;
    }
    return r;
}
