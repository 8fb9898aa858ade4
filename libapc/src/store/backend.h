/* SPDX-License-Identifier: MIT */
/*
 * The store's backend interface: what a metadata store (SQLite today, PostgreSQL next) must
 * implement, as one table of functions per entity. Domain modules never see it: they call the
 * typed functions of store/<entity>.h, which dispatch through the store's backend. Packet bytes
 * and the per-packet index are files (store/segment.h, store/index.h) whatever the backend.
 *
 * Every function takes the backend's own state (`impl`, given to apc__store_new_backend) and
 * plain C records; returns 0 (or what it documents) or a negative APC_E* with the message set.
 *
 * Adding an entity: declare its records and a `struct apc__<entity>_ops` here, add a pointer to
 * it in apc__store_backend_t, write the typed dispatch functions in store/<entity>.h + .c, and
 * implement the ops in store/sqlite/<entity>.c (its tables go in a schema part of
 * store/sqlite/schema.c). docs/architecture.md walks through it.
 */
#ifndef APC_STORE_BACKEND_H
#define APC_STORE_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "store/capture_batch.h"

/* A capture's row as created. */
typedef struct apc__st_capture_new {
    int type;                /* enum apc_capture_type */
    const char *name;        /* "" if none */
    const char *source_file; /* ingests: the absolute input path; "" otherwise */
    uint64_t total_bytes;    /* ingests: the input's size */
    int64_t start_time;      /* ns since the epoch */
} apc__st_capture_new_t;

/* An interface of a capture (its packets are counted by commits). */
typedef struct apc__st_iface {
    uint32_t idx, linktype, snaplen;
    uint64_t tsresol;
    const char *name, *description; /* "" if none */
} apc__st_iface_t;

/* A process whose packets a capture holds (from a file's packet comments, or the live table). */
typedef struct apc__st_process {
    int64_t pid, ppid;
    const char *name, *path, *cmdline, *user;
    const char *source;     /* "file" (a capture file's comments), "live" (the process table) */
    int64_t origin_capture; /* the capture it came from, 0 none */
    int64_t start_time, exit_time; /* ns since the epoch, 0 unknown */
    int running;
} apc__st_process_t;

typedef struct apc__captures_ops {
    /* A new capture row, state active; *out_id its id. */
    int (*create)(void *impl, const apc__st_capture_new_t *c, int64_t *out_id);
    int (*add_iface)(void *impl, int64_t capture_id, const apc__st_iface_t *i);
    /* Applies one commit of a capture writer, all or nothing (capture_batch.h). */
    int (*commit)(void *impl, const apc__cbatch_t *b);
    /* Marks a capture failed with `error` at `end_time` (after its files were cut back). */
    int (*fail)(void *impl, int64_t capture_id, const char *error, int64_t end_time);
    /* Live captures: the kernel's and our own drop counts, now. */
    int (*set_drops)(void *impl, int64_t capture_id, uint64_t kernel_drops, uint64_t drops);
} apc__captures_ops_t;

typedef struct apc__processes_ops {
    /* A new process row; *out_id its id. A thread name may follow (thread_add). */
    int (*add)(void *impl, const apc__st_process_t *p, int64_t *out_id);
    /* Replaces what may change of process `id`: name, path, cmdline, user, exit_time, running. */
    int (*update)(void *impl, int64_t id, const apc__st_process_t *p);
    /* The pid of process `id` into *pid; APC_ENOTFOUND when there is no such row. */
    int (*pid_of)(void *impl, int64_t id, int64_t *pid);
    /* Records a thread of a process (once; repeats are ignored). name may be "". */
    int (*thread_add)(void *impl, int64_t process_id, int64_t tid, const char *name);
} apc__processes_ops_t;

typedef struct apc__store_backend {
    const char *name; /* "sqlite" */
    const apc__captures_ops_t *captures;
    const apc__processes_ops_t *processes;
} apc__store_backend_t;

/* The SQLite backend (store/sqlite/); its impl is the apc__store_t itself. */
extern const apc__store_backend_t apc__sqlite_backend;

#endif
