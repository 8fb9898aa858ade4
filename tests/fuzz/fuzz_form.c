/* SPDX-License-Identifier: MIT */
/* libFuzzer target: apcd's application/x-www-form-urlencoded parser (apcd/form.c) on arbitrary
 * bytes, with small limits so the limit paths are reached too. The input is copied to a buffer
 * of exactly its size, so ASan catches any read past it. */
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
        .max_body = 4096, .max_params = 32, .max_param_len = 256, .max_upload = 1 << 20};
    apc_params_t *p = NULL;
    if (apc_params_new(&p) == 0) {
        char err[200];
        size_t n = 0;
        int rc = apcd_form_parse(buf, size, &lim, p, &n, err, sizeof err);
        if (rc != 0 && rc != APCD_PARSE_LIMIT && rc != APCD_PARSE_FORMAT && rc != APCD_PARSE_NOMEM)
            abort();
        if (rc == 0 && n > lim.max_params)
            abort();
        (void)apc_params_get(p, "action");
        apc_params_free(p);
    }
    free(buf);
    return 0;
}
