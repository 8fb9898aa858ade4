/* SPDX-License-Identifier: MIT */
/* Literals: numbers, ranges, IPv4/IPv6 with prefix, MAC addresses, strings, times. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/error.h"
#include "search/value.h"

static int bad(char *msg, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int bad(char *msg, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, n, fmt, ap);
    va_end(ap);
    return APC_EINVAL;
}

/* Decimal or 0x hex, no sign, no overflow. */
static int parse_num(const char *w, size_t n, uint64_t *out)
{
    int base = 10;
    size_t i = 0;
    if (n > 2 && w[0] == '0' && (w[1] == 'x' || w[1] == 'X')) {
        base = 16;
        i = 2;
    }
    if (i >= n)
        return -1;
    uint64_t v = 0;
    for (; i < n; i++) {
        int d;
        unsigned char c = (unsigned char)w[i];
        if (isdigit(c))
            d = c - '0';
        else if (base == 16 && isxdigit(c))
            d = tolower(c) - 'a' + 10;
        else
            return -1;
        if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base)
            return -2;
        v = v * (uint64_t)base + (uint64_t)d;
    }
    *out = v;
    return 0;
}

static int parse_addr(int fam, const char *w, size_t n, apc__fval_t *v)
{
    char buf[64];
    const char *slash = memchr(w, '/', n);
    size_t alen = slash ? (size_t)(slash - w) : n;
    if (alen == 0 || alen >= sizeof buf)
        return -1;
    memcpy(buf, w, alen);
    buf[alen] = '\0';
    int maxp = fam == 4 ? 32 : 128;
    if (inet_pton(fam == 4 ? AF_INET : AF_INET6, buf, v->addr) != 1)
        return -1;
    v->prefix = maxp;
    if (slash) {
        uint64_t p;
        if (parse_num(slash + 1, n - alen - 1, &p) < 0 || p > (uint64_t)maxp)
            return -2;
        v->prefix = (int)p;
        /* keep only the network part so equal networks normalize alike */
        for (int b = v->prefix; b < maxp; b++)
            v->addr[b / 8] &= (uint8_t) ~(0x80u >> (b % 8));
    }
    v->kind = V_ADDR;
    return 0;
}

static int parse_mac(const char *w, size_t n, uint8_t *mac)
{
    size_t k = 0, i = 0;
    while (i < n && k < 12) {
        unsigned char c = (unsigned char)w[i];
        if (c == ':' || c == '-' || c == '.') {
            i++;
            continue;
        }
        if (!isxdigit(c))
            return -1;
        int d = isdigit(c) ? c - '0' : tolower(c) - 'a' + 10;
        if (k % 2 == 0)
            mac[k / 2] = (uint8_t)(d << 4);
        else
            mac[k / 2] |= (uint8_t)d;
        k++;
        i++;
    }
    return k == 12 && i == n ? 0 : -1;
}

int apc__time_parse(const char *s, size_t n, int64_t *ns)
{
    char buf[64];
    if (n == 0 || n >= sizeof buf)
        return -1;
    memcpy(buf, s, n);
    buf[n] = '\0';
    int Y, M, D, h = 0, m = 0, sec = 0, used = 0;
    if (sscanf(buf, "%4d-%2d-%2d%n", &Y, &M, &D, &used) != 3 || used != 10)
        return -1;
    const char *p = buf + used;
    int64_t frac = 0;
    if (*p == 'T' || *p == ' ') {
        int u2 = 0;
        if (sscanf(p + 1, "%2d:%2d:%2d%n", &h, &m, &sec, &u2) != 3 || u2 != 8)
            return -1;
        p += 1 + u2;
        if (*p == '.') {
            p++;
            int digits = 0;
            while (isdigit((unsigned char)*p)) {
                if (digits < 9) {
                    frac = frac * 10 + (*p - '0');
                    digits++;
                }
                p++;
            }
            if (digits == 0)
                return -1;
            while (digits++ < 9)
                frac *= 10;
        }
    }
    if (*p == 'Z')
        p++;
    if (*p || M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 || sec > 60)
        return -1;
    struct tm tm = {0};
    tm.tm_year = Y - 1900;
    tm.tm_mon = M - 1;
    tm.tm_mday = D;
    tm.tm_hour = h;
    tm.tm_min = m;
    tm.tm_sec = sec;
    time_t t = timegm(&tm);
    /* Nanoseconds since 1970 fit an int64 from 1677 to 2262: a year outside is refused, not
     * wrapped (signed overflow is undefined behaviour). */
    int64_t whole;
    if (__builtin_mul_overflow((int64_t)t, 1000000000LL, &whole) ||
        __builtin_add_overflow(whole, frac, ns))
        return -1;
    return 0;
}

