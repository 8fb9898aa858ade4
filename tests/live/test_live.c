/* SPDX-License-Identifier: MIT */
/*
 * Live capture tests (as root). Two network namespaces joined by a veth pair: apc_lA
 * (10.77.0.1, where the test captures and where clients run) and apc_lB (10.77.0.2, servers:
 * python3 http.server on 8000, a python3 UDP echo on 9000). Clients: curl, python3, and
 * live_client (ours, several threads). Every check compares the pid the capture stored for a
 * packet with the pid the client itself reported for that connection's local port.
 * The process table is started before the test enters apc_lA: the proc connector only talks
 * to the initial network namespace.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
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

#define NS_A "apc_lA"
#define NS_B "apc_lB"
#define IP_A "10.77.0.1"
#define IP_B "10.77.0.2"

static apc_ctx_t *ctx;
static char data_dir[] = "/tmp/apc-live-test-XXXXXX";
static const char *client;
static pid_t servers[4];
static int nservers;

/* client port -> (pid, tid) as the clients reported them */
typedef struct owner {
    int port;
    long pid, tid;
} owner_t;
static owner_t owners[4096];
static int nowners;

static void cleanup_ns(void)
{
    for (int i = 0; i < nservers; i++)
        if (servers[i] > 0) {
            kill(servers[i], SIGTERM);
            waitpid(servers[i], NULL, 0);
        }
    nservers = 0;
    sh("ip netns del " NS_A " 2>/dev/null; ip netns del " NS_B " 2>/dev/null");
}

static pid_t spawn_in_b(const char *prog)
{
    pid_t p = fork();
    if (p == 0) {
        execlp("ip", "ip", "netns", "exec", NS_B, "python3", "-c", prog, (char *)NULL);
        _exit(127);
    }
    return p;
}

static int root_ns_fd = -1;

static int setup(void **st)
{
    (void)st;
    cleanup_ns();
    if (live_make_ns(NS_A, NS_B, "apc_vA", "apc_vB", IP_A, IP_B) != 0) {
        cleanup_ns();
        return -1;
    }
    servers[nservers++] =
        spawn_in_b("import http.server,socketserver\n"
                   "class H(http.server.SimpleHTTPRequestHandler):\n"
                   "  def log_message(self,*a): pass\n"
                   "socketserver.ThreadingTCPServer.allow_reuse_address=True\n"
                   "socketserver.ThreadingTCPServer(('" IP_B "',8000),H).serve_forever()\n");
    servers[nservers++] = spawn_in_b("import socket\n"
                                     "s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
                                     "s.bind(('" IP_B "',9000))\n"
                                     "while True:\n"
                                     "  d,a=s.recvfrom(2048); s.sendto(d,a)\n");
    apc_ctx_options_t co;
    apc_ctx_options_init(&co, APC_CTX_OPTIONS_VERSION);
    co.data_dir = data_dir;
    strcpy(data_dir, "/tmp/apc-live-test-XXXXXX"); /* setup runs once per group */
    if (!mkdtemp(data_dir) || apc_ctx_open(&ctx, &co) < 0)
        return -1;
    /* The process table listens to the proc connector from the initial namespace. */
    if (live_enter(ctx, NS_A, &root_ns_fd) != 0)
        return -1;
    /* Wait until the servers answer (bounded). */
    return live_wait_sh("curl -s -o /dev/null --max-time 1 http://" IP_B ":8000/", 60.0,
                        "the test HTTP server");
}

static int teardown(void **st)
{
    (void)st;
    live_teardown(&ctx, &root_ns_fd, cleanup_ns, data_dir);
    return 0;
}

/* Runs a command in apc_lA and records the "C pid tid port" lines it prints; "P pid" and
 * "L port" lines (from sh/curl/python) are paired too. Returns the number of lines seen. */
