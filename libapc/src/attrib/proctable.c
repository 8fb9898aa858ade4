/* SPDX-License-Identifier: MIT */
/* The process table (see proctable.h). One mutex guards it; the event thread (procconn.c)
 * and readers (attribution, lists) take it briefly. */
#include "attrib/proctable.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "attrib/procconn.h"
#include "core/ctx.h"
#include "core/error.h"
#include "store/captures.h"
#include "util/clock.h"

#define MAX_ENTRIES 65536 /* exited processes beyond this are forgotten (their rows stay) */

typedef struct thr {
    int64_t tid;
    char name[16];
    int64_t start_ns, exit_ns;
    int running;
} thr_t;

typedef struct pent {
    int64_t pid, ppid, process_id;
    char comm[64];
    char path[512];
    char cmdline[1024];
    char user[64];
    int64_t start_ns, exit_ns, seen_ns;
    int running;
    int exec_unread; /* exec'd but gone before /proc was read: comm is still the parent's */
    thr_t *thr;
    size_t nthr;
} pent_t;

struct apc__proctab {
    apc_ctx_t *ctx;
    pthread_mutex_t lock;
    pent_t **ents; /* open addressing by pid; a reused pid replaces its entry */
    size_t cap, n;
    int64_t boot_ns; /* realtime of boot, for /proc start times */
    long hz;
    apc__procconn_t *conn;
    apc__proctab_t *next;
};

static size_t slot_of(const apc__proctab_t *t, int64_t pid)
{
    size_t i = ((uint64_t)pid * 11400714819323198485ULL) >> 20;
    for (;; i++) {
        i &= t->cap - 1;
        if (!t->ents[i] || t->ents[i]->pid == pid)
            return i;
    }
}

static pent_t *find(apc__proctab_t *t, int64_t pid)
{
    return t->cap ? t->ents[slot_of(t, pid)] : NULL;
}

static void remove_at(apc__proctab_t *t, size_t i)
{
    /* Backward-shift deletion keeps probe chains whole. */
    free(t->ents[i]->thr);
    free(t->ents[i]);
    t->ents[i] = NULL;
    t->n--;
    for (size_t j = (i + 1) & (t->cap - 1); t->ents[j]; j = (j + 1) & (t->cap - 1)) {
        pent_t *e = t->ents[j];
        t->ents[j] = NULL;
        t->ents[slot_of(t, e->pid)] = e;
    }
}

static void evict_exited(apc__proctab_t *t)
{
    /* Drop the exited process seen longest ago; rare, only past MAX_ENTRIES. */
    size_t best = SIZE_MAX;
    for (size_t i = 0; i < t->cap; i++)
        if (t->ents[i] && !t->ents[i]->running &&
            (best == SIZE_MAX || t->ents[i]->seen_ns < t->ents[best]->seen_ns))
            best = i;
    if (best != SIZE_MAX)
        remove_at(t, best);
}

static pent_t *insert(apc__proctab_t *t, int64_t pid)
{
    if (t->n >= MAX_ENTRIES)
        evict_exited(t);
    if ((t->n + 1) * 2 > t->cap) {
        size_t ncap = t->cap ? t->cap * 2 : 1024;
        pent_t **ne = calloc(ncap, sizeof *ne), **old = t->ents;
        if (!ne)
            return NULL;
        size_t ocap = t->cap;
        t->ents = ne;
        t->cap = ncap;
        for (size_t i = 0; i < ocap; i++)
            if (old[i])
                t->ents[slot_of(t, old[i]->pid)] = old[i];
        free(old);
    }
    size_t i = slot_of(t, pid);
    if (t->ents[i]) {
        /* pid reused: the old process is gone; its row stays in the store. */
        t->ents[i]->pid = -1;
        remove_at(t, i);
        i = slot_of(t, pid);
    }
    pent_t *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    e->pid = pid;
    t->ents[i] = e;
    t->n++;
    return e;
}

static ssize_t read_small(const char *path, char *buf, size_t n)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t r = read(fd, buf, n - 1);
    close(fd);
    if (r < 0)
        return -1;
    buf[r] = '\0';
    return r;
}

