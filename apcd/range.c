/* SPDX-License-Identifier: MIT */
/*
 * The two header values of a download (download.c) that come from or go to a client: a
 * Range request header (RFC 9110 section 14.1.2: one "bytes=A-B", "bytes=A-" or "bytes=-N";
 * several ranges are answered with the whole file, which section 14.2 allows) and the
 * Content-Disposition of an attachment (RFC 6266: an ASCII filename and a UTF-8 filename*).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parsers.h"

static int digits(const char *p)
{
    return *p >= '0' && *p <= '9';
}

int apcd_range_parse(const char *r, unsigned long long size, unsigned long long *from,
                     unsigned long long *len)
{
    if (strncmp(r, "bytes=", 6) != 0 || strchr(r, ','))
        return 0;
    const char *p = r + 6;
    char *end;
    if (*p == '-') {
        if (!digits(p + 1))
            return 0;
        unsigned long long n = strtoull(p + 1, &end, 10);
        if (*end)
            return 0;
        if (n == 0 || size == 0)
            return -1;
        *len = n < size ? n : size;
        *from = size - *len;
        return 1;
    }
    if (!digits(p))
        return 0;
    unsigned long long a = strtoull(p, &end, 10), b = size ? size - 1 : 0;
    if (*end != '-')
        return 0;
    p = end + 1;
    if (*p) {
        if (!digits(p))
            return 0;
        b = strtoull(p, &end, 10);
        if (*end || b < a)
            return 0;
        if (b >= size)
            b = size - 1;
    }
    if (a >= size)
        return -1;
    *from = a;
    *len = b - a + 1;
    return 1;
}

void apcd_disposition(const char *name, char *out, size_t n)
{
    char ascii[APCD_NAME_MAX + 1], pct[3 * APCD_NAME_MAX + 1];
    size_t a = 0, q = 0;
    for (const unsigned char *c = (const unsigned char *)name; *c && a < APCD_NAME_MAX; c++) {
        int safe = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
                   (*c >= '0' && *c <= '9') || *c == '.' || *c == '-' || *c == '_';
        ascii[a] = safe && !(a == 0 && *c == '.') ? (char)*c : '_';
        a++;
        if (safe)
            pct[q++] = (char)*c;
        else
            q += (size_t)snprintf(pct + q, 4, "%%%02X", *c);
    }
    ascii[a] = pct[q] = '\0';
    snprintf(out, n, "attachment; filename=\"%s\"; filename*=UTF-8''%s", a ? ascii : "download",
             q ? pct : "download");
}
