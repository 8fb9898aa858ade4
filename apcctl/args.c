/* SPDX-License-Identifier: MIT */
/* name=value words and their check against an action's parameter spec. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "apcctl.h"

int apcctl_args_add(apcctl_args_t *a, const char *name, const char *value)
{
    if (a->count == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 8;
        apcctl_kv_t *items = realloc(a->items, cap * sizeof *items);
        if (!items)
            return -1;
        a->items = items;
        a->cap = cap;
    }
    char *n = strdup(name), *v = strdup(value);
    if (!n || !v) {
        free(n);
        free(v);
        return -1;
    }
    a->items[a->count].name = n;
    a->items[a->count].value = v;
    a->count++;
    return 0;
}

const char *apcctl_args_get(const apcctl_args_t *a, const char *name)
{
    for (size_t i = 0; i < a->count; i++)
        if (strcmp(a->items[i].name, name) == 0)
            return a->items[i].value;
    return NULL;
}

void apcctl_args_free(apcctl_args_t *a)
{
    for (size_t i = 0; i < a->count; i++) {
        free(a->items[i].name);
        free(a->items[i].value);
    }
    free(a->items);
    memset(a, 0, sizeof *a);
}

int apcctl_args_add_word(apcctl_args_t *a, const char *word)
{
    const char *eq = strchr(word, '=');
    if (!eq || eq == word)
        return -1;
    char *name = strndup(word, (size_t)(eq - word));
    if (!name)
        return -1;
    int rc = apcctl_args_add(a, name, eq + 1);
    free(name);
    return rc;
}

bool apcctl_op_has_param(const apc_op_info_t *op, const char *name)
{
    for (const apc_param_spec_t *p = op->params; p && p->name; p++)
        if (strcmp(p->name, name) == 0)
            return true;
    return false;
}

void apcctl_args_check(const apcctl_opts_t *o, const apc_op_info_t *op, const apcctl_args_t *a)
{
    for (size_t i = 0; i < a->count; i++) {
        const char *name = a->items[i].name;
        /* Warn once per name, at its first occurrence. */
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = strcmp(a->items[j].name, name) == 0;
        if (!seen && !apcctl_op_has_param(op, name))
            apcctl_warnf(o,
                         "warning: %s has no parameter '%s'; it is ignored (see: apcctl help %s)",
                         op->name, name, op->name);
    }
}
