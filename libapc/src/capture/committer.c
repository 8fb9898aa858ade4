/* SPDX-License-Identifier: MIT */
/* The capture writer's commit thread (see committer.h). */
#include "capture/committer.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/ctx.h"
#include "core/error.h"
#include "store/captures.h"

struct apc__committer {
    apc__store_t *store;
    apc_ctx_t *wake;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    apc__cbatch_t work; /* the batch in flight, or the spare when idle */
    int busy;           /* work is handed over and not yet applied */
    int quit;
    int result;         /* of the last batch applied, until a wait reports it */
    char message[1024]; /* its error text */
};

static void *run(void *arg)
{
    apc__committer_t *c = arg;
    pthread_mutex_lock(&c->mu);
    for (;;) {
        while (!c->busy && !c->quit)
            pthread_cond_wait(&c->cv, &c->mu);
        if (!c->busy)
            break;
        /* The writer does not touch `work` while busy: apply it without the lock. */
        pthread_mutex_unlock(&c->mu);
        int r = apc__captures_commit(c->store, &c->work);
        char msg[sizeof c->message] = "";
        if (r < 0)
            apc__err_copy(msg, sizeof msg);
        apc__cbatch_clear(&c->work);
        pthread_mutex_lock(&c->mu);
        c->result = r;
        snprintf(c->message, sizeof c->message, "%s", msg);
        c->busy = 0;
        pthread_cond_broadcast(&c->cv);
        if (r == 0 && c->wake) {
            /* Outside our lock: the context's has its own waiters. */
            pthread_mutex_unlock(&c->mu);
            apc__ctx_broadcast(c->wake);
            pthread_mutex_lock(&c->mu);
        }
    }
    pthread_mutex_unlock(&c->mu);
    return NULL;
}

int apc__committer_start(apc__store_t *store, apc_ctx_t *wake, int64_t capture_id,
                         apc__committer_t **out)
{
    *out = NULL;
    apc__committer_t *c = calloc(1, sizeof *c);
    if (!c)
        return apc__err(APC_ENOMEM, "out of memory");
    c->store = store;
    c->wake = wake;
    c->work.capture_id = capture_id;
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    int e = pthread_create(&c->thread, NULL, run, c);
    if (e != 0) {
        pthread_cond_destroy(&c->cv);
        pthread_mutex_destroy(&c->mu);
        free(c);
        return apc__err_errno(e, "cannot start the capture's commit thread");
    }
    *out = c;
    return 0;
}

/* With the lock held: waits until idle, then takes the result (reported once). */
static int wait_locked(apc__committer_t *c, char *msg, size_t n)
{
    while (c->busy)
        pthread_cond_wait(&c->cv, &c->mu);
    int r = c->result;
    snprintf(msg, n, "%s", c->message);
    c->result = 0;
    c->message[0] = '\0';
    return r;
}

int apc__committer_wait(apc__committer_t *c)
{
    char msg[sizeof c->message];
    pthread_mutex_lock(&c->mu);
    int r = wait_locked(c, msg, sizeof msg);
    pthread_mutex_unlock(&c->mu);
    return r < 0 ? apc__err(r, "%s", msg) : 0;
}

int apc__committer_busy(apc__committer_t *c)
{
    pthread_mutex_lock(&c->mu);
    int busy = c->busy;
    pthread_mutex_unlock(&c->mu);
    return busy;
}

int apc__committer_hand(apc__committer_t *c, apc__cbatch_t *b)
{
    char msg[sizeof c->message];
    pthread_mutex_lock(&c->mu);
    int r = wait_locked(c, msg, sizeof msg);
    if (r == 0) {
        apc__cbatch_t spare = c->work; /* cleared by the thread after its last batch */
        spare.capture_id = b->capture_id;
        c->work = *b;
        *b = spare;
        c->busy = 1;
        pthread_cond_broadcast(&c->cv);
    }
    pthread_mutex_unlock(&c->mu);
    return r < 0 ? apc__err(r, "%s", msg) : 0;
}

int apc__committer_stop(apc__committer_t *c)
{
    if (!c)
        return 0;
    char msg[sizeof c->message];
    pthread_mutex_lock(&c->mu);
    int r = wait_locked(c, msg, sizeof msg);
    c->quit = 1;
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
    pthread_join(c->thread, NULL);
    pthread_cond_destroy(&c->cv);
    pthread_mutex_destroy(&c->mu);
    apc__cbatch_free(&c->work);
    free(c);
    return r < 0 ? apc__err(r, "%s", msg) : 0;
}