static int run_client(const char *cmd, pid_t *out_pid)
{
    FILE *f = popen(cmd, "r");
    if (!f)
        return -1;
    char line[256];
    long ppid = 0;
    int n = 0;
    while (fgets(line, sizeof line, f)) {
        long a, b;
        int c;
        if (sscanf(line, "C %ld %ld %d", &a, &b, &c) == 3 && nowners < 4096) {
            owners[nowners++] = (owner_t){c, a, b};
            n++;
        } else if (sscanf(line, "P %ld", &a) == 1) {
            ppid = a;
            if (out_pid)
                *out_pid = (pid_t)a;
        } else if (sscanf(line, "L %d", &c) == 1 && nowners < 4096) {
            owners[nowners++] = (owner_t){c, ppid, 0};
            n++;
        }
    }
    pclose(f);
    return n;
}

#define POLL_LIMIT_S 60.0

/* The owner of the connection from local port `port` (the last to report it), NULL for a port
 * of no connection of this step. *reused is set when two processes of the step reported that
 * port: a port freed at once (the server closed first) may be given to a later connection, and
 * the port alone no longer says whose a packet is (seen in CI under ASan: 15 of 200 children).
 * live_client closes first, so its ports wait in TIME_WAIT; curl and python3 do not. */
static const owner_t *owner_of(int port, int *reused)
{
    const owner_t *o = NULL;
    *reused = 0;
    for (int i = nowners - 1; i >= 0; i--)
        if (owners[i].port == port) {
            if (!o)
                o = &owners[i];
            else if (owners[i].pid != o->pid)
                *reused = 1;
        }
    return o;
}

/* Did process pid report local port `port` in this step? */
static int reported(int port, long pid)
{
    for (int i = 0; i < nowners; i++)
        if (owners[i].port == port && owners[i].pid == pid)
            return 1;
    return 0;
}

/* Packets of the step's connections: total = right + wrong + none + reused. A packet of a port
 * two processes used (reused) must still be one of theirs: any other pid counts as wrong. */
typedef struct tally {
    long total, right, wrong, none, reused, tid_right, tid_total;
} tally_t;

/* Checks every stored packet of the test traffic (server ports 8000/9000). */
static tally_t check_capture(int64_t id, int verbose)
{
    tally_t t = {0};
    int64_t last = 0;
    for (int page = 0; page < 10000; page++) {
        apc_packet_page_t *pg = NULL;
        assert_int_equal(apc_capture_read(ctx, id, last, APC_PAGE_MAX, 0, &pg), 0);
        for (size_t i = 0; i < pg->count; i++) {
            const apc_packet_t *p = &pg->packets[i];
            int cport = p->dst_port == 8000 || p->dst_port == 9000   ? p->src_port
                        : p->src_port == 8000 || p->src_port == 9000 ? p->dst_port
                                                                     : -1;
            if (cport < 0 || (p->protocol != 6 && p->protocol != 17))
                continue;
            int reused;
            const owner_t *o = owner_of(cport, &reused);
            if (!o)
                continue; /* not a connection of this test step */
            t.total++;
            if (reused && p->pid && reported(cport, p->pid)) {
                t.reused++;
                continue;
            }
            if (p->pid == o->pid)
                t.right++;
            else if (p->pid == 0) {
                t.none++;
                if (verbose && getenv("APC_LIVE_VERBOSE"))
                    fprintf(stderr, "packet %lld port %d: none, expected %ld (%s)\n",
                            (long long)p->id, cport, o->pid, p->summary);
            } else {
                t.wrong++;
                if (verbose)
                    fprintf(stderr, "packet %lld port %d: pid %lld, expected %ld\n",
                            (long long)p->id, cport, (long long)p->pid, o->pid);
            }
            if (o->tid && p->direction == APC_DIR_OUT && p->pid == o->pid) {
                t.tid_total++;
                t.tid_right += p->tid == o->tid;
            }
        }
        last = pg->last_id;
        int more = pg->more;
        apc_packet_page_free(pg);
        if (!more)
            break;
    }
    return t;
}

