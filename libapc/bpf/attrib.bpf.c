/* SPDX-License-Identifier: MIT */
/*
 * eBPF attribution programs (DESIGN.md section 6), attached to the cgroup v2 root so they see
 * every process of the host whatever its network namespace:
 *  - cgroup/sock_create, connect4/6, sendmsg4/6, post_bind4/6 record socket cookie -> task;
 *  - cgroup_skb/egress and ingress emit one event per TCP/UDP packet to the ring buffer: the
 *    headers that identify it (matched by userspace against what libpcap captured), the
 *    socket's owner and, on egress, the current task (the sender when the send runs in its
 *    context; userspace checks that).
 * Every program lets the packet/socket operation through (returns 1): we only observe.
 * Header layouts: RFC 791 (IPv4), RFC 8200 (IPv6), RFC 9293 (TCP), RFC 768 (UDP).
 */
#include <linux/bpf.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/socket.h>
#include <linux/tcp.h>
#include <linux/udp.h>

#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "attrib_bpf.h"

#ifndef AF_INET
#define AF_INET 2
#define AF_INET6 10
#endif
#define SOCK_STREAM_ 1
#define SOCK_DGRAM_ 2
#define TCP_CLOSE_ 7

char LICENSE[] SEC("license") = "Dual MIT/GPL";

struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, 262144);
    __type(key, __u64);
    __type(value, struct apc_owner);
} owners SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, 16384);
    __type(key, struct apc_bindkey);
    __type(value, struct apc_owner);
} bound SEC(".maps");

#define EVENTS_BYTES (16 << 20)
struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, EVENTS_BYTES);
} events SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 2);
    __type(key, __u32);
    __type(value, __u64);
} stats SEC(".maps");

static __always_inline void count(__u32 what)
{
    __u64 *v = bpf_map_lookup_elem(&stats, &what);
    if (v)
        *v += 1;
}

static __always_inline void fill_owner(struct apc_owner *o, __u64 netns, __u32 src)
{
    __u64 id = bpf_get_current_pid_tgid();
    o->pid = id >> 32;
    o->tid = (__u32)id;
    o->netns = netns;
    o->src = src;
    o->pad = 0;
    bpf_get_current_comm(o->comm, sizeof o->comm);
}

/* Records the current task as the owner unless it already is (no map write per datagram). */
static __always_inline void own(__u64 cookie, __u64 netns, __u32 src)
{
    __u64 id = bpf_get_current_pid_tgid();
    struct apc_owner *cur = bpf_map_lookup_elem(&owners, &cookie);
    if (cur && cur->pid == id >> 32 && cur->tid == (__u32)id)
        return;
    struct apc_owner o = {};
    fill_owner(&o, netns, src);
    bpf_map_update_elem(&owners, &cookie, &o, BPF_ANY);
}

static __always_inline int inet_l4(__u32 family, __u32 type, __u32 protocol)
{
    if (family != AF_INET && family != AF_INET6)
        return 0;
    return (type == SOCK_STREAM_ && (protocol == IPPROTO_TCP || protocol == 0)) ||
           (type == SOCK_DGRAM_ && (protocol == IPPROTO_UDP || protocol == 0));
}

SEC("cgroup/sock_create")
int apc_sock_create(struct bpf_sock *sk)
{
    if (inet_l4(sk->family, sk->type, sk->protocol))
        own(bpf_get_socket_cookie(sk), bpf_get_netns_cookie(sk), APC_OWN_CREATE);
    return 1;
}

static __always_inline int on_addr(struct bpf_sock_addr *ctx)
{
    own(bpf_get_socket_cookie(ctx), bpf_get_netns_cookie(ctx), APC_OWN_CONNECT);
    return 1;
}

SEC("cgroup/connect4")
int apc_connect4(struct bpf_sock_addr *ctx)
{
    return on_addr(ctx);
}

SEC("cgroup/connect6")
int apc_connect6(struct bpf_sock_addr *ctx)
{
    return on_addr(ctx);
}

SEC("cgroup/sendmsg4")
int apc_sendmsg4(struct bpf_sock_addr *ctx)
{
    return on_addr(ctx);
}

SEC("cgroup/sendmsg6")
int apc_sendmsg6(struct bpf_sock_addr *ctx)
{
    return on_addr(ctx);
}

/* bind(): owner, and for TCP a listener-to-be by local address and port, so the sockets it
 * accepts (which never pass sock_create) can be given to it. connect() also runs post_bind for
 * the ephemeral port, with the socket already in SYN_SENT: only state CLOSE is a bind(). */
static __always_inline int on_bind(struct bpf_sock *sk, int ver)
{
    __u64 netns = bpf_get_netns_cookie(sk);
    own(bpf_get_socket_cookie(sk), netns, APC_OWN_CONNECT);
    if (sk->type != SOCK_STREAM_ || sk->state != TCP_CLOSE_)
        return 1;
    struct apc_bindkey k = {};
    k.ver = ver;
    k.port = (__u16)sk->src_port;
    if (ver == 4) {
        __u32 a = sk->src_ip4;
        __builtin_memcpy(k.addr, &a, 4);
    } else {
        __u32 a0 = sk->src_ip6[0], a1 = sk->src_ip6[1], a2 = sk->src_ip6[2], a3 = sk->src_ip6[3];
        __builtin_memcpy(k.addr, &a0, 4);
        __builtin_memcpy(k.addr + 4, &a1, 4);
        __builtin_memcpy(k.addr + 8, &a2, 4);
        __builtin_memcpy(k.addr + 12, &a3, 4);
    }
    struct apc_owner o = {};
    fill_owner(&o, netns, APC_OWN_LISTENER);
    bpf_map_update_elem(&bound, &k, &o, BPF_ANY);
    return 1;
}