/* Fills e from /proc/<pid>; returns 0 if the process exists. */
static int read_proc(apc__proctab_t *t, pent_t *e)
{
    char p[64], buf[4096];
    snprintf(p, sizeof p, "/proc/%lld/stat", (long long)e->pid);
    ssize_t n = read_small(p, buf, sizeof buf);
    if (n <= 0)
        return -1;
    uint64_t ticks = 0;
    int64_t ppid = 0;
    if (apc__proc_parse_stat(buf, (size_t)n, e->comm, sizeof e->comm, &ppid, &ticks) < 0)
        return -1;
    e->ppid = ppid;
    e->start_ns = t->boot_ns + (int64_t)(ticks * (1000000000ULL / (uint64_t)t->hz));
    snprintf(p, sizeof p, "/proc/%lld/cmdline", (long long)e->pid);
    n = read_small(p, buf, sizeof buf);
    if (n >= 0)
        apc__proc_join_cmdline(buf, (size_t)n, e->cmdline, sizeof e->cmdline);
    snprintf(p, sizeof p, "/proc/%lld/exe", (long long)e->pid);
    n = readlink(p, e->path, sizeof e->path - 1);
    e->path[n > 0 ? n : 0] = '\0';
    snprintf(p, sizeof p, "/proc/%lld/status", (long long)e->pid);
    n = read_small(p, buf, sizeof buf);
    long uid = n > 0 ? apc__proc_status_uid(buf, (size_t)n) : -1;
    if (uid >= 0) {
        struct passwd pw, *res = NULL;
        char pwbuf[1024];
        if (getpwuid_r((uid_t)uid, &pw, pwbuf, sizeof pwbuf, &res) == 0 && res)
            snprintf(e->user, sizeof e->user, "%s", res->pw_name);
        else
            snprintf(e->user, sizeof e->user, "%ld", uid);
    }
    e->running = 1;
    e->seen_ns = apc__real_ns();
    return 0;
}

static thr_t *thread_of(pent_t *e, int64_t tid, int add)
{
    for (size_t i = 0; i < e->nthr; i++)
        if (e->thr[i].tid == tid)
            return &e->thr[i];
    if (!add || e->nthr >= 4096)
        return NULL;
    thr_t *nt = realloc(e->thr, (e->nthr + 1) * sizeof *nt);
    if (!nt)
        return NULL;
    e->thr = nt;
    thr_t *h = &e->thr[e->nthr++];
    memset(h, 0, sizeof *h);
    h->tid = tid;
    h->running = 1;
    h->start_ns = apc__real_ns();
    return h;
}

static void read_threads(pent_t *e)
{
    char p[64];
    snprintf(p, sizeof p, "/proc/%lld/task", (long long)e->pid);
    DIR *d = opendir(p);
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d))) {
        int64_t tid = strtoll(de->d_name, NULL, 10);
        if (tid <= 0)
            continue;
        thr_t *h = thread_of(e, tid, 1);
        if (!h)
            break;
        char q[96], buf[64];
        snprintf(q, sizeof q, "/proc/%lld/task/%lld/comm", (long long)e->pid, (long long)tid);
        ssize_t n = read_small(q, buf, sizeof buf);
        if (n > 0) {
            if (buf[n - 1] == '\n')
                buf[n - 1] = '\0';
            size_t k = strnlen(buf, sizeof h->name - 1);
            memcpy(h->name, buf, k); /* comm is at most 15 bytes */
            h->name[k] = '\0';
        }
    }
    closedir(d);
}

static void scan_all(apc__proctab_t *t)
{
    DIR *d = opendir("/proc");
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d))) {
        int64_t pid = strtoll(de->d_name, NULL, 10);
        if (pid <= 0)
            continue;
        pthread_mutex_lock(&t->lock);
        pent_t *e = find(t, pid);
        if (!e && (e = insert(t, pid)) && read_proc(t, e) == 0)
            read_threads(e);
        pthread_mutex_unlock(&t->lock);
    }
    closedir(d);
}

static int64_t boot_time_ns(void)
{
    struct timespec rt, bt;
    clock_gettime(CLOCK_REALTIME, &rt);
    clock_gettime(CLOCK_BOOTTIME, &bt);
    return ((int64_t)rt.tv_sec - bt.tv_sec) * 1000000000LL + (rt.tv_nsec - bt.tv_nsec);
}