static int64_t start_system(uint32_t flags, const char *filter)
{
    int64_t id = live_start(ctx, "apc_vA", 0, flags, filter);
    assert_true(id > 0);
    return id;
}

/* Each attribution test runs with both backends: the state says which (flags). */
static uint32_t flags_no_ebpf = APC_CAPTURE_FLAG_NO_EBPF, flags_ebpf = 0;
#define BACKEND(st) (**(uint32_t **)(st))
#define IS_EBPF(st) (BACKEND(st) == 0)
#define BNAME(st) (IS_EBPF(st) ? "eBPF" : "procfs")

/* The backend that runs is the one asked for. */
static void check_backend(void **st)
{
    const char *reason = "";
    const char *b = apc_attribution_backend(ctx, &reason);
    printf("# backend: %s (%s)\n", b, reason);
    assert_string_equal(b, IS_EBPF(st) ? "ebpf" : "procfs");
}

static void test_system_attribution(void **st)
{
    nowners = 0;
    int64_t id = start_system(BACKEND(st), NULL);
    check_backend(st);
    char cmd[1024];
    for (int i = 0; i < 3; i++)
        assert_int_equal(run_client("sh -c 'echo P $$; exec curl -s -o /dev/null -w \"L "
                                    "%{local_port}\\n\" http://" IP_B ":8000/'",
                                    NULL),
                         1);
    /* python3 reports its own pid: the pyenv shim may run it as a child of the shell. */
    assert_int_equal(run_client("python3 -c \"import os,socket\n"
                                "s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
                                "s.connect(('" IP_B "',9000))\n"
                                "print('C',os.getpid(),0,s.getsockname()[1],flush=True)\n"
                                "for i in range(3): s.send(b'x'); s.recv(100)\"",
                                NULL),
                     1);
    snprintf(cmd, sizeof cmd, "%s udp " IP_B " 9000 5", client);
    assert_int_equal(run_client(cmd, NULL), 1);
    snprintf(cmd, sizeof cmd, "%s tcp " IP_B " 8000 3 3", client);
    assert_int_equal(run_client(cmd, NULL), 9);
    /* Packets reach readers while the capture runs (the writer commits every second): waited
     * for as a condition, with a limit for a hang, since a loaded machine may take longer. */
    apc_packet_page_t *pg = NULL;
    tally_t t = {0};
    for (double end = mono_s() + POLL_LIMIT_S; mono_s() < end;) {
        t = check_capture(id, 0);
        if (t.total > 50 && (!IS_EBPF(st) || t.tid_total >= 9 * 3))
            break;
        usleep(100000);
    }
    t = check_capture(id, 1);
    printf("# system capture, %s backend, short connections (curl, python3, ours): %ld/%ld "
           "packets attributed to the right pid, %ld unattributed, %ld wrong; egress tid right "
           "%ld/%ld; %ld on a port two clients used\n",
           BNAME(st), t.right, t.total, t.none, t.wrong, t.tid_right, t.tid_total, t.reused);
    assert_true(t.total > 50);
    assert_int_equal(t.wrong, 0);
    if (IS_EBPF(st)) { /* every packet, and the sending thread of every egress packet */
        assert_int_equal(t.right + t.reused, t.total);
        assert_true(t.tid_total >= 9 * 3);
        assert_int_equal(t.tid_right, t.tid_total);
    }
    /* Connections held 200 ms, long enough for a /proc scan on a quiet machine: every
     * packet stored once the capture stops (the stop drains the writer). */
    nowners = 0;
    snprintf(cmd, sizeof cmd, "%s tcp " IP_B " 8000 3 2 200", client);
    assert_int_equal(run_client(cmd, NULL), 6);
    usleep(300000);
    assert_int_equal(apc_capture_stop(ctx, id, APC_CAPTURE_SYSTEM), 0);
    t = check_capture(id, 1);
    printf("# system capture, %s backend, connections held 200 ms (3 threads): %ld/%ld "
           "packets attributed to the right pid, %ld unattributed, %ld wrong; egress tid right "
           "%ld/%ld; %ld on a port two clients used\n",
           BNAME(st), t.right, t.total, t.none, t.wrong, t.tid_right, t.tid_total, t.reused);
    assert_int_equal(t.wrong, 0);
    /* With procfs the rate depends on when the scan runs, so on the machine's load: it is
     * reported, not required (never a wrong pid is). eBPF attributes every packet. */
    if (IS_EBPF(st)) {
        assert_int_equal(t.right + t.reused, t.total);
        assert_true(t.tid_total > 0);
        assert_int_equal(t.tid_right, t.tid_total);
    }
    assert_int_equal(apc_capture_stream(ctx, id, 0, 10, 0, &pg), APC_ENOTFOUND);
    apc_capture_t *c = NULL;
    assert_int_equal(apc_capture_get(ctx, id, &c), 0);
    assert_int_equal(c->state, APC_STATE_COMPLETED);
    assert_string_equal(c->adapters, "apc_vA");
    apc_capture_free(c);
}

