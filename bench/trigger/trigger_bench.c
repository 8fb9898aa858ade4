/* SPDX-License-Identifier: MIT */
/*
 * Trigger benchmark (issue 9: "50 starts a second"): arms a trigger on a copy of sleep(1),
 * starts that copy RATE times a second for SECONDS seconds (each sleeps HOLD ms), and reports
 * how many starts fired, how many got a capture, and the time from each exec to its capture's
 * start (median, 95th percentile, max). Needs root and the kernel's process connector (the
 * trigger watcher's); prints why and exits 77 without them.
 *
 * usage: trigger_bench [-r RATE] [-s SECONDS] [-h HOLD_MS] [-u PPS] DATA_DIR
 * -u PPS: a child sends PPS UDP datagrams a second to a socket of its own on 127.0.0.1 during
 * the starts: packets with a known owner that no trigger follows, so the shared source holds
 * each one in its pre-roll (the router's hot path); the CPU time this process spent (its
 * capture threads: sources, router, watcher) is printed per datagram.
 * No reference tool captures on exec, so there is no ratio: the target is every start fired,
 * each with its capture.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <apc/apc.h>

static int64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static int cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static double cpu_s(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return (double)u.ru_utime.tv_sec + (double)u.ru_utime.tv_usec / 1e6 +
           (double)u.ru_stime.tv_sec + (double)u.ru_stime.tv_usec / 1e6;
}

/* The -u child: PPS datagrams of 200 bytes a second to its own socket for `seconds`; exits
 * with the count sent (mod 256 is useless, so it is written to `out` instead). */
static void flood(int pps, int seconds, int out)
{
    int rx = socket(AF_INET, SOCK_DGRAM, 0), tx = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    if (rx < 0 || tx < 0 || bind(rx, (struct sockaddr *)&a, sizeof a) != 0 ||
        getsockname(rx, (struct sockaddr *)&a, &al) != 0)
        _exit(1);
    char buf[200] = {0};
    uint64_t sent = 0;
    int64_t t0 = now_ns(), period = 1000000000LL / pps, end = t0 + (int64_t)seconds * 1000000000;
    for (int64_t due = t0; due < end; due += period) {
        if (now_ns() < due) {
            struct timespec ts = {(time_t)(due / 1000000000), (long)(due % 1000000000)};
            clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &ts, NULL);
        }
        if (sendto(tx, buf, sizeof buf, 0, (struct sockaddr *)&a, sizeof a) > 0)
            sent++;
        while (recv(rx, buf, sizeof buf, MSG_DONTWAIT) > 0)
            ;
    }
    if (write(out, &sent, sizeof sent) != (ssize_t)sizeof sent)
        _exit(1);
    _exit(0);
}

typedef struct start {
    pid_t pid;
    int64_t at; /* ns, just before the fork */
} start_t;

