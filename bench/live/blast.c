/* SPDX-License-Identifier: MIT */
/*
 * UDP sender for bench/live: COUNT datagrams of SIZE bytes to HOST:PORT at RATE per second
 * (paced in 1 ms slices with sendmmsg), bounded in count and in time (COUNT/RATE + 2 s).
 * Prints "sent N in S s". `sink PORT` reads and discards datagrams until killed.
 *   blast HOST PORT RATE COUNT SIZE | blast sink PORT
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "sink") == 0) {
        int fd = socket(AF_INET, SOCK_DGRAM, 0);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[2]))};
        if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0)
            return 1;
        char buf[2048];
        for (;;)
            if (recv(fd, buf, sizeof buf, 0) < 0)
                return 1;
    }
    if (argc != 6)
        return 2;
    struct sockaddr_in peer = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[2]))};
    inet_pton(AF_INET, argv[1], &peer.sin_addr);
    double rate = atof(argv[3]);
    long count = atol(argv[4]), size = atol(argv[5]);
    if (rate <= 0 || count <= 0 || size < 8 || size > 1400)
        return 2;
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&peer, sizeof peer) != 0)
        return 1;
    enum { BATCH = 64 };
    static char bufs[BATCH][1400];
    struct mmsghdr m[BATCH];
    struct iovec iov[BATCH];
    memset(m, 0, sizeof m);
    for (int i = 0; i < BATCH; i++) {
        iov[i].iov_base = bufs[i];
        iov[i].iov_len = (size_t)size;
        m[i].msg_hdr.msg_iov = &iov[i];
        m[i].msg_hdr.msg_iovlen = 1;
    }
    double t0 = now_s(), limit = t0 + count / rate + 2.0;
    long sent = 0;
    while (sent < count) {
        double t = now_s();
        if (t > limit)
            break;
        long due = (long)((t - t0) * rate) + 1;
        if (due > count)
            due = count;
        if (sent >= due) {
            usleep(200);
            continue;
        }
        int n = (int)(due - sent < BATCH ? due - sent : BATCH);
        for (int i = 0; i < n; i++) {
            long seq = sent + i;
            memcpy(bufs[i], &seq, sizeof seq);
        }
        int r = sendmmsg(fd, m, (unsigned)n, 0);
        if (r > 0)
            sent += r;
    }
    printf("sent %ld in %.3f s\n", sent, now_s() - t0);
    return 0;
}
