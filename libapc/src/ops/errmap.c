/* SPDX-License-Identifier: MIT */
/* The one map from library error codes to wire ErrorCodes (spec/wire.md), and their names:
 * both generated from the X-macros APC_ERRORS (apc/common.h) and APC_SERVE_ERRORS (apc/ops.h). */
#include "ops/ops_internal.h"

APC_API int apc_serve_error_from(int apc_code)
{
    switch (apc_code) {
    case APC_OK:
        return APC_SERVE_SUCCESS;
#define APC__ERR_WIRE(name, value, wire, text)                                                     \
    case name:                                                                                     \
        return APC_SERVE_##wire;
        APC_ERRORS(APC__ERR_WIRE)
#undef APC__ERR_WIRE
    default:
        break;
    }
    /* Any other system error comes as -errno (our own codes start at -1000). */
    if (apc_code < 0 && apc_code > -1000)
        return APC_SERVE_IO_ERROR;
    return APC_SERVE_GENERIC_ERROR;
}

static const struct {
    int code;
    const char *name;
} serve_errors[] = {
#define APC__SERVE_ROW(suffix, value) {value, "ERROR_SERVE_" #suffix},
    APC_SERVE_ERRORS(APC__SERVE_ROW)
#undef APC__SERVE_ROW
};

APC_API const char *apc_serve_error_at(size_t i, int *code)
{
    if (i >= sizeof serve_errors / sizeof serve_errors[0])
        return NULL;
    if (code)
        *code = serve_errors[i].code;
    return serve_errors[i].name;
}

APC_API const char *apc_serve_error_name(int serve_code)
{
    for (size_t i = 0; i < sizeof serve_errors / sizeof serve_errors[0]; i++)
        if (serve_errors[i].code == serve_code)
            return serve_errors[i].name;
    return "ERROR_SERVE_UNKNOWN";
}
