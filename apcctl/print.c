/* SPDX-License-Identifier: MIT */
/* Readable output of a RESPONSE: plain values, records ("Field: value") and paged lists. */
#include <string.h>

#include "apcctl.h"

const char *apcctl_field_text(const char *name, const cJSON *v, char *buf, size_t len)
{
    int64_t n;
    if (name && apcctl_is_time_field(name) && apc_jsonx_int(v, &n)) {
        apcctl_format_filetime(n, buf, len);
        return buf;
    }
    return apcctl_json_scalar(v, buf, len);
}

static bool is_container(const cJSON *v)
{
    return cJSON_IsObject(v) || cJSON_IsArray(v);
}

static bool array_of_scalars(const cJSON *arr)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, arr)
    {
        if (is_container(e))
            return false;
    }
    return true;
}

static void print_scalar_list(FILE *f, const cJSON *arr)
{
    char buf[128];
    const cJSON *e;
    const char *sep = "";
    cJSON_ArrayForEach(e, arr)
    {
        fprintf(f, "%s%s", sep, apcctl_json_scalar(e, buf, sizeof buf));
        sep = ", ";
    }
}

void apcctl_print_record(FILE *f, const cJSON *obj, int indent)
{
    int width = 0;
    const cJSON *c;
    cJSON_ArrayForEach(c, obj)
    {
        int n = (int)strlen(c->string ? c->string : "");
        if (n > width)
            width = n;
    }
    cJSON_ArrayForEach(c, obj)
    {
        const char *key = c->string ? c->string : "";
        int pad = width - (int)strlen(key);
        if (cJSON_IsObject(c)) {
            fprintf(f, "%*s%s:\n", indent, "", key);
            apcctl_print_record(f, c, indent + 2);
        } else if (cJSON_IsArray(c)) {
            if (cJSON_GetArraySize(c) == 0) {
                fprintf(f, "%*s%s:%*s (none)\n", indent, "", key, pad, "");
            } else if (array_of_scalars(c)) {
                fprintf(f, "%*s%s:%*s ", indent, "", key, pad, "");
                print_scalar_list(f, c);
                fputc('\n', f);
            } else {
                fprintf(f, "%*s%s:\n", indent, "", key);
                apcctl_print_table(f, c, indent + 2);
            }
        } else {
            char buf[128];
            fprintf(f, "%*s%s:%*s %s\n", indent, "", key, pad, "",
                    apcctl_field_text(key, c, buf, sizeof buf));
        }
    }
}

/* A page of a list read by last_id (PACKETSTREAM, SEARCHLIST, EXTRACTSTREAM...): an object with
 * `More` and one array of objects. Returns that array, or NULL. */
static const cJSON *page_items(const cJSON *obj)
{
    if (!cJSON_GetObjectItemCaseSensitive(obj, "More"))
        return NULL;
    const cJSON *c, *found = NULL;
    cJSON_ArrayForEach(c, obj)
    {
        if (cJSON_IsArray(c)) {
            if (found)
                return NULL;
            found = c;
        }
    }
    return found;
}

static void print_page(FILE *f, const cJSON *obj, const cJSON *items)
{
    if (cJSON_GetArraySize(items) == 0) {
        char what[64];
        snprintf(what, sizeof what, "%s", items->string ? items->string : "items");
        for (char *p = what; *p; p++)
            *p = (char)((*p >= 'A' && *p <= 'Z') ? *p - 'A' + 'a' : *p);
        fprintf(f, "(no %s)\n", what);
    } else {
        apcctl_print_table(f, items, 0);
    }
    const cJSON *more = cJSON_GetObjectItemCaseSensitive(obj, "More");
    int64_t m = 0, last = 0;
    bool is_more = cJSON_IsTrue(more) || (apc_jsonx_int(more, &m) && m != 0);
    apc_jsonx_int(cJSON_GetObjectItemCaseSensitive(obj, "LastId"), &last);
    fprintf(f, "more: %s, last_id: %lld\n", is_more ? "yes" : "no", (long long)last);
}

void apcctl_print_value(FILE *f, const cJSON *v)
{
    char buf[128];
    if (cJSON_IsArray(v)) {
        if (cJSON_GetArraySize(v) == 0) {
            fprintf(f, "(none)\n");
        } else if (array_of_scalars(v)) {
            const cJSON *e;
            cJSON_ArrayForEach(e, v)
            {
                fprintf(f, "%s\n", apcctl_json_scalar(e, buf, sizeof buf));
            }
        } else {
            apcctl_print_table(f, v, 0);
        }
    } else if (cJSON_IsObject(v)) {
        const cJSON *items = page_items(v);
        if (items)
            print_page(f, v, items);
        else
            apcctl_print_record(f, v, 0);
    } else if (v) {
        fprintf(f, "%s\n", apcctl_json_scalar(v, buf, sizeof buf));
    }
}

void apcctl_print_response(FILE *f, const apcctl_opts_t *o, const apcctl_response_t *r)
{
    if (o->json) {
        fprintf(f, "%s\n", r->raw);
        return;
    }
    apcctl_print_value(f, r->value);
}
