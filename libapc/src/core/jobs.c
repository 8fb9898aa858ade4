/* SPDX-License-Identifier: MIT */
/* Worker pool: a FIFO of jobs under one mutex; workers sleep on a condition variable. Each job
 * carries its own cancel flag, set by apc__jobs_cancel or by the pool's shutdown. A job that
 * lasts as long as a capture runs on a thread of its own (apc__jobs_submit_own), so it never
 * holds a worker the other jobs wait for. */
#include "core/jobs.h"

#include <pthread.h>
#include <stdlib.h>

#include "core/error.h"

typedef struct job {
    apc__job_fn fn;
    void *arg;
    uint64_t id;
    volatile int cancelled;
    struct job *next;      /* in the queue, then in the running list */
    struct apc__jobs *own; /* a job on a thread of its own (apc__jobs_submit_own): its pool */
} job_t;

struct apc__jobs {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    job_t *head, *tail;
    job_t *running; /* jobs a worker is executing; their flags stay reachable for cancel */
    uint64_t next_id;
    int stopping;
    unsigned n_own;     /* jobs on threads of their own still running */
    pthread_cond_t own; /* signalled when one ends */
    unsigned nthreads;
    pthread_t threads[];
};

static void unlink_running(apc__jobs_t *j, job_t *jb)
{
    for (job_t **pp = &j->running; *pp; pp = &(*pp)->next)
        if (*pp == jb) {
            *pp = jb->next;
            return;
        }
}

static void *worker(void *p)
{
    apc__jobs_t *j = p;
    for (;;) {
        pthread_mutex_lock(&j->mu);
        while (!j->head && !j->stopping)
            pthread_cond_wait(&j->cv, &j->mu);
        job_t *jb = j->head;
        if (!jb) {
            pthread_mutex_unlock(&j->mu);
            return NULL;
        }
        j->head = jb->next;
        if (!j->head)
            j->tail = NULL;
        jb->next = j->running;
        j->running = jb;
        pthread_mutex_unlock(&j->mu);
        jb->fn(jb->arg, &jb->cancelled);
        /* The flag lives in jb, so a cancel that races the end of the job writes to memory
         * that is still ours until it leaves the running list here. */
        pthread_mutex_lock(&j->mu);
        unlink_running(j, jb);
        pthread_mutex_unlock(&j->mu);
        free(jb);
    }
}

apc__jobs_t *apc__jobs_new(unsigned threads)
{
    if (threads == 0)
        threads = 2;
    apc__jobs_t *j = calloc(1, sizeof *j + threads * sizeof(pthread_t));
    if (!j)
        return NULL;
    pthread_mutex_init(&j->mu, NULL);
    pthread_cond_init(&j->cv, NULL);
    pthread_cond_init(&j->own, NULL);
    for (unsigned i = 0; i < threads; i++) {
        if (pthread_create(&j->threads[i], NULL, worker, j) != 0)
            break;
        j->nthreads++;
    }
    if (j->nthreads == 0) {
        pthread_mutex_destroy(&j->mu);
        pthread_cond_destroy(&j->cv);
        pthread_cond_destroy(&j->own);
        free(j);
        return NULL;
    }
    return j;
}

static job_t *job_new(apc__job_fn fn, void *arg)
{
    job_t *jb = calloc(1, sizeof *jb);
    if (jb) {
        jb->fn = fn;
        jb->arg = arg;
    }
    return jb;
}

int apc__jobs_submit_id(apc__jobs_t *j, apc__job_fn fn, void *arg, uint64_t *out_id)
{
    job_t *jb = job_new(fn, arg);
    if (!jb)
        return apc__err(APC_ENOMEM, "out of memory queueing a job");
    pthread_mutex_lock(&j->mu);
    if (j->stopping) {
        pthread_mutex_unlock(&j->mu);
        free(jb);
        return apc__err(APC_ECANCELED, "the job pool is shutting down");
    }
    jb->id = ++j->next_id;
    if (out_id)
        *out_id = jb->id;
    if (j->tail)
        j->tail->next = jb;
    else
        j->head = jb;
    j->tail = jb;
    pthread_cond_signal(&j->cv);
    pthread_mutex_unlock(&j->mu);
    return 0;
}

static void *own_main(void *p)
{
    job_t *jb = p;
    apc__jobs_t *j = jb->own;
    jb->fn(jb->arg, &jb->cancelled);
    pthread_mutex_lock(&j->mu);
    unlink_running(j, jb);
    j->n_own--;
    pthread_cond_broadcast(&j->own);
    pthread_mutex_unlock(&j->mu);
    free(jb);
    return NULL;
}

int apc__jobs_submit_own(apc__jobs_t *j, apc__job_fn fn, void *arg, uint64_t *out_id)
{
    job_t *jb = job_new(fn, arg);
    if (!jb)
        return apc__err(APC_ENOMEM, "out of memory starting a job");
    jb->own = j;
    pthread_attr_t attr;
    if (pthread_attr_init(&attr) != 0) {
        free(jb);
        return apc__err(APC_ENOMEM, "cannot start a thread for a job");
    }
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_mutex_lock(&j->mu);
    int r = 0;
    pthread_t t;
    if (j->stopping) {
        r = apc__err(APC_ECANCELED, "the job pool is shutting down");
    } else {
        jb->id = ++j->next_id;
        jb->next = j->running;
        j->running = jb;
        j->n_own++;
        /* under the lock: the thread's end (own_main) waits for it, so the lists stay whole */
        if (pthread_create(&t, &attr, own_main, jb) != 0) {
            unlink_running(j, jb);
            j->n_own--;
            r = apc__err(APC_ENOMEM, "cannot start a thread for a job");
        } else if (out_id) {
            *out_id = jb->id;
        }
    }
    pthread_mutex_unlock(&j->mu);
    pthread_attr_destroy(&attr);
    if (r < 0)
        free(jb);
    return r;
}

int apc__jobs_submit(apc__jobs_t *j, apc__job_fn fn, void *arg)
{
    return apc__jobs_submit_id(j, fn, arg, NULL);
}

int apc__jobs_cancel(apc__jobs_t *j, uint64_t id)
{
    int found = 0;
    pthread_mutex_lock(&j->mu);
    for (int pass = 0; pass < 2 && !found; pass++)
        for (job_t *jb = pass ? j->running : j->head; jb; jb = jb->next)
            if (jb->id == id) {
                jb->cancelled = 1;
                found = 1;
                break;
            }
    pthread_mutex_unlock(&j->mu);
    return found;
}

void apc__jobs_free(apc__jobs_t *j)
{
    if (!j)
        return;
    pthread_mutex_lock(&j->mu);
    j->stopping = 1;
    for (job_t *jb = j->head; jb; jb = jb->next)
        jb->cancelled = 1;
    for (job_t *jb = j->running; jb; jb = jb->next)
        jb->cancelled = 1;
    pthread_cond_broadcast(&j->cv);
    pthread_mutex_unlock(&j->mu);
    for (unsigned i = 0; i < j->nthreads; i++)
        pthread_join(j->threads[i], NULL);
    /* jobs on threads of their own saw their flag too: their threads are detached, so wait
     * for each to say it has ended (own_main touches the pool last under the lock) */
    pthread_mutex_lock(&j->mu);
    while (j->n_own > 0)
        pthread_cond_wait(&j->own, &j->mu);
    pthread_mutex_unlock(&j->mu);
    pthread_mutex_destroy(&j->mu);
    pthread_cond_destroy(&j->cv);
    pthread_cond_destroy(&j->own);
    free(j);
}
