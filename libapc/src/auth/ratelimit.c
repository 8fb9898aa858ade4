/* SPDX-License-Identifier: MIT */
/*
 * Per-address limit on failed logins, in memory (process-wide): an address that failed `max`
 * times within WINDOW seconds is refused without a password check until the window ends. A
 * fixed table; when full, the oldest entry is reused, so a flood of addresses cannot grow it.
 */
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "auth/auth_internal.h"

#define SLOTS 1024
#define WINDOW 60
#define ADDR_MAX 64

typedef struct slot {
    char addr[ADDR_MAX];
    time_t start; /* first failure of the window; 0 = free */
    int fails;
} slot_t;

static slot_t slots[SLOTS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static time_t mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1; /* never 0, which marks a free slot */
}

/* Slot of addr (creating it when `create`), or NULL. Caller holds lock. */
static slot_t *find(const char *addr, int create, time_t now)
{
    slot_t *oldest = &slots[0];
    for (size_t i = 0; i < SLOTS; i++) {
        slot_t *s = &slots[i];
        if (s->start && now - s->start >= WINDOW)
            s->start = 0, s->fails = 0;
        if (s->start && strncmp(s->addr, addr, ADDR_MAX - 1) == 0)
            return s;
        if (!s->start || (oldest->start && s->start < oldest->start))
            oldest = s;
    }
    if (!create)
        return NULL;
    memset(oldest, 0, sizeof *oldest);
    strncpy(oldest->addr, addr, ADDR_MAX - 1);
    oldest->start = now;
    return oldest;
}

int apc__auth_rl_blocked(const char *peer, int max, int *retry)
{
    time_t now = mono();
    pthread_mutex_lock(&lock);
    slot_t *s = find(peer, 0, now);
    int blocked = s && s->fails >= max;
    if (blocked)
        *retry = (int)(WINDOW - (now - s->start));
    pthread_mutex_unlock(&lock);
    return blocked;
}

void apc__auth_rl_fail(const char *peer)
{
    time_t now = mono();
    pthread_mutex_lock(&lock);
    slot_t *s = find(peer, 1, now);
    s->fails++;
    pthread_mutex_unlock(&lock);
}

void apc__auth_rl_clear(const char *peer)
{
    pthread_mutex_lock(&lock);
    slot_t *s = find(peer, 0, mono());
    if (s)
        s->start = 0, s->fails = 0;
    pthread_mutex_unlock(&lock);
}
