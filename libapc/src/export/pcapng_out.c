/* SPDX-License-Identifier: MIT */
/* pcapng writer of exports; block layouts from draft-ietf-opsawg-pcapng sections 3-4. */
#include "export/pcapng_out.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/fsutil.h"

#define BUF_SIZE (1u << 20)
#define BT_SHB 0x0A0D0D0Au
#define BT_IDB 0x00000001u
#define BT_EPB 0x00000006u
#define OPT_ENDOFOPT 0
#define OPT_COMMENT 1
#define SHB_USERAPPL 4
#define IF_NAME 2
#define IF_DESCRIPTION 3
#define IF_TSRESOL 9
#define EPB_FLAGS 2
#define EPB_PID_TID 8  /* epb_processid_threadid: u32 pid, u32 tid */
#define OPT_MAX 65532u /* an option length is 16 bits; keep it a multiple of 4 */

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

static void put(apc__ngw_t *w, const void *p, size_t n)
{
    if (!n)
        return; /* p may be NULL (end-of-options has no value) */
    memcpy(w->buf + w->len, p, n);
    w->len += n;
}

static void put32(apc__ngw_t *w, uint32_t v)
{
    put(w, &v, 4); /* host order: the SHB's byte-order magic tells readers which */
}

static void put16(apc__ngw_t *w, uint16_t v)
{
    put(w, &v, 2);
}

static void pad(apc__ngw_t *w, size_t n)
{
    static const uint8_t zeros[4];
    put(w, zeros, (4 - (n & 3)) & 3);
}

static size_t pad4(size_t n)
{
    return (n + 3) & ~(size_t)3;
}

static size_t opt_len(size_t vlen)
{
    return 4 + pad4(vlen);
}

static void put_opt(apc__ngw_t *w, uint16_t code, const void *v, size_t n)
{
    put16(w, code);
    put16(w, (uint16_t)n);
    put(w, v, n);
    pad(w, n);
}

/* Comments longer than an option can hold are cut (pcapng has no continuation). */
static size_t clip(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    return n > OPT_MAX ? OPT_MAX : n;
}

int apc__ngw_shb(apc__ngw_t *w, const char *comment, const char *userappl)
{
    size_t cl = clip(comment), ul = clip(userappl);
    size_t opts = (cl ? opt_len(cl) : 0) + (ul ? opt_len(ul) : 0);
    if (opts)
        opts += 4;
    size_t total = 28 + opts;
    int r = room(w, total);
    if (r < 0)
        return r;
    put32(w, BT_SHB);
    put32(w, (uint32_t)total);
    put32(w, 0x1A2B3C4Du);
    put16(w, 1);
    put16(w, 0);
    uint64_t section_len = UINT64_MAX; /* -1: not given (draft 4.1) */
    put(w, &section_len, 8);
    if (cl)
        put_opt(w, OPT_COMMENT, comment, cl);
    if (ul)
        put_opt(w, SHB_USERAPPL, userappl, ul);
    if (opts)
        put_opt(w, OPT_ENDOFOPT, NULL, 0);
    put32(w, (uint32_t)total);
    return 0;
}

int apc__ngw_idb(apc__ngw_t *w, uint16_t linktype, uint32_t snaplen, const char *name,
                 const char *description)
{
    size_t nl = clip(name), dl = clip(description);
    size_t opts = opt_len(1) + (nl ? opt_len(nl) : 0) + (dl ? opt_len(dl) : 0) + 4;
    size_t total = 20 + opts;
    int r = room(w, total);
    if (r < 0)
        return r;
    put32(w, BT_IDB);
    put32(w, (uint32_t)total);
    put16(w, linktype);
    put16(w, 0);
    put32(w, snaplen);
    if (nl)
        put_opt(w, IF_NAME, name, nl);
    if (dl)
        put_opt(w, IF_DESCRIPTION, description, dl);
    uint8_t res = 9; /* 10^-9 s: the store keeps nanoseconds */
    put_opt(w, IF_TSRESOL, &res, 1);
    put_opt(w, OPT_ENDOFOPT, NULL, 0);
    put32(w, (uint32_t)total);
    return 0;
}

int apc__ngw_epb(apc__ngw_t *w, const apc__ngpkt_t *p)
{
    size_t opts = 0;
    for (size_t i = 0; i < p->n_comments; i++) {
        size_t cl = clip(p->comments[i]);
        if (cl)
            opts += opt_len(cl);
    }
    if (p->direction)
        opts += opt_len(4);
    if (p->has_pid_tid)
        opts += opt_len(8);
    if (opts)
        opts += 4;
    size_t total = 32 + pad4(p->caplen) + opts;
    int r = room(w, total);
    if (r < 0)
        return r;
    uint64_t ts = (uint64_t)p->ts_ns;
    put32(w, BT_EPB);
    put32(w, (uint32_t)total);
    put32(w, p->iface);
    put32(w, (uint32_t)(ts >> 32));
    put32(w, (uint32_t)ts);
    put32(w, p->caplen);
    put32(w, p->wirelen);
    if (p->caplen)
        put(w, p->data, p->caplen);
    pad(w, p->caplen);
    for (size_t i = 0; i < p->n_comments; i++) {
        size_t cl = clip(p->comments[i]);
        if (cl)
            put_opt(w, OPT_COMMENT, p->comments[i], cl);
    }
    if (p->direction) {
        uint32_t f = (uint32_t)p->direction & 3;
        put_opt(w, EPB_FLAGS, &f, 4);
    }
    if (p->has_pid_tid) {
        uint32_t v[2] = {p->pid, p->tid};
        put_opt(w, EPB_PID_TID, v, 8);
    }
    if (opts)
        put_opt(w, OPT_ENDOFOPT, NULL, 0);
    put32(w, (uint32_t)total);
    return 0;
}