static void test_short_lived_children(void **st)
{
    nowners = 0;
    /* A system capture of the same traffic beside the process capture: it stores every packet
     * of the children's connections whoever they are attributed to (the denominator). */
    int64_t sys_id = start_system(BACKEND(st), "tcp port 8000");
    char cmd[1024];
    /* The parent waits for a line before it starts its 200 children. */
    snprintf(cmd, sizeof cmd, "exec %s spawn " IP_B " 8000 200", client);
    int in[2], out[2];
    assert_int_equal(pipe(in), 0);
    assert_int_equal(pipe(out), 0);
    pid_t parent = fork();
    if (parent == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        close(in[1]);
        close(out[0]);
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    usleep(200000); /* sh has exec'ed... sh -c with one command execs it: same pid */
    apc_live_options_t o;
    apc_live_options_init(&o, APC_LIVE_OPTIONS_VERSION);
    static const char *const ad[] = {"apc_vA"};
    o.adapters = ad;
    o.n_adapters = 1;
    o.pid = parent;
    o.flags = APC_CAPTURE_FLAG_DESCENDANTS | BACKEND(st);
    int64_t id = 0;
    int rc = apc_capture_start_process(ctx, &o, &id);
    if (rc < 0)
        fprintf(stderr, "start_process: %s\n", apc_last_error_message());
    assert_int_equal(rc, 0);
    assert_int_equal(write(in[1], "go\n", 3), 3);
    FILE *f = fdopen(out[0], "r");
    char line[128];
    int lines = 0;
    while (fgets(line, sizeof line, f)) {
        long a, b;
        int c;
        if (sscanf(line, "C %ld %ld %d", &a, &b, &c) == 3 && nowners < 4096) {
            owners[nowners++] = (owner_t){c, a, b};
            lines++;
        }
    }
    fclose(f);
    close(in[1]);
    waitpid(parent, NULL, 0);
    usleep(300000);
    check_backend(st);
    assert_int_equal(apc_capture_stop(ctx, id, APC_CAPTURE_PROCESS), 0);
    assert_int_equal(apc_capture_stop(ctx, sys_id, APC_CAPTURE_SYSTEM), 0);
    assert_int_equal(lines, 200);
    tally_t t = check_capture(id, 1), all = check_capture(sys_id, 1);
    printf("# 200 short-lived children, process capture with descendants, %s backend: %ld of "
           "their %ld packets stored (%.1f%%), %ld wrong pid; the system capture beside it "
           "attributed %ld/%ld to the right pid; %ld on a port two children used\n",
           BNAME(st), t.total, all.total, all.total ? t.total * 100.0 / all.total : 0.0, t.wrong,
           all.right, all.total, all.reused);
    assert_true(all.total >= 200 * 8);
    assert_int_equal(t.wrong, 0);
    assert_int_equal(all.wrong, 0);
    /* The procfs backend's rate for such children is reported, not required (it may be 0 on a
     * loaded machine); with eBPF every packet is theirs. */
    if (IS_EBPF(st)) {
        assert_int_equal(t.total, all.total);
        assert_int_equal(t.right + t.reused, all.total);
    }
}

/* Packets of capture `id` from process `pid`, and from any other, read from the store. */
static void count_pid(int64_t id, int64_t pid, long *mine, long *other)
{
    *mine = *other = 0;
    int64_t last = 0;
    for (int page = 0; page < 10000; page++) {
        apc_packet_page_t *pg = NULL;
        assert_int_equal(apc_capture_read(ctx, id, last, APC_PAGE_MAX, 0, &pg), 0);
        for (size_t i = 0; i < pg->count; i++) {
            if (pg->packets[i].pid == pid)
                (*mine)++;
            else
                (*other)++;
        }
        last = pg->last_id;
        int more = pg->more;
        apc_packet_page_free(pg);
        if (!more)
            break;
    }
}

/* A client started on "go" on its stdin, so its traffic comes after the capture has started
 * (sh reads the line, then execs the client: same pid). Returns its pid; *go is the pipe. */
static pid_t start_busy(int *go)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "read go; exec %s busy " IP_B " 8000 1500 50 >/dev/null", client);
    int p[2];
    assert_int_equal(pipe(p), 0);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(p[0], 0);
        close(p[0]);
        close(p[1]);
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    close(p[0]);
    *go = p[1];
    return pid;
}

