/* SPDX-License-Identifier: MIT */
/*
 * Parameter validation from an action's spec (spec/wire.md "Requests"): every message names
 * the parameter, so a caller can act on it. Unknown parameters are ignored.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "ops/ops_internal.h"

/* INT: optional '-' then decimal digits, or 0x/0X then hex digits; nothing else. */
static int parse_int(const char *s, int64_t *out)
{
    const char *p = s;
    int neg = 0, base = 10;
    if (*p == '-') {
        neg = 1;
        p++;
    } else if (*p == '+') {
        p++;
    }
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        base = 16;
        p += 2;
    }
    if (*p == '\0')
        return -1;
    for (const char *q = p; *q; q++) {
        int ok = base == 16 ? ((*q >= '0' && *q <= '9') || (*q >= 'a' && *q <= 'f') ||
                               (*q >= 'A' && *q <= 'F'))
                            : (*q >= '0' && *q <= '9');
        if (!ok)
            return -1;
    }
    errno = 0;
    char *end;
    unsigned long long v = strtoull(p, &end, base);
    if (errno || *end)
        return -1;
    if (neg) {
        if (v > (unsigned long long)INT64_MAX + 1)
            return -1;
        *out = v == (unsigned long long)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
    } else {
        if (v > INT64_MAX)
            return -1;
        *out = (int64_t)v;
    }
    return 0;
}

static int parse_float(const char *s, double *out)
{
    errno = 0;
    char *end;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

/* RFC 3629 well-formedness: no overlongs, no surrogates, nothing above U+10FFFF. */
static int utf8_valid(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        size_t k;
        unsigned min;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xe0) == 0xc0) {
            k = 1, min = 0x80, c &= 0x1f;
        } else if ((c & 0xf0) == 0xe0) {
            k = 2, min = 0x800, c &= 0x0f;
        } else if ((c & 0xf8) == 0xf0) {
            k = 3, min = 0x10000, c &= 0x07;
        } else {
            return 0;
        }
        if (i + k >= n) /* truncated sequence */
            return 0;
        for (size_t j = 1; j <= k; j++) {
            if ((s[i + j] & 0xc0) != 0x80)
                return 0;
            c = (c << 6) | (s[i + j] & 0x3f);
        }
        if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
            return 0;
        i += k + 1;
    }
    return 1;
}

static int has_range(const apc_param_spec_t *sp)
{
    return !(sp->min == 0 && sp->max == 0);
}

static int push_item(apc__op_arg_t *a, const char *s, size_t n)
{
    char **l = realloc(a->list, (a->nlist + 1) * sizeof *l);
    if (!l)
        return apc__err(APC_ENOMEM, "out of memory for a list parameter");
    a->list = l;
    if (!(l[a->nlist] = strndup(s, n)))
        return apc__err(APC_ENOMEM, "out of memory for a list parameter");
    a->nlist++;
    return 0;
}

/* One value of a LIST: a JSON array of strings/numbers, or comma-separated items. */
static int add_list_value(const apc_param_spec_t *sp, apc__op_arg_t *a, const char *v)
{
    const char *p = v;
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p == '[') {
        cJSON *arr = cJSON_Parse(p);
        if (!arr || !cJSON_IsArray(arr)) {
            cJSON_Delete(arr);
            return apc__err(APC_EINVAL, "parameter '%s' is not a valid JSON array", sp->name);
        }
        const cJSON *it;
        int rc = 0;
        cJSON_ArrayForEach(it, arr)
        {
            char num[32];
            const char *s;
            if (cJSON_IsString(it)) {
                s = it->valuestring;
            } else if (cJSON_IsNumber(it)) {
                snprintf(num, sizeof num, "%.17g", it->valuedouble);
                s = num;
            } else {
                rc = apc__err(APC_EINVAL, "parameter '%s': JSON array items must be strings",
                              sp->name);
                break;
            }
            if ((rc = push_item(a, s, strlen(s))) < 0)
                break;
        }
        cJSON_Delete(arr);
        return rc;
    }
    while (*p) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        size_t b = 0;
        while (b < n && (p[b] == ' ' || p[b] == '\t'))
            b++;
        while (n > b && (p[n - 1] == ' ' || p[n - 1] == '\t'))
            n--;
        if (n > b) {
            int rc = push_item(a, p + b, n - b);
            if (rc < 0)
                return rc;
        }
        if (!e)
            break;
        p = e + 1;
    }
    return 0;
}

