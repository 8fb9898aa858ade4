/* SPDX-License-Identifier: MIT */
/*
 * Process captures are exact (issue 9, "Process captures must be exact first"), as root, in a
 * network namespace of the test's own (apc_lL, loopback only), with the eBPF backend:
 *  - loopback, both ends: a server and a client, two processes on 127.0.0.1 (and ::1); a
 *    process capture of each, and a system capture, run at the same time as tcpdump -i lo.
 *    Each process capture holds exactly the packets tcpdump saw (compared by ports, TCP
 *    flags, sequence and acknowledgement numbers and payload length, not by time), stored as
 *    its target's; the system capture holds each once, owned by its sender.
 *  - nothing lost while the process table is late: 200 short-lived children (with
 *    descendants) while the process event thread is slowed down (each event datagram handled
 *    5 ms late, as a thread starved of CPU would): every packet of theirs is stored.
 * The process table is started before the test enters apc_lL: the proc connector only talks
 * to the initial network namespace.
 */
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <pcap/pcap.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "live_util.h"

#include <apc/apc.h>

#include "attrib/ebpf.h"
#include "attrib/exec_names.h"
#include "attrib/procconn.h"
#include "attrib/proctable.h"
#include "util/clock.h"

#define NS "apc_lL"

static apc_ctx_t *ctx;
static char data_dir[] = "/tmp/apc-exact-test-XXXXXX";
static const char *client;
static int root_ns_fd = -1;

#define POLL_LIMIT_S 60.0

static int setup(void **st)
{
    (void)st;
    sh("ip netns del " NS " 2>/dev/null");
    if (sh("ip netns add " NS " && ip -n " NS " link set lo up") != 0)
        return -1;
    apc_ctx_options_t co;
    apc_ctx_options_init(&co, APC_CTX_OPTIONS_VERSION);
    co.data_dir = data_dir;
    if (!mkdtemp(data_dir) || apc_ctx_open(&ctx, &co) < 0)
        return -1;
    return live_enter(ctx, NS, &root_ns_fd);
}

static int teardown(void **st)
{
    (void)st;
    apc_ctx_close(ctx);
    live_leave(&root_ns_fd);
    sh("ip netns del " NS " 2>/dev/null");
    rm_tree(data_dir);
    return 0;
}

/* Runs argv with its stdout (or stderr) on a pipe; returns the pid, *out the read end. */
static pid_t spawn(char *const argv[], int on_stderr, int stdin_fd, FILE **out)
{
    int p[2];
    assert_int_equal(pipe(p), 0);
    pid_t pid = fork();
    if (pid == 0) {
        if (stdin_fd >= 0)
            dup2(stdin_fd, 0);
        dup2(p[1], on_stderr ? 2 : 1);
        close(p[0]);
        close(p[1]);
        execvp(argv[0], argv);
        _exit(127);
    }
    close(p[1]);
    *out = fdopen(p[0], "r");
    return pid;
}

/* A TCP server of live_client on host:port answering n connections (0: until killed). */
static pid_t start_server(const char *host, const char *port, const char *n)
{
    FILE *f;
    char *argv[] = {(char *)client, "serve", (char *)host, (char *)port, (char *)n, NULL};
    pid_t pid = spawn(argv, 0, -1, &f);
    char line[64];
    long rp = 0;
    assert_non_null(fgets(line, sizeof line, f)); /* "R <pid>" once it listens */
    assert_int_equal(sscanf(line, "R %ld", &rp), 1);
    assert_int_equal(rp, pid);
    fclose(f);
    return pid;
}

static int64_t start_capture(int64_t pid, uint32_t flags, const char *filter)
{
    int64_t id = live_start(ctx, "lo", pid, flags, filter);
    assert_true(id > 0);
    return id;
}

/* One TCP segment as both sides see it. */
typedef struct seg {
    uint16_t sport, dport;
    uint8_t flags;
    uint32_t seq, ack, len;
    int64_t pid; /* ours only */
} seg_t;

/* Ethernet (lo's link type) + IPv4/IPv6 + TCP headers (RFC 791, RFC 8200, RFC 9293), bounds
 * checked. 0 when it is not such a segment. */
