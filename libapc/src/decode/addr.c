/* SPDX-License-Identifier: MIT */
/* Address text: dotted quad for IPv4, RFC 5952 section 4 canonical form for IPv6. */
#include <stdio.h>
#include <string.h>

#include "decode/decode.h"

static char *put_dec(char *o, unsigned v)
{
    if (v >= 100)
        *o++ = (char)('0' + v / 100);
    if (v >= 10)
        *o++ = (char)('0' + v / 10 % 10);
    *o++ = (char)('0' + v % 10);
    return o;
}

static char *put_hex16(char *o, unsigned v)
{
    static const char hx[] = "0123456789abcdef";
    int started = 0;
    /* RFC 5952 4.1: leading zeros suppressed; 4.3: lowercase. */
    for (int s = 12; s >= 0; s -= 4) {
        unsigned d = (v >> s) & 15;
        if (d || started || s == 0) {
            *o++ = hx[d];
            started = 1;
        }
    }
    return o;
}

static char *format4(char *o, const uint8_t *a)
{
    for (int i = 0; i < 4; i++) {
        if (i)
            *o++ = '.';
        o = put_dec(o, a[i]);
    }
    return o;
}

static void format6(char *o, const uint8_t *a)
{
    unsigned w[8];
    for (int i = 0; i < 8; i++)
        w[i] = (unsigned)a[2 * i] << 8 | a[2 * i + 1];
    /* RFC 5952 4.2: the longest run of two or more zero fields becomes "::", the first one
     * when runs tie. */
    int best = -1, best_len = 0;
    for (int i = 0; i < 8;) {
        if (w[i]) {
            i++;
            continue;
        }
        int j = i;
        while (j < 8 && !w[j])
            j++;
        if (j - i > best_len && j - i >= 2) {
            best = i;
            best_len = j - i;
        }
        i = j;
    }
    /* RFC 5952 5: IPv4-mapped addresses keep the dotted quad; like inet_ntop, so do the
     * deprecated IPv4-compatible ones (RFC 4291 2.5.5.1). */
    int mapped = best == 0 && (best_len == 6 || (best_len == 5 && w[5] == 0xffff));
    for (int i = 0; i < 8; i++) {
        if (i == best) {
            *o++ = ':';
            if (i == 0)
                *o++ = ':';
            i += best_len - 1;
            continue;
        }
        if (mapped && i == 6) {
            o = format4(o, a + 12);
            break;
        }
        o = put_hex16(o, w[i]);
        if (i < 7)
            *o++ = ':';
    }
    *o = '\0';
}

void apc__addr_format(char *buf, size_t n, int ip_ver, const uint8_t *addr)
{
    char tmp[64];
    if (!buf || n == 0)
        return;
    if (ip_ver == 4) {
        *format4(tmp, addr) = '\0';
    } else if (ip_ver == 6) {
        format6(tmp, addr);
    } else {
        strcpy(tmp, "?");
    }
    size_t l = strlen(tmp);
    if (l >= n)
        l = n - 1;
    memcpy(buf, tmp, l);
    buf[l] = '\0';
}