static const char *type_name(int t)
{
    switch (t) {
    case FT_UINT:
        return "a number";
    case FT_BOOL:
        return "0 or 1 (or true/false)";
    case FT_IPV4:
        return "an IPv4 address, optionally with /prefix";
    case FT_IPV6:
        return "an IPv6 address, optionally with /prefix";
    case FT_MAC:
        return "a MAC address like 00:11:22:33:44:55";
    case FT_TIME:
        return "a UTC time like \"2024-01-31 12:00:00\" (ISO 8601)";
    default:
        return "a string in double quotes";
    }
}

static int parse_uint_value(const apc__field_t *f, const char *w, size_t n, apc__fval_t *v,
                            char *msg, size_t msgn)
{
    const char *dots = NULL;
    for (size_t i = 0; i + 1 < n; i++)
        if (w[i] == '.' && w[i + 1] == '.') {
            dots = w + i;
            break;
        }
    uint64_t lo, hi;
    int r = parse_num(w, dots ? (size_t)(dots - w) : n, &lo);
    if (r == 0 && dots)
        r = parse_num(dots + 2, n - (size_t)(dots - w) - 2, &hi);
    if (r == -2)
        return bad(msg, msgn, "`%.*s` is too large for %s", (int)n, w, f->name);
    if (r < 0)
        return bad(msg, msgn, "`%.*s` is not valid for %s: it takes %s%s", (int)n, w, f->name,
                   type_name(f->type), f->type == FT_UINT ? " (or a range like 1000..2000)" : "");
    if (!dots)
        hi = lo;
    if (lo > f->max || hi > f->max)
        return bad(msg, msgn, "%llu is out of range for %s: it is 0 to %llu",
                   (unsigned long long)(lo > f->max ? lo : hi), f->name,
                   (unsigned long long)f->max);
    if (hi < lo)
        return bad(msg, msgn, "the range %.*s is empty: write the smaller bound first", (int)n, w);
    v->kind = dots ? V_RANGE : V_NUM;
    v->lo = lo;
    v->hi = hi;
    return 0;
}

