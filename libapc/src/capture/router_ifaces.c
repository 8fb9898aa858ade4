/* SPDX-License-Identifier: MIT */
/*
 * The trigger router's adapters (router_int.h): the shared source opens every adapter that is
 * up when it starts, and those that come up later (a veth made for a container after the
 * trigger was added). Two ways in, both on the writer thread, which owns the sources:
 *   - a netlink route socket (RTMGRP_LINK, rtnetlink(7)) says that a link changed; the writer
 *     reads it (non-blocking) at each pass, at the latest every 50 ms when idle, and rescans
 *     at once: a new adapter is captured within about that, plus the time to open it;
 *   - a rescan every 2 s whatever netlink says (the socket could not be had, or its buffer
 *     overflowed and messages were lost: ENOBUFS is taken as a change too).
 * A rescan lists the adapters as at start (apc__live_adapters: up, with a kernel index) and
 * opens the ones not open yet. Adapters that go away keep their (silent) source until the
 * router stops: a source index is an interface of every route's capture and stays valid.
 */
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "capture/router_int.h"
#include "core/ctx.h"
#include "core/error.h"
#include "util/clock.h"

int apc__router_nl_open(void)
{
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
    if (fd < 0)
        return -1;
    struct sockaddr_nl sa = {.nl_family = AF_NETLINK, .nl_groups = RTMGRP_LINK};
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* 1 when netlink told of a link change since the last call (the messages are drained; their
 * content does not matter: the rescan looks at every adapter). */
static int link_changed(int fd)
{
    if (fd < 0)
        return 0;
    char buf[8192];
    int changed = 0;
    for (;;) {
        ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n > 0)
            changed = 1;
        else if (n < 0 && errno == ENOBUFS)
            changed = 1; /* messages lost: rescan anyway */
        else if (n < 0 && errno == EINTR)
            continue;
        else
            return changed;
    }
}

void apc__router_compile(struct apc__router *rt, route_t *r, size_t i)
{
    if (!r->filter || i >= MAX_SRC || r->prog[i].bf_insns)
        return;
    pcap_t *p = pcap_open_dead(apc__livesrc_linktype(rt->src[i]), apc__livesrc_snaplen(rt->src[i]));
    if (!p || pcap_compile(p, &r->prog[i], r->filter, 1, PCAP_NETMASK_UNKNOWN) != 0) {
        apc__log(rt->ctx, APC_LOG_WARN,
                 "triggered capture %lld: filter '%s' on %s: %s; its packets there are not "
                 "taken",
                 (long long)r->id, r->filter, apc__livesrc_device(rt->src[i]),
                 p ? pcap_geterr(p) : "out of memory");
        memset(&r->prog[i], 0, sizeof r->prog[i]);
    }
    if (p)
        pcap_close(p);
}

void apc__router_route_iface(struct apc__router *rt, route_t *r, size_t i)
{
    if (apc__capw_add_iface(r->w, (uint32_t)apc__livesrc_linktype(rt->src[i]),
                            (uint32_t)apc__livesrc_snaplen(rt->src[i]),
                            apc__livesrc_device(rt->src[i]), "", 1000000000ULL) < 0)
        r->failed = 1;
    apc__router_compile(rt, r, i);
}

static int is_open(const struct apc__router *rt, const char *name)
{
    for (size_t i = 0; i < rt->nsrc; i++)
        if (strcmp(apc__livesrc_device(rt->src[i]), name) == 0)
            return 1;
    return 0;
}

/* Opens adapter `name` as source rt->nsrc and publishes it; 0, or -1 (logged). */
static int open_one(struct apc__router *rt, const char *name)
{
    size_t n = rt->nsrc;
    const char *names[1] = {name};
    int rc = apc__live_open_sources(rt->ctx, names, 1, NULL, &rt->bell, rt->src, rt->loopback, &n);
    if (rc == 0 && n == rt->nsrc + 1)
        rc = apc__livesrc_start(rt->src[rt->nsrc]);
    if (rc < 0) {
        apc__log(rt->ctx, APC_LOG_INFO, "trigger router: adapter %s: %s", name,
                 apc_last_error_message());
        if (n == rt->nsrc + 1)
            apc__livesrc_close(rt->src[rt->nsrc]);
        return -1;
    }
    pthread_mutex_lock(&rt->lock);
    int closing = rt->closing;
    if (!closing)
        rt->nsrc = n;
    pthread_mutex_unlock(&rt->lock);
    if (closing) { /* apc__router_stop stops only the sources it saw */
        apc__livesrc_stop(rt->src[n - 1]);
        apc__livesrc_close(rt->src[n - 1]);
        return -1;
    }
    apc__log(rt->ctx, APC_LOG_INFO, "trigger router: adapter %s came up: captured", name);
    return 0;
}

void apc__router_adapters(struct apc__router *rt, int force)
{
    int64_t now = apc__mono_ns();
    if (!link_changed(rt->nl_fd) && !force && now < rt->rescan_mono)
        return;
    rt->rescan_mono = now + APC__RESCAN_NS;
    char **names = NULL;
    size_t nn = 0;
    if (apc__live_adapters(&names, &nn) < 0)
        return;
    for (size_t k = 0; k < nn; k++) {
        if (rt->nsrc < MAX_SRC && !is_open(rt, names[k]) && open_one(rt, names[k]) == 0)
            for (size_t i = 0; i < rt->nact; i++) /* the installed routes get it now */
                if (rt->act[i]->w)
                    apc__router_route_iface(rt, rt->act[i], rt->nsrc - 1);
        free(names[k]);
    }
    free(names);
}
