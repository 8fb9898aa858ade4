/* SPDX-License-Identifier: MIT */
/* The one map from library error codes to wire ErrorCodes (spec/wire.md), and their names. */
#include "ops/ops_internal.h"

APC_API int apc_serve_error_from(int apc_code)
{
    switch (apc_code) {
    case APC_OK:
        return APC_SERVE_SUCCESS;
    case APC_EINVAL:
        return APC_SERVE_MALFORMED_REQUEST;
    case APC_ENOTFOUND:
        return APC_SERVE_NOT_FOUND;
    case APC_EEXISTS:
    case APC_EBUSY:
        return APC_SERVE_CONFLICT;
    case APC_ENOTSUP:
        return APC_SERVE_NOT_SUPPORTED;
    case APC_EIO:
    case APC_ESTORE:
        return APC_SERVE_IO_ERROR;
    case APC_ELIMIT:
        return APC_SERVE_LIMIT_EXCEEDED;
    case APC_EFORMAT:
        return APC_SERVE_BAD_INPUT_FILE;
    case APC_ECANCELED:
        return APC_SERVE_CANCELLED;
    case APC_ENOACTION:
        return APC_SERVE_UNKNOWN_ACTION;
    case APC_ENOTOKEN:
        return APC_SERVE_NO_TOKEN;
    case APC_ESESSION:
        return APC_SERVE_SESSION_TIMEOUT;
    case APC_EPERM:
        return APC_SERVE_INVALID_PERMISSIONS;
    case APC_EAUTH:
        return APC_SERVE_INVALID_CREDENTIALS;
    case APC_ENOPAGE:
        return APC_SERVE_NO_PAGE;
    default:
        break;
    }
    /* System errors come as -errno (our own codes start at -1000). */
    if (apc_code < 0 && apc_code > -1000)
        return APC_SERVE_IO_ERROR;
    return APC_SERVE_GENERIC_ERROR;
}

APC_API const char *apc_serve_error_name(int serve_code)
{
    switch (serve_code) {
    case APC_SERVE_SUCCESS:
        return "ERROR_SERVE_SUCCESS";
    case APC_SERVE_GENERIC_ERROR:
        return "ERROR_SERVE_GENERIC_ERROR";
    case APC_SERVE_NO_TOKEN:
        return "ERROR_SERVE_NO_TOKEN";
    case APC_SERVE_NO_PAGE:
        return "ERROR_SERVE_NO_PAGE";
    case APC_SERVE_MALFORMED_REQUEST:
        return "ERROR_SERVE_MALFORMED_REQUEST";
    case APC_SERVE_SESSION_TIMEOUT:
        return "ERROR_SERVE_SESSION_TIMEOUT";
    case APC_SERVE_INVALID_PERMISSIONS:
        return "ERROR_SERVE_INVALID_PERMISSIONS";
    case APC_SERVE_INVALID_CREDENTIALS:
        return "ERROR_SERVE_INVALID_CREDENTIALS";
    case APC_SERVE_INVALID_LICENSE:
        return "ERROR_SERVE_INVALID_LICENSE";
    case APC_SERVE_NOT_FOUND:
        return "ERROR_SERVE_NOT_FOUND";
    case APC_SERVE_CONFLICT:
        return "ERROR_SERVE_CONFLICT";
    case APC_SERVE_NOT_SUPPORTED:
        return "ERROR_SERVE_NOT_SUPPORTED";
    case APC_SERVE_IO_ERROR:
        return "ERROR_SERVE_IO_ERROR";
    case APC_SERVE_LIMIT_EXCEEDED:
        return "ERROR_SERVE_LIMIT_EXCEEDED";
    case APC_SERVE_BAD_INPUT_FILE:
        return "ERROR_SERVE_BAD_INPUT_FILE";
    case APC_SERVE_CANCELLED:
        return "ERROR_SERVE_CANCELLED";
    case APC_SERVE_UNKNOWN_ACTION:
        return "ERROR_SERVE_UNKNOWN_ACTION";
    default:
        return "ERROR_SERVE_UNKNOWN";
    }
}
