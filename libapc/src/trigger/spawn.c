/* SPDX-License-Identifier: MIT */
/*
 * EXECUTE actions (trigger_int.h): no shell. The argv is the program, then the action's params
 * split on blanks, each word with its placeholders replaced (docs/triggers.md):
 *   {capture_id} {export_file} {pid} {program} {trigger_id}
 * The child gets a clean environment, /dev/null as stdin, stdout and stderr into one pipe of
 * which the last APC__EXEC_OUTPUT_MAX bytes are kept, no other descriptor, and its own process
 * group, killed whole after APC__EXEC_TIMEOUT_MS; as the operator's execute_user (its uid, gid
 * and groups, looked up before the fork) when one is set, in the directory /.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "trigger/trigger_int.h"
#include "util/clock.h"

void apc__argv_free(char **argv)
{
    if (!argv)
        return;
    for (char **p = argv; *p; p++)
        free(*p);
    free(argv);
}

/* One word with its placeholders replaced; an unknown {name} stays as written. */
static char *expand(const char *w, size_t len, const apc__firing_t *f, const char *export_file)
{
    char cap[32], pid[32], tid[32];
    snprintf(cap, sizeof cap, "%lld", (long long)f->capture_id);
    snprintf(pid, sizeof pid, "%lld", (long long)f->pid);
    snprintf(tid, sizeof tid, "%lld", (long long)f->trigger_id);
    const char *names[] = {"{capture_id}", "{export_file}", "{pid}", "{program}", "{trigger_id}"};
    const char *vals[] = {cap, export_file, pid, f->program, tid};
    size_t cap_out = len + 1, n = 0;
    char *out = malloc(cap_out);
    for (size_t i = 0; out && i < len;) {
        const char *v = NULL;
        size_t nl = 0;
        for (size_t k = 0; k < 5 && !v; k++) {
            nl = strlen(names[k]);
            if (nl <= len - i && memcmp(w + i, names[k], nl) == 0)
                v = vals[k];
        }
        size_t add = v ? strlen(v) : 1;
        if (n + add + 1 > cap_out) {
            cap_out = (n + add + 1) * 2;
            char *p = realloc(out, cap_out);
            if (!p) {
                free(out);
                return NULL;
            }
            out = p;
        }
        if (v) {
            memcpy(out + n, v, add);
            i += nl;
        } else {
            out[n] = w[i++];
        }
        n += add;
    }
    if (out)
        out[n] = '\0';
    return out;
}

char **apc__trig_argv(const char *path, const char *params, const apc__firing_t *f,
                      const char *export_file)
{
    size_t max = 2 + (params ? strlen(params) / 2 + 1 : 0), n = 0;
    char **argv = calloc(max, sizeof *argv);
    if (!argv || !(argv[n++] = strdup(path))) {
        apc__argv_free(argv);
        return NULL;
    }
    for (const char *p = params ? params : ""; *p;) {
        p += strspn(p, " \t\r\n");
        size_t len = strcspn(p, " \t\r\n");
        if (!len)
            break;
        if (!(argv[n++] = expand(p, len, f, export_file))) {
            apc__argv_free(argv);
            return NULL;
        }
        p += len;
    }
    return argv;
}

/* Who the child becomes: looked up before the fork (getpwnam is not async-signal-safe). */
typedef struct who {
    int set;
    uid_t uid;
    gid_t gid;
    gid_t groups[256];
    int ngroups;
} who_t;

static int lookup_user(const char *user, who_t *w, char **err)
{
    w->set = 0;
    if (!user || !*user)
        return 0;
    char buf[16384], msg[512];
    struct passwd pw, *res = NULL;
    if (getpwnam_r(user, &pw, buf, sizeof buf, &res) != 0 || !res) {
        snprintf(msg, sizeof msg, "execute_user '%s' is not an account of this system", user);
        *err = strdup(msg);
        return -1;
    }
    if (geteuid() != 0 && res->pw_uid != geteuid()) {
        snprintf(msg, sizeof msg, "cannot run as execute_user '%s': this process is not root",
                 user);
        *err = strdup(msg);
        return -1;
    }
    w->set = geteuid() == 0;
    w->uid = res->pw_uid;
    w->gid = res->pw_gid;
    w->ngroups = (int)(sizeof w->groups / sizeof w->groups[0]);
    if (getgrouplist(user, res->pw_gid, w->groups, &w->ngroups) < 0)
        w->ngroups = 0; /* more than 256: the primary group only */
    return 0;
}

