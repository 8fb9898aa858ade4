/* SPDX-License-Identifier: MIT */
/* Accounts and sessions as module auth stores them: typed calls to the store's backend
 * (records, return values and who owns returned strings in store/backend.h,
 * apc__accounts_ops_t). Every call returns what it documents there or a negative APC_E* with
 * the message set. Thread-safe (pooled connections). */
#ifndef APC_STORE_ACCOUNTS_H
#define APC_STORE_ACCOUNTS_H

#include "store/backend.h"
#include "store/store.h"

int apc__accounts_count(apc__store_t *s, int64_t *n);
int apc__accounts_add(apc__store_t *s, const apc__st_user_t *u);
int apc__accounts_remove(apc__store_t *s, const char *name);
int apc__accounts_set_hash(apc__store_t *s, const char *name, const char *hash);
int apc__accounts_credentials(apc__store_t *s, const char *name, char **hash, int64_t *role);
int apc__accounts_list(apc__store_t *s, apc__st_user_fn fn, void *payload);
int apc__accounts_setting_int(apc__store_t *s, const char *key, int64_t *value);
int apc__accounts_session_open(apc__store_t *s, int64_t purge_before,
                               const apc__st_session_t *sess);
int apc__accounts_session_get(apc__store_t *s, const char *token_hash, apc__st_session_seen_t *out,
                              char **user);
int apc__accounts_session_touch(apc__store_t *s, const char *token_hash, int64_t last_used,
                                int64_t expires);
int apc__accounts_session_end(apc__store_t *s, const char *token_hash);

#endif
