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

/* ratelimit.c: nonzero when `peer` has reached `max` failures within the window, with the
 * seconds to wait in *retry. */
int apc__auth_rl_blocked(const char *peer, int max, int *retry);
void apc__auth_rl_fail(const char *peer);
void apc__auth_rl_clear(const char *peer);

/* An argon2id hash (same cost as real ones) of a random password nobody knows: a login with an
 * unknown name is verified against it, so it takes as long as a wrong password (no account
 * enumeration by timing). NULL if it could not be made. */
const char *apc__auth_dummy_hash(void);

#endif
