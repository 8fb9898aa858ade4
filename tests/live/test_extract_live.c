/* SPDX-License-Identifier: MIT */
/*
 * Extraction end to end on a live capture (issue 10), as root. Two network namespaces joined
 * by a veth pair: apc_xA (10.78.0.1, the clients, captured) and apc_xB (10.78.0.2, the
 * servers: python3 http.server on 8000 serving a random 300 KB file, pyftpdlib on port 21
 * taking anonymous uploads). In apc_xA curl downloads the file over HTTP and python3's ftplib
 * uploads another random 300 KB file over FTP (passive mode), while a system capture with
 * attribution runs and extraction is enabled (apc_extract_set_enabled). The examination starts
 * with the capture and follows it while it is stored: before the stop its command has read
 * packets. After the stop it ends: both files must be found complete with the SHA-256 of what was
 * sent, each owned by the pid and the program (exe path) of its client (EXTRACTSTREAM), and written
 * byte-exact with the same owner (EXTRACTFILE). Skips (77) with the reason without root,
 * eBPF, pyftpdlib or curl. Waits are on conditions with generous limits.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "live_util.h"

#include <apc/apc.h>

#define NS_A "apc_xA"
#define NS_B "apc_xB"
#define IP_A "10.78.0.1"
#define IP_B "10.78.0.2"
#define PY "/usr/bin/python3" /* not a pyenv shim: the client's pid must be python's own */
#define CURL "/usr/bin/curl"
#define FILE_SIZE (300 * 1024)
#define LIMIT_S 60.0

static apc_ctx_t *ctx;
static char tmp[] = "/tmp/apc-extract-live-XXXXXX";
static char data_dir[600], www[600], ftp_root[600];
static pid_t servers[2];
static int root_ns_fd = -1;

static void cleanup_ns(void)
{
    for (int i = 0; i < 2; i++)
        if (servers[i] > 0) {
            kill(servers[i], SIGTERM);
            waitpid(servers[i], NULL, 0);
            servers[i] = 0;
        }
    sh("ip netns del " NS_A " 2>/dev/null; ip netns del " NS_B " 2>/dev/null");
}

/* argv run in the current namespace; its pid (the program itself: execv, no shell). */
static pid_t spawn(char *const argv[])
{
    pid_t p = fork();
    if (p == 0) {
        int null = open("/dev/null", O_WRONLY);
        if (null >= 0) { /* a test that dies must not leave meson waiting on the pipe */
            dup2(null, 1);
            dup2(null, 2);
        }
        execv(argv[0], argv);
        _exit(127);
    }
    return p;
}

