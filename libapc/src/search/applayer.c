/* SPDX-License-Identifier: MIT */
/*
 * Small application-layer parsers for the filter fields dns.qry.name, http.*, tls.sni (over
 * TCP, and from QUIC client Initials: search/quic.c). They read one packet's transport payload
 * only (no stream reassembly), bounds-checked at every step; a field whose bytes are not all in
 * this packet is simply absent (docs/filters.md).
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "search/filter.h"
#include "search/quic.h"

/* RFC 1035 section 4.1.1 (header) and 4.1.2 (question): the first question's QNAME. Labels
 * are joined with dots as written; a compression pointer (section 4.1.4) is followed at most
 * 16 times. The root name is "<Root>", as Wireshark shows it. */
int apc__dns_qname(const uint8_t *msg, size_t len, char *out, size_t n)
{
    if (len < 12 || n < 8)
        return -1;
    unsigned qd = (unsigned)msg[4] << 8 | msg[5];
    if (qd == 0)
        return -1;
    size_t off = 12, o = 0;
    int jumps = 0;
    for (;;) {
        if (off >= len)
            return -1;
        uint8_t l = msg[off];
        if ((l & 0xc0) == 0xc0) {
            if (off + 1 >= len || ++jumps > 16)
                return -1;
            off = (size_t)(l & 0x3f) << 8 | msg[off + 1];
            continue;
        }
        if (l & 0xc0)
            return -1; /* extended label types (RFC 6891) are not names */
        if (l == 0)
            break;
        if (off + 1 + l > len || o + l + 2 > n)
            return -1;
        if (o)
            out[o++] = '.';
        memcpy(out + o, msg + off + 1, l);
        o += l;
        off += 1u + l;
    }
    if (o == 0) {
        strcpy(out, "<Root>");
        return 6;
    }
    out[o] = '\0';
    return (int)o;
}

