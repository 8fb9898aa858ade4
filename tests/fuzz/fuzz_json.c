/* SPDX-License-Identifier: MIT */
/* libFuzzer target: apcd's JSON body parser (apcd/json_body.c: cJSON plus our conversion of
 * members to parameters) on arbitrary bytes, small limits. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parsers.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size ? size : 1);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    apcd_limits_t lim = {
        .max_body = 8192, .max_params = 32, .max_param_len = 256, .max_upload = 1 << 20};
    apc_params_t *p = NULL;
    if (apc_params_new(&p) == 0) {
        char err[200];
        int rc = apcd_json_parse(buf, size, &lim, p, err, sizeof err);
        if (rc != 0 && rc != APCD_PARSE_LIMIT && rc != APCD_PARSE_FORMAT && rc != APCD_PARSE_NOMEM)
            abort();
        const char *v = apc_params_get(p, "action");
        if (v && strlen(v) > lim.max_param_len)
            abort();
        apc_params_free(p);
    }
    free(buf);
    return 0;
}
