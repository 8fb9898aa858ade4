/* SPDX-License-Identifier: MIT */
/* Parameters of one call: an ordered multimap of name -> value, in insertion order, so that
 * repeated keys (lists) keep the order the caller sent them in. */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "ops/ops_internal.h"
#include "util/array.h"

typedef struct param {
    char *name;
    char *value; /* NUL-terminated copy */
    size_t len;  /* bytes given (the value may hold a NUL before len) */
} param_t;

struct apc_params {
    size_t count, cap;
    param_t *items;
};

APC_API int apc_params_new(apc_params_t **out)
{
    if (!out)
        return apc__err(APC_EINVAL, "apc_params_new: out is NULL");
    *out = calloc(1, sizeof **out);
    if (!*out)
        return apc__err(APC_ENOMEM, "out of memory for parameters");
    return 0;
}

APC_API int apc_params_addn(apc_params_t *p, const char *name, const char *value, size_t len)
{
    if (!p || !name || (!value && len))
        return apc__err(APC_EINVAL, "apc_params_addn: NULL argument");
    if (apc__grow((void **)&p->items, &p->cap, p->count + 1, sizeof *p->items) < 0)
        return apc__err(APC_ENOMEM, "out of memory for parameter '%s'", name);
    char *nm = strdup(name);
    char *v = malloc(len + 1);
    if (!nm || !v) {
        free(nm);
        free(v);
        return apc__err(APC_ENOMEM, "out of memory for parameter '%s'", name);
    }
    if (len)
        memcpy(v, value, len);
    v[len] = '\0';
    p->items[p->count++] = (param_t){.name = nm, .value = v, .len = len};
    return 0;
}

APC_API const char *apc_params_nul(const apc_params_t *p)
{
    for (size_t i = 0; p && i < p->count; i++)
        if (strlen(p->items[i].value) != p->items[i].len)
            return p->items[i].name;
    return NULL;
}

APC_API int apc_params_add(apc_params_t *p, const char *name, const char *value)
{
    return apc_params_addn(p, name, value ? value : "", value ? strlen(value) : 0);
}

APC_API const char *apc_params_get(const apc_params_t *p, const char *name)
{
    if (!p || !name)
        return NULL;
    for (size_t i = 0; i < p->count; i++)
        if (strcmp(p->items[i].name, name) == 0)
            return p->items[i].value;
    return NULL;
}

APC_API void apc_params_free(apc_params_t *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->count; i++) {
        free(p->items[i].name);
        free(p->items[i].value);
    }
    free(p->items);
    free(p);
}

size_t apc__params_count(const apc_params_t *p)
{
    return p ? p->count : 0;
}

void apc__params_nth(const apc_params_t *p, size_t i, const char **name, const char **value,
                     size_t *len)
{
    *name = p->items[i].name;
    *value = p->items[i].value;
    *len = p->items[i].len;
}
