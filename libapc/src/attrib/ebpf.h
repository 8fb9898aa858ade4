/* SPDX-License-Identifier: MIT */
/*
 * The eBPF programs of libapc/bpf/attrib.bpf.c: loading (embedded skeleton, libbpf), attaching
 * to the cgroup v2 root, and reading their ring buffer. See attrib_ebpf.c for how the events
 * attribute packets.
 */
#ifndef APC_ATTRIB_EBPF_H
#define APC_ATTRIB_EBPF_H

#include <stddef.h>
#include <stdint.h>

#include "../../bpf/attrib_bpf.h"

typedef struct apc__ebpf apc__ebpf_t;
typedef void (*apc__ebpf_cb)(const struct apc_pktev *ev, void *payload);

/* The cgroup v2 mount point from /proc/mounts (the first "cgroup2" line). 0 or APC_ENOTFOUND. */
int apc__cgroup2_root(char *buf, size_t n);
/* Parses /proc/mounts text (exposed for tests). */
int apc__cgroup2_root_parse(const char *mounts, char *buf, size_t n);

/* Loads and attaches every program. On failure returns < 0 and writes why into `why` (shown as
 * the AttributionReason of the fallback). cb gets every event, from apc__ebpf_consume. */
int apc__ebpf_open(apc__ebpf_cb cb, void *payload, apc__ebpf_t **out, char *why, size_t n);
void apc__ebpf_close(apc__ebpf_t *e);
/* A descriptor that polls readable when events wait. */
int apc__ebpf_fd(apc__ebpf_t *e);
/* Hands every waiting event to cb. Never concurrently with itself. Returns the count or < 0. */
int apc__ebpf_consume(apc__ebpf_t *e);
/* Tells the programs who owns a socket they have not seen created (sockets older than us). An
 * owner they already know is kept. */
void apc__ebpf_seed(apc__ebpf_t *e, uint64_t cookie, uint32_t pid, uint64_t netns);
/* Tells the programs about a TCP listener they did not see bound (older than us): the sockets
 * it accepts are then given to pid at their first packet. addr: 4 or 16 bytes by ver, all
 * zero = wildcard; port in host order. A listener they know already is kept. */
void apc__ebpf_seed_listener(apc__ebpf_t *e, int ver, const uint8_t *addr, uint16_t port,
                             uint32_t pid, uint64_t netns);
/* Events sent and lost (ring buffer full) by the programs, all CPUs. */
void apc__ebpf_stats(apc__ebpf_t *e, uint64_t *sent, uint64_t *lost);
const char *apc__ebpf_cgroup(const apc__ebpf_t *e);

#endif
