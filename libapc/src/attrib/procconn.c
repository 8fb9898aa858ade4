/* SPDX-License-Identifier: MIT */
/* Proc connector listener (see procconn.h). Message layout: linux/netlink.h (nlmsghdr),
 * linux/connector.h (cn_msg), linux/cn_proc.h (proc_event). */
#include "attrib/procconn.h"

#include <errno.h>
#include <limits.h>
#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <apc/common.h>

#include "attrib/exec_names.h"
#include "attrib/proctable.h"
#include "core/error.h"
#include "util/clock.h"

struct apc__procconn {
    apc__proctab_t *t;
    int fd;
    apc__exec_names_t *names; /* the thread's; NULL without the eBPF program */
    pthread_t thread;
    atomic_int stop;
    pthread_mutex_t hook_lock;
    void (*hook)(const apc__procev_t *ev, void *p);
    void *hook_payload;
    /* Progress, for apc__procconn_caught_up: the socket was found empty at drained_ns; busy
     * while a datagram is read and handled. */
    _Atomic int64_t drained_ns;
    atomic_int busy;
    _Atomic uint64_t lost;
};

static _Atomic int64_t g_test_delay_ns;

void apc__procconn_test_delay(int64_t ns)
{
    atomic_store(&g_test_delay_ns, ns);
}

static void on_event(const apc__procev_t *ev, void *payload)
{
    apc__procconn_t *c = payload;
    switch (ev->what) {
    case APC_PEV_FORK:
        apc__proctab_on_fork(c->t, ev->ppid, ev->pid, ev->tid);
        break;
    case APC_PEV_EXEC:
        /* A program that exits at once (curl fetching one file on a busy machine) can be a
         * zombie before its event is read here, and a zombie has no /proc/PID/exe: then the
         * name the kernel recorded at the exec gives its path. */
        if (apc__proctab_on_exec(c->t, ev->pid) == 0 && c->names) {
            char path[PATH_MAX];
            if (apc__exec_names_find(c->names, (pid_t)ev->pid, ev->ktime_ns, path, sizeof path) ==
                0)
                apc__proctab_exec_path(c->t, ev->pid, path);
        }
        break;
    case APC_PEV_EXIT:
        apc__proctab_on_exit(c->t, ev->pid, ev->tid);
        break;
    }
    pthread_mutex_lock(&c->hook_lock);
    if (c->hook)
        c->hook(ev, c->hook_payload);
    pthread_mutex_unlock(&c->hook_lock);
}

static void *run(void *arg)
{
    apc__procconn_t *c = arg;
    _Alignas(struct nlmsghdr) uint8_t buf[8192];
    struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
    while (!atomic_load(&c->stop)) {
        /* The time is taken before the read: when the socket is empty, every event sent
         * before t0 has been handled. */
        int64_t t0 = apc__real_ns();
        atomic_store(&c->busy, 1);
        ssize_t n = recv(c->fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n < 0) {
            int e = errno;
            atomic_store(&c->busy, 0);
            if (e == EAGAIN || e == EWOULDBLOCK) {
                atomic_store(&c->drained_ns, t0);
                apc__exec_names_drain(c->names); /* on every wake: its ring never fills */
                poll(&pfd, 1, 100);
            } else if (e == ENOBUFS) {
                atomic_fetch_add(&c->lost, 1); /* the table misses some; lists re-check /proc */
            }
            continue;
        }
        int64_t delay = atomic_load(&g_test_delay_ns);
        if (delay > 0) {
            struct timespec ts = {(time_t)(delay / 1000000000LL), (long)(delay % 1000000000LL)};
            nanosleep(&ts, NULL);
        }
        /* The names of the execs this datagram holds are in the ring already (the tracepoint
         * runs before the event is sent). */
        apc__exec_names_drain(c->names);
        apc__procconn_parse(buf, (size_t)n, on_event, c);
        atomic_store(&c->busy, 0);
    }
    return NULL;
}

