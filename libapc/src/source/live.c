/* SPDX-License-Identifier: MIT */
/* Live capture source over libpcap (see live.h). */
#include "source/live.h"

#include <errno.h>
#include <linux/filter.h>
#include <net/if.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <apc/common.h>

#include "core/error.h"
#include "util/clock.h"

struct apc__livesrc {
    pcap_t *p;
    char device[256];
    uint32_t iface;
    int linktype, snaplen, nano;
    apc__lq_t *q;
    apc__bell_t *bell;
    pthread_t thread;
    int started;
    atomic_int stop;
    _Atomic uint64_t recv, kdrop;
    int64_t last_stats_ns;
};

int apc__livesrc_open(apc__livesrc_t **out, const apc__livesrc_cfg_t *cfg)
{
    *out = NULL;
    char eb[PCAP_ERRBUF_SIZE] = "";
    apc__livesrc_t *s = calloc(1, sizeof *s);
    if (!s)
        return apc__err(APC_ENOMEM, "out of memory");
    snprintf(s->device, sizeof s->device, "%s", cfg->device);
    s->iface = cfg->iface;
    s->bell = cfg->bell;
    int rc = 0;
    s->p = pcap_create(cfg->device, eb);
    if (!s->p) {
        rc = apc__err(APC_EIO, "adapter '%s': %s", cfg->device, eb);
        goto fail;
    }
    pcap_set_snaplen(s->p, cfg->snaplen > 0 ? cfg->snaplen : 262144);
    pcap_set_promisc(s->p, 0);
    /* The ring returns a block at this timeout even when it is not full: packets reach the
     * store (and capture_stream) well within a second. */
    pcap_set_timeout(s->p, 100);
    pcap_set_buffer_size(s->p, (int)(cfg->ring_bytes ? cfg->ring_bytes : (32u << 20)));
    /* Nanosecond stamps when the kernel has them (it does on Linux). */
    s->nano = pcap_set_tstamp_precision(s->p, PCAP_TSTAMP_PRECISION_NANO) == 0;
    int a = pcap_activate(s->p);
    if (a < 0) {
        int code = a == PCAP_ERROR_PERM_DENIED      ? APC_EPERM
                   : a == PCAP_ERROR_NO_SUCH_DEVICE ? APC_ENOTFOUND
                                                    : APC_EIO;
        rc = apc__err(code, "adapter '%s': %s%s%s", cfg->device, pcap_statustostr(a),
                      *pcap_geterr(s->p) ? ": " : "", pcap_geterr(s->p));
        goto fail;
    }
    if (cfg->filter && *cfg->filter) {
        struct bpf_program prog;
        if (pcap_compile(s->p, &prog, cfg->filter, 1, PCAP_NETMASK_UNKNOWN) != 0) {
            rc = apc__err(APC_EINVAL, "capture filter '%s': %s", cfg->filter, pcap_geterr(s->p));
            goto fail;
        }
        int f = pcap_setfilter(s->p, &prog);
        pcap_freecode(&prog);
        if (f != 0) {
            rc = apc__err(APC_EIO, "adapter '%s': setting the filter: %s", cfg->device,
                          pcap_geterr(s->p));
            goto fail;
        }
    }
    if (pcap_setnonblock(s->p, 1, eb) != 0) {
        rc = apc__err(APC_EIO, "adapter '%s': %s", cfg->device, eb);
        goto fail;
    }
    s->linktype = pcap_datalink(s->p);
    s->snaplen = pcap_snapshot(s->p);
    rc = apc__lq_new(&s->q, cfg->queue_bytes ? cfg->queue_bytes : (64u << 20));
    if (rc < 0)
        goto fail;
    *out = s;
    return 0;
fail:
    if (s->p)
        pcap_close(s->p);
    free(s);
    return rc;
}

static void on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
    apc__livesrc_t *s = (apc__livesrc_t *)user;
    int64_t frac = s->nano ? (int64_t)h->ts.tv_usec : (int64_t)h->ts.tv_usec * 1000;
    apc__lqhdr_t q = {
        .ts_ns = (int64_t)h->ts.tv_sec * 1000000000LL + frac,
        .iface = s->iface,
        .caplen = h->caplen,
        .wirelen = h->len,
    };
    apc__lq_push(s->q, &q, bytes); /* a full queue counts the drop */
}

