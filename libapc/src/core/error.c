/* SPDX-License-Identifier: MIT */
/* Error codes, their names and texts, and the thread-local detailed message. */
#include "core/error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apc_config.h"

static _Thread_local char tl_msg[1024];

APC_API const char *apc_strerror(int code)
{
    switch (code) {
    case APC_OK:
        return "success";
#define APC__ERR_TEXT(name, value, wire, text)                                                     \
    case name:                                                                                     \
        return text;
        APC_ERRORS(APC__ERR_TEXT)
#undef APC__ERR_TEXT
    default:
        break;
    }
    if (code < 0 && code > -4096)
        return strerror(-code);
    return "unknown error";
}

APC_API const char *apc_err_name(int code)
{
    switch (code) {
    case APC_OK:
        return "APC_OK";
#define APC__ERR_NAME(name, value, wire, text)                                                     \
    case name:                                                                                     \
        return #name;
        APC_ERRORS(APC__ERR_NAME)
#undef APC__ERR_NAME
    default:
        break;
    }
    if (code < 0 && code > -4096) {
        const char *n = strerrorname_np(-code);
        return n ? n : "errno";
    }
    return "APC_EUNKNOWN";
}

static const struct {
    int code;
    const char *name;
} errors[] = {
#define APC__ERR_ROW(name, value, wire, text) {value, #name},
    APC_ERRORS(APC__ERR_ROW)
#undef APC__ERR_ROW
};

APC_API const char *apc_error_at(size_t i, int *code)
{
    if (i >= sizeof errors / sizeof errors[0])
        return NULL;
    if (code)
        *code = errors[i].code;
    return errors[i].name;
}

APC_API const char *apc_last_error_message(void)
{
    return tl_msg;
}

__attribute__((format(printf, 2, 0))) static int vset(int code, const char *fmt, va_list ap)
{
    vsnprintf(tl_msg, sizeof tl_msg, fmt, ap);
    return code;
}

int apc__err(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vset(code, fmt, ap);
    va_end(ap);
    return code;
}

int apc__err_errno(int err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vset(-err, fmt, ap);
    va_end(ap);
    size_t len = strlen(tl_msg);
    snprintf(tl_msg + len, sizeof tl_msg - len, ": %s", strerror(err));
    return -err;
}

int apc__err_wrap(int code, const char *fmt, ...)
{
    /* The message being wrapped is tl_msg itself: copy it first, since formatting into a buffer
     * that is also an argument is undefined behaviour. */
    char inner[sizeof tl_msg];
    memcpy(inner, tl_msg, sizeof inner);
    va_list ap;
    va_start(ap, fmt);
    vset(code, fmt, ap);
    va_end(ap);
    size_t len = strlen(tl_msg);
    if (inner[0])
        snprintf(tl_msg + len, sizeof tl_msg - len, ": %s", inner);
    return code;
}

void apc__err_clear(void)
{
    tl_msg[0] = '\0';
}

void apc__err_copy(char *buf, size_t n)
{
    if (n == 0)
        return;
    snprintf(buf, n, "%s", tl_msg);
}

APC_API void apc_free(void *p)
{
    free(p);
}

APC_API const char *apc_version(void)
{
    return APC_VERSION;
}

/* 1601-01-01 to 1970-01-01 in 100 ns ticks. */
#define FILETIME_UNIX_EPOCH 116444736000000000LL

APC_API int64_t apc_time_to_filetime(apc_time_t t)
{
    return t / 100 + FILETIME_UNIX_EPOCH;
}

APC_API apc_time_t apc_time_from_filetime(int64_t ft)
{
    return (ft - FILETIME_UNIX_EPOCH) * 100;
}
