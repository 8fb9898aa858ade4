/* SPDX-License-Identifier: MIT */
/*
 * Traffic for the live tests, run inside a test network namespace. Prints what the test needs
 * to check attribution: one line per connection "C <pid> <tid> <local port>".
 *   tcp HOST PORT THREADS CONNS [HOLD_MS]  THREADS threads, each CONNS HTTP/1.0 requests
 *                                 (waiting HOLD_MS after connecting)
 *   udp HOST PORT COUNT           COUNT datagrams from one socket, each answered
 *   spawn HOST PORT N             waits for a line on stdin, then N short children, one
 *                                 connection each, one after the other
 *   busy HOST PORT MS [MIN]       TCP requests for MS milliseconds, and at least MIN of them
 *   flood HOST PORT MS            UDP datagrams numbered from 0 for MS ms; prints "S <sent>"
 *   serve HOST PORT N             a TCP server: prints "R <pid>" once listening, then answers
 *                                 N connections (0: until killed) one after the other, each
 *                                 with 3000 bytes once it has read the request, and closes
 * HOST is IPv4 or IPv6 (tcp, serve).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static struct sockaddr_in6 peer; /* sockaddr_in or sockaddr_in6 */
static socklen_t peer_len;
static int conns_per_thread;
static int hold_ms; /* tcp: wait this long after connecting, so /proc scans see the socket */
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;

static long now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000L + t.tv_nsec / 1000000L;
}

static void report(int fd)
{
    struct sockaddr_in6 me; /* the port is at the same place in sockaddr_in */
    socklen_t l = sizeof me;
    getsockname(fd, (struct sockaddr *)&me, &l);
    pthread_mutex_lock(&out_lock);
    printf("C %d %ld %d\n", getpid(), (long)syscall(SYS_gettid), ntohs(me.sin6_port));
    fflush(stdout);
    pthread_mutex_unlock(&out_lock);
}

static int one_request(void)
{
    int fd = socket(peer.sin6_family, SOCK_STREAM, 0);
    struct timeval tv = {2, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (fd < 0 || connect(fd, (struct sockaddr *)&peer, peer_len) != 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    report(fd);
    if (hold_ms)
        usleep((useconds_t)hold_ms * 1000);
    const char req[] = "GET / HTTP/1.0\r\n\r\n";
    if (write(fd, req, sizeof req - 1) < 0) {
        close(fd);
        return -1;
    }
    /* We close first (the server reads to the end of the request, not to EOF): our end then
     * waits in TIME_WAIT and its port is not given to a later connection to the same server,
     * as it would be at once after a server's close. The tests tell connections apart by the
     * local port each client reports. */
    shutdown(fd, SHUT_WR);
    char buf[4096];
    while (read(fd, buf, sizeof buf) > 0)
        ;
    close(fd);
    return 0;
}

static void *tcp_thread(void *arg)
{
    (void)arg;
    for (int i = 0; i < conns_per_thread; i++)
        one_request();
    return NULL;
}

/* Answers n connections (0: forever), one at a time. */
static int serve(int n)
{
    int fd = socket(peer.sin6_family, SOCK_STREAM, 0), one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (fd < 0 || bind(fd, (struct sockaddr *)&peer, peer_len) != 0 || listen(fd, 64) != 0)
        return 1;
    printf("R %d\n", getpid());
    fflush(stdout);
    static char resp[3000];
    memset(resp, 'x', sizeof resp);
    for (int i = 0; n == 0 || i < n; i++) {
        int c = accept(fd, NULL, NULL);
        if (c < 0)
            return 1;
        char buf[4096];
        size_t got = 0;
        ssize_t r;
        while (got < sizeof buf - 1 && (r = read(c, buf + got, sizeof buf - 1 - got)) > 0) {
            got += (size_t)r;
            buf[got] = '\0';
            if (strstr(buf, "\r\n\r\n"))
                break;
        }
        if (write(c, resp, sizeof resp) < 0) {
            close(c);
            continue;
        }
        close(c);
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 5)
        return 2;
    uint16_t port = htons((uint16_t)atoi(argv[3]));
    if (strchr(argv[2], ':')) {
        peer.sin6_family = AF_INET6;
        peer.sin6_port = port;
        inet_pton(AF_INET6, argv[2], &peer.sin6_addr);
        peer_len = sizeof(struct sockaddr_in6);
    } else {
        struct sockaddr_in *p4 = (struct sockaddr_in *)&peer;
        p4->sin_family = AF_INET;
        p4->sin_port = port;
        inet_pton(AF_INET, argv[2], &p4->sin_addr);
        peer_len = sizeof(struct sockaddr_in);
    }
    int n = atoi(argv[4]);
    if (strcmp(argv[1], "serve") == 0)
        return serve(n);
    if (strcmp(argv[1], "tcp") == 0 && argc > 5) {
        conns_per_thread = atoi(argv[5]);
        hold_ms = argc > 6 ? atoi(argv[6]) : 0;
        pthread_t t[16];
        if (n > 16)
            n = 16;
        for (int i = 0; i < n; i++)
            pthread_create(&t[i], NULL, tcp_thread, NULL);
        for (int i = 0; i < n; i++)
            pthread_join(t[i], NULL);
        return 0;
    }
    if (strcmp(argv[1], "udp") == 0) {
        int fd = socket(AF_INET, SOCK_DGRAM, 0);
        struct timeval tv = {1, 0};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        connect(fd, (struct sockaddr *)&peer, peer_len);
        report(fd);
        char buf[512];
        for (int i = 0; i < n; i++) {
            int len = snprintf(buf, sizeof buf, "ping %d", i);
            if (send(fd, buf, (size_t)len, 0) < 0 || recv(fd, buf, sizeof buf, 0) < 0)
                return 1;
        }
        return 0;
    }
    if (strcmp(argv[1], "spawn") == 0) {
        char line[16];
        if (!fgets(line, sizeof line, stdin))
            return 1;
        for (int i = 0; i < n; i++) {
            pid_t c = fork();
            if (c == 0)
                _exit(one_request() == 0 ? 0 : 1);
            int st;
            waitpid(c, &st, 0);
        }
        return 0;
    }
    if (strcmp(argv[1], "busy") == 0) {
        /* MS ms and at least MIN requests (argv[5], default 0): a slow machine still sends
         * enough for a test to count. */
        long end = now_ms() + n, min = argc > 5 ? atol(argv[5]) : 0;
        for (long i = 0; i < 100000 && (now_ms() < end || i < min); i++)
            one_request();
        return 0;
    }
    if (strcmp(argv[1], "flood") == 0) {
        int fd = socket(AF_INET, SOCK_DGRAM, 0);
        connect(fd, (struct sockaddr *)&peer, peer_len);
        long end = now_ms() + n;
        unsigned long sent = 0;
        char buf[64];
        while (now_ms() < end && sent < 50000000UL) {
            memset(buf, 0, sizeof buf);
            memcpy(buf, &sent, sizeof sent);
            if (send(fd, buf, sizeof buf, 0) > 0)
                sent++;
        }
        printf("S %lu\n", sent);
        return 0;
    }
    return 2;
}