int apc__val_parse(const apc__field_t *f, int op, int quoted, const char *str, size_t slen,
                   const char *word, size_t wlen, apc__fval_t *v, char *msg, size_t msgn)
{
    memset(v, 0, sizeof *v);
    int shown = wlen < 60 ? (int)wlen : 60;
    /* strings: quoted, or a bare word taken as written (as Wireshark allows) */
    if (f->type == FT_STRING || f->type == FT_BYTES || op == OP_MATCHES) {
        if (!quoted && f->type == FT_BYTES) {
            /* frame contains 47:45:54 - bytes in hex */
            uint8_t *b = malloc(wlen / 2 + 1);
            size_t k = 0;
            if (!b)
                return bad(msg, msgn, "out of memory");
            for (size_t i = 0; i < wlen;) {
                if (i + 1 < wlen && isxdigit((unsigned char)word[i]) &&
                    isxdigit((unsigned char)word[i + 1])) {
                    char hx[3] = {word[i], word[i + 1], 0};
                    b[k++] = (uint8_t)strtoul(hx, NULL, 16);
                    i += 2;
                    if (i < wlen && word[i] == ':' && i + 1 < wlen)
                        i++;
                    continue;
                }
                free(b);
                return bad(msg, msgn,
                           "`%.*s` is not a byte string: write text in double quotes or bytes "
                           "in hex like 47:45:54",
                           shown, word);
            }
            b[k] = 0;
            v->kind = V_STR;
            v->s = (char *)b;
            v->slen = k;
            return 0;
        }
        v->kind = V_STR;
        v->slen = quoted ? slen : wlen;
        v->s = malloc(v->slen + 1);
        if (!v->s)
            return bad(msg, msgn, "out of memory");
        memcpy(v->s, quoted ? str : word, v->slen);
        v->s[v->slen] = '\0';
        return 0;
    }
    if (f->type == FT_TIME) {
        int64_t ns;
        const char *s = quoted ? str : word;
        size_t n = quoted ? slen : wlen;
        uint64_t secs;
        if (apc__time_parse(s, n, &ns) == 0 || (parse_num(s, n, &secs) == 0 && secs < 1ULL << 33 &&
                                                (ns = (int64_t)secs * 1000000000LL, 1))) {
            v->kind = V_NUM;
            v->lo = v->hi = (uint64_t)ns;
            return 0;
        }
        return bad(msg, msgn, "`%.*s` is not a time: %s takes %s, or seconds since 1970",
                   n < 60 ? (int)n : 60, s, f->name, type_name(f->type));
    }
    if (quoted)
        return bad(msg, msgn, "%s takes %s, not a string; remove the quotes", f->name,
                   type_name(f->type));
    switch (f->type) {
    case FT_BOOL:
        if ((wlen == 1 && (word[0] == '0' || word[0] == '1'))) {
            v->kind = V_NUM;
            v->lo = v->hi = (uint64_t)(word[0] - '0');
            return 0;
        }
        if ((wlen == 4 && strncasecmp(word, "true", 4) == 0) ||
            (wlen == 5 && strncasecmp(word, "false", 5) == 0)) {
            v->kind = V_NUM;
            v->lo = v->hi = wlen == 4;
            return 0;
        }
        return bad(msg, msgn, "`%.*s` is not valid for %s: it takes %s", shown, word, f->name,
                   type_name(f->type));
    case FT_UINT:
        return parse_uint_value(f, word, wlen, v, msg, msgn);
    case FT_IPV4:
    case FT_IPV6: {
        int fam = f->type == FT_IPV4 ? 4 : 6;
        int r = parse_addr(fam, word, wlen, v);
        if (r == -2)
            return bad(msg, msgn, "bad prefix length in `%.*s`: it is 0 to %d", shown, word,
                       fam == 4 ? 32 : 128);
        if (r < 0) {
            apc__fval_t other;
            if (parse_addr(fam == 4 ? 6 : 4, word, wlen, &other) == 0)
                return bad(
                    msg, msgn, "`%.*s` is an IPv%d address: use %s", shown, word, fam == 4 ? 6 : 4,
                    fam == 4 ? "ipv6.addr, ipv6.src or ipv6.dst" : "ip.addr, ip.src or ip.dst");
            return bad(msg, msgn, "`%.*s` is not valid for %s: it takes %s", shown, word, f->name,
                       type_name(f->type));
        }
        return 0;
    }
    case FT_MAC:
        if (parse_mac(word, wlen, v->addr) < 0)
            return bad(msg, msgn, "`%.*s` is not valid for %s: it takes %s", shown, word, f->name,
                       type_name(f->type));
        v->kind = V_MAC;
        return 0;
    default:
        return bad(msg, msgn, "%s takes no value", f->name);
    }
}

static void write_str(FILE *out, const char *s, size_t n)
{
    fputc('"', out);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            fprintf(out, "\\%c", c);
        else if (c == '\n')
            fputs("\\n", out);
        else if (c == '\r')
            fputs("\\r", out);
        else if (c == '\t')
            fputs("\\t", out);
        else if (c < 0x20 || c == 0x7f)
            fprintf(out, "\\x%02x", c);
        else
            fputc(c, out);
    }
    fputc('"', out);
}

void apc__val_write(FILE *out, const apc__field_t *f, const apc__fval_t *v)
{
    char buf[64];
    switch (v->kind) {
    case V_STR:
        write_str(out, v->s, v->slen);
        break;
    case V_NUM:
        if (f->type == FT_TIME) {
            int64_t ns = (int64_t)v->lo;
            time_t t = (time_t)(ns / 1000000000LL);
            int64_t frac = ns % 1000000000LL;
            if (frac < 0) {
                frac += 1000000000LL;
                t--;
            }
            struct tm tm;
            gmtime_r(&t, &tm);
            strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
            fprintf(out, "\"%s.%09lldZ\"", buf, (long long)frac);
        } else {
            fprintf(out, "%llu", (unsigned long long)v->lo);
        }
        break;
    case V_RANGE:
        fprintf(out, "%llu..%llu", (unsigned long long)v->lo, (unsigned long long)v->hi);
        break;
    case V_ADDR: {
        int fam = f->type == FT_IPV4 ? AF_INET : AF_INET6;
        inet_ntop(fam, v->addr, buf, sizeof buf);
        fputs(buf, out);
        if (v->prefix != (fam == AF_INET ? 32 : 128))
            fprintf(out, "/%d", v->prefix);
        break;
    }
    case V_MAC:
        fprintf(out, "%02x:%02x:%02x:%02x:%02x:%02x", v->addr[0], v->addr[1], v->addr[2],
                v->addr[3], v->addr[4], v->addr[5]);
        break;
    }
}