static int parse_seg(const uint8_t *d, size_t n, seg_t *s)
{
    if (n < 14)
        return 0;
    unsigned type = (unsigned)d[12] << 8 | d[13];
    size_t ip = 14, l4, iplen;
    if (type == 0x0800 && n >= ip + 20 && d[ip + 9] == 6) {
        l4 = ip + (size_t)(d[ip] & 15) * 4;
        iplen = (size_t)d[ip + 2] << 8 | d[ip + 3];
        iplen = iplen > l4 - ip ? iplen - (l4 - ip) : 0;
    } else if (type == 0x86dd && n >= ip + 40 && d[ip + 6] == 6) {
        l4 = ip + 40;
        iplen = (size_t)d[ip + 4] << 8 | d[ip + 5];
    } else {
        return 0;
    }
    if (n < l4 + 20)
        return 0;
    const uint8_t *t = d + l4;
    size_t doff = (size_t)(t[12] >> 4) * 4;
    s->sport = (uint16_t)(t[0] << 8 | t[1]);
    s->dport = (uint16_t)(t[2] << 8 | t[3]);
    s->seq = (uint32_t)t[4] << 24 | (uint32_t)t[5] << 16 | (uint32_t)t[6] << 8 | t[7];
    s->ack = (uint32_t)t[8] << 24 | (uint32_t)t[9] << 16 | (uint32_t)t[10] << 8 | t[11];
    s->flags = t[13];
    s->len = (uint32_t)(iplen > doff ? iplen - doff : 0);
    s->pid = 0;
    return 1;
}

static int cmp_seg(const void *x, const void *y)
{
    const seg_t *a = x, *b = y;
    if (a->sport != b->sport)
        return a->sport < b->sport ? -1 : 1;
    if (a->dport != b->dport)
        return a->dport < b->dport ? -1 : 1;
    if (a->seq != b->seq)
        return a->seq < b->seq ? -1 : 1;
    if (a->ack != b->ack)
        return a->ack < b->ack ? -1 : 1;
    if (a->flags != b->flags)
        return a->flags < b->flags ? -1 : 1;
    return a->len < b->len ? -1 : a->len > b->len;
}

#define MAX_SEGS 8192

