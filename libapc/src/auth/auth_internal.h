/* SPDX-License-Identifier: MIT */
/* Internals of module auth shared by its files. */
#ifndef APC_AUTH_INTERNAL_H
#define APC_AUTH_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <apc/auth.h>

/* sodium_init once; 0 or APC_EGENERIC. */
int apc__auth_init(void);
/* n random bytes from getrandom(2) into buf. 0 or -errno. */
int apc__auth_random(void *buf, size_t n);
/* Lowercase hex of n bytes into out (2n+1 bytes). */
void apc__auth_hex(const uint8_t *in, size_t n, char *out);

/* ratelimit.c, the failed-login limit of a context (per address and per account name).
 * begin: 1 when the address or the account has reached `max` failures within the window (the
 * seconds to wait in *retry, "address" or "account" in *which), -1 out of memory, 0 when the
 * try is reserved: then end() must follow with its outcome. Thread-safe. */
int apc__auth_rl_begin(apc_ctx_t *ctx, const char *peer, const char *user, int max, int *retry,
                       const char **which);
/* outcome: 1 the right password, 0 a failure, -1 not decided (an error before the check). */
void apc__auth_rl_end(apc_ctx_t *ctx, const char *peer, const char *user, int outcome);
/* Frees the table (apc_ctx_close). */
void apc__auth_rl_free(apc_ctx_t *ctx);

/* An argon2id hash (same cost as real ones) of a random password nobody knows: a login with an
 * unknown name is verified against it, so it takes as long as a wrong password (no account
 * enumeration by timing). NULL if it could not be made. */
const char *apc__auth_dummy_hash(void);

#endif