int apc__proctab_get(apc_ctx_t *ctx, apc__proctab_t **out)
{
    pthread_mutex_lock(&ctx->proctab_lock);
    apc__proctab_t *t = ctx->proctabs;
    while (t && t->ctx != ctx)
        t = t->next;
    if (t) {
        pthread_mutex_unlock(&ctx->proctab_lock);
        *out = t;
        return 0;
    }
    t = calloc(1, sizeof *t);
    if (!t) {
        pthread_mutex_unlock(&ctx->proctab_lock);
        return apc__err(APC_ENOMEM, "out of memory");
    }
    t->ctx = ctx;
    pthread_mutex_init(&t->lock, NULL);
    t->hz = sysconf(_SC_CLK_TCK);
    if (t->hz <= 0)
        t->hz = 100;
    t->boot_ns = boot_time_ns();
    /* Events first, then the scan: a process born in between is seen by one or the other. */
    int rc = apc__procconn_start(t, &t->conn);
    if (rc < 0)
        apc__log(ctx, APC_LOG_WARN, "process events unavailable (%s): /proc scans only",
                 apc_last_error_message());
    scan_all(t);
    t->next = ctx->proctabs;
    ctx->proctabs = t;
    pthread_mutex_unlock(&ctx->proctab_lock);
    *out = t;
    return 0;
}

void apc__proctab_shutdown(apc_ctx_t *ctx)
{
    pthread_mutex_lock(&ctx->proctab_lock);
    apc__proctab_t **pp = &ctx->proctabs;
    while (*pp && (*pp)->ctx != ctx)
        pp = &(*pp)->next;
    apc__proctab_t *t = *pp;
    if (t)
        *pp = t->next;
    pthread_mutex_unlock(&ctx->proctab_lock);
    if (!t)
        return;
    apc__procconn_stop(t->conn);
    for (size_t i = 0; i < t->cap; i++)
        if (t->ents[i]) {
            free(t->ents[i]->thr);
            free(t->ents[i]);
        }
    free(t->ents);
    pthread_mutex_destroy(&t->lock);
    free(t);
}

int apc__proctab_set_hook(apc__proctab_t *t, void (*cb)(const struct apc__procev *ev, void *p),
                          void *payload)
{
    apc__procconn_set_hook(t->conn, cb, payload);
    return t->conn != NULL;
}

void apc__proctab_on_fork(apc__proctab_t *t, int64_t ppid, int64_t pid, int64_t tid)
{
    pthread_mutex_lock(&t->lock);
    if (pid != tid) {
        /* A new thread of pid. */
        pent_t *e = find(t, pid);
        if (e)
            thread_of(e, tid, 1);
        pthread_mutex_unlock(&t->lock);
        return;
    }
    pent_t *parent = find(t, ppid);
    pent_t *e = insert(t, pid);
    if (e) {
        e->ppid = ppid;
        e->running = 1;
        e->start_ns = e->seen_ns = apc__real_ns();
        /* Until it execs, a child runs its parent's program. */
        if (parent) {
            memcpy(e->comm, parent->comm, sizeof e->comm);
            memcpy(e->path, parent->path, sizeof e->path);
            memcpy(e->cmdline, parent->cmdline, sizeof e->cmdline);
            memcpy(e->user, parent->user, sizeof e->user);
        }
        thread_of(e, pid, 1);
    }
    pthread_mutex_unlock(&t->lock);
}

static void store_row(apc__proctab_t *t, pent_t *e, int update);

int apc__proctab_on_exec(apc__proctab_t *t, int64_t pid)
{
    pthread_mutex_lock(&t->lock);
    pent_t *e = find(t, pid);
    if (!e)
        e = insert(t, pid);
    int known = 0;
    if (e) {
        int64_t start = e->start_ns, ppid = e->ppid;
        if (read_proc(t, e) == 0) {
            if (start)
                e->start_ns = start; /* exec keeps the process; fork time is its start */
            if (e->process_id)
                store_row(t, e, 1);
            known = e->path[0] != '\0';
            e->exec_unread = 0;
        } else {
            if (ppid)
                e->ppid = ppid;
            /* Gone: what fork copied from the parent is not this program. */
            e->path[0] = e->cmdline[0] = '\0';
            e->exec_unread = 1;
        }
    }
    pthread_mutex_unlock(&t->lock);
    return known;
}

void apc__proctab_exec_path(apc__proctab_t *t, int64_t pid, const char *path)
{
    pthread_mutex_lock(&t->lock);
    pent_t *e = find(t, pid);
    if (e && !e->path[0] && path && *path) {
        snprintf(e->path, sizeof e->path, "%s", path);
        if (e->exec_unread) { /* the comm fork copied is the parent's */
            const char *base = strrchr(path, '/');
            base = base ? base + 1 : path;
            size_t k = strnlen(base, sizeof e->comm - 1);
            k = k < 15 ? k : 15; /* TASK_COMM_LEN - 1, as the kernel sets it at the exec */
            memcpy(e->comm, base, k);
            e->comm[k] = '\0';
            e->exec_unread = 0;
        }
        if (e->process_id)
            store_row(t, e, 1);
    }
    pthread_mutex_unlock(&t->lock);
}

