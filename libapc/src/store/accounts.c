/* SPDX-License-Identifier: MIT */
/* Dispatch of the account and session calls to the store's backend (see accounts.h). */
#include "store/accounts.h"

#include "store/store_int.h"

int apc__accounts_count(apc__store_t *s, int64_t *n)
{
    return s->be->accounts->count(s->impl, n);
}

int apc__accounts_add(apc__store_t *s, const apc__st_user_t *u)
{
    return s->be->accounts->add(s->impl, u);
}

int apc__accounts_remove(apc__store_t *s, const char *name)
{
    return s->be->accounts->remove(s->impl, name);
}

int apc__accounts_set_hash(apc__store_t *s, const char *name, const char *hash)
{
    return s->be->accounts->set_hash(s->impl, name, hash);
}

int apc__accounts_credentials(apc__store_t *s, const char *name, char **hash, int64_t *role)
{
    return s->be->accounts->credentials(s->impl, name, hash, role);
}

int apc__accounts_list(apc__store_t *s, apc__st_user_fn fn, void *payload)
{
    return s->be->accounts->list(s->impl, fn, payload);
}

int apc__accounts_setting_int(apc__store_t *s, const char *key, int64_t *value)
{
    return s->be->accounts->setting_int(s->impl, key, value);
}

int apc__accounts_session_open(apc__store_t *s, int64_t purge_before, const apc__st_session_t *sess)
{
    return s->be->accounts->session_open(s->impl, purge_before, sess);
}

int apc__accounts_session_get(apc__store_t *s, const char *token_hash, apc__st_session_seen_t *out,
                              char **user)
{
    return s->be->accounts->session_get(s->impl, token_hash, out, user);
}

int apc__accounts_session_touch(apc__store_t *s, const char *token_hash, int64_t last_used,
                                int64_t expires)
{
    return s->be->accounts->session_touch(s->impl, token_hash, last_used, expires);
}

int apc__accounts_session_end(apc__store_t *s, const char *token_hash)
{
    return s->be->accounts->session_end(s->impl, token_hash);
}
