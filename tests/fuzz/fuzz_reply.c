/* SPDX-License-Identifier: MIT */
/* libFuzzer target: apcctl's reader of replies (apcctl/json.c), which parses whatever a server
 * sends back, on arbitrary bytes. A parsed tree must print and walk cleanly and free fully. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "apcctl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void walk(const cJSON *v)
{
    for (const cJSON *c = v ? v->child : NULL; c; c = c->next) {
        int64_t i;
        char buf[64];
        (void)apcctl_json_int(c, &i);
        (void)apcctl_json_scalar(c, buf, sizeof buf);
        walk(c);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    cJSON *v = apcctl_json_parse(text);
    if (v) {
        walk(v);
        char *out = cJSON_PrintUnformatted(v);
        /* What we print of a tree we parsed parses again to the same text. */
        if (out) {
            cJSON *again = apcctl_json_parse(out);
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
