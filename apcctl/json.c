/* SPDX-License-Identifier: MIT */
/* JSON values as apcctl prints them (numbers keep their exact text: common/jsonx.h). */
#include <stdio.h>

#include "apcctl.h"

const char *apcctl_json_scalar(const cJSON *v, char *buf, size_t len)
{
    if (cJSON_IsRaw(v) || cJSON_IsString(v))
        return v->valuestring ? v->valuestring : "";
    if (cJSON_IsNumber(v)) {
        snprintf(buf, len, "%.17g", v->valuedouble);
        return buf;
    }
    if (cJSON_IsTrue(v))
        return "true";
    if (cJSON_IsFalse(v))
        return "false";
    if (cJSON_IsNull(v))
        return "null";
    return NULL;
}
