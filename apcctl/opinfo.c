/* SPDX-License-Identifier: MIT */
/* Names and phrases for the values of apc_op_info_t / apc_param_spec_t. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "apcctl.h"
#include "opinfo.h"

const char *apcctl_role_name(int role)
{
    switch (role) {
    case APC_ROLE_NONE:
        return "none (no login needed)";
    case APC_ROLE_VIEWER:
        return "viewer";
    case APC_ROLE_ADMIN:
        return "admin";
    default:
        return "unknown";
    }
}

const char *apcctl_param_type_name(int type)
{
    switch (type) {
    case APC_PARAM_INT:
        return "int";
    case APC_PARAM_STRING:
        return "string";
    case APC_PARAM_LIST:
        return "list";
    case APC_PARAM_IP:
        return "ip";
    case APC_PARAM_FLOAT:
        return "float";
    default:
        return "?";
    }
}

const char *apcctl_data_type_name(int type)
{
    switch (type) {
    case APC_DATA_TYPE_STRING:
        return "DATA_TYPE_STRING";
    case APC_DATA_TYPE_INT:
        return "DATA_TYPE_INT";
    case APC_DATA_TYPE_JSON:
        return "DATA_TYPE_JSON";
    case APC_DATA_TYPE_HEX:
        return "DATA_TYPE_HEX";
    default:
        return "unknown";
    }
}

static void num(int64_t v, char *buf, size_t len)
{
    if (v == INT64_MAX)
        snprintf(buf, len, "max");
    else if (v == INT64_MIN)
        snprintf(buf, len, "min");
    else
        snprintf(buf, len, "%" PRId64, v);
}

bool apcctl_param_range(const apc_param_spec_t *p, char *buf, size_t len)
{
    char lo[24], hi[24];
    switch (p->type) {
    case APC_PARAM_INT:
    case APC_PARAM_FLOAT:
        /* min == max == 0 is an unset range (designated initialisers leave both zero). */
        if (p->min == 0 && p->max == 0)
            return false;
        num(p->min, lo, sizeof lo);
        num(p->max, hi, sizeof hi);
        if (p->max == INT64_MAX)
            snprintf(buf, len, "at least %s", lo);
        else if (p->min == INT64_MIN)
            snprintf(buf, len, "at most %s", hi);
        else
            snprintf(buf, len, "%s..%s", lo, hi);
        return true;
    case APC_PARAM_STRING:
    case APC_PARAM_LIST:
        if (p->max <= 0)
            return false;
        if (p->min > 0)
            snprintf(buf, len, "%" PRId64 "..%" PRId64 " bytes", p->min, p->max);
        else
            snprintf(buf, len, "at most %" PRId64 " bytes", p->max);
        return true;
    default:
        return false;
    }
}

void apcctl_op_usage(const apc_op_info_t *op, char *buf, size_t len)
{
    size_t n = (size_t)snprintf(buf, len, "apcctl %s", op->name);
    for (const apc_param_spec_t *p = op->params; p && p->name && n < len; p++) {
        char type[16];
        snprintf(type, sizeof type, "%s", apcctl_param_type_name(p->type));
        for (char *c = type; *c; c++)
            *c = (char)(*c >= 'a' && *c <= 'z' ? *c - 'a' + 'A' : *c);
        n += (size_t)snprintf(buf + n, len - n, p->required ? " %s=%s" : " [%s=%s]", p->name, type);
    }
}
