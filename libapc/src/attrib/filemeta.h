/* SPDX-License-Identifier: MIT */
/*
 * Process metadata carried inside capture files (module `attrib`): the per-packet comments
 * that ptcpdump writes, e.g.
 *   "PID: 345650\nCmd: /usr/bin/curl\nArgs: curl http://x/\nThreadId: 7\nThreadName: curl\n"
 *   "ParentPID: 1\nParentCmd: /usr/bin/bash\nParentArgs: -bash"
 * (several comments joined with "\n"), and the pcapng epb_processid_threadid option.
 * Unknown keys are ignored; a comment without PID is not process metadata.
 */
#ifndef APC_ATTRIB_FILEMETA_H
#define APC_ATTRIB_FILEMETA_H

#include <stddef.h>
#include <stdint.h>

/* A string slice into the parsed comment (not NUL-terminated). */
typedef struct apc__slice {
    const char *p;
    size_t len;
} apc__slice_t;

typedef struct apc__procmeta {
    int64_t pid, tid, ppid;   /* 0 when absent */
    apc__slice_t cmd, args;   /* Cmd: (executable path), Args: (command line) */
    apc__slice_t thread_name; /* ThreadName: */
    apc__slice_t parent_cmd, parent_args;
    apc__slice_t user;           /* User: / UserName: if present */
    apc__slice_t container, pod; /* ContainerName:/PodName: if present (kept for notes) */
    /* Added with the parser: */
    int64_t uid, gid;                           /* UserId:/GroupId:, -1 when absent (0 is root) */
    apc__slice_t container_id, container_image; /* ContainerId:, ContainerImage: */
    apc__slice_t pod_namespace, pod_uid;        /* PodNamespace:, PodUID: */
    /* ptcpdump cuts long values and appends "..."; the slice excludes it and the flag is 1. */
    int cmd_truncated, args_truncated, parent_cmd_truncated, parent_args_truncated;
} apc__procmeta_t;

/* Parses `comment` (len bytes). Returns 1 if it carries process metadata (a PID), 0 if not.
 * Slices point into `comment`. Never reads past len. */
int apc__filemeta_parse(apc__procmeta_t *out, const char *comment, size_t len);

/* The base name of a command path ("/usr/bin/curl" -> "curl") as a slice of `cmd`. */
apc__slice_t apc__filemeta_basename(apc__slice_t cmd);

#endif
