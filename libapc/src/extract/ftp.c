/* SPDX-License-Identifier: MIT */
/* FTP control lines (extract/ftp.h). Every read is bounded by the line's length. */
#include "extract/ftp.h"

#include <stdio.h>
#include <string.h>

/* Case-insensitive: "retr" is as good as "RETR" (RFC 959 section 5.3.1). */
static int verb_is(const char *line, size_t n, const char *verb)
{
    size_t k = strlen(verb);
    if (n < k || (n > k && line[k] != ' '))
        return 0;
    for (size_t i = 0; i < k; i++) {
        char c = line[i];
        if (c >= 'a' && c <= 'z')
            c = (char)(c - 'a' + 'A');
        if (c != verb[i])
            return 0;
    }
    return 1;
}

/* Up to `count` decimal numbers separated by `sep` from p[0..n); the count read. */
static int numbers(const char *p, size_t n, char sep, unsigned long *out, int count)
{
    int got = 0;
    size_t i = 0;
    while (got < count && i < n) {
        if (p[i] < '0' || p[i] > '9')
            return got;
        unsigned long v = 0;
        size_t start = i;
        while (i < n && p[i] >= '0' && p[i] <= '9' && i - start < 6)
            v = v * 10 + (unsigned long)(p[i++] - '0');
        out[got++] = v;
        if (got < count) {
            if (i >= n || p[i] != sep)
                return got;
            i++;
        }
    }
    return got;
}

/* h1,h2,h3,h4,p1,p2 (RFC 959 section 4.1.2, PORT and the 227 reply). */
static int host_port(const char *p, size_t n, apc__ftp_addr_t *a)
{
    unsigned long v[6];
    if (numbers(p, n, ',', v, 6) != 6)
        return 0;
    for (int i = 0; i < 6; i++)
        if (v[i] > 255)
            return 0;
    int port = (int)(v[4] * 256 + v[5]);
    if (port == 0)
        return 0;
    snprintf(a->ip, sizeof a->ip, "%lu.%lu.%lu.%lu", v[0], v[1], v[2], v[3]);
    a->port = port;
    return 1;
}

/* <d>proto<d>addr<d>port<d> (RFC 2428 section 2); d is any printable byte but digits. */
static int eprt(const char *p, size_t n, apc__ftp_addr_t *a)
{
    if (n < 7)
        return 0;
    char d = p[0];
    const char *proto = p + 1, *end = p + n;
    const char *q = memchr(proto, d, (size_t)(end - proto));
    if (!q || q - proto != 1 || (proto[0] != '1' && proto[0] != '2'))
        return 0;
    const char *addr = q + 1;
    const char *r = memchr(addr, d, (size_t)(end - addr));
    if (!r || r == addr || (size_t)(r - addr) >= sizeof a->ip)
        return 0;
    for (const char *s = addr; s < r; s++)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f') || (*s >= 'A' && *s <= 'F') ||
              *s == '.' || *s == ':'))
            return 0;
    unsigned long port;
    if (numbers(r + 1, (size_t)(end - r - 1), d, &port, 1) != 1 || port == 0 || port > 65535)
        return 0;
    memcpy(a->ip, addr, (size_t)(r - addr));
    a->ip[r - addr] = '\0';
    a->port = (int)port;
    return 1;
}

int apc__ftp_command(const char *line, size_t n, char *arg, size_t argn, apc__ftp_addr_t *a)
{
    static const struct {
        const char *verb;
        int kind;
    } verbs[] = {
        {"RETR", APC__FTP_RETR},  {"STOR", APC__FTP_STORE}, {"STOU", APC__FTP_STORE},
        {"APPE", APC__FTP_STORE}, {"LIST", APC__FTP_LIST},  {"NLST", APC__FTP_LIST},
        {"MLSD", APC__FTP_LIST},  {"PORT", APC__FTP_PORT},  {"EPRT", APC__FTP_PORT},
    };
    if (argn)
        arg[0] = '\0';
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++) {
        if (!verb_is(line, n, verbs[i].verb))
            continue;
        const char *p = line + 4;
        size_t m = n - 4;
        while (m && *p == ' ')
            p++, m--;
        if (verbs[i].kind == APC__FTP_PORT) {
            int ok = verbs[i].verb[0] == 'P' ? host_port(p, m, a) : eprt(p, m, a);
            return ok ? APC__FTP_PORT : APC__FTP_OTHER;
        }
        if (argn) {
            size_t k = m < argn - 1 ? m : argn - 1;
            memcpy(arg, p, k);
            arg[k] = '\0';
        }
        return verbs[i].kind;
    }
    return APC__FTP_OTHER;
}

int apc__ftp_reply(const char *line, size_t n, apc__ftp_addr_t *a, uint64_t *size)
{
    if (n < 4 || (line[3] != ' ' && line[3] != '-'))
        return 0;
    if (memcmp(line, "227", 3) == 0) {
        /* "227 Entering Passive Mode (h1,h2,h3,h4,p1,p2)": the numbers follow the first digit
         * after the code (the parentheses are customary, not required). */
        for (size_t i = 4; i < n; i++)
            if (line[i] >= '0' && line[i] <= '9')
                return host_port(line + i, n - i, a);
        return 0;
    }
    if (memcmp(line, "229", 3) == 0) {
        /* "229 Entering Extended Passive Mode (|||port|)": the host is the control peer. */
        const char *open = memchr(line, '(', n);
        if (!open || (size_t)(line + n - open) < 6)
            return 0;
        const char *p = open + 1;
        size_t m = (size_t)(line + n - p);
        char d = p[0];
        if (m < 5 || p[1] != d || p[2] != d)
            return 0;
        unsigned long port;
        if (numbers(p + 3, m - 3, d, &port, 1) != 1 || port == 0 || port > 65535)
            return 0;
        a->ip[0] = '\0';
        a->port = (int)port;
        return 1;
    }
    if (memcmp(line, "150", 3) == 0) {
        /* vsftpd, ProFTPD and others: "... for NAME (N bytes)." */
        for (size_t i = n; i-- > 4;) {
            if (line[i] != '(')
                continue;
            unsigned long long v = 0;
            size_t j = i + 1, start = j;
            while (j < n && line[j] >= '0' && line[j] <= '9' && j - start < 19)
                v = v * 10 + (unsigned long long)(line[j++] - '0');
            if (j > start && n - j >= 6 && memcmp(line + j, " bytes", 6) == 0) {
                *size = v;
                return 2;
            }
            return 0;
        }
    }
    return 0;
}
