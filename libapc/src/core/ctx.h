/* SPDX-License-Identifier: MIT */
/* The context's internals, shared by modules that need the data directory, logging, jobs
 * or the store. */
#ifndef APC_CORE_CTX_H
#define APC_CORE_CTX_H

#include <pthread.h>

#include <apc/ctx.h>

#include "core/jobs.h"

struct apc__store;
struct apc__live_sess;
struct apc__router;
struct apc__proctab;
struct apc__attrib;
struct apc__cmd_live;
struct apc__search_active;
struct apc__trig;

/* Called when a capture or an ingest has ended and stored everything (see on_capture_ended). */
typedef void (*apc__capture_ended_fn)(apc_ctx_t *ctx, int64_t capture_id);
/* Called when a capture's writer has opened (see on_capture_started): 1 when something reads
 * the capture as it is committed, 0 otherwise. */
typedef int (*apc__capture_started_fn)(apc_ctx_t *ctx, int64_t capture_id);
/* Types and hashes every file of a capture that its examination left so (see type_files). */
typedef int (*apc__type_files_fn)(apc_ctx_t *ctx, int64_t capture_id, const volatile int *cancel,
                                  const volatile int *cancel2);

struct apc_ctx {
    char *data_dir;
    apc_log_cb log_cb;
    void *log_payload;
    int log_level;
    int read_only;
    int lock_fd; /* flock'ed <data>/lock, -1 when read-only */
    apc__jobs_t *jobs;
    struct apc__store *store;
    pthread_mutex_t lock; /* guards the two fields below */
    pthread_cond_t cond;  /* signalled when a capture ends (apc_capture_wait) */
    int interrupted;      /* apc_ctx_interrupt was called: waits end (atomic) */
    /* The subsystems' own state: a lock and what it guards each, so two contexts in one
     * process share nothing. apc_ctx_open (lib/ctx_open.c) initialises the locks; the module
     * named defines the element type and keeps the list. */
    pthread_mutex_t live_lock;            /* capture/live_session.c */
    struct apc__live_sess *live_sessions; /* running live captures */
    struct apc__router *router;           /* capture/router.c: triggered captures, or NULL */
    pthread_mutex_t proctab_lock;         /* attrib/proctable.c */
    struct apc__proctab *proctabs;        /* the process table (shared by live captures) */
    pthread_mutex_t attrib_lock;          /* attrib/attrib.c */
    struct apc__attrib *attribs;          /* attribution backends in use */
    pthread_mutex_t cmd_lock;             /* export/commands.c */
    struct apc__cmd_live *cmds_live;      /* commands queued or running */
    pthread_mutex_t search_lock;          /* search/job.c, with search_cond */
    pthread_cond_t search_cond;           /* a search job ended */
    struct apc__search_active *searches;  /* search jobs queued or running */
    char *export_roots;  /* apc_ctx_options_t's, copied; NULL = the default (export/roots.c) */
    char *ingest_roots;  /* NULL = unconfined */
    char *execute_roots; /* NULL = no EXECUTE action allowed (trigger/) */
    char *execute_user;  /* NULL = EXECUTE runs as the process's user (trigger/) */
    char *store_url;     /* NULL = SQLite in data_dir, else a PostgreSQL URL (store/db.c) */
    char *node_name;     /* this node's name; set at open (default "<host>:<data_dir>") */
    char *node_url;      /* NULL = none; recorded in PostgreSQL's nodes table */
    char *node_secret;   /* NULL = none: the fleet's shared secret (fleet/peer.c, auth/) */
    char *node_tls[3];   /* NULL = none: CA, certificate, key of mutual TLS (fleet/peer.c) */
    pthread_mutex_t trig_lock;  /* trigger/watch.c */
    struct apc__trig *trig;     /* the trigger watcher and action runner, NULL until armed */
    pthread_mutex_t login_lock; /* auth/ratelimit.c */
    struct apc__login_limit *login_limit; /* failed logins per address and account */
    /* What runs when a capture has ended (file extraction, when it is on). Set once by
     * lib/ctx_open.c, the one place that wires modules together, so capture never calls up
     * into extract; NULL = nothing. */
    apc__capture_ended_fn on_capture_ended;
    /* What runs when a capture starts being stored (file extraction following an ingest);
     * set with on_capture_ended, NULL = nothing. */
    apc__capture_started_fn on_capture_started;
    /* What a search on file.mime or file.sha256 runs first for each capture
     * (extract/typing.h: the examination stores files untyped and unhashed). Set once by
     * lib/ctx_open.c, so search never calls up into extract; NULL = nothing. */
    apc__type_files_fn type_files;
    /* Captures between their final commit and on_capture_ended (under `lock`): a caller that
     * saw a capture end and closes the context at once still gets its hook run. */
    int ending;
};

/* Logs through the context's hook (or stderr). Thread-safe. */
void apc__log(apc_ctx_t *ctx, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Joins data_dir and a relative path into a new string (caller frees with free()). */
char *apc__ctx_path(const apc_ctx_t *ctx, const char *rel);

/* Wakes apc__ctx_wait() callers (capture and command waits) after something changed state. */
void apc__ctx_broadcast(apc_ctx_t *ctx);

/* A capture writer is about to make its end visible (capture/capwriter.c): each call is
 * followed by one apc__ctx_capture_ended, which runs on_capture_ended for capture_id (0: none,
 * nothing was stored) and wakes waiters. */
void apc__ctx_capture_ending(apc_ctx_t *ctx);
void apc__ctx_capture_ended(apc_ctx_t *ctx, int64_t capture_id);
/* A capture writer has opened capture_id: runs on_capture_started. 1 when something follows
 * the capture's commits (the writer then commits often and broadcasts each commit). */
int apc__ctx_capture_started(apc_ctx_t *ctx, int64_t capture_id);
/* Waits until no capture is between those two calls (apc_ctx_close, before it unhooks). */
void apc__ctx_settle(apc_ctx_t *ctx);

/* 1 once apc_ctx_interrupt was called on ctx: a wait returns APC_ECANCELED. */
int apc__ctx_interrupted(apc_ctx_t *ctx);

/* Waits until check(payload) answers 1 (done) or < 0 (its error is returned), sleeping on the
 * context's condition between checks: woken by apc__ctx_broadcast, and at least every poll_ms
 * (which covers changes made by another process, or between a record's update and the
 * broadcast). timeout_ms < 0 waits for ever. Returns 0 when done, 1 when the time ran out (the
 * caller says what it was waiting for), or the check's error. */
int apc__ctx_wait(apc_ctx_t *ctx, int timeout_ms, int poll_ms, int (*check)(void *payload),
                  void *payload);

#endif