void apc__proctab_on_exit(apc__proctab_t *t, int64_t pid, int64_t tid)
{
    pthread_mutex_lock(&t->lock);
    pent_t *e = find(t, pid);
    if (e) {
        thr_t *h = thread_of(e, tid, 0);
        if (h) {
            h->running = 0;
            h->exit_ns = apc__real_ns();
        }
        if (pid == tid) {
            e->running = 0;
            e->exit_ns = e->seen_ns = apc__real_ns();
            if (e->process_id)
                store_row(t, e, 1);
        }
    }
    pthread_mutex_unlock(&t->lock);
}

int apc__proctab_learn(apc__proctab_t *t, int64_t pid)
{
    pthread_mutex_lock(&t->lock);
    pent_t *e = find(t, pid);
    int ok = e != NULL;
    if (!e && (e = insert(t, pid))) {
        if (read_proc(t, e) == 0) {
            read_threads(e);
            ok = 1;
        } else {
            remove_at(t, slot_of(t, pid));
        }
    }
    pthread_mutex_unlock(&t->lock);
    return ok;
}

/* Writes (or updates) the row of e; called with the lock held. A failure is logged: the table
 * keeps attributing packets, and the row is written again at the process's next change. */
static void store_row(apc__proctab_t *t, pent_t *e, int update)
{
    apc__st_process_t row = {
        .pid = e->pid,
        .ppid = e->ppid,
        .name = e->comm,
        .path = e->path,
        .cmdline = e->cmdline,
        .user = e->user,
        .source = "live",
        .start_time = e->start_ns,
        .exit_time = e->exit_ns,
        .running = e->running,
    };
    int r = update ? apc__processes_update(t->ctx->store, e->process_id, &row)
                   : apc__processes_add(t->ctx->store, &row, &e->process_id);
    if (r < 0)
        apc__log(t->ctx, APC_LOG_WARN, "process %lld: %s", (long long)e->pid,
                 apc_last_error_message());
}

int64_t apc__proctab_process_id(apc__proctab_t *t, int64_t pid)
{
    if (pid <= 0)
        return 0;
    if (!apc__proctab_learn(t, pid))
        return 0;
    pthread_mutex_lock(&t->lock);
    pent_t *e = find(t, pid);
    if (e && !e->process_id)
        store_row(t, e, 0);
    int64_t id = e ? e->process_id : 0;
    pthread_mutex_unlock(&t->lock);
    return id;
}

int64_t apc__proctab_tgid(apc__proctab_t *t, int64_t tid)
{
    pthread_mutex_lock(&t->lock);
    pent_t *e = find(t, tid);
    int64_t r = e ? tid : 0;
    for (size_t i = 0; !r && i < t->cap; i++)
        if (t->ents[i] && thread_of(t->ents[i], tid, 0))
            r = t->ents[i]->pid;
    pthread_mutex_unlock(&t->lock);
    return r;
}

int apc__proctab_descends(apc__proctab_t *t, int64_t pid, int64_t ancestor)
{
    return apc__proctab_related(t, pid, ancestor) == 1;
}

int apc__proctab_related(apc__proctab_t *t, int64_t pid, int64_t ancestor)
{
    if (pid == ancestor)
        return 1;
    pthread_mutex_lock(&t->lock);
    int r = find(t, pid) ? 0 : -1;
    for (int i = 0; i < 64 && pid > 1; i++) {
        pent_t *e = find(t, pid);
        if (!e)
            break;
        pid = e->ppid;
        if (pid == ancestor) {
            r = 1;
            break;
        }
    }
    pthread_mutex_unlock(&t->lock);
    return r;
}

int apc__proctab_caught_up(apc__proctab_t *t, int64_t real_ns)
{
    return apc__procconn_caught_up(t->conn, real_ns);
}

uint64_t apc__proctab_events_lost(apc__proctab_t *t)
{
    return apc__procconn_lost(t->conn);
}

int64_t apc__proctab_pid_of(apc__proctab_t *t, int64_t process_id)
{
    pthread_mutex_lock(&t->lock);
    int64_t r = 0;
    for (size_t i = 0; !r && i < t->cap; i++)
        if (t->ents[i] && t->ents[i]->process_id == process_id)
            r = t->ents[i]->pid;
    pthread_mutex_unlock(&t->lock);
    if (r)
        return r;
    if (apc__processes_pid_of(t->ctx->store, process_id, &r) < 0)
        r = 0;
    return r;
}

