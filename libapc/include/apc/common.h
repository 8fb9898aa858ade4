/* SPDX-License-Identifier: MIT */
/*
 * Common definitions of libapc: export macro, error codes, memory.
 *
 * Errors: every function that can fail returns int, 0 (or a positive count where documented)
 * on success and a negative code on failure: an APC_E* code (APC_ERRORS below), which equals
 * -errno where the condition has an errno, or another -errno from the system. The detailed,
 * human-readable message of the last failure on the calling thread is apc_last_error_message().
 */
#ifndef APC_COMMON_H
#define APC_COMMON_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define APC_API __attribute__((visibility("default")))
#else
#define APC_API
#endif

/*
 * The one list of library error codes: X(name, value, wire, text).
 *
 * A code that has an errno meaning equals -errno (as Knot DNS does: APC_ENOMEM == -ENOMEM), so
 * a system call's failure returned as -errno and our own use of the same condition are one
 * code, and callers compare against one name. Codes with no errno counterpart are ours, from
 * -1000 down, appended and never renumbered. Any other -errno (ENOSPC, EMFILE...) is a valid
 * code too: apc_strerror and apc_err_name describe it.
 *
 * `wire` is the suffix of the wire ErrorCode the code maps to (APC_SERVE_<wire>, apc/ops.h and
 * spec/wire.md); any -errno not listed maps to IO_ERROR. Decisions, so they are made once:
 *   APC_ENOTFOUND = -ENOENT   a capture, search, user, file... that does not exist
 *   APC_EEXISTS   = -EEXIST   creating what is already there
 *   APC_EBUSY     = -EBUSY    busy, or in a state that conflicts with the request
 *   APC_ENOTSUP   = -ENOTSUP  a valid request we do not do (yet, or on this system)
 *   APC_EPERM     = -EPERM    the caller's role does not allow the action
 *   APC_EACCES    = -EACCES   the system denied access to a file or device (was IO_ERROR)
 *   APC_ENOSPC    = -ENOSPC   the disk is full (a capture stops with a clear state)
 */
#define APC_ERRORS(X)                                                                              \
    X(APC_EINVAL, -EINVAL, MALFORMED_REQUEST, "invalid argument")                                  \
    X(APC_ENOTFOUND, -ENOENT, NOT_FOUND, "not found")                                              \
    X(APC_EEXISTS, -EEXIST, CONFLICT, "already exists")                                            \
    X(APC_EBUSY, -EBUSY, CONFLICT, "busy or in a conflicting state")                               \
    X(APC_ENOTSUP, -ENOTSUP, NOT_SUPPORTED, "not supported")                                       \
    X(APC_EIO, -EIO, IO_ERROR, "input/output error")                                               \
    X(APC_ENOMEM, -ENOMEM, GENERIC_ERROR, "out of memory")                                         \
    X(APC_ECANCELED, -ECANCELED, CANCELLED, "cancelled")                                           \
    X(APC_EPERM, -EPERM, INVALID_PERMISSIONS, "permission denied")                                 \
    X(APC_EACCES, -EACCES, INVALID_PERMISSIONS, "access denied by the system")                     \
    X(APC_ENOSPC, -ENOSPC, IO_ERROR, "no space left on the device")                                \
    X(APC_EGENERIC, -1000, GENERIC_ERROR, "generic error")                                         \
    X(APC_ELIMIT, -1008, LIMIT_EXCEEDED, "limit exceeded")                                         \
    X(APC_EFORMAT, -1009, BAD_INPUT_FILE, "malformed input")                                       \
    X(APC_ENOTOKEN, -1010, NO_TOKEN, "no token")                                                   \
    X(APC_ESESSION, -1011, SESSION_TIMEOUT, "session expired")                                     \
    X(APC_EAUTH, -1013, INVALID_CREDENTIALS, "invalid credentials")                                \
    X(APC_ENOPAGE, -1014, NO_PAGE, "no such page")                                                 \
    X(APC_ESTORE, -1016, IO_ERROR, "store error")                                                  \
    X(APC_ENOACTION, -1017, UNKNOWN_ACTION, "unknown action")
/* Our codes -1001..-1007, -1012 and -1015 were the errno-equal ones above before they became
 * -errno; they stay unused. */

enum apc_error {
    APC_OK = 0,
#define APC__ERR_ENUM(name, value, wire, text) name = value,
    APC_ERRORS(APC__ERR_ENUM)
#undef APC__ERR_ENUM
};

/* Static text for a code (APC_E* or -errno). Never NULL. Thread-safe. */
APC_API const char *apc_strerror(int code);
/* Symbolic name ("APC_ENOTFOUND", "ENOSPC"...) for a code. Never NULL. Thread-safe. */
APC_API const char *apc_err_name(int code);
/* The i-th code of APC_ERRORS (0-based) into *code, and its name; NULL past the end. Lets
 * bindings read the list from the library instead of keeping a copy. Static data. */
APC_API const char *apc_error_at(size_t i, int *code);
/*
 * Detailed message of the last error set on this thread ("file x.pcap: offset 1234: block
 * length 7 below minimum 12"). Owned by the library, valid until the next libapc call on the
 * same thread. Never NULL (empty string when none).
 */
APC_API const char *apc_last_error_message(void);

/* Frees memory that libapc returned as a plain buffer or string. NULL-safe. */
APC_API void apc_free(void *p);

/* Library version string, e.g. "0.1.0". Static. */
APC_API const char *apc_version(void);

/* Times in the C API are nanoseconds since the Unix epoch (UTC). */
typedef int64_t apc_time_t;

/* UTC FILETIME (100 ns ticks since 1601-01-01) <-> apc_time_t, as the wire uses. */
APC_API int64_t apc_time_to_filetime(apc_time_t t);
APC_API apc_time_t apc_time_from_filetime(int64_t ft);

#ifdef __cplusplus
}
#endif
#endif