static int wait_ok(pid_t p)
{
    int st = 0;
    return p > 0 && waitpid(p, &st, 0) == p && WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

/* Lowercase hex SHA-256 of a file (sha256sum), into out[65]; 0 or -1. */
static int sha256_of(const char *path, char out[65])
{
    char cmd[800];
    snprintf(cmd, sizeof cmd, "sha256sum '%s'", path);
    FILE *f = popen(cmd, "r");
    if (!f)
        return -1;
    int ok = fscanf(f, "%64s", out) == 1;
    pclose(f);
    return ok && strlen(out) == 64 ? 0 : -1;
}

static int setup(void **st)
{
    (void)st;
    cleanup_ns();
    if (!mkdtemp(tmp))
        return -1;
    snprintf(data_dir, sizeof data_dir, "%s/data", tmp);
    snprintf(www, sizeof www, "%s/www", tmp);
    snprintf(ftp_root, sizeof ftp_root, "%s/ftp", tmp);
    if (sh("mkdir -p '%s' '%s' && chmod 777 '%s' && head -c %d /dev/urandom > '%s/down.bin' && "
           "head -c %d /dev/urandom > '%s/up.bin'",
           www, ftp_root, ftp_root, FILE_SIZE, www, FILE_SIZE, tmp) != 0)
        return -1;
    if (live_make_ns(NS_A, NS_B, "apc_xvA", "apc_xvB", IP_A, IP_B) != 0) {
        cleanup_ns();
        return -1;
    }
    char http[900], ftp[1200];
    snprintf(http, sizeof http,
             "import functools,http.server\n"
             "h=functools.partial(http.server.SimpleHTTPRequestHandler,directory='%s')\n"
             "http.server.ThreadingHTTPServer(('" IP_B "',8000),h).serve_forever()\n",
             www);
    snprintf(ftp, sizeof ftp,
             "from pyftpdlib.authorizers import DummyAuthorizer\n"
             "from pyftpdlib.handlers import FTPHandler\n"
             "from pyftpdlib.servers import FTPServer\n"
             "a=DummyAuthorizer(); a.add_anonymous('%s',perm='elradfmw')\n"
             "FTPHandler.authorizer=a\n"
             "FTPServer(('" IP_B "',21),FTPHandler).serve_forever()\n",
             ftp_root);
    char *h[] = {"/usr/bin/ip", "netns", "exec", NS_B, PY, "-c", http, NULL};
    char *f[] = {"/usr/bin/ip", "netns", "exec", NS_B, PY, "-c", ftp, NULL};
    servers[0] = spawn(h);
    servers[1] = spawn(f);
    apc_ctx_options_t co;
    apc_ctx_options_init(&co, APC_CTX_OPTIONS_VERSION);
    co.data_dir = data_dir;
    if (apc_ctx_open(&ctx, &co) < 0 || apc_extract_set_enabled(ctx, 1) < 0)
        return -1;
    /* the process table listens to the proc connector from the initial namespace */
    if (live_enter(ctx, NS_A, &root_ns_fd) != 0)
        return -1;
    return live_wait_sh(CURL " -s -o /dev/null --max-time 2 http://" IP_B ":8000/ && " PY
                             " -c \"import ftplib; ftplib.FTP('" IP_B
                             "',timeout=2).quit()\" 2>/dev/null",
                        LIMIT_S, "the test HTTP and FTP servers");
}

static int teardown(void **st)
{
    (void)st;
    live_teardown(&ctx, &root_ns_fd, cleanup_ns, tmp);
    return 0;
}

/* The stream of protocol `proto` whose SHA-256 is sha, from the page; NULL when none. */
static const apc_extract_stream_t *find(const apc_extract_page_t *pg, const char *proto,
                                        const char *sha)
{
    for (size_t i = 0; i < pg->count; i++)
        if (strcmp(pg->items[i].protocol, proto) == 0 && strcmp(pg->items[i].sha256, sha) == 0)
            return &pg->items[i];
    return NULL;
}

/* The stream is complete, owned by pid running exe; its file written byte-exact, same owner. */
static void check_stream(int64_t cap, const apc_extract_stream_t *x, pid_t pid, const char *exe,
                         const char *sha)
{
    printf("# %s: %llu bytes, %s, pid %lld (%s, %s)\n", x->protocol, (unsigned long long)x->size,
           x->complete ? "complete" : x->reason, (long long)x->pid,
           x->process_name ? x->process_name : "-", x->process_path ? x->process_path : "-");
    assert_int_equal(x->complete, 1);
    assert_int_equal(x->size, FILE_SIZE);
    assert_int_equal(x->pid, pid);
    assert_non_null(x->process_path);
    assert_string_equal(x->process_path, exe);
    apc_extract_file_t *f = NULL;
    assert_int_equal(apc_extract_file_write(ctx, cap, x->id, &f), 0);
    assert_string_equal(f->sha256, sha);
    assert_int_equal(f->pid, pid);
    assert_string_equal(f->process_path, exe);
    char got[65];
    assert_int_equal(sha256_of(f->path, got), 0);
    assert_string_equal(got, sha);
    apc_extract_file_free(f);
}

/* 1 when capture id's examination is running and has read packets. */
static int examining(int64_t id)
{
    apc_command_list_t *l = NULL;
    assert_int_equal(apc_command_list(ctx, &l), 0);
    int found = 0;
    for (size_t i = 0; i < l->count; i++) {
        const apc_command_t *c = l->items[i];
        found |= !strcmp(c->type, "extraction") && c->capture_id == id &&
                 c->state == APC_CMD_RUNNING && c->packets > 0;
    }
    apc_command_list_free(l);
    return found;
}

static void test_http_and_ftp(void **st)
{
    (void)st;
    char why[256] = "";
    if (!ebpf_loads(why, sizeof why)) {
        printf("# SKIP: eBPF attribution does not load here: %s\n", why);
        skip();
    }
    char down[700], up[700], sha_down[65], sha_up[65], exe_curl[PATH_MAX], exe_py[PATH_MAX];
    snprintf(down, sizeof down, "%s/down.bin", www);
    snprintf(up, sizeof up, "%s/up.bin", tmp);
    assert_int_equal(sha256_of(down, sha_down), 0);
    assert_int_equal(sha256_of(up, sha_up), 0);
    assert_non_null(realpath(CURL, exe_curl));
    assert_non_null(realpath(PY, exe_py));

    int64_t id = live_start(ctx, "apc_xvA", 0, 0, NULL);
    assert_true(id > 0);
    char got[700], upload[1200];
    snprintf(got, sizeof got, "%s/got.bin", tmp);
    char *c[] = {CURL, "-s", "-f", "--max-time", "60", "-o", got, "http://" IP_B ":8000/down.bin",
                 NULL};
    pid_t pc = spawn(c);
    assert_int_equal(wait_ok(pc), 0);
    snprintf(upload, sizeof upload,
             "import ftplib\n"
             "f=ftplib.FTP('" IP_B "',timeout=60); f.login(); f.set_pasv(True)\n"
             "f.storbinary('STOR up.bin',open('%s','rb')); f.quit()\n",
             up);
    char *p[] = {PY, "-c", upload, NULL};
    pid_t pp = spawn(p);
    assert_int_equal(wait_ok(pp), 0);
    char sha_got[65], sha_stored[65], stored[700];
    snprintf(stored, sizeof stored, "%s/up.bin", ftp_root);
    assert_int_equal(sha256_of(got, sha_got), 0);
    assert_string_equal(sha_got, sha_down);
    assert_int_equal(sha256_of(stored, sha_stored), 0);
    assert_string_equal(sha_stored, sha_up);
    /* the examination started with the capture and follows it while it is stored: its
     * command reads the committed packets before the stop (it would not exist yet otherwise) */
    int seen = 0;
    for (double end = mono_s() + LIMIT_S; !(seen = examining(id)) && mono_s() < end;)
        usleep(20000);
    assert_true(seen);
    apc_capture_t *cap = NULL;
    assert_int_equal(apc_capture_get(ctx, id, &cap), 0);
    assert_int_equal(cap->state, APC_STATE_ACTIVE);
    apc_capture_free(cap);
    /* every packet is stored once the stop returns (the stop drains the writer) */
    assert_int_equal(apc_capture_stop(ctx, id, APC_CAPTURE_SYSTEM), 0);
    assert_int_equal(apc_capture_wait(ctx, id, (int)(LIMIT_S * 1000)), 0);

    /* the end of the capture started its examination; the query finds it or starts one */
    apc_extract_page_t *pg = NULL;
    for (double end = mono_s() + LIMIT_S; mono_s() < end;) {
        assert_int_equal(apc_extract_query(ctx, id, 0, 0, &pg), 0);
        if (pg->state == APC_EXTRACT_DONE)
            break;
        assert_int_equal(apc_command_wait(ctx, pg->command_uid, (int)(LIMIT_S * 1000)), 0);
        apc_extract_page_free(pg);
        pg = NULL;
    }
    assert_non_null(pg);
    assert_int_equal(pg->state, APC_EXTRACT_DONE);
    printf("# %zu streams found\n", pg->count);
    const apc_extract_stream_t *h = find(pg, "http", sha_down);
    const apc_extract_stream_t *f = find(pg, "ftp-data", sha_up);
    assert_non_null(h);
    assert_non_null(f);
    check_stream(id, h, pc, exe_curl, sha_down);
    check_stream(id, f, pp, exe_py, sha_up);
    apc_extract_page_free(pg);
}

int main(void)
{
    if (geteuid() != 0) {
        printf("SKIP: the live extraction test needs root (namespaces, packet capture)\n");
        return 77;
    }
    if (access(CURL, X_OK) != 0 || system(PY " -c 'import pyftpdlib' 2>/dev/null") != 0 ||
        system("command -v sha256sum >/dev/null") != 0) {
        printf("SKIP: needs " CURL ", " PY " with pyftpdlib (python3-pyftpdlib) and sha256sum\n");
        return 77;
    }
    live_lock(); /* the same lock as the other live tests: their namespaces must not overlap */
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_http_and_ftp)};
    return cmocka_run_group_tests_name("live extraction", tests, setup, teardown);
}