static size_t read_tcpdump(const char *path, seg_t *v)
{
    char eb[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline(path, eb);
    if (!p)
        return 0;
    struct pcap_pkthdr *h;
    const u_char *d;
    size_t n = 0;
    while (n < MAX_SEGS && pcap_next_ex(p, &h, &d) == 1)
        n += (size_t)parse_seg(d, h->caplen, &v[n]);
    pcap_close(p);
    qsort(v, n, sizeof *v, cmp_seg);
    return n;
}

static size_t read_capture(int64_t id, seg_t *v)
{
    size_t n = 0;
    int64_t last = 0;
    for (int page = 0; page < 1000; page++) {
        apc_packet_page_t *pg = NULL;
        assert_int_equal(apc_capture_read(ctx, id, last, APC_PAGE_MAX, APC_READ_BYTES, &pg), 0);
        for (size_t i = 0; i < pg->count && n < MAX_SEGS; i++)
            if (parse_seg(pg->packets[i].data, pg->packets[i].caplen, &v[n]))
                v[n++].pid = pg->packets[i].pid;
        last = pg->last_id;
        int more = pg->more;
        apc_packet_page_free(pg);
        if (!more)
            break;
    }
    qsort(v, n, sizeof *v, cmp_seg);
    return n;
}

static size_t count_file(const char *path)
{
    static seg_t tmp[MAX_SEGS];
    return read_tcpdump(path, tmp);
}

static seg_t want[MAX_SEGS], got[MAX_SEGS];

/* Every segment tcpdump saw, and no other; each stored with pid `pid` (or, with pid 0, with
 * the pid of its sender: the server when it comes from `port`). */
static void same_as_tcpdump(const char *what, size_t nw, int64_t id, int64_t pid, int port,
                            int64_t server, int64_t cl)
{
    size_t n = read_capture(id, got);
    long wrong_pid = 0;
    for (size_t i = 0; i < n; i++) {
        int64_t expect = pid ? pid : got[i].sport == port ? server : cl;
        wrong_pid += got[i].pid != expect;
    }
    size_t same = 0;
    for (size_t i = 0; i < n && i < nw; i++)
        same += cmp_seg(&got[i], &want[i]) == 0;
    printf("# %s: %zu packets, tcpdump -i lo %zu, %zu the same (flags, seq, ack, length), "
           "%ld with another pid than %s\n",
           what, n, nw, same, wrong_pid, pid ? "the target's" : "the sender's");
    assert_int_equal(n, nw);
    assert_int_equal(same, nw);
    assert_int_equal(wrong_pid, 0);
}

static void loopback(const char *host, const char *port_s)
{
    int port = atoi(port_s);
    char file[512], filter[64];
    snprintf(file, sizeof file, "%s/tcpdump-%d.pcap", data_dir, port);
    snprintf(filter, sizeof filter, "tcp port %d", port);
    pid_t server = start_server(host, port_s, "5");
    /* tcpdump beside us; "listening on" on its stderr once its filter is in. */
    FILE *tf;
    char *targv[] = {"tcpdump", "-i", "lo", "-nn", "-U", "-Z", "root", "-w", file, filter, NULL};
    pid_t td = spawn(targv, 1, -1, &tf);
    char line[512];
    int listening = 0;
    while (!listening && fgets(line, sizeof line, tf))
        listening = strstr(line, "listening on") != NULL;
    assert_true(listening);
    /* The client waits for "go" on stdin, so its capture runs before its first SYN. */
    int go[2];
    assert_int_equal(pipe(go), 0);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "read go; exec %s tcp %s %s 1 5", client, host, port_s);
    char *cargv[] = {"sh", "-c", cmd, NULL};
    FILE *cf;
    pid_t cl = spawn(cargv, 0, go[0], &cf);
    close(go[0]);
    int64_t sys_id = start_capture(0, 0, filter);
    int64_t srv_id = start_capture(server, 0, filter);
    int64_t cl_id = start_capture(cl, 0, filter);
    assert_int_equal(write(go[1], "go\n", 3), 3);
    close(go[1]);
    int conns = 0;
    while (fgets(line, sizeof line, cf))
        conns += line[0] == 'C';
    fclose(cf);
    waitpid(cl, NULL, 0);
    waitpid(server, NULL, 0);
    assert_int_equal(conns, 5);
    assert_int_equal(apc_capture_stop(ctx, cl_id, APC_CAPTURE_PROCESS), 0);
    assert_int_equal(apc_capture_stop(ctx, srv_id, APC_CAPTURE_PROCESS), 0);
    assert_int_equal(apc_capture_stop(ctx, sys_id, APC_CAPTURE_SYSTEM), 0);
    /* tcpdump writes each packet as it reads it (-U): stopped once its file holds as many
     * packets as the system capture (or after the limit: then the counts differ below). */
    size_t nsys = read_capture(sys_id, got);
    for (double end = mono_s() + POLL_LIMIT_S; count_file(file) < nsys && mono_s() < end;)
        usleep(100000);
    kill(td, SIGINT);
    waitpid(td, NULL, 0);
    fclose(tf);
    size_t nw = read_tcpdump(file, want);
    assert_true(nw >= 5 * 8); /* SYN, SYN-ACK, ACK, request, data, FINs and ACKs */
    char what[128];
    snprintf(what, sizeof what, "%s, process capture of the server", host);
    same_as_tcpdump(what, nw, srv_id, server, port, server, cl);
    snprintf(what, sizeof what, "%s, process capture of the client", host);
    same_as_tcpdump(what, nw, cl_id, cl, port, server, cl);
    snprintf(what, sizeof what, "%s, system capture", host);
    same_as_tcpdump(what, nw, sys_id, 0, port, server, cl);
}

static void test_loopback_v4(void **st)
{
    (void)st;
    loopback("127.0.0.1", "8100");
}

static void test_loopback_v6(void **st)
{
    (void)st;
    loopback("::1", "8101");
}