static void read_stats(apc__livesrc_t *s)
{
    struct pcap_stat st;
    if (pcap_stats(s->p, &st) == 0) {
        /* libpcap on Linux accumulates the kernel's resetting counters itself. */
        atomic_store(&s->recv, st.ps_recv);
        atomic_store(&s->kdrop, st.ps_drop);
    }
    s->last_stats_ns = apc__mono_ns();
}

/* Reads whatever the ring holds now, then wakes the writer if it queued any; returns the
 * packets read or < 0. */
static int drain(apc__livesrc_t *s)
{
    int total = 0, n = 0;
    for (int i = 0; i < 100000; i++) {
        n = pcap_dispatch(s->p, -1, on_packet, (u_char *)s);
        if (n <= 0)
            break;
        total += n;
    }
    if (total > 0 && s->bell)
        apc__bell_ring(s->bell);
    return n < 0 ? n : total;
}

static void *run(void *arg)
{
    apc__livesrc_t *s = arg;
    struct pollfd pfd = {.fd = pcap_get_selectable_fd(s->p), .events = POLLIN};
    while (!atomic_load(&s->stop)) {
        int pr = poll(&pfd, 1, 100);
        if (pr < 0 && errno != EINTR)
            break;
        if (drain(s) < 0)
            break; /* the interface went away: the session sees no more packets */
        if (apc__mono_ns() - s->last_stats_ns > 250000000LL)
            read_stats(s);
    }
    /* No new packet enters the socket from here on (a filter that accepts nothing, attached
     * under libpcap so its ring bookkeeping is untouched); what is already in the ring is
     * read; the counters then match exactly what was delivered. */
    struct sock_filter none = BPF_STMT(BPF_RET | BPF_K, 0);
    struct sock_fprog fp = {.len = 1, .filter = &none};
    setsockopt(pfd.fd, SOL_SOCKET, SO_ATTACH_FILTER, &fp, sizeof fp);
    for (int i = 0; i < 5; i++) {
        poll(&pfd, 1, i ? 20 : 0);
        if (drain(s) <= 0 && i)
            break;
    }
    read_stats(s);
    return NULL;
}

int apc__livesrc_start(apc__livesrc_t *s)
{
    read_stats(s);
    int e = pthread_create(&s->thread, NULL, run, s);
    if (e)
        return apc__err_errno(e, "starting the capture thread of '%s'", s->device);
    s->started = 1;
    return 0;
}

void apc__livesrc_stop(apc__livesrc_t *s)
{
    if (!s || !s->started)
        return;
    atomic_store(&s->stop, 1);
    pthread_join(s->thread, NULL);
    s->started = 0;
}

void apc__livesrc_close(apc__livesrc_t *s)
{
    if (!s)
        return;
    apc__livesrc_stop(s);
    pcap_close(s->p);
    apc__lq_free(s->q);
    free(s);
}

int apc__livesrc_linktype(const apc__livesrc_t *s)
{
    /* pcap_datalink answers DLT_*; these two differ from their LINKTYPE_* numbers. */
    if (s->linktype == DLT_RAW || s->linktype == 14)
        return 101;
    return s->linktype;
}

int apc__livesrc_snaplen(const apc__livesrc_t *s)
{
    return s->snaplen;
}

int apc__livesrc_loopback(const apc__livesrc_t *s)
{
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    size_t n = strlen(s->device);
    if (n >= sizeof ifr.ifr_name)
        return 0;
    memcpy(ifr.ifr_name, s->device, n);
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    int r = fd >= 0 && ioctl(fd, SIOCGIFFLAGS, &ifr) == 0 && (ifr.ifr_flags & IFF_LOOPBACK);
    if (fd >= 0)
        close(fd);
    return r;
}

const char *apc__livesrc_device(const apc__livesrc_t *s)
{
    return s->device;
}

apc__lq_t *apc__livesrc_queue(apc__livesrc_t *s)
{
    return s->q;
}

void apc__livesrc_stats(const apc__livesrc_t *s, uint64_t *recv, uint64_t *kdrop)
{
    *recv = atomic_load(&((apc__livesrc_t *)s)->recv);
    *kdrop = atomic_load(&((apc__livesrc_t *)s)->kdrop);
}
