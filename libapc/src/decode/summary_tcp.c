/* SPDX-License-Identifier: MIT */
/* TCP part of the summary: tcpdump's default line with absolute sequence numbers (-S), options
 * as tcpdump prints them (RFC 9293 3.2 kinds, RFC 7323 window scale and timestamps, RFC 2018
 * SACK, RFC 7413 fast open). */
#include <string.h>

#include "decode/summary_int.h"

static void tcp_options(apc__sb_t *s, const apc__cur_t *c, size_t off, size_t end)
{
    apc__sb_puts(s, ", options [");
    int first = 1;
    while (off < end) {
        uint8_t kind = apc__u8(c, off);
        if (!first)
            apc__sb_puts(s, ",");
        first = 0;
        if (kind == 0) {
            apc__sb_puts(s, "eol"); /* end of list: what follows is padding */
            break;
        }
        if (kind == 1) {
            apc__sb_puts(s, "nop");
            off++;
            continue;
        }
        if (off + 1 >= end) {
            apc__sb_puts(s, "[|tcp]");
            break;
        }
        uint8_t olen = apc__u8(c, off + 1);
        if (olen < 2 || olen > end - off) {
            apc__sb_printf(s, "[bad opt %u]", kind);
            break;
        }
        size_t d = off + 2, dl = (size_t)olen - 2;
        if (kind == 2 && dl == 2) {
            apc__sb_printf(s, "mss %u", apc__be16(c, d));
        } else if (kind == 3 && dl == 1) {
            apc__sb_printf(s, "wscale %u", apc__u8(c, d));
        } else if (kind == 4 && dl == 0) {
            apc__sb_puts(s, "sackOK");
        } else if (kind == 5 && dl % 8 == 0) {
            apc__sb_printf(s, "sack %zu", dl / 8);
            for (size_t i = 0; i < dl; i += 8)
                apc__sb_printf(s, " {%u:%u}", apc__be32(c, d + i), apc__be32(c, d + i + 4));
        } else if (kind == 8 && dl == 8) {
            apc__sb_printf(s, "TS val %u ecr %u", apc__be32(c, d), apc__be32(c, d + 4));
        } else if (kind == 34) {
            if (dl == 0) {
                apc__sb_puts(s, "tfo  cookiereq");
            } else {
                apc__sb_puts(s, "tfo  cookie ");
                for (size_t i = 0; i < dl; i++)
                    apc__sb_printf(s, "%02x", apc__u8(c, d + i));
            }
        } else {
            /* Multipath TCP and the rest: kind and length only (tcpdump decodes more). */
            apc__sb_printf(s, "%s %u", kind == 30 ? "mptcp" : "opt", olen);
            if (kind != 30)
                apc__sb_printf(s, "-%u", kind);
        }
        off += olen;
    }
    apc__sb_puts(s, "]");
}

/* tcpdump's short HTTP note: ": HTTP", plus the first line when it is a request line (known
 * method) or a status line (3-digit second token), as RFC 9112 section 3 and 4 shape them. */
static void http_line(apc__sb_t *s, const uint8_t *d, size_t n)
{
    static const char *const methods[] = {
        "OPTIONS",  "GET",       "HEAD",  "POST", "PUT",  "DELETE", "TRACE",  "CONNECT", "PATCH",
        "PROPFIND", "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK",   "UNLOCK", "SEARCH"};
    apc__sb_puts(s, ": HTTP");
    size_t e = 0;
    while (e < n && e < 300 && d[e] != '\r' && d[e] != '\n') {
        if (d[e] < 0x20 || d[e] > 0x7e)
            return;
        e++;
    }
    if (e == n || e == 300)
        return; /* no line end in what was captured */
    size_t t1 = 0;
    while (t1 < e && d[t1] != ' ')
        t1++;
    int ok = 0;
    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]) && !ok; i++)
        ok = strlen(methods[i]) == t1 && !memcmp(methods[i], d, t1);
    if (!ok && t1 + 4 <= e && d[t1 + 1] >= '0' && d[t1 + 1] <= '9' && d[t1 + 2] >= '0' &&
        d[t1 + 2] <= '9' && d[t1 + 3] >= '0' && d[t1 + 3] <= '9' &&
        (t1 + 4 == e || d[t1 + 4] == ' '))
        ok = 1;
    if (ok)
        apc__sb_printf(s, ": %.*s", (int)e, (const char *)d);
}

void apc__summary_tcp(apc__sb_t *s, const apc__pkt_t *p, const apc__cur_t *c)
{
    /* tcpdump's letters, in its order: F S R P . U E W. */
    static const struct {
        uint8_t bit;
        char ch;
    } fl[] = {{0x01, 'F'}, {0x02, 'S'}, {0x04, 'R'}, {0x08, 'P'},
              {0x10, '.'}, {0x20, 'U'}, {0x40, 'E'}, {0x80, 'W'}};
    char f[9];
    size_t nf = 0;
    for (size_t i = 0; i < sizeof(fl) / sizeof(fl[0]); i++)
        if (p->tcp_flags & fl[i].bit)
            f[nf++] = fl[i].ch;
    f[nf] = '\0';
    apc__sb_printf(s, "Flags [%s]", nf ? f : "none");
    uint32_t len = p->payload_len;
    /* tcpdump prints seq only when it means something: data or a SYN/FIN/RST. */
    if (len || (p->tcp_flags & 0x07)) {
        apc__sb_printf(s, ", seq %u", p->tcp_seq);
        if (len)
            apc__sb_printf(s, ":%u", p->tcp_seq + len);
    }
    if (p->tcp_flags & 0x10)
        apc__sb_printf(s, ", ack %u", p->tcp_ack);
    apc__sb_printf(s, ", win %u", p->tcp_win);
    size_t l4 = p->l4_off;
    if ((p->tcp_flags & 0x20) && apc__need(c, l4, 20))
        apc__sb_printf(s, ", urg %u", apc__be16(c, l4 + 18));
    size_t hl = apc__need(c, l4, 13) ? (size_t)(apc__u8(c, l4 + 12) >> 4) * 4 : 0;
    if (hl > 20 && apc__need(c, l4, hl))
        tcp_options(s, c, l4 + 20, l4 + hl);
    apc__sb_printf(s, ", length %u", len);
    if (len && p->payload_caplen &&
        (p->sport == 80 || p->dport == 80 || p->sport == 8080 || p->dport == 8080))
        http_line(s, c->p + p->payload_off, p->payload_caplen);
}