static void test_process_capture_isolation(void **st)
{
    nowners = 0;
    /* Two clients of the same server, each 1.5 s and at least 50 requests (300+ packets), both
     * started once the capture of one of them runs; the capture stops after both have ended,
     * so it holds all of its target's traffic however slow the machine. */
    int go_a, go_b;
    pid_t a = start_busy(&go_a), b = start_busy(&go_b);
    apc_live_options_t o;
    apc_live_options_init(&o, APC_LIVE_OPTIONS_VERSION);
    static const char *const ad[] = {"apc_vA"};
    o.adapters = ad;
    o.n_adapters = 1;
    o.pid = a;
    o.flags = BACKEND(st);
    int64_t id = 0;
    assert_int_equal(apc_capture_start_process(ctx, &o, &id), 0);
    check_backend(st);
    assert_int_equal(write(go_a, "go\n", 3), 3);
    assert_int_equal(write(go_b, "go\n", 3), 3);
    close(go_a);
    close(go_b);
    waitpid(a, NULL, 0);
    waitpid(b, NULL, 0);
    assert_int_equal(apc_capture_stop(ctx, id, APC_CAPTURE_PROCESS), 0);
    long mine = 0, other = 0;
    count_pid(id, a, &mine, &other);
    printf("# process capture of one of two busy clients, %s backend: %ld packets of it, %ld "
           "others\n",
           BNAME(st), mine, other);
    /* With eBPF every packet of the target is its own: all 300 and more. procfs sees a
     * connection only if a scan finds it open, and these are short: on a loaded machine few
     * are caught, so the rate is reported; what it must never do is take another's. */
    if (IS_EBPF(st))
        assert_true(mine >= 300);
    assert_int_equal(other, 0);
}

