/* SPDX-License-Identifier: MIT */
/* Worker pool: a FIFO of jobs under one mutex; workers sleep on a condition variable. */
#include "core/jobs.h"

#include <pthread.h>
#include <stdlib.h>

#include "core/error.h"

typedef struct job {
    apc__job_fn fn;
    void *arg;
    struct job *next;
} job_t;

struct apc__jobs {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    job_t *head, *tail;
    int stopping;
    volatile int cancelled;
    unsigned nthreads;
    pthread_t threads[];
};

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
        pthread_mutex_unlock(&j->mu);
        jb->fn(jb->arg, &j->cancelled);
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

int apc__jobs_submit(apc__jobs_t *j, apc__job_fn fn, void *arg)
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
    if (j->tail)
        j->tail->next = jb;
    else
        j->head = jb;
    j->tail = jb;
    pthread_cond_signal(&j->cv);
    pthread_mutex_unlock(&j->mu);
    return 0;
}

void apc__jobs_free(apc__jobs_t *j)
{
    if (!j)
        return;
    pthread_mutex_lock(&j->mu);
    j->stopping = 1;
    j->cancelled = 1;
    pthread_cond_broadcast(&j->cv);
    pthread_mutex_unlock(&j->mu);
    for (unsigned i = 0; i < j->nthreads; i++)
        pthread_join(j->threads[i], NULL);
    pthread_mutex_destroy(&j->mu);
    pthread_cond_destroy(&j->cv);
    free(j);
}
