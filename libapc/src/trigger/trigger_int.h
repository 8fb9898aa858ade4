/* SPDX-License-Identifier: MIT */
/*
 * Internals of module trigger. The wiring (lib/ctx_open.c) arms the watcher when a context
 * opens and shuts it down first when it closes; the API (api.c) arms it again after a change.
 *
 *   events.c the reader thread: exec/fork/exit events of the netlink process connector, and
 *            an exec'd program's path read at once, queued for the watcher;
 *   watch.c  the watcher thread: the armed triggers, the events, and the firings (a capture
 *            and the process tree it follows);
 *   run.c    the runner thread: a firing whose tree has exited stops its capture and runs the
 *            actions, off the watcher's path, from a bounded queue;
 *   spawn.c  EXECUTE: argv from the template, fork/execve with a clean environment, a time
 *            limit and the tail of the output.
 */
#ifndef APC_TRIGGER_INT_H
#define APC_TRIGGER_INT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/cn_proc.h>

#include <apc/trigger.h>

#include "core/ctx.h"
#include "attrib/exec_names.h"

#define APC__TRIG_QUEUE_MAX 256    /* firings waiting for their actions */
#define APC__TRIG_FIRINGS_MAX 1024 /* captures followed at once */
#define APC__EXEC_TIMEOUT_MS 30000 /* EXECUTE time limit */
#define APC__EXEC_OUTPUT_MAX 4096  /* tail of an EXECUTE's output kept */
#define APC__TRIG_EVENTS_MAX 65536 /* process events read, waiting for the watcher */

/* One firing: the capture a trigger started and the processes it follows (the exec'd process
 * and its descendants, by tgid). */
typedef struct apc__firing {
    int64_t trigger_id;
    int64_t capture_id;
    int64_t pid;   /* the process that exec'd the program */
    char *program; /* its /proc/PID/exe */
    pid_t *pids;
    size_t npids, cap;
    struct apc__firing *next; /* runner queue */
} apc__firing_t;

/* A process event as the reader queued it: for an exec, its time (Unix epoch ns) and the
 * program's path (malloc'ed; the watcher frees it). */
typedef struct apc__pev {
    struct proc_event ev;
    int64_t exec_ns;
    char *exe;
} apc__pev_t;

/* A trigger as the watcher matches it. */
typedef struct apc__armed {
    int64_t id;
    char *real; /* realpath of the trigger's path */
    int is_dir;
    char *filter;
    uint32_t flags;
} apc__armed_t;

struct apc__trig {
    apc_ctx_t *ctx;
    /* watcher */
    pthread_t watch_thread;
    int watching; /* the thread runs */
    int fd;       /* netlink socket, -1 */
    int wake_fd;  /* eventfd: reload or stop now */
    volatile int stop;
    volatile int reload;
    char state[256];     /* "armed" or "unavailable: why"; under ctx->trig_lock */
    apc__armed_t *armed; /* the watcher thread's own */
    long fire_delay_ms;  /* setting trigger.fire_delay_ms (tests), read with the triggers */
    int names_only;      /* setting trigger.exe_from_names (tests): the reader skips /proc */
    size_t narmed;
    apc__firing_t **firings;
    size_t nfirings;
    /* event reader (events.c) */
    pthread_t ev_thread;
    int ev_running;
    pthread_mutex_t evlock;
    apc__pev_t *evq; /* ring of APC__TRIG_EVENTS_MAX */
    size_t ev_head, nev;
    uint64_t ev_lost;
    apc__exec_names_t *names; /* the reader's; NULL when the eBPF program is unavailable */
    /* runner */
    pthread_t run_thread;
    int running;
    pthread_mutex_t qlock;
    pthread_cond_t qcond;
    apc__firing_t *qhead, *qtail;
    size_t qlen;
    int qstop;
};

/* Starts the watcher when at least one trigger is stored and it is not running (a failure is
 * kept as the state trigger_list shows, and retried at the next call); asks a running watcher
 * to reload the triggers. Never fails the caller. */
void apc__trigger_arm(apc_ctx_t *ctx);
/* Stops the watcher, lets the runner finish its queue and frees everything. NULL-safe. */
void apc__trigger_shutdown(apc_ctx_t *ctx);
/* "armed", "idle" or "unavailable: why" as a new string (NULL when out of memory). */
char *apc__trigger_state(apc_ctx_t *ctx);

/* events.c. The reader thread (t->fd open; stopped by t->stop, then joined by _stop, which
 * frees what is still queued). _take moves up to max events into out, oldest first, and the
 * count of those dropped since the last call into *lost. */
int apc__trig_events_start(struct apc__trig *t);
size_t apc__trig_events_take(struct apc__trig *t, apc__pev_t *out, size_t max, uint64_t *lost);
void apc__trig_events_stop(struct apc__trig *t);
/* watch.c: wakes the watcher (new events, a reload, stop). */
void apc__trig_wake(struct apc__trig *t);

/* run.c */
int apc__trig_runner_start(struct apc__trig *t);
/* Queues an ended firing (takes it); a full queue records the loss on its trigger. */
void apc__trig_enqueue(struct apc__trig *t, apc__firing_t *f);
void apc__trig_runner_stop(struct apc__trig *t);
void apc__firing_free(apc__firing_t *f);

/* spawn.c: runs `a` (EXECUTE) for the firing, filling a->last_status/last_error/last_output.
 * `export_file` is the file an EXPORT action wrote in this run ("" when none); `user` the
 * account to run as (NULL = this process's). */
void apc__trig_execute(apc_action_t *a, const apc__firing_t *f, const char *export_file,
                       const char *user);
/* The argv of an EXECUTE action: path, then params split on blanks with placeholders replaced.
 * NULL-terminated, each element and the array malloc'ed (apc__argv_free); NULL when out of
 * memory. */
char **apc__trig_argv(const char *path, const char *params, const apc__firing_t *f,
                      const char *export_file);
void apc__argv_free(char **argv);

#endif
