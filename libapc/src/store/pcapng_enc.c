/* SPDX-License-Identifier: MIT */
/* The pcapng block encoder (see pcapng_enc.h); layouts from draft-ietf-opsawg-pcapng. */
#include "store/pcapng_enc.h"

#include <string.h>

#define BT_SHB 0x0A0D0D0Au
#define BT_IDB 0x00000001u
#define BT_EPB 0x00000006u
#define BYTE_ORDER_MAGIC 0x1A2B3C4Du
#define OPT_ENDOFOPT 0
#define SHB_USERAPPL 4
#define IF_NAME 2
#define IF_DESCRIPTION 3
#define IF_TSRESOL 9
#define OPT_MAX 65532u /* an option length is 16 bits; keep it a multiple of 4 */

/* A cursor over the caller's buffer, sized beforehand. */
typedef struct cur {
    uint8_t *p;
} cur_t;

static size_t pad4(size_t n)
{
    return (n + 3) & ~(size_t)3;
}

static size_t opt_len(size_t vlen)
{
    return 4 + pad4(vlen);
}

static size_t clip_n(size_t n)
{
    return n > OPT_MAX ? OPT_MAX : n;
}

static size_t clip(const char *s)
{
    return clip_n(s ? strlen(s) : 0);
}

static void put(cur_t *c, const void *v, size_t n)
{
    if (n)
        memcpy(c->p, v, n);
    c->p += n;
}

static void put32(cur_t *c, uint32_t v)
{
    put(c, &v, 4);
}

static void put16(cur_t *c, uint16_t v)
{
    put(c, &v, 2);
}

static void pad(cur_t *c, size_t n)
{
    size_t k = pad4(n) - n;
    memset(c->p, 0, k);
    c->p += k;
}

static void put_opt(cur_t *c, uint16_t code, const void *v, size_t n)
{
    put16(c, code);
    put16(c, (uint16_t)n);
    put(c, v, n);
    pad(c, n);
}

size_t apc__ng_shb_size(const char *comment, const char *userappl)
{
    size_t cl = clip(comment), ul = clip(userappl);
    size_t opts = (cl ? opt_len(cl) : 0) + (ul ? opt_len(ul) : 0);
    return 28 + (opts ? opts + 4 : 0);
}

void apc__ng_shb_put(uint8_t *out, size_t size, const char *comment, const char *userappl)
{
    size_t cl = clip(comment), ul = clip(userappl);
    cur_t c = {out};
    put32(&c, BT_SHB);
    put32(&c, (uint32_t)size);
    put32(&c, BYTE_ORDER_MAGIC);
    put16(&c, 1);
    put16(&c, 0);
    uint64_t section_len = UINT64_MAX; /* -1: not given (draft 4.1) */
    put(&c, &section_len, 8);
    if (cl)
        put_opt(&c, APC_NG_OPT_COMMENT, comment, cl);
    if (ul)
        put_opt(&c, SHB_USERAPPL, userappl, ul);
    if (cl || ul)
        put_opt(&c, OPT_ENDOFOPT, NULL, 0);
    put32(&c, (uint32_t)size);
}

size_t apc__ng_idb_size(const char *name, const char *description)
{
    size_t nl = clip(name), dl = clip(description);
    return 20 + opt_len(1) + (nl ? opt_len(nl) : 0) + (dl ? opt_len(dl) : 0) + 4;
}

void apc__ng_idb_put(uint8_t *out, size_t size, uint16_t linktype, uint32_t snaplen,
                     const char *name, const char *description)
{
    size_t nl = clip(name), dl = clip(description);
    cur_t c = {out};
    put32(&c, BT_IDB);
    put32(&c, (uint32_t)size);
    put16(&c, linktype);
    put16(&c, 0);
    put32(&c, snaplen);
    if (nl)
        put_opt(&c, IF_NAME, name, nl);
    if (dl)
        put_opt(&c, IF_DESCRIPTION, description, dl);
    uint8_t res = 9; /* 10^-9 s: the store keeps nanoseconds */
    put_opt(&c, IF_TSRESOL, &res, 1);
    put_opt(&c, OPT_ENDOFOPT, NULL, 0);
    put32(&c, (uint32_t)size);
}

static size_t comment_len(const apc__ng_epb_t *p, size_t i)
{
    return clip_n(p->comment_lens ? p->comment_lens[i]
                                  : (p->comments[i] ? strlen(p->comments[i]) : 0));
}

size_t apc__ng_epb_size(const apc__ng_epb_t *p)
{
    size_t opts = (p->direction ? opt_len(4) : 0) + (p->has_pid_tid ? opt_len(8) : 0);
    for (size_t i = 0; i < p->n_comments; i++) {
        size_t cl = comment_len(p, i);
        opts += cl ? opt_len(cl) : 0;
    }
    return 32 + pad4(p->caplen) + (opts ? opts + 4 : 0);
}

void apc__ng_epb_put(uint8_t *out, size_t size, const apc__ng_epb_t *p)
{
    cur_t c = {out};
    uint64_t ts = p->ts_ns < 0 ? 0 : (uint64_t)p->ts_ns;
    put32(&c, BT_EPB);
    put32(&c, (uint32_t)size);
    put32(&c, p->iface);
    put32(&c, (uint32_t)(ts >> 32));
    put32(&c, (uint32_t)ts);
    put32(&c, p->caplen);
    put32(&c, p->wirelen);
    put(&c, p->data, p->caplen);
    pad(&c, p->caplen);
    int opts = 0;
    if (p->direction) {
        uint32_t f = (uint32_t)p->direction & 3;
        put_opt(&c, APC_NG_OPT_EPB_FLAGS, &f, 4);
        opts = 1;
    }
    if (p->has_pid_tid) {
        uint32_t v[2] = {p->pid, p->tid};
        put_opt(&c, APC_NG_OPT_EPB_PID_TID, v, 8);
        opts = 1;
    }
    for (size_t i = 0; i < p->n_comments; i++) {
        size_t cl = comment_len(p, i);
        if (cl) {
            put_opt(&c, APC_NG_OPT_COMMENT, p->comments[i], cl);
            opts = 1;
        }
    }
    if (opts)
        put_opt(&c, OPT_ENDOFOPT, NULL, 0);
    put32(&c, (uint32_t)size);
}
