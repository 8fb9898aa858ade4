/* SPDX-License-Identifier: MIT */
/*
 * Network adapters: libpcap's list of devices (pcap_findalldevs) completed with what the
 * kernel says about each (SIOCGIF* ioctls, /sys/class/net). Monitor mode needs a wireless
 * adapter with a mac80211 phy; the switch itself is source/monitor.c (nl80211).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <apc/live.h>

#include "core/error.h"
#include "source/monitor.h"

/* Pseudo devices of libpcap (any, nflog, dbus...) have no kernel index: ids from here. */
#define PSEUDO_TAP_BASE 100000

static int sys_exists(const char *name, const char *leaf)
{
    char p[512];
    struct stat st;
    snprintf(p, sizeof p, "/sys/class/net/%s/%s", name, leaf);
    return stat(p, &st) == 0;
}

static long sys_long(const char *name, const char *leaf, long def)
{
    char p[512];
    snprintf(p, sizeof p, "/sys/class/net/%s/%s", name, leaf);
    FILE *f = fopen(p, "r");
    if (!f)
        return def;
    long v = def;
    if (fscanf(f, "%ld", &v) != 1)
        v = def;
    fclose(f);
    return v;
}

/* ARPHRD_* (linux/if_arp.h) to LINKTYPE_* (tcpdump.org link-layer header types). */
static uint32_t linktype_of(long arphrd)
{
    switch (arphrd) {
    case ARPHRD_ETHER:
    case ARPHRD_LOOPBACK: /* Linux loopback frames carry a zeroed Ethernet header */
        return 1;
    case ARPHRD_NONE:
    case ARPHRD_TUNNEL:
    case ARPHRD_TUNNEL6:
        return 101; /* LINKTYPE_RAW */
    case ARPHRD_IEEE80211_RADIOTAP:
        return 127;
    case ARPHRD_IEEE80211:
        return 105;
    case -1:
        return 113; /* pseudo devices ("any"): Linux cooked capture */
    default:
        return 1;
    }
}

static void addr_text(const struct sockaddr *sa, const struct sockaddr *mask, char *out, size_t n)
{
    char a[INET6_ADDRSTRLEN] = "";
    int bits = 0;
    if (sa->sa_family == AF_INET) {
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, a, sizeof a);
        if (mask && mask->sa_family == AF_INET)
            bits = __builtin_popcount(((const struct sockaddr_in *)mask)->sin_addr.s_addr);
    } else {
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, a, sizeof a);
        if (mask && mask->sa_family == AF_INET6)
            for (int i = 0; i < 16; i++)
                bits +=
                    __builtin_popcount(((const struct sockaddr_in6 *)mask)->sin6_addr.s6_addr[i]);
    }
    snprintf(out, n, "%s/%d", a, bits);
}

static int fill_one(apc_adapter_t *a, const pcap_if_t *d, int sock, int64_t pseudo_id)
{
    a->name = strdup(d->name);
    a->description = strdup(d->description ? d->description : "");
    if (!a->name || !a->description)
        return APC_ENOMEM;
    unsigned idx = if_nametoindex(d->name);
    a->tap_id = idx ? (int64_t)idx : pseudo_id;
    a->loopback = !!(d->flags & PCAP_IF_LOOPBACK);
    a->up = !!(d->flags & PCAP_IF_UP);
    a->running = !!(d->flags & PCAP_IF_RUNNING);
    a->wireless = !!(d->flags & PCAP_IF_WIRELESS) || (idx && sys_exists(d->name, "wireless")) ||
                  (idx && sys_exists(d->name, "phy80211"));
    /* rfmon is a mac80211 feature: only wireless adapters with a phy can do it. */
    a->monitor_capable = a->wireless && idx && sys_exists(d->name, "phy80211");
    long type = idx ? sys_long(d->name, "type", ARPHRD_ETHER) : -1;
    a->monitor = type == ARPHRD_IEEE80211_RADIOTAP;
    a->linktype = linktype_of(type);
    if (idx && sock >= 0) {
        struct ifreq ifr;
        memset(&ifr, 0, sizeof ifr);
        snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", d->name);
        if (ioctl(sock, SIOCGIFMTU, &ifr) == 0)
            a->mtu = (uint32_t)ifr.ifr_mtu;
        if (ioctl(sock, SIOCGIFHWADDR, &ifr) == 0 &&
            (ifr.ifr_hwaddr.sa_family == ARPHRD_ETHER ||
             ifr.ifr_hwaddr.sa_family == ARPHRD_LOOPBACK)) {
            const unsigned char *m = (const unsigned char *)ifr.ifr_hwaddr.sa_data;
            snprintf(a->mac, sizeof a->mac, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3],
                     m[4], m[5]);
        }
    }
    size_t n = 0;
    for (const pcap_addr_t *pa = d->addresses; pa; pa = pa->next)
        if (pa->addr && (pa->addr->sa_family == AF_INET || pa->addr->sa_family == AF_INET6))
            n++;
    a->addresses = calloc(n ? n : 1, sizeof *a->addresses);
    if (!a->addresses)
        return APC_ENOMEM;
    for (const pcap_addr_t *pa = d->addresses; pa; pa = pa->next) {
        if (!pa->addr || (pa->addr->sa_family != AF_INET && pa->addr->sa_family != AF_INET6))
            continue;
        char t[INET6_ADDRSTRLEN + 8];
        addr_text(pa->addr, pa->netmask, t, sizeof t);
        if (!(a->addresses[a->n_addresses] = strdup(t)))
            return APC_ENOMEM;
        a->n_addresses++;
    }
    return 0;
}

