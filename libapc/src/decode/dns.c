/* SPDX-License-Identifier: MIT */
/*
 * DNS responses (RFC 1035 section 4.1; AAAA from RFC 3596): the A and AAAA answers with their
 * owner names, for the IP table. A message is untrusted: names are read with bounds checks and
 * compression pointers must point backwards (RFC 1035 4.1.4, "a prior occurrence"), which
 * makes loops impossible; a hop limit bounds the work anyway.
 */
#include <string.h>

#include "decode/bytes.h"
#include "decode/decode.h"
#include "decode/dns_int.h"

#define MAX_PTR_HOPS 64 /* pointers followed in one name */
#define MAX_CNAMES 16   /* CNAME records remembered for the chain from the question name */
#define MAX_CHAIN 16    /* CNAME hops followed from the question name */

#define T_A 1
#define T_CNAME 5
#define T_AAAA 28

static void put_char(char *out, size_t outsz, size_t *o, char ch)
{
    if (out && *o + 1 < outsz)
        out[*o] = ch;
    (*o)++;
}

int apc__dns_name(const uint8_t *msg, size_t len, size_t off, size_t *next, char *out, size_t outsz)
{
    apc__cur_t c = {msg, len};
    size_t pos = off, o = 0, wire = 1;
    int jumped = 0, hops = 0;
    for (;;) {
        if (!apc__need(&c, pos, 1))
            return APC__DNS_TRUNC;
        uint8_t b = apc__u8(&c, pos);
        if ((b & 0xc0) == 0xc0) {
            if (!apc__need(&c, pos, 2))
                return APC__DNS_TRUNC;
            size_t ptr = (size_t)(b & 0x3f) << 8 | apc__u8(&c, pos + 1);
            if (!jumped && next)
                *next = pos + 2;
            if (ptr >= pos || ++hops > MAX_PTR_HOPS)
                return APC__DNS_BAD;
            pos = ptr;
            jumped = 1;
            continue;
        }
        if (b & 0xc0)
            return APC__DNS_BAD; /* 0x40/0x80 label types: extended labels, never deployed */
        if (b == 0) {
            if (!jumped && next)
                *next = pos + 1;
            break;
        }
        if (!apc__need(&c, pos + 1, b))
            return APC__DNS_TRUNC;
        wire += (size_t)b + 1;
        if (wire > 255)
            return APC__DNS_BAD; /* RFC 1035 2.3.4: 255 octets at most */
        if (o)
            put_char(out, outsz, &o, '.');
        for (size_t i = 0; i < b; i++) {
            uint8_t ch = apc__u8(&c, pos + 1 + i);
            if (ch >= 'A' && ch <= 'Z')
                ch = (uint8_t)(ch - 'A' + 'a');
            if (ch == '.' || ch == '\\') {
                put_char(out, outsz, &o, '\\');
                put_char(out, outsz, &o, (char)ch);
            } else if (ch < 0x21 || ch > 0x7e) {
                /* master-file escape \DDD (RFC 1035 5.1) keeps the text unambiguous */
                put_char(out, outsz, &o, '\\');
                put_char(out, outsz, &o, (char)('0' + ch / 100));
                put_char(out, outsz, &o, (char)('0' + ch / 10 % 10));
                put_char(out, outsz, &o, (char)('0' + ch % 10));
            } else {
                put_char(out, outsz, &o, (char)ch);
            }
        }
        pos += 1 + (size_t)b;
    }
    if (o == 0)
        put_char(out, outsz, &o, '.');
    if (out && outsz)
        out[o < outsz ? o : outsz - 1] = '\0';
    return 0;
}

typedef struct rr {
    size_t owner; /* offset of the owner name */
    uint16_t type, klass, rdlen;
    size_t rdata; /* offset of rdata */
    size_t end;   /* offset after the record */
} rr_t;

/* One resource record (RFC 1035 4.1.3) at off. */
static int read_rr(const uint8_t *msg, size_t len, size_t off, rr_t *r)
{
    apc__cur_t c = {msg, len};
    size_t p;
    int rc = apc__dns_name(msg, len, off, &p, NULL, 0);
    if (rc)
        return rc;
    if (!apc__need(&c, p, 10))
        return APC__DNS_TRUNC;
    r->owner = off;
    r->type = apc__be16(&c, p);
    r->klass = apc__be16(&c, p + 2) & 0x7fff; /* mDNS cache-flush bit (RFC 6762 10.2) */
    r->rdlen = apc__be16(&c, p + 8);
    r->rdata = p + 10;
    if (!apc__need(&c, r->rdata, r->rdlen))
        return APC__DNS_TRUNC;
    r->end = r->rdata + r->rdlen;
    return 0;
}

