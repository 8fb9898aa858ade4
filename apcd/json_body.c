/* SPDX-License-Identifier: MIT */
/*
 * application/json bodies (RFC 8259): one object; each member becomes a parameter. Strings
 * are taken as they are, numbers as the text cJSON prints for them (integers keep every digit
 * up to 2^53; larger ids should be sent as strings), true/false as 1/0, null is skipped, an
 * array gives the key once per item (lists), nested objects are refused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "jsonx.h"
#include "parsers.h"

static int add_value(const char *name, const cJSON *v, const apcd_limits_t *lim, apc_params_t *out,
                     size_t *n, char *err, size_t errlen)
{
    char num[64];
    const char *s = NULL;
    if (cJSON_IsNull(v))
        return 0;
    if (cJSON_IsString(v)) {
        s = v->valuestring;
    } else if (cJSON_IsRaw(v) && apc_jsonx_is_integer_text(v->valuestring)) {
        s = v->valuestring; /* exact: an id above 2^53 stays itself */
    } else if (cJSON_IsRaw(v)) {
        /* 1e3, 2.0: as a number, the way it always was read (whole values as integers) */
        double d = strtod(v->valuestring, NULL);
        /* Range first: casting an out-of-range double to an integer is undefined. */
        if (d > -9.2e18 && d < 9.2e18 && d == (double)(long long)d)
            snprintf(num, sizeof num, "%lld", (long long)d);
        else
            snprintf(num, sizeof num, "%.17g", d);
        s = num;
    } else if (cJSON_IsBool(v)) {
        s = cJSON_IsTrue(v) ? "1" : "0";
    } else {
        snprintf(err, errlen, "parameter '%.64s': objects are not accepted as values", name);
        return APCD_PARSE_FORMAT;
    }
    if (strlen(s) > lim->max_param_len) {
        snprintf(err, errlen, "parameter '%.64s' is longer than %zu bytes", name,
                 lim->max_param_len);
        return APCD_PARSE_LIMIT;
    }
    if (++*n > lim->max_params) {
        snprintf(err, errlen, "more than %zu parameters", lim->max_params);
        return APCD_PARSE_LIMIT;
    }
    if (apc_params_add(out, name, s) < 0) {
        snprintf(err, errlen, "out of memory");
        return APCD_PARSE_NOMEM;
    }
    return 0;
}

int apcd_json_parse(const char *buf, size_t len, const apcd_limits_t *lim, apc_params_t *out,
                    char *err, size_t errlen)
{
    if (len > lim->max_body) {
        snprintf(err, errlen, "body of %zu bytes is over the limit of %zu", len, lim->max_body);
        return APCD_PARSE_LIMIT;
    }
    /* cJSON turns \u0000 into a NUL that silently ends the string: refuse it instead. In valid
     * JSON a backslash appears only inside strings, each escaping the next character. */
    for (size_t i = 0; i + 1 < len; i++) {
        if (buf[i] != '\\')
            continue;
        if (buf[i + 1] == 'u' && i + 5 < len && memcmp(buf + i + 2, "0000", 4) == 0) {
            snprintf(err, errlen, "a string holds \\u0000 (a NUL character): refused");
            return APCD_PARSE_FORMAT;
        }
        i++; /* the escaped character */
    }
    cJSON *root = apc_jsonx_parse_len(buf, len);
    if (!root) {
        snprintf(err, errlen, "the body is not valid JSON");
        return APCD_PARSE_FORMAT;
    }
    int rc = 0;
    size_t n = 0;
    if (!cJSON_IsObject(root)) {
        snprintf(err, errlen, "the JSON body must be an object");
        rc = APCD_PARSE_FORMAT;
    }
    for (const cJSON *m = root->child; rc == 0 && m; m = m->next) {
        const char *name = m->string ? m->string : "";
        if (strlen(name) > lim->max_param_len) {
            snprintf(err, errlen, "a parameter name is longer than %zu bytes", lim->max_param_len);
            rc = APCD_PARSE_LIMIT;
        } else if (cJSON_IsArray(m)) {
            for (const cJSON *it = m->child; rc == 0 && it; it = it->next) {
                if (cJSON_IsArray(it)) {
                    snprintf(err, errlen, "parameter '%.64s': nested arrays", name);
                    rc = APCD_PARSE_FORMAT;
                } else {
                    rc = add_value(name, it, lim, out, &n, err, errlen);
                }
            }
        } else {
            rc = add_value(name, m, lim, out, &n, err, errlen);
        }
    }
    cJSON_Delete(root);
    return rc;
}
