/* SPDX-License-Identifier: MIT */
/*
 * Which process owns a socket that several processes hold (procfs attribution backend): a
 * fork child inherits its parent's descriptors, and a clone(CLONE_FILES) task — LeakSanitizer's
 * tracer, cloned at exit by every ASan program — shares its parent's descriptor table. The
 * /proc scan lists the child after the parent; the owner must stay the parent.
 */
#include <netinet/in.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "attrib/sockdiag.h"

typedef struct holders {
    uint32_t ino;
    int64_t pid[16];
    size_t n;
} holders_t;

static void on_fd(int64_t pid, uint32_t inode, void *p)
{
    holders_t *h = p;
    if (inode == h->ino && h->n < 16)
        h->pid[h->n++] = pid;
}

static int wait_pipe[2];

/* The clone(CLONE_FILES) task: holds the socket through the shared table until told to go. */
static int shared_table_task(void *arg)
{
    (void)arg;
    char c;
    return read(wait_pipe[0], &c, 1) == 1 ? 0 : 1;
}

static void test_owner_of_shared_socket(void **st)
{
    (void)st;
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    assert_true(s >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof a), 0);
    struct stat sb;
    assert_int_equal(fstat(s, &sb), 0);
    assert_int_equal(pipe(wait_pipe), 0);
    pid_t child = fork();
    if (child == 0) {
        char c;
        _exit(read(wait_pipe[0], &c, 1) == 1 ? 0 : 1);
    }
    assert_true(child > 0);
    size_t stack_len = 256 * 1024;
    char *stack = malloc(stack_len);
    assert_non_null(stack);
    pid_t tracer = clone(shared_table_task, stack + stack_len, CLONE_FILES | SIGCHLD, NULL);
    assert_true(tracer > 0);

    /* Every one of the three holds the socket: the ambiguity is real. */
    holders_t h = {.ino = (uint32_t)sb.st_ino};
    assert_int_equal(apc__fdscan(tracer, on_fd, &h), 0);
    assert_int_equal(apc__fdscan(child, on_fd, &h), 0);
    assert_int_equal(apc__fdscan(getpid(), on_fd, &h), 0);
    assert_int_equal(h.n, 3);
    assert_int_equal(h.pid[0], tracer);
    assert_int_equal(h.pid[2], getpid());
    assert_int_equal(apc__pid_parent(tracer, NULL), getpid());
    assert_int_equal(apc__pid_parent(child, NULL), getpid());
    /* The parent owns it whatever the order, and even when a child was the owner before. */
    assert_int_equal(apc__fd_owner(h.pid, 3, 0, apc__pid_parent, NULL), getpid());
    assert_int_equal(apc__fd_owner(h.pid, 3, tracer, apc__pid_parent, NULL), getpid());
    int64_t rev[3] = {h.pid[2], h.pid[1], h.pid[0]};
    assert_int_equal(apc__fd_owner(rev, 3, child, apc__pid_parent, NULL), getpid());
    /* The two children alone (the parent closed its copy): neither descends from the other. */
    assert_int_equal(apc__fd_owner(h.pid, 2, 0, apc__pid_parent, NULL), tracer);
    assert_int_equal(apc__fd_owner(h.pid, 2, child, apc__pid_parent, NULL), child);

    /* The full /proc scan finds the same three. */
    holders_t all = {.ino = (uint32_t)sb.st_ino};
    assert_int_equal(apc__fdscan(0, on_fd, &all), 0);
    assert_int_equal(all.n, 3);
    assert_int_equal(apc__fd_owner(all.pid, all.n, 0, apc__pid_parent, NULL), getpid());

    assert_int_equal(write(wait_pipe[1], "xx", 2), 2);
    int ws;
    assert_int_equal(waitpid(child, &ws, 0), child);
    assert_true(WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
    assert_int_equal(waitpid(tracer, &ws, 0), tracer);
    assert_true(WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
    free(stack);
    close(wait_pipe[0]);
    close(wait_pipe[1]);
    close(s);
    assert_int_equal(apc__pid_parent(child, NULL), 0); /* gone: nothing to read */
}

/* A process tree as a table: pid -> parent. 50 is its own parent (a broken chain must end). */
static const int64_t tree[][2] = {{10, 1}, {20, 10}, {21, 10}, {30, 21}, {31, 30}, {50, 50}};

static int64_t tree_parent(int64_t pid, void *p)
{
    int *calls = p;
    (*calls)++;
    for (size_t i = 0; i < sizeof tree / sizeof tree[0]; i++)
        if (tree[i][0] == pid)
            return tree[i][1];
    return 0;
}

static void test_owner_rules(void **st)
{
    (void)st;
    int calls = 0;
    assert_int_equal(apc__fd_owner(NULL, 0, 0, tree_parent, &calls), 0);
    const int64_t one[1] = {31};
    assert_int_equal(apc__fd_owner(one, 1, 10, tree_parent, &calls), 31);
    assert_int_equal(calls, 0); /* one holder: no ancestry read */
    /* A grandchild and its grandparent's other child: the chain 31 -> 30 -> 21 is followed. */
    const int64_t chain[3] = {31, 20, 21};
    assert_int_equal(apc__fd_owner(chain, 3, 0, tree_parent, &calls), 20);
    assert_int_equal(apc__fd_owner(chain, 3, 21, tree_parent, &calls), 21);
    assert_int_equal(apc__fd_owner(chain, 3, 31, tree_parent, &calls), 20);
    /* Siblings: the previous owner stays, else the first listed. */
    const int64_t sib[2] = {21, 20};
    assert_int_equal(apc__fd_owner(sib, 2, 0, tree_parent, &calls), 21);
    assert_int_equal(apc__fd_owner(sib, 2, 20, tree_parent, &calls), 20);
    /* A pid listed twice (dup()ed descriptors) is not its own ancestor. */
    const int64_t dup[3] = {30, 30, 31};
    assert_int_equal(apc__fd_owner(dup, 3, 31, tree_parent, &calls), 30);
    /* A parent chain that loops ends after 64 steps; unknown parents end at once. */
    calls = 0;
    const int64_t loop[2] = {50, 99};
    assert_int_equal(apc__fd_owner(loop, 2, 0, tree_parent, &calls), 50);
    assert_true(calls <= 64 + 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_owner_of_shared_socket),
        cmocka_unit_test(test_owner_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