static void test_accepted_sockets(void **st)
{
    /* A server in apc_lA (where we capture), clients from apc_lB: the packets of accepted
     * connections belong to the server. */
    pid_t srv = fork();
    if (srv == 0) {
        execlp("python3", "python3", "-m", "http.server", "8001", "--bind", IP_A, (char *)NULL);
        _exit(127);
    }
    int up = 0;
    for (int i = 0; i < 50 && !up; i++) {
        usleep(100000);
        up = sh("ip netns exec " NS_B " curl -s -o /dev/null --max-time 1 http://" IP_A ":8001/") ==
             0;
    }
    assert_true(up);
    int64_t id = start_system(BACKEND(st), "tcp port 8001");
    check_backend(st);
    for (int i = 0; i < 5; i++)
        assert_int_equal(
            sh("ip netns exec " NS_B " curl -s -o /dev/null --max-time 2 http://" IP_A ":8001/"),
            0);
    usleep(300000);
    assert_int_equal(apc_capture_stop(ctx, id, APC_CAPTURE_SYSTEM), 0);
    kill(srv, SIGTERM);
    waitpid(srv, NULL, 0);
    long right = 0, total = 0;
    apc_packet_page_t *pg = NULL;
    assert_int_equal(apc_capture_read(ctx, id, 0, APC_PAGE_MAX, 0, &pg), 0);
    for (size_t i = 0; i < pg->count; i++) {
        total++;
        right += pg->packets[i].pid == srv;
        if (pg->packets[i].pid != srv)
            fprintf(stderr, "packet %lld: pid %lld attribution %d (%s)\n",
                    (long long)pg->packets[i].id, (long long)pg->packets[i].pid,
                    (int)pg->packets[i].attribution, pg->packets[i].summary);
    }
    int more = pg->more;
    apc_packet_page_free(pg);
    printf("# accepted sockets (server in the capture namespace), %s backend: %ld/%ld "
           "packets attributed to the server\n",
           BNAME(st), right, total);
    assert_false(more);
    assert_true(total >= 5 * 8);
    assert_int_equal(right, total);
}

