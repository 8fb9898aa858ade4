/* SPDX-License-Identifier: MIT */
/* Internal error helpers: set the thread-local message and return the code. */
#ifndef APC_CORE_ERROR_H
#define APC_CORE_ERROR_H

#include <apc/common.h>

/* Sets the thread-local message (printf-style) and returns `code`, so callers can write
 * `return apc__err(APC_EINVAL, "port %d out of range", p);`. */
int apc__err(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Same as apc__err, with `code` = -errno and ": strerror" appended. */
int apc__err_errno(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Same as apc__err, with ": " and the message already set (by the failing call below) appended:
 * `return apc__err_wrap(r, "capture %lld packet %lld", cap, id);`. Never pass
 * apc_last_error_message() as an argument of apc__err instead: that formats the buffer into
 * itself. */
int apc__err_wrap(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Clears the thread-local message. */
void apc__err_clear(void);
/* Copy of the current message into buf (for saving it before further calls). */
void apc__err_copy(char *buf, size_t n);

#endif
