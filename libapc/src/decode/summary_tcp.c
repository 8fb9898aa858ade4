/* SPDX-License-Identifier: MIT */
/* TCP part of the summary: tcpdump's default line with absolute sequence numbers (-S), options
 * as tcpdump prints them (RFC 9293 3.2 kinds, RFC 7323 window scale and timestamps, RFC 2018
 * SACK, RFC 7413 fast open). */
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
            apc__sb_puts(s, "eol");
            off++;
            continue;
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
}