/* Checks and converts one scalar value; `v` is NUL-free (checked by the caller). */
static int set_scalar(const apc_param_spec_t *sp, apc__op_arg_t *a, const char *v)
{
    switch (sp->type) {
    case APC_PARAM_INT:
        if (parse_int(v, &a->i) < 0)
            return apc__err(APC_EINVAL, "parameter '%s' must be an integer, got '%.64s'", sp->name,
                            v);
        if (has_range(sp) && (a->i < sp->min || a->i > sp->max))
            return apc__err(APC_EINVAL,
                            "parameter '%s' must be between %" PRId64 " and %" PRId64
                            ", got %" PRId64,
                            sp->name, sp->min, sp->max, a->i);
        return 0;
    case APC_PARAM_FLOAT:
        if (parse_float(v, &a->f) < 0)
            return apc__err(APC_EINVAL, "parameter '%s' must be a number, got '%.64s'", sp->name,
                            v);
        if (has_range(sp) && (a->f < (double)sp->min || a->f > (double)sp->max))
            return apc__err(APC_EINVAL,
                            "parameter '%s' must be between %" PRId64 " and %" PRId64 ", got %g",
                            sp->name, sp->min, sp->max, a->f);
        return 0;
    case APC_PARAM_IP: {
        /* Kept in canonical text (inet_ntop), so "::FFFF:1.2.3.4" and "::ffff:1.2.3.4" match. */
        unsigned char buf[16];
        char txt[INET6_ADDRSTRLEN];
        int fam = strchr(v, ':') ? AF_INET6 : AF_INET;
        if (inet_pton(fam, v, buf) != 1 || !inet_ntop(fam, buf, txt, sizeof txt))
            return apc__err(APC_EINVAL,
                            "parameter '%s' must be an IPv4 or IPv6 address, got '%.64s'", sp->name,
                            v);
        if (!(a->s = strdup(txt)))
            return apc__err(APC_ENOMEM, "out of memory for parameter '%s'", sp->name);
        return 0;
    }
    default: { /* STRING */
        size_t n = strlen(v);
        if (!utf8_valid((const unsigned char *)v, n))
            return apc__err(APC_EINVAL, "parameter '%s' is not valid UTF-8", sp->name);
        if (sp->max > 0 && n > (uint64_t)sp->max)
            return apc__err(APC_EINVAL, "parameter '%s' is too long: %zu bytes, at most %" PRId64,
                            sp->name, n, sp->max);
        if (sp->min > 0 && n < (uint64_t)sp->min)
            return apc__err(APC_EINVAL, "parameter '%s' must not be empty", sp->name);
        if (!(a->s = strdup(v)))
            return apc__err(APC_ENOMEM, "out of memory for parameter '%s'", sp->name);
        return 0;
    }
    }
}

/* Numbers and addresses given as "" count as not given (HTML forms send empty fields);
 * strings and lists keep "" (a blank `notes` clears the notes). */
static int blank_is_absent(int type)
{
    return type == APC_PARAM_INT || type == APC_PARAM_FLOAT || type == APC_PARAM_IP;
}

static int validate_one(const apc_param_spec_t *sp, apc__op_arg_t *a, const apc_params_t *params)
{
    size_t n = apc__params_count(params);
    for (size_t i = 0; i < n; i++) {
        const char *name, *v;
        size_t len;
        apc__params_nth(params, i, &name, &v, &len);
        if (strcmp(name, sp->name) != 0)
            continue;
        if (strlen(v) != len)
            return apc__err(APC_EINVAL, "parameter '%s' contains a NUL byte", sp->name);
        if (sp->type == APC_PARAM_LIST) {
            if (!utf8_valid((const unsigned char *)v, len))
                return apc__err(APC_EINVAL, "parameter '%s' is not valid UTF-8", sp->name);
            if (sp->max > 0 && len > (uint64_t)sp->max)
                return apc__err(APC_EINVAL,
                                "parameter '%s' is too long: %zu bytes, at most %" PRId64, sp->name,
                                len, sp->max);
            int rc = add_list_value(sp, a, v);
            if (rc < 0)
                return rc;
            a->present = 1;
            continue;
        }
        if (a->present)
            continue; /* a scalar takes the first value given */
        if (len == 0 && blank_is_absent(sp->type))
            continue;
        int rc = set_scalar(sp, a, v);
        if (rc < 0)
            return rc;
        a->present = 1;
    }
    if (a->present)
        return 0;
    if (sp->required)
        return apc__err(APC_EINVAL, "missing parameter '%s'", sp->name);
    if (sp->def) {
        int rc = sp->type == APC_PARAM_LIST ? add_list_value(sp, a, sp->def)
                                            : set_scalar(sp, a, sp->def);
        if (rc < 0)
            return rc;
        a->present = 1;
    }
    return 0;
}

int apc__ops_validate(apc__op_req_t *req, const apc_params_t *params)
{
    const apc_param_spec_t *sp = req->info->params;
    for (size_t i = 0; sp && sp[i].name; i++) {
        int rc = validate_one(&sp[i], &req->args[i], params);
        if (rc < 0)
            return rc;
    }
    return 0;
}

void apc__ops_args_free(const apc_op_info_t *info, apc__op_arg_t *args)
{
    if (!args)
        return;
    for (size_t i = 0; info->params && info->params[i].name; i++) {
        free(args[i].s);
        for (size_t j = 0; j < args[i].nlist; j++)
            free(args[i].list[j]);
        free(args[i].list);
    }
    free(args);
}

const apc__op_arg_t *apc__arg(const apc__op_req_t *req, const char *name)
{
    static const apc__op_arg_t none;
    const apc_param_spec_t *sp = req->info->params;
    for (size_t i = 0; sp && sp[i].name; i++)
        if (strcmp(sp[i].name, name) == 0)
            return &req->args[i];
    return &none;
}

int64_t apc__arg_int(const apc__op_req_t *req, const char *name)
{
    return apc__arg(req, name)->i;
}

double apc__arg_float(const apc__op_req_t *req, const char *name)
{
    return apc__arg(req, name)->f;
}

const char *apc__arg_str(const apc__op_req_t *req, const char *name)
{
    const apc__op_arg_t *a = apc__arg(req, name);
    return a->present ? a->s : NULL;
}