int main(int argc, char **argv)
{
    int rate = 50, seconds = 4, hold = 200, pps = 0, opt;
    while ((opt = getopt(argc, argv, "r:s:h:u:")) != -1) {
        if (opt == 'r')
            rate = atoi(optarg);
        else if (opt == 's')
            seconds = atoi(optarg);
        else if (opt == 'h')
            hold = atoi(optarg);
        else if (opt == 'u')
            pps = atoi(optarg);
        else
            return 2;
    }
    if (optind != argc - 1 || rate <= 0 || seconds <= 0 || hold < 0 || pps < 0) {
        fprintf(stderr,
                "usage: trigger_bench [-r RATE] [-s SECONDS] [-h HOLD_MS] [-u PPS] DATA_DIR\n");
        return 2;
    }
    const char *data = argv[optind];
    char prog[4200], cmd[8600], arg[32];
    snprintf(prog, sizeof prog, "%s/bench-sleep", data);
    snprintf(cmd, sizeof cmd, "mkdir -p '%s' && cp /bin/sleep '%s'", data, prog);
    if (system(cmd) != 0) {
        fprintf(stderr, "cannot copy /bin/sleep to %s\n", prog);
        return 1;
    }
    snprintf(arg, sizeof arg, "%d.%03d", hold / 1000, hold % 1000);
    apc_ctx_options_t o;
    apc_ctx_options_init(&o, APC_CTX_OPTIONS_VERSION);
    o.data_dir = data;
    apc_ctx_t *ctx = NULL;
    if (apc_ctx_open(&ctx, &o) < 0) {
        fprintf(stderr, "apc_ctx_open: %s\n", apc_last_error_message());
        return 1;
    }
    int64_t tid = 0;
    apc_trigger_t *t = NULL;
    if (apc_trigger_add(ctx, "bench", APC_TRIGGER_TYPE_ON_START, prog, "", 0, &tid) < 0 ||
        apc_trigger_get(ctx, tid, &t) < 0) {
        fprintf(stderr, "trigger: %s\n", apc_last_error_message());
        apc_ctx_close(ctx);
        return 1;
    }
    if (strcmp(t->watcher, "armed") != 0) {
        printf("SKIP: the trigger watcher is not armed here: %s\n", t->watcher);
        apc_trigger_free(t);
        apc_ctx_close(ctx);
        return 77;
    }
    apc_trigger_free(t);

    size_t n = (size_t)rate * (size_t)seconds;
    start_t *st = calloc(n, sizeof *st);
    if (!st)
        return 1;
    int fl[2] = {-1, -1};
    pid_t flooder = -1;
    if (pps > 0 && pipe(fl) == 0 && (flooder = fork()) == 0)
        flood(pps, seconds, fl[1]);
    double cpu0 = cpu_s();
    int64_t period = 1000000000LL / rate, t0 = now_ns();
    for (size_t i = 0; i < n; i++) {
        int64_t due = t0 + (int64_t)i * period;
        struct timespec ts = {(time_t)(due / 1000000000), (long)(due % 1000000000)};
        clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &ts, NULL);
        st[i].at = now_ns();
        pid_t p = fork();
        if (p == 0) {
            execl(prog, "bench-sleep", arg, (char *)NULL);
            _exit(127);
        }
        st[i].pid = p;
    }
    double achieved = (double)n / ((double)(now_ns() - t0) / 1e9);
    for (size_t i = 0; i < n; i++)
        waitpid(st[i].pid, NULL, 0);
    uint64_t flooded = 0;
    if (flooder > 0) {
        waitpid(flooder, NULL, 0);
        if (read(fl[0], &flooded, sizeof flooded) != (ssize_t)sizeof flooded)
            flooded = 0;
    }
    double cpu = cpu_s() - cpu0;

    /* Firings are recorded as the watcher reads the exec events: wait for all (60 s at most),
     * then for their captures to end. */
    uint64_t fired = 0;
    for (int k = 0; k < 600; k++) {
        if (apc_trigger_get(ctx, tid, &t) == 0) {
            fired = t->times_fired;
            apc_trigger_free(t);
        }
        if (fired >= n)
            break;
        usleep(100000);
    }
    apc_capture_list_t *l = NULL;
    for (int k = 0; k < 600; k++) {
        if (l)
            apc_capture_list_free(l);
        l = NULL;
        if (apc_capture_list(ctx, APC_LIST_ACTIVE, &l) == 0 && l->count == 0)
            break;
        usleep(100000);
    }
    if (l)
        apc_capture_list_free(l);
    l = NULL;
    size_t captured = 0, lat_n = 0;
    int64_t *lat = calloc(n, sizeof *lat);
    if (lat && apc_capture_list(ctx, APC_LIST_ALL, &l) == 0) {
        for (size_t c = 0; c < l->count; c++)
            for (size_t i = 0; i < n; i++)
                if (l->items[c]->pid == st[i].pid) {
                    captured++;
                    lat[lat_n++] = l->items[c]->start_time - st[i].at;
                    break;
                }
        apc_capture_list_free(l);
    }
    qsort(lat, lat_n, sizeof *lat, cmp64);
    printf("starts:        %zu over %d s (%.1f/s asked %d/s), each running %d ms\n", n, seconds,
           achieved, rate, hold);
    printf("fired:         %llu of %zu   %s\n", (unsigned long long)fired, n,
           fired == n ? "ok" : "MISSED");
    printf("captures:      %zu of %zu   %s\n", captured, n, captured == n ? "ok" : "MISSED");
    if (lat_n)
        printf("exec -> capture start: median %.1f ms, p95 %.1f ms, max %.1f ms\n",
               (double)lat[lat_n / 2] / 1e6,
               (double)lat[(lat_n * 95) / 100 < lat_n ? (lat_n * 95) / 100 : lat_n - 1] / 1e6,
               (double)lat[lat_n - 1] / 1e6);
    if (pps > 0)
        printf("flood:         %llu datagrams; CPU of this process %.3f s = %.2f us each\n",
               (unsigned long long)flooded, cpu, flooded ? cpu * 1e6 / (double)flooded : 0.0);
    printf("| %d/s x %d s | %zu | %llu | %zu | %.1f ms | %.1f ms |\n", rate, seconds, n,
           (unsigned long long)fired, captured, lat_n ? (double)lat[lat_n / 2] / 1e6 : 0.0,
           lat_n ? (double)lat[lat_n - 1] / 1e6 : 0.0);
    free(lat);
    free(st);
    apc_trigger_remove(ctx, tid);
    apc_ctx_close(ctx);
    return fired == n && captured == n ? 0 : 1;
}
