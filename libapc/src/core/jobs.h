/* SPDX-License-Identifier: MIT */
/* A small pool of worker threads for long jobs (ingest, export, search). */
#ifndef APC_CORE_JOBS_H
#define APC_CORE_JOBS_H

#include <stddef.h>

typedef struct apc__jobs apc__jobs_t;

/* A job function. `cancelled` points at a flag the job polls; it stops early when nonzero.
 * `arg` is the submitter's, freed by the job itself. */
typedef void (*apc__job_fn)(void *arg, const volatile int *cancelled);

apc__jobs_t *apc__jobs_new(unsigned threads);
/* Queues a job. Returns 0 or APC_ENOMEM / APC_ECANCELED (pool shutting down). */
int apc__jobs_submit(apc__jobs_t *j, apc__job_fn fn, void *arg);
/* Sets every cancel flag, lets queued jobs run (they see the flag at once), joins the
 * threads and frees the pool. NULL-safe. */
void apc__jobs_free(apc__jobs_t *j);

#endif
