/* SPDX-License-Identifier: MIT */
/*
 * The trigger watcher (trigger_int.h): one thread per context that takes the exec, fork and
 * exit events of the kernel's process connector (netlink NETLINK_CONNECTOR, group CN_IDX_PROC,
 * linux/cn_proc.h; root only) from the event reader (events.c), starts a process capture when an
 * exec'd program matches an armed trigger, follows the process tree by fork and exit events (and a
 * sweep of /proc for events lost to a full socket buffer) and hands the firing to the runner when
 * the tree is gone.
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
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <apc/capture.h>
#include <apc/live.h>

#include "capture/live.h"
#include "capture/router.h"
#include "core/error.h"
#include "store/triggers.h"
#include "trigger/trigger_int.h"
#include "util/clock.h"

#define SWEEP_NS 500000000LL

/* From the watcher thread (arm holds the lock itself and writes the state directly). */
static void set_state(struct apc__trig *t, const char *why)
{
    pthread_mutex_lock(&t->ctx->trig_lock);
    snprintf(t->state, sizeof t->state, "unavailable: the process connector refused to listen: %s",
             why);
    pthread_mutex_unlock(&t->ctx->trig_lock);
}

static int mcast(int fd, uint32_t op)
{
    union {
        char b[NLMSG_SPACE(sizeof(struct cn_msg) + sizeof(uint32_t))];
        struct nlmsghdr h;
    } m;
    memset(&m, 0, sizeof m);
    m.h.nlmsg_len = NLMSG_LENGTH(sizeof(struct cn_msg) + sizeof(uint32_t));
    m.h.nlmsg_type = NLMSG_DONE;
    struct cn_msg *c = NLMSG_DATA(&m.h);
    c->id.idx = CN_IDX_PROC;
    c->id.val = CN_VAL_PROC;
    c->len = sizeof op;
    memcpy(c->data, &op, sizeof op);
    return send(fd, &m, m.h.nlmsg_len, 0) < 0 ? -errno : 0;
}

/* The connector socket, listening; -errno with the state set when it cannot be had (the
 * caller holds ctx->trig_lock). */
static int open_connector(struct apc__trig *t)
{
    int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_CONNECTOR);
    if (fd < 0) {
        int e = errno;
        snprintf(t->state, sizeof t->state, "unavailable: no netlink process connector: %s",
                 strerror(e));
        return -e;
    }
    struct sockaddr_nl sa = {.nl_family = AF_NETLINK, .nl_groups = CN_IDX_PROC};
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        int e = errno;
        snprintf(t->state, sizeof t->state,
                 "unavailable: cannot listen to the process connector (%s; it needs root, "
                 "CAP_NET_ADMIN in the initial network namespace)",
                 strerror(e));
        close(fd);
        return -e;
    }
    /* Room for bursts of events (many short-lived processes); past it, the sweep helps. */
    int sz = 8 << 20;
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof sz) != 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
    int r = mcast(fd, PROC_CN_MCAST_LISTEN);
    if (r < 0) {
        snprintf(t->state, sizeof t->state, "unavailable: process connector: %s", strerror(-r));
        close(fd);
        return r;
    }
    t->fd = fd;
    return 0;
}

static void armed_clear(struct apc__trig *t)
{
    for (size_t i = 0; i < t->narmed; i++) {
        free(t->armed[i].real);
        free(t->armed[i].filter);
    }
    free(t->armed);
    t->armed = NULL;
    t->narmed = 0;
}

