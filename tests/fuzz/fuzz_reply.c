/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the exact JSON reader (common/jsonx.c) that parses whatever a server sends
 * apcctl and whatever a client sends apcd, on arbitrary bytes. A parsed tree must print and
 * walk cleanly and free fully; the length-bounded parse must not read past its bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jsonx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void walk(const cJSON *v)
{
    for (const cJSON *c = v ? v->child : NULL; c; c = c->next) {
        int64_t i;
        (void)apc_jsonx_int(c, &i);
        if (cJSON_IsRaw(c))
            (void)apc_jsonx_is_integer_text(c->valuestring);
        walk(c);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Unterminated, exactly `size` bytes: ASan sees any read past them. */
    uint8_t *exact = malloc(size ? size : 1);
    if (exact) {
        memcpy(exact, data, size);
        cJSON_Delete(apc_jsonx_parse_len((const char *)exact, size));
        free(exact);
    }
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    cJSON *v = apc_jsonx_parse(text);
    if (v) {
        walk(v);
        char *out = cJSON_PrintUnformatted(v);
        /* What we print of a tree we parsed parses again to the same text. */
        if (out) {
            cJSON *again = apc_jsonx_parse(out);
            char *out2 = again ? cJSON_PrintUnformatted(again) : NULL;
            if (!out2 || strcmp(out, out2) != 0)
                abort();
            cJSON_free(out2);
            cJSON_Delete(again);
        }
        cJSON_free(out);
        cJSON_Delete(v);
    }
    free(text);
    return 0;
}
