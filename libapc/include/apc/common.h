/* SPDX-License-Identifier: MIT */
/*
 * Common definitions of libapc: export macro, error codes, memory.
 *
 * Errors: every function that can fail returns int, 0 (or a positive count where documented)
 * on success and a negative code on failure. Codes of ours are APC_E*; system errors are
 * returned as -errno. The detailed, human-readable message of the last failure on the calling
 * thread is apc_last_error_message().
 */
#ifndef APC_COMMON_H
#define APC_COMMON_H

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
 * X(name, value, text). Codes are appended, never renumbered. They start at -1000 so they
 * never collide with -errno.
 */
#define APC_ERRORS(X)                                                                              \
    X(APC_EGENERIC, -1000, "generic error")                                                        \
    X(APC_EINVAL, -1001, "invalid argument")                                                       \
    X(APC_ENOTFOUND, -1002, "not found")                                                           \
    X(APC_EEXISTS, -1003, "already exists")                                                        \
    X(APC_EBUSY, -1004, "busy or in a conflicting state")                                          \
    X(APC_ENOTSUP, -1005, "not supported")                                                         \
    X(APC_EIO, -1006, "input/output error")                                                        \
    X(APC_ENOMEM, -1007, "out of memory")                                                          \
    X(APC_ELIMIT, -1008, "limit exceeded")                                                         \
    X(APC_EFORMAT, -1009, "malformed input")                                                       \
    X(APC_ENOTOKEN, -1010, "no token")                                                             \
    X(APC_ESESSION, -1011, "session expired")                                                      \
    X(APC_EPERM, -1012, "permission denied")                                                       \
    X(APC_EAUTH, -1013, "invalid credentials")                                                     \
    X(APC_ENOPAGE, -1014, "no such page")                                                          \
    X(APC_ECANCELED, -1015, "cancelled")                                                           \
    X(APC_ESTORE, -1016, "store error")                                                            \
    X(APC_ENOACTION, -1017, "unknown action")

enum apc_error {
    APC_OK = 0,
#define APC__ERR_ENUM(name, value, text) name = value,
    APC_ERRORS(APC__ERR_ENUM)
#undef APC__ERR_ENUM
};

/* Static text for a code (APC_E* or -errno). Never NULL. Thread-safe. */
APC_API const char *apc_strerror(int code);
/* Symbolic name ("APC_ENOTFOUND", "ENOSPC"...) for a code. Never NULL. Thread-safe. */
APC_API const char *apc_err_name(int code);
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