static void load_armed(struct apc__trig *t)
{
    apc_trigger_list_t l = {0};
    if (apc__st_trigger_list(t->ctx->store, 0, &l) < 0) {
        apc__log(t->ctx, APC_LOG_WARN, "triggers: cannot read the triggers: %s",
                 apc_last_error_message());
        return; /* keep the ones armed */
    }
    armed_clear(t);
    t->fire_delay_ms = apc__live_setting(t->ctx, "trigger.fire_delay_ms", 0, 0, 2000);
    /* Tests: match on the names recorded at exec only, as for a program gone before its
     * /proc/PID/exe is read (events.c). */
    __atomic_store_n(&t->names_only,
                     (int)apc__live_setting(t->ctx, "trigger.exe_from_names", 0, 0, 1),
                     __ATOMIC_RELAXED);
    t->armed = calloc(l.count ? l.count : 1, sizeof *t->armed);
    for (size_t i = 0; t->armed && i < l.count; i++) {
        apc__armed_t *a = &t->armed[t->narmed];
        struct stat sb;
        a->real = realpath(l.items[i].path, NULL);
        if (!a->real || stat(a->real, &sb) != 0) {
            apc__log(t->ctx, APC_LOG_WARN, "trigger %lld: path '%s' is gone; not armed",
                     (long long)l.items[i].id, l.items[i].path);
            free(a->real);
            continue;
        }
        a->id = l.items[i].id;
        a->is_dir = S_ISDIR(sb.st_mode);
        a->filter = l.items[i].filter;
        l.items[i].filter = NULL;
        a->flags = l.items[i].flags;
        if (a->flags & APC_CAPTURE_FLAG_NO_EBPF) /* stored before trigger_add refused it */
            apc__log(t->ctx, APC_LOG_WARN,
                     "trigger %lld: flag 0x200 (procfs attribution) does not apply to triggered "
                     "captures; ignored (trigger_mod to clear it)",
                     (long long)a->id);
        a->flags &= ~APC_CAPTURE_FLAG_NO_EBPF;
        t->narmed++;
    }
    apc_trigger_list_t *lp = malloc(sizeof *lp);
    if (lp) {
        *lp = l;
        apc_trigger_list_free(lp);
    }
}

static int matches(const apc__armed_t *a, const char *exe)
{
    size_t n = strlen(a->real);
    if (!a->is_dir)
        return strcmp(exe, a->real) == 0;
    if (n == 1) /* "/" */
        return 1;
    return strncmp(exe, a->real, n) == 0 && exe[n] == '/';
}

static int has_pid(const apc__firing_t *f, pid_t pid)
{
    for (size_t i = 0; i < f->npids; i++)
        if (f->pids[i] == pid)
            return 1;
    return 0;
}

static int add_pid(apc__firing_t *f, pid_t pid)
{
    if (has_pid(f, pid))
        return 0;
    if (f->npids == f->cap) {
        size_t n = f->cap ? f->cap * 2 : 8;
        pid_t *p = realloc(f->pids, n * sizeof *p);
        if (!p)
            return -1;
        f->pids = p;
        f->cap = n;
    }
    f->pids[f->npids++] = pid;
    return 0;
}

/* Removes firing i from the table and queues it for its actions. */
static void end_firing(struct apc__trig *t, size_t i)
{
    apc__firing_t *f = t->firings[i];
    t->firings[i] = t->firings[--t->nfirings];
    apc__router_request_end(t->ctx, f->capture_id); /* its grace starts now, not at the runner */
    apc__trig_enqueue(t, f);
}

/* The capture of a firing: a route of the shared source when it runs (a table insert, the
 * packets the process sent since exec_ns come from the pre-roll), else a process capture of
 * its own (handles on every adapter; packets before it starts are missed). */
static int start_capture(struct apc__trig *t, const apc__armed_t *a, pid_t pid, int64_t exec_ns,
                         int64_t *cid)
{
    if (apc__router_running(t->ctx)) {
        apc__route_opts_t ro = {.pid = pid,
                                .exec_ns = exec_ns,
                                .filter = a->filter,
                                .flags = a->flags | APC_CAPTURE_FLAG_DESCENDANTS};
        return apc__router_add(t->ctx, &ro, cid);
    }
    apc_live_options_t o;
    apc_live_options_init(&o, APC_LIVE_OPTIONS_VERSION);
    o.pid = pid;
    o.flags = a->flags | APC_CAPTURE_FLAG_DESCENDANTS;
    o.filter = a->filter && *a->filter ? a->filter : NULL;
    return apc_capture_start_process(t->ctx, &o, cid);
}

