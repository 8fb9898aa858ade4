/* SPDX-License-Identifier: MIT */
/*
 * The process table of a context: every process seen live (from the /proc scan and the proc
 * connector's fork/exec/exit events), each with our stable process id (a row in `processes`,
 * source 'live'). Exited processes stay (running = 0, exit time set) so late lookups resolve.
 * Rows are written when a process is first needed (attribution, lists), from what was read
 * of /proc when the process was seen — short-lived programs are gone by then; one gone before
 * its exec was read gets the name the kernel recorded at the exec (apc__proctab_exec_path).
 */
#ifndef APC_ATTRIB_PROCTABLE_H
#define APC_ATTRIB_PROCTABLE_H

#include <stdint.h>

#include <apc/ctx.h>
#include <apc/process.h>

typedef struct apc__proctab apc__proctab_t;

/* The context's table, started on first use (a /proc scan and the event thread). The proc
 * connector delivers only to sockets of the initial network namespace: the table is started
 * in the namespace of the first caller. */
int apc__proctab_get(apc_ctx_t *ctx, apc__proctab_t **out);
void apc__proctab_shutdown(apc_ctx_t *ctx);

/* Hook called from the event thread after each fork/exec/exit (NULL clears it); false when no
 * event source runs. */
struct apc__procev;
int apc__proctab_set_hook(apc__proctab_t *t, void (*cb)(const struct apc__procev *ev, void *p),
                          void *payload);

/* Events (from the connector, or tests). */
void apc__proctab_on_fork(apc__proctab_t *t, int64_t ppid, int64_t pid, int64_t tid);
/* 1 when the program pid now runs is known (its /proc/PID/exe read), 0 when not (gone, or a
 * zombie already: apc__proctab_exec_path can give it). */
int apc__proctab_on_exec(apc__proctab_t *t, int64_t pid);
/* The program pid exec'd, from elsewhere than /proc (the name the kernel recorded at the exec,
 * exec_names.h), for a process whose /proc/PID/exe could not be read: its path, and its name
 * when /proc had none either (the name the kernel gives it: the path's last part, 15 bytes). */
void apc__proctab_exec_path(apc__proctab_t *t, int64_t pid, const char *path);
void apc__proctab_on_exit(apc__proctab_t *t, int64_t pid, int64_t tid);
/* Reads /proc/<pid> into the table if not known yet (returns 1 if it is known now). */
int apc__proctab_learn(apc__proctab_t *t, int64_t pid);

/* Our process id for pid (the row is created on first call), 0 if the pid was never seen. */
int64_t apc__proctab_process_id(apc__proctab_t *t, int64_t pid);
/* pid of the thread group tid belongs to (tid itself for a main thread), 0 if unknown. */
int64_t apc__proctab_tgid(apc__proctab_t *t, int64_t tid);
/* 1 when pid is ancestor or a descendant of it (the pid itself included). */
int apc__proctab_descends(apc__proctab_t *t, int64_t pid, int64_t ancestor);
/* Like apc__proctab_descends, but -1 when the table does not know pid at all (its fork event
 * may not be handled yet): the caller can wait with apc__proctab_caught_up and ask again. */
int apc__proctab_related(apc__proctab_t *t, int64_t pid, int64_t ancestor);
/* 1 when every process event sent before real_ns is in the table (see
 * apc__procconn_caught_up), or no event source runs. */
int apc__proctab_caught_up(apc__proctab_t *t, int64_t real_ns);
/* Process events the kernel dropped (socket buffer full) since the table started. */
uint64_t apc__proctab_events_lost(apc__proctab_t *t);
/* pid of a process id of ours (0 if unknown). */
int64_t apc__proctab_pid_of(apc__proctab_t *t, int64_t process_id);

int apc__proctab_list_running(apc__proctab_t *t, apc_process_page_t **out);
int apc__proctab_threads(apc__proctab_t *t, int64_t pid, int all, apc_thread_list_t **out);
/* Fills p (strings owned by p) for a pid, 0 or APC_ENOTFOUND. */
int apc__proctab_describe(apc__proctab_t *t, int64_t pid, apc_process_t *p);

/* /proc parsing, exposed for unit tests. */
/* "/proc/<pid>/stat" contents: ppid and start time in clock ticks since boot. comm may hold
 * spaces and parentheses: the last ')' ends it. Returns 0 or APC_EFORMAT. */
int apc__proc_parse_stat(const char *text, size_t len, char *comm, size_t comm_len, int64_t *ppid,
                         uint64_t *start_ticks);
/* "/proc/<pid>/cmdline" (NUL-separated) into one space-separated line. */
void apc__proc_join_cmdline(const char *buf, size_t len, char *out, size_t out_len);
/* Uid line of /proc/<pid>/status ("Uid:\t0\t0\t0\t0") -> real uid, -1 when absent. */
long apc__proc_status_uid(const char *text, size_t len);

#endif
