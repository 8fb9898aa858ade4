/* SPDX-License-Identifier: MIT */
/* sock_diag dumps and /proc fd scans (see sockdiag.h). Messages: linux/sock_diag.h,
 * linux/inet_diag.h (struct inet_diag_req_v2, inet_diag_msg). */
#include "attrib/sockdiag.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <apc/common.h>

#include "attrib/proctable.h"
#include "core/error.h"

int apc__sockdiag_parse(const uint8_t *buf, size_t len, int proto, apc__diag_cb cb, void *payload)
{
    size_t off = 0;
    while (off + sizeof(struct nlmsghdr) <= len) {
        struct nlmsghdr nh;
        memcpy(&nh, buf + off, sizeof nh);
        if (nh.nlmsg_len < sizeof nh || nh.nlmsg_len > len - off)
            return apc__err(APC_EFORMAT, "sock_diag: nlmsg_len %u at offset %zu of %zu",
                            nh.nlmsg_len, off, len);
        if (nh.nlmsg_type == NLMSG_DONE)
            return 1;
        if (nh.nlmsg_type == NLMSG_ERROR) {
            struct nlmsgerr e;
            if (nh.nlmsg_len < NLMSG_LENGTH(sizeof e))
                return apc__err(APC_EFORMAT, "sock_diag: short error message");
            memcpy(&e, buf + off + NLMSG_HDRLEN, sizeof e);
            return e.error ? apc__err_errno(-e.error, "sock_diag dump") : 1;
        }
        if (nh.nlmsg_type == SOCK_DIAG_BY_FAMILY) {
            struct inet_diag_msg m;
            if (nh.nlmsg_len < NLMSG_LENGTH(sizeof m))
                return apc__err(APC_EFORMAT, "sock_diag: inet_diag_msg of %u bytes", nh.nlmsg_len);
            memcpy(&m, buf + off + NLMSG_HDRLEN, sizeof m);
            if (m.idiag_family == AF_INET || m.idiag_family == AF_INET6) {
                apc__diagsock_t s;
                memset(&s, 0, sizeof s);
                s.proto = (uint8_t)proto;
                s.ver = m.idiag_family == AF_INET ? 4 : 6;
                s.state = m.idiag_state;
                s.sport = ntohs(m.id.idiag_sport);
                s.dport = ntohs(m.id.idiag_dport);
                memcpy(s.src, m.id.idiag_src, s.ver == 4 ? 4 : 16);
                memcpy(s.dst, m.id.idiag_dst, s.ver == 4 ? 4 : 16);
                s.inode = m.idiag_inode;
                s.uid = m.idiag_uid;
                s.cookie = (uint64_t)m.id.idiag_cookie[0] | (uint64_t)m.id.idiag_cookie[1] << 32;
                cb(&s, payload);
            }
        }
        size_t step = NLMSG_ALIGN(nh.nlmsg_len);
        if (step > len - off)
            break;
        off += step;
    }
    return 0;
}

static int dump_one(int fd, int family, int proto, apc__diag_cb cb, void *payload)
{
    struct {
        struct nlmsghdr nh;
        struct inet_diag_req_v2 r;
    } req;
    memset(&req, 0, sizeof req);
    req.nh.nlmsg_len = sizeof req;
    req.nh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
    req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    req.r.sdiag_family = (uint8_t)family;
    req.r.sdiag_protocol = (uint8_t)proto;
    req.r.idiag_states = ~0u;
    struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
    if (sendto(fd, &req, sizeof req, 0, (struct sockaddr *)&sa, sizeof sa) < 0)
        return apc__err_errno(errno, "sock_diag request");
    _Alignas(struct nlmsghdr) static __thread uint8_t buf[32768];
    for (int i = 0; i < 100000; i++) {
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return apc__err_errno(errno, "sock_diag reply");
        }
        int r = apc__sockdiag_parse(buf, (size_t)n, proto, cb, payload);
        if (r != 0)
            return r < 0 ? r : 0;
    }
    return apc__err(APC_ELIMIT, "sock_diag dump did not end");
}