/* The child, between fork and execve: async-signal-safe calls only. */
static void child(const char *path, char **argv, int devnull, int out, const who_t *w)
{
    static char *const env[] = {"PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C", "HOME=/", NULL};
    setpgid(0, 0);
    if (w->set && (setgroups((size_t)w->ngroups, w->groups) != 0 || setgid(w->gid) != 0 ||
                   setuid(w->uid) != 0))
        _exit(126);
    if (chdir("/") != 0)
        _exit(126);
    if (dup2(devnull, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
        _exit(126);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
#ifdef SYS_close_range
    if (syscall(SYS_close_range, 3u, ~0u, 0u) != 0)
#endif
        for (int fd = 3; fd < 65536; fd++)
            close(fd);
    execve(path, argv, env);
    _exit(127);
}

/* Keeps the last APC__EXEC_OUTPUT_MAX bytes read from fd in buf (len bytes so far). Returns
 * read()'s result: 0 at the end of the output. */
static ssize_t keep_tail(char *buf, size_t *len, int fd)
{
    char chunk[4096];
    ssize_t n = read(fd, chunk, sizeof chunk);
    if (n <= 0)
        return n;
    size_t k = (size_t)n;
    if (k >= APC__EXEC_OUTPUT_MAX) {
        memcpy(buf, chunk + k - APC__EXEC_OUTPUT_MAX, APC__EXEC_OUTPUT_MAX);
        *len = APC__EXEC_OUTPUT_MAX;
        return n;
    }
    if (*len + k > APC__EXEC_OUTPUT_MAX) {
        size_t drop = *len + k - APC__EXEC_OUTPUT_MAX;
        memmove(buf, buf + drop, *len - drop);
        *len -= drop;
    }
    memcpy(buf + *len, chunk, k);
    *len += k;
    return n;
}

static char *errno_msg(const char *what, int e)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s: %s", what, strerror(e));
    return strdup(buf);
}

/* Waits for the child until the deadline while keeping its output; kills the group after. */
static int reap(pid_t pid, int rd, int64_t deadline, char *out, size_t *outlen, int *killed)
{
    int status = 0, open_ = 1;
    for (;;) {
        pid_t w = waitpid(pid, &status, WNOHANG);
        if (w == pid)
            break;
        if (w < 0 && errno != EINTR)
            return -1;
        int64_t left = (deadline - apc__mono_ns()) / 1000000;
        if (left <= 0) {
            kill(-pid, SIGKILL);
            kill(pid, SIGKILL);
            *killed = 1;
            while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
            break;
        }
        struct pollfd p = {.fd = open_ ? rd : -1, .events = POLLIN};
        int r = poll(&p, 1, (int)(left < 50 ? left : 50));
        if (r > 0 && (p.revents & (POLLIN | POLLHUP)) && keep_tail(out, outlen, rd) == 0)
            open_ = 0; /* every writer closed it */
    }
    /* What is left in the pipe (non-blocking: a grandchild may still hold it open). */
    for (int i = 0; open_ && i < 64 && keep_tail(out, outlen, rd) > 0; i++)
        ;
    return status;
}

void apc__trig_execute(apc_action_t *a, const apc__firing_t *f, const char *export_file,
                       const char *user)
{
    who_t w;
    if (lookup_user(user, &w, &a->last_error) < 0)
        return;
    char **argv = apc__trig_argv(a->path, a->params, f, export_file);
    int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC), pipefd[2] = {-1, -1};
    if (!argv || devnull < 0 || pipe2(pipefd, O_CLOEXEC) != 0) {
        a->last_error = strdup(!argv ? "out of memory" : strerror(errno));
        goto out;
    }
    pid_t pid = fork();
    if (pid == 0)
        child(a->path, argv, devnull, pipefd[1], &w);
    close(pipefd[1]);
    pipefd[1] = -1;
    if (pid < 0) {
        a->last_error = errno_msg("cannot start the program", errno);
        goto out;
    }
    fcntl(pipefd[0], F_SETFL, O_NONBLOCK);
    char buf[APC__EXEC_OUTPUT_MAX + 1];
    size_t len = 0;
    int killed = 0;
    int status =
        reap(pid, pipefd[0], apc__mono_ns() + APC__EXEC_TIMEOUT_MS * 1000000LL, buf, &len, &killed);
    buf[len] = '\0';
    a->last_output = strdup(buf);
    if (status < 0)
        a->last_error = errno_msg("waiting for the program", errno);
    else if (WIFEXITED(status))
        a->last_status = WEXITSTATUS(status);
    else if (WIFSIGNALED(status))
        a->last_status = 128 + WTERMSIG(status);
    if (killed)
        a->last_error = strdup("killed: it ran past the time limit (30 s)");
    else if (a->last_status == 127)
        a->last_error = strdup("the program could not be executed (exit status 127)");
    else if (a->last_status == 126)
        a->last_error = strdup("exit status 126: the program could not be started (as "
                               "execute_user, or not executable)");
out:
    apc__argv_free(argv);
    if (devnull >= 0)
        close(devnull);
    if (pipefd[0] >= 0)
        close(pipefd[0]);
    if (pipefd[1] >= 0)
        close(pipefd[1]);
}