static int fill_proc(const pent_t *e, apc_process_t *p)
{
    memset(p, 0, sizeof *p);
    p->process_id = e->process_id;
    p->pid = e->pid;
    p->ppid = e->ppid;
    p->name = strdup(e->comm);
    p->path = strdup(e->path);
    p->cmdline = strdup(e->cmdline);
    p->user = strdup(e->user);
    p->start_time = e->start_ns;
    p->exit_time = e->exit_ns;
    p->running = e->running;
    return p->name && p->path && p->cmdline && p->user ? 0 : APC_ENOMEM;
}

int apc__proctab_describe(apc__proctab_t *t, int64_t pid, apc_process_t *p)
{
    apc__proctab_learn(t, pid);
    pthread_mutex_lock(&t->lock);
    pent_t *e = find(t, pid);
    int rc = e ? fill_proc(e, p) : apc__err(APC_ENOTFOUND, "no process %lld", (long long)pid);
    pthread_mutex_unlock(&t->lock);
    return rc;
}

int apc__proctab_list_running(apc__proctab_t *t, apc_process_page_t **out)
{
    scan_all(t); /* programs the events missed (none when the connector runs) */
    pthread_mutex_lock(&t->lock);
    /* Check liveness: an exit event may be lost when the socket buffer overflows. */
    for (size_t i = 0; i < t->cap; i++) {
        pent_t *e = t->ents[i];
        char p[64];
        if (e && e->running) {
            snprintf(p, sizeof p, "/proc/%lld", (long long)e->pid);
            if (access(p, F_OK) != 0) {
                e->running = 0;
                e->exit_ns = apc__real_ns();
            }
        }
        if (e && e->running && !e->process_id)
            store_row(t, e, 0);
    }
    apc_process_page_t *pg = calloc(1, sizeof *pg);
    size_t n = 0;
    for (size_t i = 0; i < t->cap; i++)
        n += t->ents[i] && t->ents[i]->running;
    if (pg)
        pg->procs = calloc(n ? n : 1, sizeof *pg->procs);
    int rc = pg && pg->procs ? 0 : APC_ENOMEM;
    for (size_t i = 0; rc == 0 && i < t->cap; i++)
        if (t->ents[i] && t->ents[i]->running)
            rc = fill_proc(t->ents[i], &pg->procs[pg->count++]);
    pthread_mutex_unlock(&t->lock);
    if (rc < 0) {
        apc_process_page_free(pg);
        return apc__err(rc, "out of memory listing processes");
    }
    *out = pg;
    return 0;
}

int apc__proctab_threads(apc__proctab_t *t, int64_t pid, int all, apc_thread_list_t **out)
{
    apc__proctab_learn(t, pid);
    pthread_mutex_lock(&t->lock);
    pent_t *e = find(t, pid);
    if (!e) {
        pthread_mutex_unlock(&t->lock);
        return apc__err(APC_ENOTFOUND, "no process with pid %lld", (long long)pid);
    }
    if (e->running) {
        /* Threads end without exit events reaching us when the buffer overflowed: check. */
        read_threads(e);
        for (size_t i = 0; i < e->nthr; i++) {
            char p[96];
            snprintf(p, sizeof p, "/proc/%lld/task/%lld", (long long)pid, (long long)e->thr[i].tid);
            if (e->thr[i].running && access(p, F_OK) != 0) {
                e->thr[i].running = 0;
                e->thr[i].exit_ns = apc__real_ns();
            }
        }
    }
    apc_thread_list_t *l = calloc(1, sizeof *l);
    if (l)
        l->items = calloc(e->nthr ? e->nthr : 1, sizeof *l->items);
    int rc = l && l->items ? 0 : APC_ENOMEM;
    for (size_t i = 0; rc == 0 && i < e->nthr; i++) {
        const thr_t *h = &e->thr[i];
        if (!all && !h->running)
            continue;
        apc_thread_t *o = &l->items[l->count++];
        o->tid = h->tid;
        o->pid = pid;
        o->process_id = e->process_id;
        o->start_time = h->start_ns;
        o->exit_time = h->exit_ns;
        o->running = h->running;
        if (!(o->name = strdup(h->name)))
            rc = APC_ENOMEM;
    }
    pthread_mutex_unlock(&t->lock);
    if (rc < 0) {
        apc_thread_list_free(l);
        return apc__err(rc, "out of memory listing threads");
    }
    *out = l;
    return 0;
}

APC_API void apc_thread_list_free(apc_thread_list_t *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->count; i++)
        free(l->items[i].name);
    free(l->items);
    free(l);
}