static void fire(struct apc__trig *t, const apc__armed_t *a, pid_t pid, int64_t exec_ns,
                 const char *exe)
{
    for (size_t i = 0; i < t->nfirings; i++)
        if (t->firings[i]->trigger_id == a->id && has_pid(t->firings[i], pid))
            return; /* already followed: a process of the tree exec'd the program again */
    if (t->fire_delay_ms > 0) { /* tests: the program runs ahead of its firing */
        struct timespec d = {t->fire_delay_ms / 1000, (t->fire_delay_ms % 1000) * 1000000L};
        nanosleep(&d, NULL);
    }
    int64_t cid = 0;
    int r = t->nfirings >= APC__TRIG_FIRINGS_MAX
                ? apc__err(APC_ELIMIT, "%d triggered captures are running", APC__TRIG_FIRINGS_MAX)
                : start_capture(t, a, pid, exec_ns, &cid);
    char err[512] = "";
    if (r < 0) {
        snprintf(err, sizeof err, "%s", apc_last_error_message());
        apc__log(t->ctx, APC_LOG_WARN, "trigger %lld: %s pid %d: no capture: %s", (long long)a->id,
                 exe, (int)pid, err);
    }
    apc__st_trigger_fired(t->ctx->store, a->id, apc__real_ns(), r < 0 ? 0 : cid, pid, exe, err);
    if (r < 0)
        return;
    char notes[PATH_MAX + 64];
    snprintf(notes, sizeof notes, "trigger %lld: %s pid %d", (long long)a->id, exe, (int)pid);
    apc_capture_set_notes(t->ctx, cid, 0, notes);
    apc__firing_t *f = calloc(1, sizeof *f);
    apc__firing_t **fs = realloc(t->firings, (t->nfirings + 1) * sizeof *fs);
    if (fs)
        t->firings = fs;
    if (!f || !fs || !(f->program = strdup(exe)) || add_pid(f, pid) < 0) {
        apc__log(t->ctx, APC_LOG_ERROR, "trigger %lld: out of memory; capture %lld stopped",
                 (long long)a->id, (long long)cid);
        apc__firing_free(f);
        apc_capture_stop(t->ctx, cid, 0);
        return;
    }
    f->trigger_id = a->id;
    f->capture_id = cid;
    f->pid = pid;
    t->firings[t->nfirings++] = f;
    apc__log(t->ctx, APC_LOG_INFO, "trigger %lld: %s pid %d: capture %lld", (long long)a->id, exe,
             (int)pid, (long long)cid);
}

/* exec_ns: when the kernel sent the event (Unix epoch ns); exe: the program's path, read by
 * the event reader as the event came. */
static void on_exec(struct apc__trig *t, pid_t pid, int64_t exec_ns, const char *exe)
{
    for (size_t i = 0; i < t->narmed; i++)
        if (matches(&t->armed[i], exe))
            fire(t, &t->armed[i], pid, exec_ns, exe);
}

static void on_fork(struct apc__trig *t, pid_t parent, pid_t child, pid_t child_tgid)
{
    if (child != child_tgid)
        return; /* a thread */
    for (size_t i = 0; i < t->nfirings; i++)
        if (has_pid(t->firings[i], parent))
            add_pid(t->firings[i], child);
}

static void drop_pid(struct apc__trig *t, size_t i, size_t k)
{
    apc__firing_t *f = t->firings[i];
    f->pids[k] = f->pids[--f->npids];
}

static void on_exit_ev(struct apc__trig *t, pid_t pid, pid_t tgid)
{
    if (pid != tgid)
        return;
    for (size_t i = t->nfirings; i-- > 0;) {
        apc__firing_t *f = t->firings[i];
        for (size_t k = 0; k < f->npids; k++)
            if (f->pids[k] == pid) {
                drop_pid(t, i, k);
                break;
            }
        if (f->npids == 0)
            end_firing(t, i);
    }
}

