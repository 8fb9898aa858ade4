/* SPDX-License-Identifier: MIT */
/* Worker pool: a FIFO of jobs under one mutex; workers sleep on a condition variable. Each job
 * carries its own cancel flag, set by apc__jobs_cancel or by the pool's shutdown. */
#include "core/jobs.h"

#include <pthread.h>
#include <stdlib.h>

#include "core/error.h"

typedef struct job {
    apc__job_fn fn;
    void *arg;
    uint64_t id;
    volatile int cancelled;
    struct job *next; /* in the queue, then in the running list */
} job_t;

struct apc__jobs {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    job_t *head, *tail;
    job_t *running; /* jobs a worker is executing; their flags stay reachable for cancel */
    uint64_t next_id;
    int stopping;
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
    for (unsigned i = 0; i < threads; i++) {
        if (pthread_create(&j->threads[i], NULL, worker, j) != 0)
            break;
        j->nthreads++;
    }
    if (j->nthreads == 0) {
        free(j);
        return NULL;
    }
    return j;
}

int apc__jobs_submit_id(apc__jobs_t *j, apc__job_fn fn, void *arg, uint64_t *out_id)
{
    job_t *jb = calloc(1, sizeof *jb);
    if (!jb)
        return apc__err(APC_ENOMEM, "out of memory queueing a job");
    jb->fn = fn;
    jb->arg = arg;
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
    pthread_mutex_destroy(&j->mu);
    pthread_cond_destroy(&j->cv);
    free(j);
}