int apc__procconn_caught_up(apc__procconn_t *c, int64_t real_ns)
{
    if (!c || atomic_load(&c->drained_ns) >= real_ns)
        return 1;
    /* Idle thread, empty socket: nothing sent before now is left to handle. busy is read
     * after the poll: a datagram read in between sets it first. */
    struct pollfd p = {.fd = c->fd, .events = POLLIN};
    int64_t now = apc__real_ns();
    return now >= real_ns && poll(&p, 1, 0) == 0 && !atomic_load(&c->busy);
}

uint64_t apc__procconn_lost(const apc__procconn_t *c)
{
    return c ? atomic_load(&c->lost) : 0;
}

static int send_listen(int fd, enum proc_cn_mcast_op op)
{
    _Alignas(struct nlmsghdr) uint8_t buf[NLMSG_SPACE(sizeof(struct cn_msg) + sizeof op)];
    memset(buf, 0, sizeof buf);
    struct nlmsghdr *nh = (struct nlmsghdr *)buf;
    nh->nlmsg_len = NLMSG_LENGTH(sizeof(struct cn_msg) + sizeof op);
    nh->nlmsg_type = NLMSG_DONE;
    nh->nlmsg_pid = 0;
    struct cn_msg *cn = NLMSG_DATA(nh);
    cn->id.idx = CN_IDX_PROC;
    cn->id.val = CN_VAL_PROC;
    cn->len = sizeof op;
    memcpy(cn->data, &op, sizeof op);
    return send(fd, buf, nh->nlmsg_len, 0) < 0 ? -errno : 0;
}

int apc__procconn_start(apc__proctab_t *t, apc__procconn_t **out)
{
    *out = NULL;
    int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_CONNECTOR);
    if (fd < 0)
        return apc__err_errno(errno, "proc connector socket");
    struct sockaddr_nl sa = {.nl_family = AF_NETLINK, .nl_groups = CN_IDX_PROC, .nl_pid = 0};
    int sz = 4 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof sz);
    int rc = 0;
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0)
        rc = apc__err_errno(errno, "binding the proc connector socket");
    else if ((rc = send_listen(fd, PROC_CN_MCAST_LISTEN)) < 0)
        rc = apc__err_errno(-rc, "subscribing to process events");
    apc__procconn_t *c = rc == 0 ? calloc(1, sizeof *c) : NULL;
    if (rc == 0 && !c)
        rc = apc__err(APC_ENOMEM, "out of memory");
    if (rc < 0) {
        close(fd);
        return rc;
    }
    c->t = t;
    c->fd = fd;
    char why[256];
    if (apc__exec_names_open(&c->names, why, sizeof why) < 0)
        c->names = NULL; /* /proc/PID/exe alone, as before: a program gone first has no path */
    pthread_mutex_init(&c->hook_lock, NULL);
    int e = pthread_create(&c->thread, NULL, run, c);
    if (e) {
        apc__exec_names_close(c->names);
        close(fd);
        free(c);
        return apc__err_errno(e, "starting the process event thread");
    }
    *out = c;
    return 0;
}

void apc__procconn_set_hook(apc__procconn_t *c, void (*cb)(const apc__procev_t *ev, void *p),
                            void *payload)
{
    if (!c)
        return;
    pthread_mutex_lock(&c->hook_lock);
    c->hook = cb;
    c->hook_payload = payload;
    pthread_mutex_unlock(&c->hook_lock);
}

void apc__procconn_stop(apc__procconn_t *c)
{
    if (!c)
        return;
    atomic_store(&c->stop, 1);
    pthread_join(c->thread, NULL);
    send_listen(c->fd, PROC_CN_MCAST_IGNORE);
    close(c->fd);
    apc__exec_names_close(c->names);
    pthread_mutex_destroy(&c->hook_lock);
    free(c);
}
