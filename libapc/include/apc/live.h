/* SPDX-License-Identifier: MIT */
/*
 * Live capture: network adapters, monitor mode, system-wide and per-process captures with
 * process and thread attribution (docs/live.md, docs/attribution.md).
 *
 * Ownership as in capture.h: what comes back through an out-parameter belongs to the caller
 * and is freed with the matching apc_*_free (NULL-safe). Thread-safe.
 */
#ifndef APC_LIVE_H
#define APC_LIVE_H

#include "capture.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Capture flags (spec/wire.md "Constants"; ours from 0x100). */
#define APC_CAPTURE_FLAG_RESOLVE_IPS 0x1u
#define APC_CAPTURE_FLAG_THREAD_CAPTURE 0x2u
/* Process captures also store the packets of the target's descendants (ours). */
#define APC_CAPTURE_FLAG_DESCENDANTS 0x100u
/* Use the procfs/sock_diag backend even when eBPF would load (ours). */
#define APC_CAPTURE_FLAG_NO_EBPF 0x200u

typedef struct apc_adapter {
    int64_t tap_id; /* 1-based, the interface index of the kernel */
    char *name, *description;
    size_t n_addresses;
    char **addresses; /* "10.0.0.1/24", "fe80::1/64" */
    char mac[18];     /* "aa:bb:cc:dd:ee:ff", "" when none */
    int up, running, loopback, wireless, monitor_capable, monitor;
    uint32_t linktype; /* LINKTYPE_* */
    uint32_t mtu;
} apc_adapter_t;

typedef struct apc_adapter_list {
    size_t count;
    apc_adapter_t *items;
} apc_adapter_list_t;

/* Every interface libpcap sees, with what the kernel knows about it. */
APC_API int apc_adapter_list(apc_ctx_t *ctx, apc_adapter_list_t **out);
APC_API void apc_adapter_list_free(apc_adapter_list_t *l);

/* Monitor mode on a wireless (mac80211) adapter, switched through nl80211; monitor_stop puts it
 * back in managed (station) mode. An adapter that is up is taken down for the switch and brought
 * up again. APC_ENOTFOUND for an unknown tap_id; APC_ENOTSUP with a message naming the adapter
 * when it is not wireless, has no mac80211 phy, or the kernel or driver refuses (its reason is
 * in the message); APC_EPERM without CAP_NET_ADMIN; APC_EBUSY when the adapter is in use. */
APC_API int apc_monitor_start(apc_ctx_t *ctx, int64_t tap_id);
APC_API int apc_monitor_stop(apc_ctx_t *ctx, int64_t tap_id);

#define APC_LIVE_OPTIONS_VERSION 1
typedef struct apc_live_options {
    unsigned version;
    const char *filter; /* pcap-filter(7); NULL or "" = everything */
    uint32_t flags;     /* APC_CAPTURE_FLAG_* */
    const char *const *adapters;
    size_t n_adapters;  /* 0 = every interface that is up */
    int64_t pid;        /* process captures: target pid, or */
    int64_t process_id; /* our process id */
    int64_t tid;        /* with APC_CAPTURE_FLAG_THREAD_CAPTURE */
    int64_t capture_id; /* process captures: add the target to this active capture */
} apc_live_options_t;

APC_API int apc_live_options_init(apc_live_options_t *o, unsigned version);

/* Starts a system-wide capture; its id in *out_id. Needs root (CAP_NET_RAW). */
APC_API int apc_capture_start_system(apc_ctx_t *ctx, const apc_live_options_t *o, int64_t *out_id);
/* Starts a capture of one process (or adds it to o->capture_id). */
APC_API int apc_capture_start_process(apc_ctx_t *ctx, const apc_live_options_t *o, int64_t *out_id);
/* Stops an active live capture of the given type (0 = any type); waits until every packet the
 * kernel delivered is stored. APC_ENOTFOUND when no such capture is active. */
APC_API int apc_capture_stop(apc_ctx_t *ctx, int64_t id, int type);
/* Stops every active live capture. Returns how many were stopped. */
APC_API int apc_capture_stop_all(apc_ctx_t *ctx);

/* 1 when `id` is an active live capture of this context. */
APC_API int apc_capture_is_live(apc_ctx_t *ctx, int64_t id);

/* Packets of an active live capture after last_id (APC_ENOTFOUND when not active). */
APC_API int apc_capture_stream(apc_ctx_t *ctx, int64_t id, int64_t last_id, unsigned max,
                               unsigned flags, apc_packet_page_t **out);
/* Packets of pid (and of thread tid when nonzero) after last_id, of an active or a stored
 * capture; at most `max` (0 = 100). A call reads at most 50 pages of other packets: a page may
 * then hold fewer than `max` (even none) with more = 1 and last_id advanced; call again from
 * last_id. */
APC_API int apc_capture_thread_stream(apc_ctx_t *ctx, int64_t id, int64_t pid, int64_t tid,
                                      int64_t last_id, unsigned max, unsigned flags,
                                      apc_packet_page_t **out);

/* The attribution backend ("ebpf", "procfs", "none") live captures use now, and why
 * (static strings, never NULL). */
APC_API const char *apc_attribution_backend(apc_ctx_t *ctx, const char **reason);

#ifdef __cplusplus
}
#endif
#endif