static int is_tchar(int c)
{
    return isalnum(c) || strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* RFC 9112 section 3: request-line = method SP request-target SP HTTP-version CRLF, then
 * header fields (section 5) up to an empty line; RFC 9110 section 7.2: Host. */
int apc__http_request(const uint8_t *p, size_t len, apc__fapp_t *app)
{
    size_t i = 0;
    while (i < len && i < sizeof app->http_method - 1 && is_tchar(p[i]) && p[i] != ' ')
        i++;
    if (i == 0 || i >= len || p[i] != ' ')
        return -1;
    size_t mlen = i;
    size_t us = ++i;
    while (i < len && p[i] != ' ' && p[i] != '\r' && p[i] != '\n')
        i++;
    if (i >= len || p[i] != ' ' || i == us)
        return -1;
    size_t ulen = i - us;
    i++;
    if (len - i < 10 || memcmp(p + i, "HTTP/1.", 7) != 0 || !isdigit(p[i + 7]))
        return -1;
    i += 8;
    if (p[i] == '\r')
        i++;
    if (i >= len || p[i] != '\n')
        return -1;
    i++;
    if (ulen >= sizeof app->http_uri)
        return -1;
    memcpy(app->http_method, p, mlen);
    app->http_method[mlen] = '\0';
    app->method_len = mlen;
    memcpy(app->http_uri, p + us, ulen);
    app->http_uri[ulen] = '\0';
    app->uri_len = ulen;
    app->has_http_req = 1;
    /* header lines */
    while (i < len) {
        size_t ls = i;
        while (i < len && p[i] != '\n')
            i++;
        if (i >= len)
            break; /* a header cut by the end of the packet is not used */
        size_t le = i;
        if (le > ls && p[le - 1] == '\r')
            le--;
        i++;
        if (le == ls)
            break;
        if (le - ls > 5 && strncasecmp((const char *)p + ls, "host:", 5) == 0) {
            size_t vs = ls + 5, ve = le;
            while (vs < ve && (p[vs] == ' ' || p[vs] == '\t'))
                vs++;
            while (ve > vs && (p[ve - 1] == ' ' || p[ve - 1] == '\t'))
                ve--;
            if (ve - vs < sizeof app->http_host) {
                memcpy(app->http_host, p + vs, ve - vs);
                app->http_host[ve - vs] = '\0';
                app->host_len = ve - vs;
                app->has_host = 1;
            }
            break;
        }
    }
    return 0;
}

/* RFC 8446 section 4 (handshake), 4.1.2 (ClientHello), 4.2 (extensions); RFC 6066 section 3
 * (server_name: a list of (name_type, HostName)). p is the handshake message, from its type. A
 * HostName is ASCII without control bytes (RFC 6066 section 3, RFC 5890): one with a NUL or
 * another control byte is refused, so no name shown or matched is cut at a NUL. */
int apc__tls_hello_sni(const uint8_t *p, size_t len, char *out, size_t n)
{
    if (len < 4 || p[0] != 1)
        return -1;
    size_t hlen = (size_t)p[1] << 16 | (size_t)p[2] << 8 | p[3];
    size_t end = 4 + hlen < len ? 4 + hlen : len;
    size_t off = 4 + 2 + 32; /* client_version, random */
    if (off + 1 > end)
        return -1;
    off += 1u + p[off]; /* legacy_session_id */
    if (off + 2 > end)
        return -1;
    off += 2u + ((size_t)p[off] << 8 | p[off + 1]); /* cipher_suites */
    if (off + 1 > end)
        return -1;
    off += 1u + p[off]; /* legacy_compression_methods */
    if (off + 2 > end)
        return -1;
    size_t xend = off + 2 + ((size_t)p[off] << 8 | p[off + 1]);
    off += 2;
    if (xend < end)
        end = xend;
    while (off + 4 <= end) {
        unsigned type = (unsigned)p[off] << 8 | p[off + 1];
        size_t elen = (size_t)p[off + 2] << 8 | p[off + 3];
        off += 4;
        if (off + elen > end)
            return -1;
        if (type == 0) {
            size_t l = off + 2, lend = off + elen;
            while (l + 3 <= lend) {
                unsigned nt = p[l];
                size_t nl = (size_t)p[l + 1] << 8 | p[l + 2];
                l += 3;
                if (l + nl > lend)
                    return -1;
                if (nt == 0) {
                    if (nl >= n)
                        return -1;
                    for (size_t i = 0; i < nl; i++)
                        if (p[l + i] < 0x20 || p[l + i] == 0x7f)
                            return -1;
                    memcpy(out, p + l, nl);
                    out[nl] = '\0';
                    return (int)nl;
                }
                l += nl;
            }
            return -1;
        }
        off += elen;
    }
    return -1;
}

/* RFC 8446 section 5.1: a handshake record; its first message read as a ClientHello. */
int apc__tls_sni(const uint8_t *p, size_t len, char *out, size_t n)
{
    if (len < 9 || p[0] != 22 || p[1] != 3 || p[5] != 1)
        return -1;
    size_t rlen = (size_t)p[3] << 8 | p[4];
    size_t end = 5 + rlen < len ? 5 + rlen : len;
    return apc__tls_hello_sni(p + 5, end - 5, out, n);
}

/* The dialect of a UDP message by its ports, as tshark's dissector table decides: DNS on 53,
 * mDNS on 5353 (RFC 6762), LLMNR on 5355 (RFC 4795); 53 first when both ends say something. */
static int dns_kind(unsigned sport, unsigned dport)
{
    if (sport == 53 || dport == 53)
        return APC__DNS;
    if (sport == 5353 || dport == 5353)
        return APC__MDNS;
    if (sport == 5355 || dport == 5355)
        return APC__LLMNR;
    return APC__DNS_NONE;
}

void apc__app_parse(apc__fapp_t *app, const apc__pkt_t *d, const uint8_t *data, uint32_t caplen)
{
    if (app->done)
        return;
    memset(app, 0, sizeof *app);
    app->done = 1;
    if (!d->has_l4 || d->payload_off > caplen || d->payload_caplen == 0)
        return;
    const uint8_t *pl = data + d->payload_off;
    size_t plen = d->payload_caplen;
    if (d->payload_off + plen > caplen)
        plen = caplen - d->payload_off;
    /* RFC 9000 section 17.2 / RFC 9001 section 5: a long header with the fixed bit, of a UDP
     * datagram large enough to be a client's first (RFC 9000 section 14.1: 1200 bytes). */
    if (d->ip_proto == 17 && plen >= 1200 && (pl[0] & 0xc0) == 0xc0) {
        int r = apc__quic_sni(pl, plen, app->sni, sizeof app->sni);
        if (r >= 0) {
            app->has_sni = 1;
            app->sni_quic = 1;
            app->sni_len = (size_t)r;
            return;
        }
    }
    int kind = d->ip_proto == 17 ? dns_kind(d->sport, d->dport) : APC__DNS_NONE;
    if (kind != APC__DNS_NONE) {
        /* The protocol term holds for any message with a whole header (12 bytes, RFC 1035
         * 4.1.1), with or without a question: an mDNS announcement has none. */
        if (plen >= 12)
            app->dns_kind = kind;
        int r = apc__dns_qname(pl, plen, app->dns_name, sizeof app->dns_name);
        if (r >= 0) {
            app->has_dns = 1;
            app->dns_len = (size_t)r;
        }
        return;
    }
    if (d->ip_proto != 6)
        return;
    if (d->sport == 53 || d->dport == 53) {
        if (plen > 2) {
            int r = apc__dns_qname(pl + 2, plen - 2, app->dns_name, sizeof app->dns_name);
            if (r >= 0) {
                app->has_dns = 1;
                app->dns_kind = APC__DNS;
                app->dns_len = (size_t)r;
            }
        }
        return;
    }
    if (apc__http_request(pl, plen, app) == 0)
        return;
    if (plen >= 12 && memcmp(pl, "HTTP/1.", 7) == 0 && isdigit(pl[7]) && pl[8] == ' ') {
        app->has_http_resp = 1;
        return;
    }
    if (plen >= 5 && pl[0] >= 20 && pl[0] <= 23 && pl[1] == 3 && pl[2] <= 4) {
        app->has_tls = 1;
        int r = apc__tls_sni(pl, plen, app->sni, sizeof app->sni);
        if (r >= 0) {
            app->has_sni = 1;
            app->sni_len = (size_t)r;
        }
    }
}
