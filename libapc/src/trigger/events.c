/* SPDX-License-Identifier: MIT */
/*
 * The process connector's reader (trigger_int.h): a thread of its own reads exec, fork and exit
 * events from the netlink socket and, for an exec, the program's path (/proc/PID/exe) at once,
 * then queues them for the watcher. Why a thread: the watcher starts captures, which write to
 * the store; while it does, events wait in the socket, and a short-lived program that exits
 * before its exec is judged has no path left to match. Reading the path here, microseconds
 * after the kernel sent the event, whatever the watcher is doing, closes that window except
 * when the process is gone before its exec event is even read: then the name the program was
 * exec'd by, recorded in the kernel at the exec (exec_names.h, an eBPF raw tracepoint, when it
 * loads), gives the path instead.
 *
 * The queue is bounded (APC__TRIG_EVENTS_MAX): past it events are dropped and counted, as the
 * kernel drops them from a full socket buffer; the watcher's sweep of /proc finds exits that
 * were lost.
 */
#include <errno.h>
#include <limits.h>
#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/error.h"
#include "trigger/trigger_int.h"
#include "util/clock.h"

static void push(struct apc__trig *t, const struct proc_event *ev)
{
    apc__pev_t e = {.ev = *ev};
    if (ev->what == PROC_EVENT_EXEC) {
        /* The event's time is CLOCK_MONOTONIC (ktime_get_ns); packets carry the real time.
         * Early by a few microseconds at worst: the exec'd program has not run yet. */
        e.exec_ns = apc__real_ns() - (apc__mono_ns() - (int64_t)ev->timestamp_ns);
        char link[64], exe[PATH_MAX];
        snprintf(link, sizeof link, "/proc/%d/exe", (int)ev->event_data.exec.process_tgid);
        ssize_t n = __atomic_load_n(&t->names_only, __ATOMIC_RELAXED)
                        ? -1
                        : readlink(link, exe, sizeof exe - 1);
        if (n > 0)
            exe[n] = '\0';
        else if (apc__exec_names_find(t->names, ev->event_data.exec.process_tgid, ev->timestamp_ns,
                                      exe, sizeof exe) < 0)
            return; /* gone already and no name recorded, or a kernel thread: nothing to match */
        if (!(e.exe = strdup(exe)))
            return;
    } else if (ev->what != PROC_EVENT_FORK && ev->what != PROC_EVENT_EXIT &&
               ev->what != PROC_EVENT_NONE) {
        return;
    }
    pthread_mutex_lock(&t->evlock);
    if (t->nev == APC__TRIG_EVENTS_MAX) {
        t->ev_lost++;
        free(e.exe);
    } else {
        t->evq[(t->ev_head + t->nev) % APC__TRIG_EVENTS_MAX] = e;
        t->nev++;
    }
    pthread_mutex_unlock(&t->evlock);
}

static void read_batch(struct apc__trig *t)
{
    union {
        char b[32768];
        struct nlmsghdr h;
    } buf;
    for (;;) {
        ssize_t n = recv(t->fd, &buf, sizeof buf, 0);
        if (n < 0) {
            if (errno == ENOBUFS)
                apc__log(t->ctx, APC_LOG_WARN,
                         "triggers: process events were lost (too many at "
                         "once); exits are found by the sweep");
            if (errno == ENOBUFS || errno == EINTR)
                continue;
            return; /* EAGAIN: all read */
        }
        /* The names recorded for the execs whose events this batch holds are in the kernel's
         * ring already (the tracepoint runs before the event is sent); draining here, on
         * every batch, also keeps that ring from filling. */
        apc__exec_names_drain(t->names);
        int len = (int)n;
        for (struct nlmsghdr *h = &buf.h; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
            if (h->nlmsg_type == NLMSG_ERROR || h->nlmsg_type == NLMSG_NOOP)
                continue;
            struct cn_msg *c = NLMSG_DATA(h);
            if (c->id.idx != CN_IDX_PROC || c->id.val != CN_VAL_PROC ||
                c->len < sizeof(struct proc_event))
                continue;
            /* Copied: the event sits at a 4-byte offset, it needs 8-byte alignment. */
            struct proc_event ev;
            memcpy(&ev, c->data, sizeof ev);
            push(t, &ev);
        }
    }
}

static void *reader_main(void *arg)
{
    struct apc__trig *t = arg;
    /* A short-lived program's path must be read before it exits: on a busy machine the reader
     * should not wait its turn behind every other thread. It only reads (recv, readlink), so a
     * higher weight costs others little; without the right to raise it (not root), it stays. */
    if (setpriority(PRIO_PROCESS, (id_t)gettid(), -10) != 0)
        (void)0;
    while (!__atomic_load_n(&t->stop, __ATOMIC_ACQUIRE)) {
        struct pollfd p = {.fd = t->fd, .events = POLLIN};
        if (poll(&p, 1, 200) > 0 && (p.revents & POLLIN)) {
            read_batch(t);
            apc__trig_wake(t);
        }
    }
    return NULL;
}

int apc__trig_events_start(struct apc__trig *t)
{
    t->evq = calloc(APC__TRIG_EVENTS_MAX, sizeof *t->evq);
    if (!t->evq)
        return apc__err(APC_ENOMEM, "cannot start the process event reader");
    char why[256];
    if (apc__exec_names_open(&t->names, why, sizeof why) < 0)
        apc__log(t->ctx, APC_LOG_INFO,
                 "triggers: %s; a program gone before its /proc/PID/exe is read will not "
                 "match",
                 why);
    if (pthread_create(&t->ev_thread, NULL, reader_main, t) != 0) {
        apc__exec_names_close(t->names);
        t->names = NULL;
        free(t->evq);
        t->evq = NULL;
        return apc__err(APC_ENOMEM, "cannot start the process event reader");
    }
    t->ev_running = 1;
    return 0;
}

size_t apc__trig_events_take(struct apc__trig *t, apc__pev_t *out, size_t max, uint64_t *lost)
{
    pthread_mutex_lock(&t->evlock);
    size_t n = t->nev < max ? t->nev : max;
    for (size_t i = 0; i < n; i++)
        out[i] = t->evq[(t->ev_head + i) % APC__TRIG_EVENTS_MAX];
    t->ev_head = (t->ev_head + n) % APC__TRIG_EVENTS_MAX;
    t->nev -= n;
    *lost = t->ev_lost;
    t->ev_lost = 0;
    pthread_mutex_unlock(&t->evlock);
    return n;
}

void apc__trig_events_stop(struct apc__trig *t)
{
    if (t->ev_running) /* t->stop is set: the reader sees it within its poll's 200 ms */
        pthread_join(t->ev_thread, NULL);
    t->ev_running = 0;
    uint64_t seen, lost;
    apc__exec_names_stats(t->names, &seen, &lost);
    if (lost)
        apc__log(t->ctx, APC_LOG_WARN,
                 "triggers: %llu exec names of %llu did not fit the kernel's ring buffer",
                 (unsigned long long)lost, (unsigned long long)(seen + lost));
    apc__exec_names_close(t->names);
    t->names = NULL;
    for (size_t i = 0; i < t->nev; i++)
        free(t->evq[(t->ev_head + i) % APC__TRIG_EVENTS_MAX].exe);
    t->nev = 0;
    free(t->evq);
    t->evq = NULL;
}
