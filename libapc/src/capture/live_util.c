/* SPDX-License-Identifier: MIT */
/*
 * Live capture helpers that need no session (split from live_session.c): settings, the
 * adapters to capture from, and the process and thread listings.
 */
#include <net/if.h>
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>

#include <apc/live.h>
#include <apc/process.h>

#include "attrib/proctable.h"
#include "capture/live.h"
#include "core/ctx.h"
#include "core/error.h"
#include "source/live.h"
#include "util/page.h"

#define MAX_SOURCES 64

long apc__live_setting(apc_ctx_t *ctx, const char *key, long def, long lo, long hi)
{
    char *v = NULL;
    long r = def;
    if (apc_settings_get(ctx, key, &v) == 0 && v && *v) {
        char *end;
        long x = strtol(v, &end, 10);
        if (*end == '\0' && x >= lo && x <= hi)
            r = x;
        else
            apc__log(ctx, APC_LOG_WARN, "setting %s='%s' is not in %ld..%ld: using %ld", key, v, lo,
                     hi, def);
    }
    apc_free(v);
    return r;
}

/* Every interface that is up and has a kernel index (libpcap's pseudo devices left out). */
int apc__live_adapters(char ***out, size_t *n)
{
    char eb[PCAP_ERRBUF_SIZE];
    pcap_if_t *all = NULL;
    if (pcap_findalldevs(&all, eb) != 0)
        return apc__err(APC_EIO, "listing adapters: %s", eb);
    size_t c = 0;
    char **v = calloc(MAX_SOURCES, sizeof *v);
    for (pcap_if_t *d = all; v && d && c < MAX_SOURCES; d = d->next)
        if ((d->flags & PCAP_IF_UP) && if_nametoindex(d->name))
            v[c++] = strdup(d->name);
    pcap_freealldevs(all);
    if (!v)
        return apc__err(APC_ENOMEM, "out of memory");
    *out = v;
    *n = c;
    return 0;
}

APC_API int apc_capture_thread_stream(apc_ctx_t *ctx, int64_t id, int64_t pid, int64_t tid,
                                      int64_t last_id, unsigned max, unsigned flags,
                                      apc_packet_page_t **out)
{
    /* Active or stored alike: apc_capture_read answers for both, and not found for neither. */
    max = apc__page_size(max);
    apc_packet_page_t *res = calloc(1, sizeof *res);
    if (res)
        res->packets = calloc(max, sizeof *res->packets);
    if (!res || !res->packets) {
        apc_packet_page_free(res);
        return apc__err(APC_ENOMEM, "out of memory");
    }
    res->capture_id = id;
    res->last_id = last_id;
    /* Bounded: at most 50 full pages of other packets are skipped per call. */
    for (int page = 0; page < 50 && res->count < max; page++) {
        apc_packet_page_t *pg = NULL;
        int rc = apc_capture_read(ctx, id, res->last_id, APC_PAGE_MAX, flags, &pg);
        if (rc < 0) {
            apc_packet_page_free(res);
            return rc;
        }
        size_t i = 0;
        for (; i < pg->count && res->count < max; i++) {
            apc_packet_t *p = &pg->packets[i];
            res->last_id = p->id;
            if (p->pid == pid && (!tid || p->tid == tid)) {
                res->packets[res->count++] = *p;
                memset(p, 0, sizeof *p); /* moved */
            }
        }
        res->more = i < pg->count || pg->more;
        int done = !pg->more || i < pg->count;
        apc_packet_page_free(pg);
        if (done)
            break;
    }
    *out = res;
    return 0;
}

APC_API int apc_process_list_running(apc_ctx_t *ctx, apc_process_page_t **out)
{
    apc__proctab_t *pt;
    int rc = apc__proctab_get(ctx, &pt);
    return rc < 0 ? rc : apc__proctab_list_running(pt, out);
}

APC_API int apc_process_list_threads(apc_ctx_t *ctx, int64_t process_id, int64_t pid, int all,
                                     apc_thread_list_t **out)
{
    apc__proctab_t *pt;
    int rc = apc__proctab_get(ctx, &pt);
    if (rc < 0)
        return rc;
    if (!pid && process_id)
        pid = apc__proctab_pid_of(pt, process_id);
    if (!pid)
        return apc__err(process_id ? APC_ENOTFOUND : APC_EINVAL,
                        process_id ? "no process with process_id %lld"
                                   : "pid or process_id is needed",
                        (long long)process_id);
    apc__proctab_process_id(pt, pid); /* threads carry our process id */
    return apc__proctab_threads(pt, pid, all, out);
}

int apc__live_open_sources(apc_ctx_t *ctx, const char *const *devices, size_t n, const char *filter,
                           apc__bell_t *bell, apc__livesrc_t **src, uint8_t *loopback, size_t *nsrc)
{
    if (n == 0)
        return apc__err(APC_ENOTFOUND, "no adapter is up to capture from");
    if (n > MAX_SOURCES)
        return apc__err(APC_ELIMIT, "%zu adapters given, at most %d", n, MAX_SOURCES);
    long ring_mb = apc__live_setting(ctx, "live.ring_mb", 32, 1, 4096);
    long queue_mb = apc__live_setting(ctx, "live.queue_mb", 64, 1, 16384);
    long snaplen = apc__live_setting(ctx, "live.snaplen", 262144, 64, 262144);
    for (size_t i = 0; i < n; i++) {
        apc__livesrc_cfg_t cfg = {
            .device = devices[i],
            .filter = filter,
            .snaplen = (int)snaplen,
            .ring_bytes = (size_t)ring_mb << 20,
            .queue_bytes = (size_t)queue_mb << 20,
            .iface = (uint32_t)*nsrc, /* appended after the sources already open */
            .bell = bell,
        };
        int rc = apc__livesrc_open(&src[*nsrc], &cfg);
        if (rc < 0)
            return rc;
        loopback[*nsrc] = (uint8_t)apc__livesrc_loopback(src[*nsrc]);
        (*nsrc)++;
    }
    return 0;
}