static void test_late_process_table(void **st)
{
    (void)st;
    pid_t server = start_server("127.0.0.1", "8102", "0");
    int64_t sys_id = start_capture(0, 0, "tcp port 8102");
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "exec %s spawn 127.0.0.1 8102 200", client);
    int go[2];
    assert_int_equal(pipe(go), 0);
    char *argv[] = {"sh", "-c", cmd, NULL};
    FILE *f;
    pid_t parent = spawn(argv, 0, go[0], &f);
    close(go[0]);
    int64_t id = start_capture(parent, APC_CAPTURE_FLAG_DESCENDANTS, "tcp port 8102");
    apc__procconn_test_delay(5000000); /* each event datagram handled 5 ms late */
    assert_int_equal(write(go[1], "go\n", 3), 3);
    close(go[1]);
    char line[128];
    int children = 0;
    while (fgets(line, sizeof line, f))
        children += line[0] == 'C';
    fclose(f);
    waitpid(parent, NULL, 0);
    assert_int_equal(apc_capture_stop(ctx, id, APC_CAPTURE_PROCESS), 0);
    apc__procconn_test_delay(0);
    assert_int_equal(apc_capture_stop(ctx, sys_id, APC_CAPTURE_SYSTEM), 0);
    kill(server, SIGTERM);
    waitpid(server, NULL, 0);
    size_t nsys = read_capture(sys_id, want), n = read_capture(id, got);
    long servers = 0;
    for (size_t i = 0; i < n; i++)
        servers += got[i].pid == server || got[i].pid == 0;
    printf("# 200 short-lived children, process events handled 5 ms late: %zu of their %zu "
           "packets stored, %ld stored as another's than a child's\n",
           n, nsys, servers);
    /* Which ones were left out, as the system capture stored them (both lists are sorted). */
    for (size_t i = 0, j = 0, shown = 0; i < nsys && shown < 10; i++) {
        while (j < n && cmp_seg(&got[j], &want[i]) < 0)
            j++;
        if (j < n && cmp_seg(&got[j], &want[i]) == 0) {
            j++;
            continue;
        }
        printf("#   left out: %u -> %u flags 0x%02x seq %u ack %u len %u, sender pid %lld\n",
               want[i].sport, want[i].dport, want[i].flags, want[i].seq, want[i].ack, want[i].len,
               (long long)want[i].pid);
        shown++;
    }
    assert_int_equal(children, 200);
    assert_true(nsys >= 200 * 8);
    assert_int_equal(n, nsys);
    assert_int_equal(servers, 0);
}

/* A program gone before its exec event is read (the event thread 50 ms behind: /bin/true has
 * exec'd, exited and been reaped by then, no /proc/PID left) is still named, with the name the
 * kernel recorded at the exec (attrib/exec_names.h); without it the table had the parent's
 * program or nothing. */
static void test_gone_before_exec_read(void **st)
{
    (void)st;
    char why[256];
    apc__exec_names_t *en = NULL;
    if (apc__exec_names_open(&en, why, sizeof why) < 0) {
        printf("# SKIP: the exec-name program does not load here: %s\n", why);
        skip();
    }
    apc__exec_names_close(en);
    apc__proctab_t *t = NULL;
    assert_int_equal(apc__proctab_get(ctx, &t), 0);
    char exe[PATH_MAX];
    assert_non_null(realpath("/bin/true", exe));
    for (int round = 0; round < 5; round++) {
        apc__procconn_test_delay(50000000); /* each event datagram handled 50 ms late */
        pid_t p = fork();
        if (p == 0) {
            execl("/bin/true", "true", (char *)NULL);
            _exit(127);
        }
        assert_true(p > 0);
        int status = 0;
        assert_int_equal(waitpid(p, &status, 0), p);
        apc__procconn_test_delay(0);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        int64_t sent = apc__real_ns(); /* every event of p was sent before this */
        for (double end = mono_s() + 60; !apc__proctab_caught_up(t, sent) && mono_s() < end;)
            usleep(10000);
        assert_true(apc__proctab_caught_up(t, sent));
        apc_process_t pr;
        assert_int_equal(apc__proctab_describe(t, p, &pr), 0);
        printf("# round %d: pid %d: %s, %s, running %d\n", round, (int)p, pr.name, pr.path,
               pr.running);
        assert_string_equal(pr.path, exe);
        assert_string_equal(pr.name, "true");
        free(pr.name);
        free(pr.path);
        free(pr.cmdline);
        free(pr.user);
    }
}

int main(void)
{
    if (geteuid() != 0) {
        printf("SKIP: these live tests need root (network namespaces, packet capture)\n");
        return 77;
    }
    client = getenv("APC_LIVE_CLIENT");
    if (!client || access(client, X_OK) != 0 || system("command -v tcpdump >/dev/null") != 0) {
        printf("SKIP: needs APC_LIVE_CLIENT and tcpdump\n");
        return 77;
    }
    /* Exactness is the eBPF backend's (procfs misses sockets shorter than a scan). */
    char why[512];
    if (!ebpf_loads(why, sizeof why)) {
        printf("SKIP: the eBPF backend does not load here: %s\n", why);
        return 77;
    }
    live_lock();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loopback_v4),
        cmocka_unit_test(test_loopback_v6),
        cmocka_unit_test(test_late_process_table),
        cmocka_unit_test(test_gone_before_exec_read),
    };
    return cmocka_run_group_tests_name("process captures are exact", tests, setup, teardown);
}