SEC("cgroup/post_bind4")
int apc_post_bind4(struct bpf_sock *sk)
{
    return on_bind(sk, 4);
}

SEC("cgroup/post_bind6")
int apc_post_bind6(struct bpf_sock *sk)
{
    return on_bind(sk, 6);
}

/* The owner of an accepted socket: the listener bound to its local address (or the wildcard)
 * and port; learnt once and kept in `owners`. */
static __always_inline struct apc_owner *listener_of(__u64 cookie, struct apc_pktev *e)
{
    struct apc_bindkey k = {};
    k.ver = e->ver;
    if (e->dir == APC_EV_IN) {
        k.port = e->dport;
        __builtin_memcpy(k.addr, e->dst, 16);
    } else {
        k.port = e->sport;
        __builtin_memcpy(k.addr, e->src, 16);
    }
    struct apc_owner *o = bpf_map_lookup_elem(&bound, &k);
    if (!o) {
        __builtin_memset(k.addr, 0, 16);
        o = bpf_map_lookup_elem(&bound, &k);
    }
    if (!o && k.ver == 4) { /* a dual-stack listener bound to :: */
        k.ver = 6;
        o = bpf_map_lookup_elem(&bound, &k);
    }
    if (!o)
        return NULL;
    struct apc_owner learnt = *o;
    bpf_map_update_elem(&owners, &cookie, &learnt, BPF_NOEXIST);
    return bpf_map_lookup_elem(&owners, &cookie);
}

static __always_inline int parse(struct __sk_buff *skb, struct apc_pktev *e)
{
    __u32 l4;
    if (skb->protocol == bpf_htons(0x0800)) {
        struct iphdr ip;
        if (bpf_skb_load_bytes(skb, 0, &ip, sizeof ip) < 0 || ip.version != 4)
            return 0;
        if (ip.frag_off & bpf_htons(0x3fff)) /* fragments: no transport header to match */
            return 0;
        e->ver = 4;
        e->proto = ip.protocol;
        e->ip_id = bpf_ntohs(ip.id);
        e->ip_len = bpf_ntohs(ip.tot_len);
        __builtin_memcpy(e->src, &ip.saddr, 4);
        __builtin_memcpy(e->dst, &ip.daddr, 4);
        l4 = ip.ihl * 4;
        if (l4 < 20)
            return 0;
    } else if (skb->protocol == bpf_htons(0x86dd)) {
        struct ipv6hdr ip6;
        if (bpf_skb_load_bytes(skb, 0, &ip6, sizeof ip6) < 0)
            return 0;
        e->ver = 6;
        e->proto = ip6.nexthdr; /* extension headers are not followed */
        e->ip_len = (__u32)bpf_ntohs(ip6.payload_len) + 40;
        __builtin_memcpy(e->src, &ip6.saddr, 16);
        __builtin_memcpy(e->dst, &ip6.daddr, 16);
        l4 = 40;
    } else {
        return 0;
    }
    if (e->proto == IPPROTO_TCP) {
        struct tcphdr th;
        if (bpf_skb_load_bytes(skb, l4, &th, sizeof th) < 0)
            return 0;
        e->sport = bpf_ntohs(th.source);
        e->dport = bpf_ntohs(th.dest);
        e->seq = bpf_ntohl(th.seq);
        e->ack = bpf_ntohl(th.ack_seq);
        e->tcp_flags = ((__u8 *)&th)[13];
        return 1;
    }
    if (e->proto == IPPROTO_UDP) {
        struct udphdr uh;
        if (bpf_skb_load_bytes(skb, l4, &uh, sizeof uh) < 0)
            return 0;
        e->sport = bpf_ntohs(uh.source);
        e->dport = bpf_ntohs(uh.dest);
        return 1;
    }
    return 0;
}

static __always_inline int on_skb(struct __sk_buff *skb, __u8 dir)
{
    __u64 cookie = bpf_get_socket_cookie(skb);
    if (!cookie)
        return 1;
    struct apc_pktev *e = bpf_ringbuf_reserve(&events, sizeof *e, 0);
    if (!e) {
        count(APC_STAT_LOST);
        return 1;
    }
    __builtin_memset(e, 0, sizeof *e);
    e->dir = dir;
    if (!parse(skb, e)) {
        bpf_ringbuf_discard(e, 0);
        return 1;
    }
    e->ktime = bpf_ktime_get_ns();
    e->cookie = cookie;
    struct apc_owner *o = bpf_map_lookup_elem(&owners, &cookie);
    if (!o && e->proto == IPPROTO_TCP)
        o = listener_of(cookie, e);
    if (o) {
        e->owner_pid = o->pid;
        e->owner_tid = o->tid;
        e->netns = o->netns;
        e->owner_src = (__u8)o->src;
    }
    if (dir == APC_EV_OUT) {
        __u64 id = bpf_get_current_pid_tgid();
        e->cur_pid = id >> 32;
        e->cur_tid = (__u32)id;
    }
    /* The consumer is woken only once the ring is a quarter full: it drains it every 10 ms
     * anyway, and the matcher drains it when a packet finds no event (attrib_ebpf.c). The
     * default wakes it for nearly every event when it keeps up, and each wakeup cost the CPU
     * sending the packet more than the event itself (issue 15, docs/benchmarks.md). */
    __u64 queued = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
    bpf_ringbuf_submit(e, queued > EVENTS_BYTES / 4 ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP);
    count(APC_STAT_SENT);
    return 1;
}

SEC("cgroup_skb/egress")
int apc_egress(struct __sk_buff *skb)
{
    return on_skb(skb, APC_EV_OUT);
}

SEC("cgroup_skb/ingress")
int apc_ingress(struct __sk_buff *skb)
{
    return on_skb(skb, APC_EV_IN);
}
