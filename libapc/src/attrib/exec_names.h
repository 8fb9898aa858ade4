/* SPDX-License-Identifier: MIT */
/*
 * The names programs were exec'd by, as the kernel saw them at the exec (libapc/bpf/exec.bpf.c,
 * an eBPF raw tracepoint): what the readers of process events fall back on when a short-lived
 * program is already gone before its /proc/PID/exe could be read (the attribution's process
 * table, procconn.c; the triggers' event reader, trigger/events.c). Each reader opens its own
 * and uses it from its thread only: not thread-safe.
 */
#ifndef APC_ATTRIB_EXEC_NAMES_H
#define APC_ATTRIB_EXEC_NAMES_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct apc__exec_names apc__exec_names_t;

/* Loads and attaches the program (root: CAP_BPF and CAP_PERFMON; the kernel's BTF). On
 * failure returns a negative APC_E* code, *out = NULL, and `why` says what was missing; the
 * caller goes on without names. */
int apc__exec_names_open(apc__exec_names_t **out, char *why, size_t n);
/* Detaches and frees. NULL-safe. */
void apc__exec_names_close(apc__exec_names_t *en);
/* Moves what the program recorded into the table of recent names (the last
 * APC__EXEC_NAMES_KEPT): call on every wake, so that the kernel's ring never fills. */
void apc__exec_names_drain(apc__exec_names_t *en);
/* The program path exec'd by tgid at or before ktime_ns (CLOCK_MONOTONIC: the connector
 * event's timestamp), resolved as the kernel's /proc/PID/exe would be: realpath of an absolute
 * name (the name as is when the file is gone). Drains first. 0 and `out` filled, or
 * APC_ENOTFOUND (not recorded, a relative name, truncated). Takes the entry out. */
int apc__exec_names_find(apc__exec_names_t *en, pid_t tgid, uint64_t ktime_ns, char *out, size_t n);
/* Counts since open: names recorded, names the kernel could not queue (ring full). */
void apc__exec_names_stats(const apc__exec_names_t *en, uint64_t *seen, uint64_t *lost);

#define APC__EXEC_NAMES_KEPT 1024

#endif
