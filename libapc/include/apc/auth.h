/* SPDX-License-Identifier: MIT */
/*
 * Accounts, sessions and roles (DESIGN.md section 9). Passwords are kept as argon2id hashes
 * (libsodium), tokens are 32 bytes from the kernel's random source written as 64 hex digits
 * and kept in the store only as a BLAKE2b hash. Sessions expire after an idle time read from
 * the setting "session_idle_seconds" (default 1800).
 */
#ifndef APC_AUTH_H
#define APC_AUTH_H

#include "ctx.h"

#ifdef __cplusplus
extern "C" {
#endif

#define APC_TOKEN_HEX_LEN 64
#define APC_USER_NAME_MAX 64
#define APC_PASSWORD_MAX 1024
#define APC_SESSION_IDLE_DEFAULT 1800

typedef struct apc_user {
    char *name;
    int role; /* enum apc_role of apc/ops.h: APC_ROLE_VIEWER or APC_ROLE_ADMIN */
    apc_time_t created;
} apc_user_t;

typedef struct apc_user_list {
    size_t count;
    apc_user_t *items;
} apc_user_list_t;

/* "admin" / "viewer" (NULL for other values), and back (negative APC_EINVAL when unknown). */
APC_API const char *apc_role_name(int role);
APC_API int apc_role_parse(const char *name);

/* Adds an account. Names: 1-64 bytes of [A-Za-z0-9._-]; passwords: 1-1024 bytes.
 * APC_EEXISTS if the name is taken. Hashing takes tens of milliseconds on purpose. */
APC_API int apc_user_add(apc_ctx_t *ctx, const char *name, const char *password, int role);
/* Deletes an account and its sessions. APC_ENOTFOUND if unknown. */
APC_API int apc_user_del(apc_ctx_t *ctx, const char *name);
/* Sets a new password and ends the account's sessions. APC_ENOTFOUND if unknown. */
APC_API int apc_user_passwd(apc_ctx_t *ctx, const char *name, const char *password);
/* All accounts by name; *out belongs to the caller (apc_user_list_free). */
APC_API int apc_user_list(apc_ctx_t *ctx, apc_user_list_t **out);
APC_API void apc_user_list_free(apc_user_list_t *l);

/*
 * Checks a password and opens a session. `peer` names the caller's address for the per-address
 * limit on failed attempts (NULL = "local"). On success *token (64 hex digits, caller frees
 * with apc_free) and *role are set. Wrong name or password: APC_EAUTH (the same for both);
 * too many failures from `peer` in the last minute (setting "login_max_failures", default 10):
 * APC_ELIMIT without checking the password.
 */
APC_API int apc_login(apc_ctx_t *ctx, const char *user, const char *password, const char *peer,
                      char **token, int *role);
/*
 * The session of `token`: its role and, if username is not NULL, the account name (caller
 * frees). Missing token: APC_ENOTOKEN; unknown (never issued, logged out, account deleted):
 * APC_ENOTOKEN; idle for longer than the setting allows: APC_ESESSION. Using a session
 * refreshes its idle time. A token "node:<secret>" carrying the fleet's shared secret gives
 * APC_ROLE_NODE (user "node"): below every other role, it runs only the node-to-node actions
 * (apc_op_node_action of apc/ops.h).
 */
APC_API int apc_session_check(apc_ctx_t *ctx, const char *token, int *role, char **username);
/* Ends the session of `token`. APC_ENOTOKEN if missing or unknown. */
APC_API int apc_logout(apc_ctx_t *ctx, const char *token);

/*
 * First start: when there is no account at all, creates "admin" with a random password,
 * writes it to <data>/initial-admin-password (mode 0600) and returns it in *password (caller
 * frees); otherwise *password is NULL. Returns 0 or a negative APC_E*.
 */
APC_API int apc_auth_bootstrap(apc_ctx_t *ctx, char **password);

#ifdef __cplusplus
}
#endif
#endif
