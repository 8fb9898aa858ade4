/* SPDX-License-Identifier: MIT */
/*
 * Live attribution (DESIGN.md section 6): which process and thread a captured packet belongs
 * to. One backend per context, shared by its live captures and started with the first:
 * eBPF (cgroup hooks, socket cookies; exact/socket) when it loads, else the procfs backend
 * (sock_diag + /proc/<pid>/fd + the proc connector; tuple). Both feed the process table.
 */
#ifndef APC_ATTRIB_ATTRIB_H
#define APC_ATTRIB_ATTRIB_H

#include <stdint.h>

#include <apc/ctx.h>

#include "decode/decode.h"

typedef struct apc__attrib apc__attrib_t;

/* One end of a packet: the owner of the socket that sent or received it. */
typedef struct apc__attr_end {
    int attribution; /* enum apc_attribution; APC_ATTR_NONE (0) when nobody is known */
    int64_t pid, tid;
    int direction; /* enum apc_direction as seen by that socket, 0 unknown */
} apc__attr_end_t;

typedef struct apc__attr {
    int attribution; /* enum apc_attribution */
    int64_t pid, tid, process_id;
    int direction; /* enum apc_direction as seen by the owning socket, 0 unknown */
    /* The other end when it is a socket of this host too (loopback; both ends of a veth
     * pair): the receiver when the owner above is the sender, and the other way round. Not
     * stored: a process capture keeps a packet when either end is its target (docs/live.md,
     * "Loopback"). pid 0 when there is none or it is not known. */
    apc__attr_end_t peer;
} apc__attr_t;

/* apc__attrib_lookup flags. */
#define APC__ATTR_BOTH_ENDS                                                                        \
    1 /* the packet's two ends are on this host (a loopback adapter):                              \
       * wait for the second socket's event as for the first */

/* Starts the context's backend if it does not run yet (no_ebpf forces the fallback) and takes a
 * reference. */
int apc__attrib_acquire(apc_ctx_t *ctx, int no_ebpf, apc__attrib_t **out);
void apc__attrib_release(apc__attrib_t *a);
/* Stops the backend of a context whatever the references (apc_ctx_close). */
void apc__attrib_shutdown(apc_ctx_t *ctx);

/* Who owns the packet `d` (decoded) captured at ts_ns, and who is its other end on this host
 * (r->peer). Fills r (attribution none when nobody is known). flags: APC__ATTR_*.
 * Thread-safe. */
void apc__attrib_lookup(apc__attrib_t *a, const apc__pkt_t *d, int64_t ts_ns, int flags,
                        apc__attr_t *r);

/* "ebpf" / "procfs", and why that one (static strings). */
const char *apc__attrib_backend(const apc__attrib_t *a, const char **reason);

#endif