static void test_stop_under_load(void **st)
{
    (void)st;
    int64_t id = start_system(APC_CAPTURE_FLAG_NO_EBPF, "udp dst port 9999");
    char cmd[1024];
    /* The flood runs until killed (at most 300 s), so the stop comes while it runs. */
    snprintf(cmd, sizeof cmd, "exec %s flood " IP_B " 9999 300000 >/dev/null", client);
    pid_t f = fork();
    if (f == 0) {
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    /* Stopped once more than 1000 datagrams are stored (ids start at 1), however slow the
     * machine is to get there. */
    int many = 0;
    for (double end = mono_s() + POLL_LIMIT_S; !many && mono_s() < end;) {
        apc_packet_page_t *pg = NULL;
        assert_int_equal(apc_capture_stream(ctx, id, 1000, 1, 0, &pg), 0);
        many = pg->count > 0;
        apc_packet_page_free(pg);
        if (!many)
            usleep(100000);
    }
    assert_true(many);
    assert_int_equal(apc_capture_stop(ctx, id, APC_CAPTURE_SYSTEM), 0);
    kill(f, SIGTERM);
    waitpid(f, NULL, 0);
    apc_capture_t *c = NULL;
    assert_int_equal(apc_capture_get(ctx, id, &c), 0);
    /* Datagrams carry their number: received = highest number stored + 1 (the veth delivers
     * them in order), which must equal stored + kernel drops + our drops. */
    uint64_t maxseq = 0;
    int64_t last = 0;
    uint64_t stored = 0;
    for (int page = 0; page < 100000; page++) {
        apc_packet_page_t *pg = NULL;
        assert_int_equal(apc_capture_read(ctx, id, last, APC_PAGE_MAX, APC_READ_BYTES, &pg), 0);
        for (size_t i = 0; i < pg->count; i++) {
            const apc_packet_t *p = &pg->packets[i];
            stored++;
            if (p->caplen >= 14 + 20 + 8 + 8) {
                uint64_t seq;
                memcpy(&seq, p->data + 14 + 20 + 8, 8);
                if (seq > maxseq)
                    maxseq = seq;
            }
        }
        last = pg->last_id;
        int more = pg->more;
        apc_packet_page_free(pg);
        if (!more)
            break;
    }
    printf("# stop under load: stored %llu, kernel drops %llu, our drops %llu, received "
           "(highest number + 1) %llu\n",
           (unsigned long long)stored, (unsigned long long)c->kernel_drops,
           (unsigned long long)c->drops, (unsigned long long)maxseq + 1);
    assert_int_equal(stored, c->packets);
    assert_true(stored > 1000);
    assert_int_equal(stored + c->kernel_drops + c->drops, maxseq + 1);
    apc_capture_free(c);
}

static void test_errors(void **st)
{
    (void)st;
    apc_live_options_t o;
    apc_live_options_init(&o, APC_LIVE_OPTIONS_VERSION);
    static const char *const ad[] = {"apc_nosuch0"};
    o.adapters = ad;
    o.n_adapters = 1;
    int64_t id = 0;
    assert_int_equal(apc_capture_start_system(ctx, &o, &id), APC_ENOTFOUND);
    assert_non_null(strstr(apc_last_error_message(), "adapter 'apc_nosuch0'"));
    static const char *const ok[] = {"apc_vA"};
    o.adapters = ok;
    o.filter = "tcp port";
    assert_int_equal(apc_capture_start_system(ctx, &o, &id), APC_EINVAL);
    assert_non_null(strstr(apc_last_error_message(), "capture filter 'tcp port'"));
    assert_int_equal(apc_capture_stop(ctx, 999999, 0), APC_ENOTFOUND);
    apc_live_options_init(&o, APC_LIVE_OPTIONS_VERSION);
    o.pid = 1;
    o.tid = 1;
    assert_int_equal(apc_capture_start_process(ctx, &o, &id), APC_EINVAL);
    assert_string_equal(apc_last_error_message(),
                        "thread_id 1 needs CAPTURE_FLAG_THREAD_CAPTURE (0x2)");
}

int main(void)
{
    if (geteuid() != 0) {
        printf("SKIP: live tests need root (network namespaces, packet capture)\n");
        return 77;
    }
    client = getenv("APC_LIVE_CLIENT");
    if (!client || access(client, X_OK) != 0 || system("command -v curl >/dev/null") != 0 ||
        system("command -v python3 >/dev/null") != 0) {
        printf("SKIP: needs APC_LIVE_CLIENT, curl and python3\n");
        return 77;
    }
    live_lock();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_errors),
        cmocka_unit_test_prestate(test_system_attribution, &flags_no_ebpf),
        cmocka_unit_test_prestate(test_short_lived_children, &flags_no_ebpf),
        cmocka_unit_test_prestate(test_process_capture_isolation, &flags_no_ebpf),
        cmocka_unit_test_prestate(test_accepted_sockets, &flags_no_ebpf),
        cmocka_unit_test(test_stop_under_load),
    };
    /* APC_LIVE_ONLY=ebpf runs the eBPF group only (while working on it). */
    const char *only = getenv("APC_LIVE_ONLY");
    int rc = only && strcmp(only, "ebpf") == 0
                 ? 0
                 : cmocka_run_group_tests_name("live (procfs backend)", tests, setup, teardown);
    /* The same checks with the eBPF backend, when it loads here. */
    char why[512];
    if (!ebpf_loads(why, sizeof why)) {
        printf("SKIP (eBPF checks): %s\n", why);
        return rc ? rc : 77;
    }
    const struct CMUnitTest ebpf_tests[] = {
        cmocka_unit_test_prestate(test_system_attribution, &flags_ebpf),
        cmocka_unit_test_prestate(test_short_lived_children, &flags_ebpf),
        cmocka_unit_test_prestate(test_process_capture_isolation, &flags_ebpf),
        cmocka_unit_test_prestate(test_accepted_sockets, &flags_ebpf),
    };
    rc |= cmocka_run_group_tests_name("live (eBPF backend)", ebpf_tests, setup, teardown);
    return rc;
}