static void on_event(struct apc__trig *t, const apc__pev_t *e)
{
    const struct proc_event *ev = &e->ev;
    switch (ev->what) {
    case PROC_EVENT_EXEC:
        if (e->exe)
            on_exec(t, ev->event_data.exec.process_tgid, e->exec_ns, e->exe);
        break;
    case PROC_EVENT_FORK:
        on_fork(t, ev->event_data.fork.parent_tgid, ev->event_data.fork.child_pid,
                ev->event_data.fork.child_tgid);
        break;
    case PROC_EVENT_EXIT:
        on_exit_ev(t, ev->event_data.exit.process_pid, ev->event_data.exit.process_tgid);
        break;
    case PROC_EVENT_NONE:
        if (ev->event_data.ack.err)
            set_state(t, strerror((int)ev->event_data.ack.err));
        break;
    default:
        break;
    }
}

/* Everything the reader queued, in order. */
static void handle_events(struct apc__trig *t)
{
    apc__pev_t batch[256];
    uint64_t lost = 0;
    size_t n;
    while ((n = apc__trig_events_take(t, batch, sizeof batch / sizeof batch[0], &lost)) > 0) {
        for (size_t i = 0; i < n; i++) {
            on_event(t, &batch[i]);
            free(batch[i].exe);
        }
    }
    if (lost)
        apc__log(t->ctx, APC_LOG_WARN,
                 "triggers: %llu process events were dropped (over %d waiting); exits are found "
                 "by the sweep",
                 (unsigned long long)lost, APC__TRIG_EVENTS_MAX);
}

/* 1 when pid is gone or a zombie (it has exited; its parent has not reaped it yet). */
static int dead(pid_t pid)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "re");
    if (!f)
        return 1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *p = strrchr(buf, ')');
    return !p || p[1] != ' ' || p[2] == 'Z' || p[2] == 'X';
}

/* Exits the events did not tell (lost to a full buffer), and firings of removed triggers. */
static void sweep(struct apc__trig *t)
{
    for (size_t i = t->nfirings; i-- > 0;) {
        apc__firing_t *f = t->firings[i];
        int armed = 0;
        for (size_t k = 0; k < t->narmed; k++)
            armed |= t->armed[k].id == f->trigger_id;
        for (size_t k = f->npids; k-- > 0;)
            if (!armed || dead(f->pids[k]))
                drop_pid(t, i, k);
        if (f->npids == 0)
            end_firing(t, i);
    }
}

static void *watch_main(void *arg)
{
    struct apc__trig *t = arg;
    int64_t next = apc__mono_ns() + SWEEP_NS;
    while (!__atomic_load_n(&t->stop, __ATOMIC_ACQUIRE)) {
        if (__atomic_exchange_n(&t->reload, 0, __ATOMIC_ACQ_REL)) {
            load_armed(t);
            sweep(t);
        }
        struct pollfd p = {.fd = t->wake_fd, .events = POLLIN};
        if (poll(&p, 1, 200) > 0 && (p.revents & POLLIN)) {
            uint64_t v;
            if (read(t->wake_fd, &v, sizeof v) < 0)
                (void)0; /* counter already reset */
        }
        handle_events(t);
        if (apc__mono_ns() >= next) {
            sweep(t);
            next = apc__mono_ns() + SWEEP_NS;
        }
    }
    return NULL;
}

void apc__trig_wake(struct apc__trig *t)
{
    uint64_t one = 1;
    if (t->wake_fd >= 0 && write(t->wake_fd, &one, sizeof one) < 0)
        (void)0; /* the counter is saturated: the watcher wakes anyway */
}

