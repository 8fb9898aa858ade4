/* SPDX-License-Identifier: MIT */
/*
 * The action table: the one entry point that apcd, apcctl and the Python binding use to run
 * an action of the AppPacCap API by its wire name.
 */
#ifndef APC_OPS_H
#define APC_OPS_H

#include "ctx.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Wire error codes (spec/wire.md): X(suffix, value). Known ones first, ours from 100. The
 * library's codes name the one each maps to (APC_ERRORS in apc/common.h). */
#define APC_SERVE_ERRORS(X)                                                                        \
    X(SUCCESS, 0)                                                                                  \
    X(GENERIC_ERROR, 1)                                                                            \
    X(NO_TOKEN, 2)                                                                                 \
    X(NO_PAGE, 3)                                                                                  \
    X(MALFORMED_REQUEST, 4)                                                                        \
    X(SESSION_TIMEOUT, 5)                                                                          \
    X(INVALID_PERMISSIONS, 8)                                                                      \
    X(INVALID_CREDENTIALS, 9)                                                                      \
    X(INVALID_LICENSE, 12)                                                                         \
    X(NOT_FOUND, 100)                                                                              \
    X(CONFLICT, 101)                                                                               \
    X(NOT_SUPPORTED, 102)                                                                          \
    X(IO_ERROR, 103)                                                                               \
    X(LIMIT_EXCEEDED, 104)                                                                         \
    X(BAD_INPUT_FILE, 105)                                                                         \
    X(CANCELLED, 106)                                                                              \
    X(UNKNOWN_ACTION, 107)

enum apc_serve_error {
#define APC__SERVE_ENUM(suffix, value) APC_SERVE_##suffix = value,
    APC_SERVE_ERRORS(APC__SERVE_ENUM)
#undef APC__SERVE_ENUM
};

enum apc_data_type {
    APC_DATA_TYPE_STRING = 1,
    APC_DATA_TYPE_INT = 2,
    APC_DATA_TYPE_JSON = 3,
    APC_DATA_TYPE_HEX = 4,
};

enum apc_role {
    APC_ROLE_NODE = -1,  /* another node of the fleet: only the node-to-node actions */
    APC_ROLE_NONE = 0,   /* no login needed (login itself) */
    APC_ROLE_VIEWER = 1, /* read-only actions */
    APC_ROLE_ADMIN = 2,  /* everything */
};

enum apc_param_type {
    APC_PARAM_INT = 1,    /* signed 64-bit decimal (or 0x hex) */
    APC_PARAM_STRING = 2, /* UTF-8 text */
    APC_PARAM_LIST = 3,   /* list of strings: repeated keys, comma-separated, or JSON array */
    APC_PARAM_IP = 4,     /* IPv4 or IPv6 address text */
    APC_PARAM_FLOAT = 5,  /* decimal number */
};

typedef struct apc_param_spec {
    const char *name;
    int type;            /* enum apc_param_type */
    int required;        /* nonzero: missing is ERROR_SERVE_MALFORMED_REQUEST */
    const char *def;     /* default as text, or NULL */
    int64_t min, max;    /* INT: inclusive range; STRING/LIST: max length in bytes (max) */
    const char *summary; /* one line for help and docs */
} apc_param_spec_t;

typedef struct apc_op_info {
    const char *name;    /* wire name, e.g. "capture_read" */
    const char *summary; /* one line */
    int role;            /* enum apc_role required */
    int blocking;        /* nonzero: may block on I/O for long; faces run it off their loop */
    int data_type;       /* enum apc_data_type of a successful ReturnValue */
    const char *returns; /* object name returned, e.g. "PACKETSTREAM" or "listOf CAPTURE" */
    const apc_param_spec_t *params; /* array terminated by an entry with name == NULL */
    int implemented; /* zero: listed for help and docs, answers ERROR_SERVE_NOT_SUPPORTED */
} apc_op_info_t;

/* Number of actions in the table, and the i-th (0-based; NULL past the end). Static data. */
APC_API size_t apc_op_count(void);
APC_API const apc_op_info_t *apc_op_at(size_t i);
/* The action named `name`, or NULL. Static data. */
APC_API const apc_op_info_t *apc_op_find(const char *name);
/* 1 if `name` is a node-to-node action, the only kind APC_ROLE_NODE may run (docs/fleet.md):
 * what another node asks of the capture's owner. 0 otherwise, NULL included. */
APC_API int apc_op_node_action(const char *name);

/* Parameters of one call: an ordered multimap of name -> UTF-8 value. */
typedef struct apc_params apc_params_t;

/* Creates an empty parameter set; *out belongs to the caller (apc_params_free). */
APC_API int apc_params_new(apc_params_t **out);
/* Adds name=value (copied). Repeating a name appends another value (for lists). */
APC_API int apc_params_add(apc_params_t *p, const char *name, const char *value);
/* Adds name=value with an explicit length (value may hold any bytes but NUL ends it for use). */
APC_API int apc_params_addn(apc_params_t *p, const char *name, const char *value, size_t len);
/* The name of the first parameter whose value holds a NUL byte before its end, or NULL when
 * none does. A server refuses such a request whole: a C string ends at the NUL, so
 * "settings_set\0x" would otherwise run settings_set and "TOKEN\0junk" pass as TOKEN. The
 * name is owned by p. Thread-safe for a p no one modifies. */
APC_API const char *apc_params_nul(const apc_params_t *p);
/* First value of `name`, or NULL. Owned by p. */
APC_API const char *apc_params_get(const apc_params_t *p, const char *name);
APC_API void apc_params_free(apc_params_t *p);

/* Who is calling: the role the caller was authenticated with (local callers pass ADMIN). */
typedef struct apc_session {
    int role;             /* enum apc_role */
    const char *username; /* for audit; may be NULL */
    /* Added with apcd (read by login/logout; NULL for local callers): */
    const char *peer;  /* the caller's address, for the per-address login limit */
    const char *token; /* the token the caller passed; logout ends its session */
    /* The longest a wait=1 call may block the caller's thread, in ms; 0 = no limit (local
     * callers). Past it the action answers the state as it is then (a running capture,
     * command or search), and the caller polls: a server keeps its threads free this way. */
    int wait_limit_ms;
} apc_session_t;

/*
 * Runs `action` with `params` as `session` (NULL = local admin) and returns in *out_json the
 * RESPONSE object of spec/wire.md as a NUL-terminated JSON string, owned by the caller
 * (apc_free). *out_json is set on every return where memory allows, errors included.
 * Returns the wire ErrorCode (enum apc_serve_error, >= 0) or a negative APC_E* only when no
 * RESPONSE could be made. May block (see apc_op_info_t.blocking). Thread-safe.
 */
APC_API int apc_op_call(apc_ctx_t *ctx, const apc_session_t *session, const char *action,
                        const apc_params_t *params, char **out_json);

/* The wire ErrorCode for an APC_E* or -errno code (the one map). */
APC_API int apc_serve_error_from(int apc_code);
/* "ERROR_SERVE_NOT_FOUND"... for a wire code; never NULL. */
APC_API const char *apc_serve_error_name(int serve_code);
/* The i-th wire code of APC_SERVE_ERRORS (0-based) into *code, and its name
 * ("ERROR_SERVE_..."); NULL past the end. Bindings read the list from here. Static data. */
APC_API const char *apc_serve_error_at(size_t i, int *code);

#ifdef __cplusplus
}
#endif
#endif
