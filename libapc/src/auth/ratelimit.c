/* SPDX-License-Identifier: MIT */
/*
 * The limit on failed logins, per context, in memory. Two counters meet at every login: one for
 * the caller's address and one for the account name tried. Either one at `max` failures within
 * WINDOW seconds refuses the login without a password check until its window ends.
 *
 * - A login reserves its try on both counters before the (slow, argon2id) check, under one
 *   lock: N parallel wrong logins cannot all pass a check made before any of them failed.
 * - A failure adds to both counters; a success clears only its own account's counter. Another
 *   account's success (a viewer logging in from the same address) never resets the address,
 *   so interleaving good logins buys no more guesses.
 * - A fixed table: when full, the oldest entry is reused, so a flood of addresses or names
 *   cannot grow it. Entries expire with their window.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/auth_internal.h"
#include "core/ctx.h"

#define SLOTS 1024
#define WINDOW 60
#define KEY_MAX 96

typedef struct slot {
    char key[KEY_MAX]; /* "a:<address>" or "u:<account name>" */
    time_t start;      /* first failure or reservation of the window; 0 = free */
    int fails;
    int pending; /* logins reserved and not yet decided */
} slot_t;

struct apc__login_limit {
    slot_t slots[SLOTS];
};

static time_t mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1; /* never 0, which marks a free slot */
}

/* Slot of key (creating it when `create`), or NULL. Caller holds ctx->login_lock. */
static slot_t *find(struct apc__login_limit *l, const char *key, int create, time_t now)
{
    slot_t *oldest = &l->slots[0];
    for (size_t i = 0; i < SLOTS; i++) {
        slot_t *s = &l->slots[i];
        if (s->start && !s->pending && now - s->start >= WINDOW)
            s->start = 0, s->fails = 0;
        if (s->start && strncmp(s->key, key, KEY_MAX) == 0)
            return s;
        if (!s->start || (oldest->start && !s->pending && s->start < oldest->start))
            oldest = s;
    }
    if (!create)
        return NULL;
    memset(oldest, 0, sizeof *oldest);
    snprintf(oldest->key, sizeof oldest->key, "%s", key);
    oldest->start = now;
    return oldest;
}

static void keys(const char *peer, const char *user, char *a, char *u)
{
    snprintf(a, KEY_MAX, "a:%s", peer ? peer : "local");
    snprintf(u, KEY_MAX, "u:%s", user ? user : "");
}

int apc__auth_rl_begin(apc_ctx_t *ctx, const char *peer, const char *user, int max, int *retry,
                       const char **which)
{
    char ka[KEY_MAX], ku[KEY_MAX];
    keys(peer, user, ka, ku);
    time_t now = mono();
    int rc = 0;
    pthread_mutex_lock(&ctx->login_lock);
    if (!ctx->login_limit)
        ctx->login_limit = calloc(1, sizeof *ctx->login_limit);
    if (!ctx->login_limit) {
        pthread_mutex_unlock(&ctx->login_lock);
        return -1;
    }
    slot_t *sa = find(ctx->login_limit, ka, 1, now);
    slot_t *su = find(ctx->login_limit, ku, 1, now);
    /* Tries still being checked count as failures: the worst case until they are decided. */
    if (sa->fails + sa->pending >= max) {
        *retry = (int)(WINDOW - (now - sa->start));
        *which = "address";
        rc = 1;
    } else if (su->fails + su->pending >= max) {
        *retry = (int)(WINDOW - (now - su->start));
        *which = "account";
        rc = 1;
    } else {
        sa->pending++;
        su->pending++;
    }
    if (rc && *retry < 1)
        *retry = 1;
    pthread_mutex_unlock(&ctx->login_lock);
    return rc;
}

void apc__auth_rl_end(apc_ctx_t *ctx, const char *peer, const char *user, int outcome)
{
    char ka[KEY_MAX], ku[KEY_MAX];
    keys(peer, user, ka, ku);
    time_t now = mono();
    pthread_mutex_lock(&ctx->login_lock);
    if (ctx->login_limit) {
        slot_t *sa = find(ctx->login_limit, ka, 1, now);
        slot_t *su = find(ctx->login_limit, ku, 1, now);
        if (sa->pending)
            sa->pending--;
        if (su->pending)
            su->pending--;
        if (outcome > 0) {
            su->fails = 0; /* the account's own right password; the address keeps its count */
        } else if (outcome == 0) {
            sa->fails++;
            su->fails++;
        }
    }
    pthread_mutex_unlock(&ctx->login_lock);
}

void apc__auth_rl_free(apc_ctx_t *ctx)
{
    free(ctx->login_limit);
    ctx->login_limit = NULL;
}
