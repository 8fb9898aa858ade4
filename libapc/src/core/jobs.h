/* SPDX-License-Identifier: MIT */
/* A small pool of worker threads for long jobs (ingest, export, search). */
#ifndef APC_CORE_JOBS_H
#define APC_CORE_JOBS_H

#include <stddef.h>
#include <stdint.h>

typedef struct apc__jobs apc__jobs_t;

/* A job function. `cancelled` points at a flag the job polls; it stops early when nonzero.
 * `arg` is the submitter's, freed by the job itself. */
typedef void (*apc__job_fn)(void *arg, const volatile int *cancelled);

apc__jobs_t *apc__jobs_new(unsigned threads);
/* Queues a job. Returns 0 or APC_ENOMEM / APC_ECANCELED (pool shutting down). */
int apc__jobs_submit(apc__jobs_t *j, apc__job_fn fn, void *arg);
/* Same, and returns the job's id (never 0) in *out_id for apc__jobs_cancel. Every job has its
 * own cancel flag: cancelling one (a command) leaves the others running. */
int apc__jobs_submit_id(apc__jobs_t *j, apc__job_fn fn, void *arg, uint64_t *out_id);
/* As apc__jobs_submit_id, but the job runs at once on a thread of its own rather than on a
 * worker: for a job that waits on something else for as long as it lasts (file extraction
 * following a live capture), which would otherwise keep a worker from the queued jobs.
 * Cancelled and waited for like the others (apc__jobs_cancel, apc__jobs_free). */
int apc__jobs_submit_own(apc__jobs_t *j, apc__job_fn fn, void *arg, uint64_t *out_id);
/* Sets the cancel flag of job `id` if it is still queued or running (a queued job still runs
 * and sees the flag at once). Returns 1 if the job was found, 0 if it had already ended. */
int apc__jobs_cancel(apc__jobs_t *j, uint64_t id);
/* Sets every cancel flag, lets queued jobs run (they see the flag at once), joins the
 * threads and frees the pool. NULL-safe. */
void apc__jobs_free(apc__jobs_t *j);

#endif
