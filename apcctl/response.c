/* SPDX-License-Identifier: MIT */
/* One call through the transport, parsed into a RESPONSE (spec/wire.md "Responses"). */
#include <stdlib.h>
#include <string.h>

#include "apcctl.h"

int apcctl_call(apcctl_transport_t *t, const char *action, const apcctl_args_t *args,
                apcctl_response_t *out)
{
    memset(out, 0, sizeof *out);
    char err[512] = "";
    char *raw = NULL;
    if (t->call(t, action, args, &raw, err, sizeof err) < 0) {
        apcctl_errorf("%s: %s", action, err[0] ? err : "no response");
        return -1;
    }
    out->raw = raw;
    out->root = apc_jsonx_parse(raw);
    int64_t code, type;
    if (!cJSON_IsObject(out->root) ||
        !apc_jsonx_int(cJSON_GetObjectItemCaseSensitive(out->root, "ErrorCode"), &code) ||
        !apc_jsonx_int(cJSON_GetObjectItemCaseSensitive(out->root, "DataType"), &type)) {
        apcctl_errorf("%s: the response is not a RESPONSE object: %.200s", action, raw);
        apcctl_response_free(out);
        return -1;
    }
    out->error_code = (int)code;
    out->data_type = (int)type;
    out->value = cJSON_GetObjectItemCaseSensitive(out->root, "ReturnValue");
    return 0;
}

void apcctl_response_free(apcctl_response_t *r)
{
    if (!r)
        return;
    free(r->raw);
    cJSON_Delete(r->root);
    memset(r, 0, sizeof *r);
}

int apcctl_report_error(const apcctl_response_t *r)
{
    char buf[64];
    const char *msg = apcctl_json_scalar(r->value, buf, sizeof buf);
    apcctl_errorf("%s: %s", apc_serve_error_name(r->error_code),
                  msg && *msg ? msg : "(no message)");
    return APCCTL_EXIT_FAIL;
}
