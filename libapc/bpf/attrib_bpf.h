/* SPDX-License-Identifier: MIT */
/*
 * Records shared by the eBPF attribution programs (attrib.bpf.c) and libapc (attrib/ebpf.c):
 * map values and the per-packet ring buffer event. Fixed-size types only, no padding holes
 * (both sides compile this layout; clang -target bpf and gcc agree on it).
 */
#ifndef APC_ATTRIB_BPF_H
#define APC_ATTRIB_BPF_H

#include <linux/types.h>

/* Where an owner came from (apc_owner.src). */
#define APC_OWN_CREATE 1   /* cgroup/sock_create: the creating task */
#define APC_OWN_CONNECT 2  /* connect4/6, sendmsg4/6, post_bind4/6: the task that used it */
#define APC_OWN_LISTENER 3 /* accepted socket: the owner of the listener on its local port */
#define APC_OWN_SEEDED 4   /* userspace: sock_diag cookie + /proc/<pid>/fd */

/* Map `owners`: socket cookie -> the task that owns it. */
struct apc_owner {
    __u32 pid, tid; /* tgid and thread id (host pid namespace) */
    __u64 netns;    /* network namespace cookie of the socket, 0 unknown */
    char comm[16];
    __u32 src; /* APC_OWN_* */
    __u32 pad;
};

/* Map `bound`: a TCP socket bound with bind() (a listener to be): local address and port. */
struct apc_bindkey {
    __u8 ver, pad; /* 4 or 6 */
    __u16 port;    /* host order */
    __u8 addr[16]; /* v4 in the first 4 bytes; all zero = wildcard */
};

#define APC_EV_IN 1
#define APC_EV_OUT 2

/* One event per IPv4/IPv6 TCP or UDP packet seen by cgroup_skb ingress/egress. The fields that
 * identify the packet are read from its headers, exactly as libpcap captures them. */
struct apc_pktev {
    __u64 ktime;                /* bpf_ktime_get_ns */
    __u64 cookie;               /* socket cookie */
    __u64 netns;                /* owner's netns cookie (0 unknown) */
    __u32 owner_pid, owner_tid; /* from `owners` (0 when the cookie has no owner yet) */
    __u32 cur_pid, cur_tid;     /* current task (egress only; the sender in process context) */
    __u8 src[16], dst[16];
    __u16 sport, dport; /* host order */
    __u16 ip_id;        /* IPv4 identification, host order; 0 for IPv6 */
    __u8 ver, proto;
    __u32 ip_len;        /* IPv4 total length / IPv6 payload length + 40 */
    __u32 seq, ack;      /* TCP, host order */
    __u8 tcp_flags, dir; /* APC_EV_IN / APC_EV_OUT */
    __u8 owner_src, pad;
};

/* Array `stats` (per CPU): [0] events sent, [1] events lost (ring buffer full). */
#define APC_STAT_SENT 0
#define APC_STAT_LOST 1

#endif
