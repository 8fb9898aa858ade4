/* SPDX-License-Identifier: MIT */
/*
 * The process table: processes and threads seen live (from /proc and the kernel's exec, fork
 * and exit events). Exited processes stay in the table so late lookups resolve. Process ids
 * (ours) are stable across pid reuse.
 */
#ifndef APC_PROCESS_H
#define APC_PROCESS_H

#include "capture.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct apc_thread {
    int64_t tid, pid, process_id;
    char *name;
    apc_time_t start_time, exit_time; /* 0 when unknown / running */
    int running;
} apc_thread_t;

typedef struct apc_thread_list {
    size_t count;
    apc_thread_t *items;
} apc_thread_list_t;

/* The processes running now (process_id, pid, name, path, command line, user...). Packets
 * and bytes are 0. The page holds every process (more = 0). */
APC_API int apc_process_list_running(apc_ctx_t *ctx, apc_process_page_t **out);

/* Threads of a process given by process_id (ours) or pid; with all = 0 only live ones. */
APC_API int apc_process_list_threads(apc_ctx_t *ctx, int64_t process_id, int64_t pid, int all,
                                     apc_thread_list_t **out);
APC_API void apc_thread_list_free(apc_thread_list_t *l);

/* The processes targeted by active process captures. */
APC_API int apc_process_list_capture(apc_ctx_t *ctx, apc_process_page_t **out);

#ifdef __cplusplus
}
#endif
#endif