APC_API void apc_adapter_list_free(apc_adapter_list_t *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->count; i++) {
        apc_adapter_t *a = &l->items[i];
        free(a->name);
        free(a->description);
        for (size_t j = 0; j < a->n_addresses; j++)
            free(a->addresses[j]);
        free(a->addresses);
    }
    free(l->items);
    free(l);
}

APC_API int apc_adapter_list(apc_ctx_t *ctx, apc_adapter_list_t **out)
{
    (void)ctx;
    if (!out)
        return apc__err(APC_EINVAL, "NULL argument");
    *out = NULL;
    char eb[PCAP_ERRBUF_SIZE] = "";
    pcap_if_t *all = NULL;
    if (pcap_findalldevs(&all, eb) != 0)
        return apc__err(APC_EIO, "listing adapters: %s", eb);
    size_t n = 0;
    for (pcap_if_t *d = all; d; d = d->next)
        n++;
    apc_adapter_list_t *l = calloc(1, sizeof *l);
    if (l)
        l->items = calloc(n ? n : 1, sizeof *l->items);
    int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    int rc = l && l->items ? 0 : APC_ENOMEM;
    int64_t pseudo = PSEUDO_TAP_BASE;
    for (pcap_if_t *d = all; rc == 0 && d; d = d->next) {
        rc = fill_one(&l->items[l->count], d, sock, pseudo);
        l->count++;
        if (!if_nametoindex(d->name))
            pseudo++;
    }
    if (sock >= 0)
        close(sock);
    pcap_freealldevs(all);
    if (rc < 0) {
        apc_adapter_list_free(l);
        return apc__err(rc, "out of memory listing adapters");
    }
    *out = l;
    return 0;
}

static int monitor_set(apc_ctx_t *ctx, int64_t tap_id, int on)
{
    apc_adapter_list_t *l = NULL;
    int rc = apc_adapter_list(ctx, &l);
    if (rc < 0)
        return rc;
    const apc_adapter_t *a = NULL;
    for (size_t i = 0; i < l->count; i++)
        if (l->items[i].tap_id == tap_id)
            a = &l->items[i];
    if (!a)
        rc = apc__err(APC_ENOTFOUND, "no adapter with tap_id %lld", (long long)tap_id);
    else if (!a->wireless)
        rc = apc__err(APC_ENOTSUP,
                      "adapter '%s' (tap_id %lld) is not a wireless adapter: monitor mode is "
                      "not supported on it",
                      a->name, (long long)tap_id);
    else if (!a->monitor_capable)
        rc = apc__err(APC_ENOTSUP,
                      "wireless adapter '%s' (tap_id %lld) has no mac80211 phy: monitor mode is "
                      "not supported on it",
                      a->name, (long long)tap_id);
    else
        rc = apc__monitor_switch(a->name, on);
    apc_adapter_list_free(l);
    return rc;
}

APC_API int apc_monitor_start(apc_ctx_t *ctx, int64_t tap_id)
{
    return monitor_set(ctx, tap_id, 1);
}

APC_API int apc_monitor_stop(apc_ctx_t *ctx, int64_t tap_id)
{
    return monitor_set(ctx, tap_id, 0);
}