int apc__sockdiag_dump(apc__diag_cb cb, void *payload)
{
    int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
    if (fd < 0)
        return apc__err_errno(errno, "sock_diag socket");
    static const int fam[2] = {AF_INET, AF_INET6}, pro[2] = {IPPROTO_TCP, IPPROTO_UDP};
    int rc = 0;
    for (int i = 0; rc == 0 && i < 2; i++)
        for (int j = 0; rc == 0 && j < 2; j++)
            rc = dump_one(fd, fam[i], pro[j], cb, payload);
    close(fd);
    return rc;
}

uint32_t apc__fd_socket_inode(const char *link, size_t len)
{
    if (len < 10 || memcmp(link, "socket:[", 8) != 0 || link[len - 1] != ']')
        return 0;
    uint64_t v = 0;
    for (size_t i = 8; i < len - 1; i++) {
        if (link[i] < '0' || link[i] > '9' || v > UINT32_MAX / 10)
            return 0;
        v = v * 10 + (uint64_t)(link[i] - '0');
    }
    return v <= UINT32_MAX ? (uint32_t)v : 0;
}

static void scan_pid(int64_t pid, void (*cb)(int64_t, uint32_t, void *), void *payload)
{
    char p[64];
    snprintf(p, sizeof p, "/proc/%lld/fd", (long long)pid);
    DIR *d = opendir(p);
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        char lp[320], link[64];
        snprintf(lp, sizeof lp, "/proc/%lld/fd/%s", (long long)pid, de->d_name);
        ssize_t n = readlink(lp, link, sizeof link);
        if (n <= 0 || (size_t)n >= sizeof link)
            continue;
        uint32_t ino = apc__fd_socket_inode(link, (size_t)n);
        if (ino)
            cb(pid, ino, payload);
    }
    closedir(d);
}

int apc__fdscan(int64_t pid, void (*cb)(int64_t pid, uint32_t inode, void *p), void *payload)
{
    if (pid > 0) {
        scan_pid(pid, cb, payload);
        return 0;
    }
    DIR *d = opendir("/proc");
    if (!d)
        return apc__err_errno(errno, "opening /proc");
    struct dirent *de;
    while ((de = readdir(d))) {
        int64_t p = strtoll(de->d_name, NULL, 10);
        if (p > 0)
            scan_pid(p, cb, payload);
    }
    closedir(d);
    return 0;
}

int64_t apc__pid_parent(int64_t pid, void *unused)
{
    (void)unused;
    char p[64], buf[1024];
    snprintf(p, sizeof p, "/proc/%lld/stat", (long long)pid);
    int fd = open(p, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    int64_t ppid = 0;
    uint64_t ticks;
    if (n <= 0 || apc__proc_parse_stat(buf, (size_t)n, NULL, 0, &ppid, &ticks) < 0)
        return 0;
    return ppid;
}

static int descends(int64_t pid, int64_t ancestor, int64_t (*parent)(int64_t, void *), void *p)
{
    for (int i = 0; i < 64 && pid > 1; i++) {
        pid = parent(pid, p);
        if (pid == ancestor)
            return 1;
    }
    return 0;
}

int64_t apc__fd_owner(const int64_t *holders, size_t n, int64_t prev,
                      int64_t (*parent)(int64_t pid, void *p), void *p)
{
    if (n == 0)
        return 0;
    if (n == 1)
        return holders[0];
    /* Descendants of another holder inherited the descriptor (fork) or share the creator's
     * descriptor table (clone with CLONE_FILES, as LeakSanitizer's tracer at exit does): the
     * socket is the ancestor's. Among the remaining holders, the previous owner stays. */
    int64_t first = 0;
    for (size_t i = 0; i < n; i++) {
        int inherited = 0;
        for (size_t j = 0; j < n && !inherited; j++)
            inherited = holders[j] != holders[i] && descends(holders[i], holders[j], parent, p);
        if (inherited)
            continue;
        if (holders[i] == prev)
            return prev;
        if (!first)
            first = holders[i];
    }
    return first ? first : holders[0];
}
