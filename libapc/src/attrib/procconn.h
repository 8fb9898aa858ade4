/* SPDX-License-Identifier: MIT */
/*
 * The netlink proc connector (linux/cn_proc.h): fork, exec and exit events of every process,
 * read by one thread that updates the process table. The kernel sends them only to sockets of
 * the initial network namespace, and only to root.
 */
#ifndef APC_ATTRIB_PROCCONN_H
#define APC_ATTRIB_PROCCONN_H

#include <stddef.h>
#include <stdint.h>

typedef struct apc__proctab apc__proctab_t;
typedef struct apc__procconn apc__procconn_t;

enum { APC_PEV_FORK = 1, APC_PEV_EXEC = 2, APC_PEV_EXIT = 3 };

typedef struct apc__procev {
    int what;          /* APC_PEV_* */
    int64_t pid, tid;  /* the process (tgid) and thread the event is about */
    int64_t ppid;      /* fork: the parent's tgid */
    uint64_t ktime_ns; /* when the kernel sent it (CLOCK_MONOTONIC) */
} apc__procev_t;

/* Parses one datagram (nlmsghdr + cn_msg + proc_event, possibly several nlmsgs) and calls cb
 * for each fork/exec/exit event. Returns the events found, or APC_EFORMAT for a truncated or
 * inconsistent message. */
int apc__procconn_parse(const uint8_t *buf, size_t len,
                        void (*cb)(const apc__procev_t *ev, void *payload), void *payload);

/* Listener hook for other modules (the attribution backends): called from the event thread
 * after the table saw the event. One hook per table; NULL clears it. */
void apc__procconn_set_hook(apc__procconn_t *c, void (*cb)(const apc__procev_t *ev, void *p),
                            void *payload);

int apc__procconn_start(apc__proctab_t *t, apc__procconn_t **out);
void apc__procconn_stop(apc__procconn_t *c);

/* 1 when every event the kernel sent before `real_ns` (CLOCK_REALTIME) is in the table: the
 * thread found its socket empty after that time, or it is idle with nothing to read now. A
 * process's fork event is sent before it can send a packet, so a packet captured at real_ns
 * whose pid the table does not know after this is 1 was not forked while we listened.
 * NULL (no connector): 1, there is nothing to wait for. */
int apc__procconn_caught_up(apc__procconn_t *c, int64_t real_ns);
/* Events the kernel dropped because the socket's buffer was full (ENOBUFS), since start. */
uint64_t apc__procconn_lost(const apc__procconn_t *c);
/* Tests only: the event thread sleeps this long before handling each datagram it reads, as a
 * thread starved of CPU would (0 = never). Global, for every connector. */
void apc__procconn_test_delay(int64_t ns);

#endif
