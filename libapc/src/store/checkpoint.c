/* SPDX-License-Identifier: MIT */
/* The store's WAL checkpoints on a thread of their own (see checkpoint.h). */
#include "store/checkpoint.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/clock.h"

struct apc__ckpt {
    char *path;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t thread;
    int tried;   /* the thread was started, or could not be */
    int started; /* it was: joined by apc__ckpt_free */
    int broken;  /* its connection could not be opened: the committing connections checkpoint
                  * themselves, as without the thread */
    int due;     /* a checkpoint was asked for since the thread last began one */
    int quit;
    unsigned long done; /* checkpoints the thread ran */
};

static void *run(void *arg)
{
    apc__ckpt_t *k = arg;
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(k->path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, "PRAGMA synchronous=NORMAL", NULL, NULL, NULL);
    pthread_mutex_lock(&k->mu);
    k->broken = rc != SQLITE_OK;
    while (!k->broken) {
        while (!k->due && !k->quit)
            pthread_cond_wait(&k->cv, &k->mu);
        if (k->quit)
            break;
        k->due = 0;
        pthread_mutex_unlock(&k->mu);
        /* PASSIVE: copies what no reader still needs, takes no lock a writer waits for. A
         * failure (SQLITE_BUSY against another checkpoint, an I/O error) leaves the pages in
         * the WAL for the next one: nothing is lost, and an I/O error shows in the commits. */
        (void)sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
        pthread_mutex_lock(&k->mu);
        k->done++;
        pthread_cond_broadcast(&k->cv);
    }
    pthread_mutex_unlock(&k->mu);
    sqlite3_close(db);
    return NULL;
}

apc__ckpt_t *apc__ckpt_new(const char *path)
{
    apc__ckpt_t *k = calloc(1, sizeof *k);
    if (!k || !(k->path = strdup(path))) {
        free(k);
        return NULL;
    }
    pthread_mutex_init(&k->mu, NULL);
    pthread_cond_init(&k->cv, NULL);
    return k;
}

/* Asks the thread for a checkpoint, starting it the first time. 0 when it will be done there,
 * -1 when the caller is to do it. */
static int ask(apc__ckpt_t *k)
{
    pthread_mutex_lock(&k->mu);
    if (!k->tried) {
        k->tried = 1;
        k->started = pthread_create(&k->thread, NULL, run, k) == 0;
    }
    int r = k->started && !k->broken ? 0 : -1;
    if (r == 0) {
        k->due = 1;
        pthread_cond_signal(&k->cv);
    }
    pthread_mutex_unlock(&k->mu);
    return r;
}

/* SQLite calls it after each commit of an attached connection, with the WAL's size in pages. */
static int wal_hook(void *arg, sqlite3 *db, const char *schema, int pages)
{
    apc__ckpt_t *k = arg;
    if (pages < APC__CKPT_PAGES)
        return SQLITE_OK;
    if (pages >= APC__CKPT_INLINE || ask(k) < 0)
        (void)sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    return SQLITE_OK;
}

void apc__ckpt_attach(apc__ckpt_t *k, sqlite3 *db)
{
    sqlite3_wal_hook(db, wal_hook, k);
}

unsigned long apc__ckpt_wait(apc__ckpt_t *k, unsigned long n, int timeout_ms)
{
    struct timespec until = apc__deadline_ns(CLOCK_REALTIME, (int64_t)timeout_ms * 1000000LL);
    pthread_mutex_lock(&k->mu);
    while (k->done < n && k->started && !k->broken &&
           pthread_cond_timedwait(&k->cv, &k->mu, &until) == 0)
        ;
    unsigned long done = k->done;
    pthread_mutex_unlock(&k->mu);
    return done;
}

void apc__ckpt_free(apc__ckpt_t *k)
{
    if (!k)
        return;
    pthread_mutex_lock(&k->mu);
    int started = k->started;
    k->quit = 1;
    pthread_cond_signal(&k->cv);
    pthread_mutex_unlock(&k->mu);
    if (started)
        pthread_join(k->thread, NULL);
    pthread_cond_destroy(&k->cv);
    pthread_mutex_destroy(&k->mu);
    free(k->path);
    free(k);
}