int apc__dns_skip_question(const uint8_t *msg, size_t len, size_t off, size_t *next)
{
    apc__cur_t c = {msg, len};
    size_t p;
    int rc = apc__dns_name(msg, len, off, &p, NULL, 0);
    if (rc)
        return rc;
    if (!apc__need(&c, p, 4))
        return APC__DNS_TRUNC;
    *next = p + 4;
    return 0;
}

/* 1 when `owner` is reached from the question name through the remembered CNAMEs. */
static int via_cname(const uint8_t *msg, size_t len, const char *qname, const char *owner,
                     const size_t (*cn)[2], int ncn)
{
    char cur[APC__DNS_NAME_MAX], tmp[APC__DNS_NAME_MAX];
    strcpy(cur, qname);
    for (int hop = 0; hop < MAX_CHAIN; hop++) {
        int found = 0;
        for (int i = 0; i < ncn && !found; i++) {
            if (apc__dns_name(msg, len, cn[i][0], NULL, tmp, sizeof(tmp)) || strcmp(tmp, cur))
                continue;
            if (apc__dns_name(msg, len, cn[i][1], NULL, cur, sizeof(cur)))
                return 0;
            found = 1;
        }
        if (!found)
            return 0;
        if (!strcmp(cur, owner))
            return 1;
    }
    return 0;
}

int apc__dns_answers(const uint8_t *msg, size_t len, apc__dns_answer_cb cb, void *payload)
{
    apc__cur_t c = {msg, len};
    if (!msg || !apc__need(&c, 0, 12))
        return -1;
    if (!(apc__u8(&c, 2) & 0x80))
        return -1; /* QR clear: a query */
    unsigned qd = apc__be16(&c, 4), an = apc__be16(&c, 6);
    size_t off = 12, qname_off = 0;
    for (unsigned i = 0; i < qd; i++) {
        if (i == 0)
            qname_off = off;
        if (apc__dns_skip_question(msg, len, off, &off))
            return -1;
    }

    /* Pass 1 checks every answer before any callback and remembers the CNAMEs; records cut off
     * by the end of the message (a first IP fragment, a snap length) end the section. */
    size_t cn[MAX_CNAMES][2];
    int ncn = 0;
    unsigned complete = 0;
    size_t p = off;
    for (; complete < an; complete++) {
        rr_t r;
        int rc = read_rr(msg, len, p, &r);
        if (rc == APC__DNS_TRUNC)
            break;
        if (rc)
            return -1;
        if (r.type == T_CNAME && r.klass == 1) {
            size_t tend;
            rc = apc__dns_name(msg, len, r.rdata, &tend, NULL, 0);
            if (rc == APC__DNS_BAD || (rc == 0 && tend != r.end))
                return -1;
            if (rc == 0 && ncn < MAX_CNAMES) {
                cn[ncn][0] = r.owner;
                cn[ncn][1] = r.rdata;
                ncn++;
            }
        }
        p = r.end;
    }

    char qname[APC__DNS_NAME_MAX], owner[APC__DNS_NAME_MAX];
    int have_q = qd > 0 && apc__dns_name(msg, len, qname_off, NULL, qname, sizeof(qname)) == 0;
    int n = 0;
    p = off;
    for (unsigned i = 0; i < complete; i++) {
        rr_t r;
        if (read_rr(msg, len, p, &r))
            return -1; /* cannot happen: pass 1 read it */
        p = r.end;
        int ver = r.type == T_A && r.rdlen == 4 ? 4 : r.type == T_AAAA && r.rdlen == 16 ? 6 : 0;
        if (!ver || r.klass != 1)
            continue;
        if (apc__dns_name(msg, len, r.owner, NULL, owner, sizeof(owner)))
            return -1;
        if (cb)
            cb(owner, ver, msg + r.rdata, payload);
        n++;
        if (have_q && strcmp(qname, owner) && via_cname(msg, len, qname, owner, cn, ncn)) {
            if (cb)
                cb(qname, ver, msg + r.rdata, payload);
            n++;
        }
    }
    return n;
}