static int have_triggers(apc_ctx_t *ctx)
{
    apc_trigger_list_t *l = calloc(1, sizeof *l);
    int n = l && apc__st_trigger_list(ctx->store, 0, l) == 0 ? (int)l->count : 0;
    apc_trigger_list_free(l);
    return n;
}

static struct apc__trig *trig_new(apc_ctx_t *ctx)
{
    struct apc__trig *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->ctx = ctx;
    t->fd = -1;
    t->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    pthread_mutex_init(&t->qlock, NULL);
    pthread_mutex_init(&t->evlock, NULL);
    pthread_cond_init(&t->qcond, NULL);
    return t;
}

void apc__trigger_arm(apc_ctx_t *ctx)
{
    if (!ctx || ctx->read_only)
        return;
    /* Under the lock throughout, so two callers never start two watchers; the watcher thread
     * takes it only to set its state. */
    pthread_mutex_lock(&ctx->trig_lock);
    struct apc__trig *t = ctx->trig;
    if (t && t->watching) {
        __atomic_store_n(&t->reload, 1, __ATOMIC_RELEASE);
        apc__trig_wake(t);
    } else if (have_triggers(ctx) && (t || (t = ctx->trig = trig_new(ctx)) != NULL) &&
               open_connector(t) == 0) {
        t->reload = 1;
        /* The shared source first, so the first exec the watcher sees has its pre-roll. */
        if (apc__router_start(ctx) < 0)
            apc__log(ctx, APC_LOG_WARN,
                     "triggers: no shared capture source (%s): each firing opens its own "
                     "capture and may miss its first packets",
                     apc_last_error_message());
        if (apc__trig_runner_start(t) < 0 || apc__trig_events_start(t) < 0 ||
            pthread_create(&t->watch_thread, NULL, watch_main, t) != 0) {
            snprintf(t->state, sizeof t->state, "unavailable: cannot start the watcher thread");
            __atomic_store_n(&t->stop, 1, __ATOMIC_RELEASE); /* the reader, if it started */
            apc__trig_events_stop(t);
            __atomic_store_n(&t->stop, 0, __ATOMIC_RELEASE);
            close(t->fd);
            t->fd = -1;
        } else {
            t->watching = 1;
            snprintf(t->state, sizeof t->state, "armed");
        }
    }
    pthread_mutex_unlock(&ctx->trig_lock);
}

char *apc__trigger_state(apc_ctx_t *ctx)
{
    pthread_mutex_lock(&ctx->trig_lock);
    const struct apc__trig *t = ctx->trig;
    char *s = strdup(t && t->state[0] ? t->state : "idle");
    pthread_mutex_unlock(&ctx->trig_lock);
    return s;
}

void apc__trigger_shutdown(apc_ctx_t *ctx)
{
    struct apc__trig *t = ctx ? ctx->trig : NULL;
    if (!t)
        return;
    if (t->watching) {
        __atomic_store_n(&t->stop, 1, __ATOMIC_RELEASE);
        apc__trig_wake(t);
        pthread_join(t->watch_thread, NULL);
        apc__trig_events_stop(t);
        mcast(t->fd, PROC_CN_MCAST_IGNORE);
    }
    /* Captures still followed are stopped with the other live captures; their actions do not
     * run (docs/triggers.md). */
    for (size_t i = 0; i < t->nfirings; i++)
        apc__firing_free(t->firings[i]);
    free(t->firings);
    apc__trig_runner_stop(t);
    apc__router_stop(ctx); /* after the runner: nobody waits for a route any more */
    if (t->fd >= 0)
        close(t->fd);
    if (t->wake_fd >= 0)
        close(t->wake_fd);
    armed_clear(t);
    pthread_mutex_destroy(&t->qlock);
    pthread_mutex_destroy(&t->evlock);
    pthread_cond_destroy(&t->qcond);
    pthread_mutex_lock(&ctx->trig_lock);
    ctx->trig = NULL;
    pthread_mutex_unlock(&ctx->trig_lock);
    free(t);
}
