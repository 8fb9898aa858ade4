/* SPDX-License-Identifier: MIT */
/*
 * Scans of other nodes' captures for a search (remote.h), asked by at most WORKERS threads at
 * once: a search over a fleet waits for its slowest node rather than for the sum of them. Each
 * answer is kept whole (checked by fleet/matches.c) until the search reaches its capture, so
 * the matches join the search's own in capture order.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/error.h"
#include "fleet/peer.h"
#include "search/remote.h"
#include "util/array.h"
#include "util/clock.h"

#define WORKERS 4
#define WAIT_NS 200000000LL /* how often a waiting search looks at its cancel flags */

typedef struct slot {
    int64_t capture_id;
    uint64_t packets;
    char *node, *url;
    int64_t *ids;
    size_t n, cap;
    uint64_t scanned;
    int rc, done;
    char err[1024];
} slot_t;

struct apc__search_remote {
    apc_ctx_t *ctx;
    const char *filter;
    int64_t time_from, time_to;
    const volatile int *cancel;
    volatile int stop; /* set by take (a cancel seen while waiting) and by end */
    slot_t *slots;
    size_t n, next;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t th[WORKERS];
    int nth;
};

static int keep(int64_t capture_id, int64_t packet_id, void *payload)
{
    slot_t *s = payload;
    (void)capture_id;
    if (apc__grow((void **)&s->ids, &s->cap, s->n + 1, sizeof *s->ids) < 0)
        return apc__err(APC_ENOMEM, "out of memory");
    s->ids[s->n++] = packet_id;
    return 0;
}

static void *worker(void *arg)
{
    apc__search_remote_t *r = arg;
    for (;;) {
        pthread_mutex_lock(&r->mu);
        size_t i = r->next < r->n ? r->next++ : r->n;
        pthread_mutex_unlock(&r->mu);
        if (i == r->n)
            return NULL;
        slot_t *s = &r->slots[i];
        apc__fleet_scan_t q = {.node = s->node,
                               .url = s->url,
                               .capture_id = s->capture_id,
                               .packets = s->packets,
                               .filter = r->filter,
                               .time_from = r->time_from,
                               .time_to = r->time_to,
                               .cancel = r->cancel,
                               .cancel2 = &r->stop};
        int rc = r->stop || *r->cancel ? APC_ECANCELED
                                       : apc__fleet_matches(r->ctx, &q, keep, s, &s->scanned);
        if (rc < 0 && rc != APC_ECANCELED)
            apc__err_copy(s->err, sizeof s->err); /* the message is this thread's */
        pthread_mutex_lock(&r->mu);
        s->rc = rc;
        s->done = 1;
        pthread_cond_broadcast(&r->cv);
        pthread_mutex_unlock(&r->mu);
    }
}

void apc__search_remote_end(apc__search_remote_t *r)
{
    if (!r)
        return;
    r->stop = 1;
    for (int i = 0; i < r->nth; i++)
        pthread_join(r->th[i], NULL);
    for (size_t i = 0; i < r->n; i++) {
        free(r->slots[i].node);
        free(r->slots[i].url);
        free(r->slots[i].ids);
    }
    free(r->slots);
    pthread_mutex_destroy(&r->mu);
    pthread_cond_destroy(&r->cv);
    free(r);
}

int apc__search_remote_start(apc_ctx_t *ctx, const char *filter, int64_t time_from, int64_t time_to,
                             const int64_t *pairs, size_t n, const volatile int *cancel,
                             apc__search_remote_t **out)
{
    *out = NULL;
    apc__search_remote_t *r = calloc(1, sizeof *r);
    if (!r || !(r->slots = calloc(n ? n : 1, sizeof *r->slots))) {
        free(r);
        return apc__err(APC_ENOMEM, "out of memory");
    }
    r->ctx = ctx;
    r->filter = filter;
    r->time_from = time_from;
    r->time_to = time_to;
    r->cancel = cancel;
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv, NULL);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        slot_t *s = &r->slots[r->n];
        rc = apc__fleet_owner(ctx, pairs[2 * i], &s->node, &s->url);
        if (rc == 1) {
            s->capture_id = pairs[2 * i];
            s->packets = (uint64_t)pairs[2 * i + 1];
            r->n++;
            rc = 0;
        } else if (rc == APC_ENOTFOUND) {
            rc = 0; /* deleted since: the search skips it */
        }
    }
    for (int i = 0; rc == 0 && i < WORKERS && (size_t)i < r->n; i++) {
        int e = pthread_create(&r->th[i], NULL, worker, r);
        if (e != 0)
            rc = apc__err(APC_ENOMEM, "cannot start a thread to ask the other nodes");
        else
            r->nth++;
    }
    if (rc < 0 || r->n == 0) {
        apc__search_remote_end(r);
        return rc;
    }
    *out = r;
    return 0;
}

int apc__search_remote_take(apc__search_remote_t *r, int64_t capture_id,
                            const volatile int *cancel2, apc__search_match_fn fn, void *payload,
                            uint64_t *scanned)
{
    *scanned = 0;
    slot_t *s = NULL;
    for (size_t i = 0; r && i < r->n && !s; i++)
        if (r->slots[i].capture_id == capture_id)
            s = &r->slots[i];
    if (!s)
        return 0;
    pthread_mutex_lock(&r->mu);
    while (!s->done) {
        if (*r->cancel || (cancel2 && *cancel2))
            r->stop = 1; /* the worker's transfer ends within about a second */
        struct timespec dl = apc__deadline_ns(CLOCK_REALTIME, WAIT_NS);
        pthread_cond_timedwait(&r->cv, &r->mu, &dl);
    }
    pthread_mutex_unlock(&r->mu);
    if (s->rc == APC_ECANCELED)
        return APC_ECANCELED;
    if (s->rc < 0)
        return apc__err(s->rc, "%s", s->err);
    *scanned = s->scanned;
    int rc = 0;
    for (size_t k = 0; rc == 0 && k < s->n; k++)
        rc = fn(capture_id, s->ids[k], payload);
    return rc < 0 ? rc : 1;
}
