/* SPDX-License-Identifier: MIT */
/*
 * Sockets of the current network namespace from NETLINK_SOCK_DIAG (linux/inet_diag.h, TCP and
 * UDP over IPv4 and IPv6: tuple, inode, uid) and socket inodes of processes from
 * /proc/<pid>/fd (links "socket:[inode]").
 */
#ifndef APC_ATTRIB_SOCKDIAG_H
#define APC_ATTRIB_SOCKDIAG_H

#include <stddef.h>
#include <stdint.h>

typedef struct apc__diagsock {
    uint8_t proto, ver; /* 6/17, 4/6 */
    uint8_t state;      /* TCP_* of linux/tcp.h; UDP: 7 (close) unconnected, 1 connected */
    uint16_t sport, dport;
    uint8_t src[16], dst[16];
    uint32_t inode, uid;
    uint64_t cookie;
} apc__diagsock_t;

typedef void (*apc__diag_cb)(const apc__diagsock_t *s, void *payload);

/* Parses one recv()ed buffer of a dump: returns 1 when NLMSG_DONE was seen, 0 when more
 * follows, APC_EFORMAT (truncated message) or the -errno of an NLMSG_ERROR. */
int apc__sockdiag_parse(const uint8_t *buf, size_t len, int proto, apc__diag_cb cb, void *payload);

/* Dumps every TCP and UDP socket (v4, v6) of the namespace. Returns 0 or < 0. */
int apc__sockdiag_dump(apc__diag_cb cb, void *payload);

/* Calls cb(pid, inode) for every socket descriptor of every process (or of one pid > 0). */
int apc__fdscan(int64_t pid, void (*cb)(int64_t pid, uint32_t inode, void *p), void *payload);
/* Which of the n processes holding one socket (from an fd scan) owns it: not one that
 * descends from another holder (a fork child or a clone(CLONE_FILES) task holds its parent's
 * descriptors); among the rest prev (the owner found before) if it is there, else the first.
 * parent(pid, p) gives a pid's parent (apc__pid_parent, or a cache over it), 0 if unknown. */
int64_t apc__fd_owner(const int64_t *holders, size_t n, int64_t prev,
                      int64_t (*parent)(int64_t pid, void *p), void *p);
/* Parent of pid from /proc/<pid>/stat (proc(5) field 4), 0 when it cannot be read. */
int64_t apc__pid_parent(int64_t pid, void *unused);
/* "socket:[12345]" -> 12345; 0 when the link is not a socket. */
uint32_t apc__fd_socket_inode(const char *link, size_t len);

#endif
