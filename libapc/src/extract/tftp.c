/* SPDX-License-Identifier: MIT */
/* TFTP packets (extract/tftp.h). Every read is bounded by the datagram's length. */
#include "extract/tftp.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The NUL-terminated string at p[*at..n) into out (cut to outn - 1); -1 without its NUL. */
static int cstr(const uint8_t *p, size_t n, size_t *at, char *out, size_t outn)
{
    const uint8_t *z = memchr(p + *at, 0, n - *at);
    if (!z)
        return -1;
    size_t len = (size_t)(z - (p + *at));
    if (out && outn) {
        size_t k = len < outn - 1 ? len : outn - 1;
        memcpy(out, p + *at, k);
        out[k] = '\0';
    }
    *at += len + 1;
    return 0;
}

/* RFC 2348: blksize from 8 to 65464; anything else is no option. */
static unsigned blksize_of(const char *v)
{
    char *end;
    unsigned long b = strtoul(v, &end, 10);
    return (*v && !*end && b >= 8 && b <= 65464) ? (unsigned)b : 0;
}

/* opt\0value\0 pairs from p[at..n) (RFC 2347); only blksize matters here. */
static void options(const uint8_t *p, size_t n, size_t at, apc__tftp_t *out)
{
    char opt[32], val[32];
    while (at < n && cstr(p, n, &at, opt, sizeof opt) == 0 && cstr(p, n, &at, val, sizeof val) == 0)
        if (strcasecmp(opt, "blksize") == 0)
            out->blksize = blksize_of(val);
}

int apc__tftp_parse(const uint8_t *p, size_t n, apc__tftp_t *out)
{
    memset(out, 0, sizeof *out);
    if (n < 4)
        return -1;
    out->op = (p[0] << 8) | p[1];
    size_t at = 2;
    switch (out->op) {
    case APC__TFTP_RRQ:
    case APC__TFTP_WRQ: {
        char mode[16];
        if (cstr(p, n, &at, out->name, sizeof out->name) < 0 || !out->name[0] ||
            cstr(p, n, &at, mode, sizeof mode) < 0)
            return -1;
        if (strcasecmp(mode, "netascii") && strcasecmp(mode, "octet") && strcasecmp(mode, "mail"))
            return -1;
        options(p, n, at, out);
        return 0;
    }
    case APC__TFTP_DATA:
    case APC__TFTP_ACK:
        out->block = (unsigned)((p[2] << 8) | p[3]);
        out->data = p + 4;
        out->len = n - 4;
        return 0;
    case APC__TFTP_ERROR:
        at = 4;
        if (cstr(p, n, &at, out->msg, sizeof out->msg) < 0)
            return -1;
        return 0;
    case APC__TFTP_OACK:
        options(p, n, at, out);
        return 0;
    default:
        return -1;
    }
}
