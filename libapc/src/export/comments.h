/* SPDX-License-Identifier: MIT */
/*
 * The comments of one exported packet, each written as its own opt_comment. Process metadata
 * uses the groups ptcpdump writes, so Wireshark, ptcpdump and our own ingest read it:
 *   "PID: 345650\nCmd: /usr/bin/curl\nArgs: curl http://x/"
 *   "ThreadId: 345650\nThreadName: curl"
 *   "ParentPID: 345626\nParentCmd: /usr/bin/bash\nParentArgs: -bash"
 */
#ifndef APC_EXPORT_COMMENTS_H
#define APC_EXPORT_COMMENTS_H

#include <stddef.h>
#include <stdint.h>

#define APC_CMTS_MAX 16

typedef struct apc__cmts {
    char *buf; /* the comments, each NUL-terminated */
    size_t len, cap;
    size_t off[APC_CMTS_MAX];
    size_t n;
    const char *ptr[APC_CMTS_MAX]; /* filled by apc__cmts_ptrs */
} apc__cmts_t;

void apc__cmts_reset(apc__cmts_t *c);
void apc__cmts_free(apc__cmts_t *c);
/* Adds one comment of n bytes (empty ones are skipped; past APC_CMTS_MAX the rest is
 * appended to the last one). 0 or APC_ENOMEM. */
int apc__cmts_add(apc__cmts_t *c, const char *s, size_t n);
int apc__cmts_addf(apc__cmts_t *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Adds the comment a packet was stored with. Our readers join a packet's comments with "\n";
 * when the text is ptcpdump process metadata it is split again at the lines that start its
 * groups (PID:, ThreadId:, ParentPID:, ContainerName:, PodName:), so the export carries the
 * same separate comments as the file it came from. Other text is one comment. */
int apc__cmts_add_stored(apc__cmts_t *c, const char *text, size_t len);

/* Process metadata of a packet the store attributed (not read from a file). Strings may be
 * NULL ("" is written); tid 0 and ppid 0 leave out their groups. */
typedef struct apc__cmt_proc {
    int64_t pid, tid, ppid;
    const char *cmd, *args, *thread_name, *parent_cmd, *parent_args;
} apc__cmt_proc_t;
int apc__cmts_add_proc(apc__cmts_t *c, const apc__cmt_proc_t *p);

/* Pointers to the comments, valid until the next change. */
const char *const *apc__cmts_ptrs(apc__cmts_t *c, size_t *n);

#endif
