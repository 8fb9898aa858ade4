/* SPDX-License-Identifier: MIT */
/*
 * application/x-www-form-urlencoded bodies and query strings, as the WHATWG URL standard's
 * "application/x-www-form-urlencoded parsing" says: split on '&', then on the first '=', '+'
 * is a space, "%XY" with two hex digits is a byte and any other '%' stays literal.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parsers.h"

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

size_t apcd_param_name_len(const char *name, size_t len)
{
    return len > 2 && name[len - 2] == '[' && name[len - 1] == ']' ? len - 2 : len;
}

long apcd_pct_decode(char *s, size_t len, int plus)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '+' && plus) {
            c = ' ';
        } else if (c == '%' && i + 2 < len && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
            c = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
            i += 2;
        }
        s[o++] = c;
    }
    return (long)o;
}

int apcd_form_parse(const char *buf, size_t len, const apcd_limits_t *lim, apc_params_t *out,
                    size_t *count, char *err, size_t errlen)
{
    if (len > lim->max_body) {
        snprintf(err, errlen, "body of %zu bytes is over the limit of %zu", len, lim->max_body);
        return APCD_PARSE_LIMIT;
    }
    size_t n = count ? *count : 0;
    size_t i = 0;
    while (i < len) {
        const char *amp = memchr(buf + i, '&', len - i);
        size_t end = amp ? (size_t)(amp - buf) : len;
        size_t plen = end - i;
        if (plen > 0) {
            const char *eq = memchr(buf + i, '=', plen);
            size_t nlen = eq ? (size_t)(eq - (buf + i)) : plen;
            size_t vlen = eq ? plen - nlen - 1 : 0;
            if (nlen > lim->max_param_len || vlen > lim->max_param_len) {
                snprintf(err, errlen, "a parameter is longer than %zu bytes", lim->max_param_len);
                return APCD_PARSE_LIMIT;
            }
            if (++n > lim->max_params) {
                snprintf(err, errlen, "more than %zu parameters", lim->max_params);
                return APCD_PARSE_LIMIT;
            }
            char *name = malloc(nlen + 1), *val = malloc(vlen + 1);
            if (!name || !val) {
                free(name), free(val);
                snprintf(err, errlen, "out of memory");
                return APCD_PARSE_NOMEM;
            }
            memcpy(name, buf + i, nlen);
            if (eq)
                memcpy(val, eq + 1, vlen);
            long dn = apcd_pct_decode(name, nlen, 1);
            long dv = apcd_pct_decode(val, vlen, 1);
            dn = (long)apcd_param_name_len(name, (size_t)dn);
            name[dn] = '\0';
            val[dv] = '\0';
            int rc = 0;
            if (strlen(name) != (size_t)dn) {
                snprintf(err, errlen, "a parameter name holds a NUL byte");
                rc = APCD_PARSE_FORMAT;
            } else if (dn > 0 && apc_params_addn(out, name, val, (size_t)dv) < 0) {
                snprintf(err, errlen, "out of memory");
                rc = APCD_PARSE_NOMEM;
            }
            free(name);
            free(val);
            if (rc)
                return rc;
        }
        i = end + 1;
    }
    if (count)
        *count = n;
    return 0;
}
