/* SPDX-License-Identifier: MIT */
/*
 * Monitor mode through nl80211 (the kernel's 802.11 configuration API, include/uapi/linux/
 * nl80211.h): NL80211_CMD_SET_INTERFACE with NL80211_ATTR_IFINDEX and NL80211_ATTR_IFTYPE,
 * the message `iw dev X set type monitor` sends. libnl-genl resolves the generic-netlink
 * family and waits for the kernel's acknowledgement, so its error is the kernel's own.
 */
#include <errno.h>
#include <linux/nl80211.h>
#include <net/if.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/error.h"
#include "source/monitor.h"

/* Sets or clears IFF_UP; the flags it had in *was (may be NULL). -errno on failure. */
static int set_up(int sock, const char *ifname, int up, short *was)
{
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    strncpy(ifr.ifr_name, ifname, IFNAMSIZ - 1);
    if (ioctl(sock, SIOCGIFFLAGS, &ifr) < 0)
        return -errno;
    if (was)
        *was = ifr.ifr_flags;
    if (!!(ifr.ifr_flags & IFF_UP) == !!up)
        return 0;
    ifr.ifr_flags = (short)(up ? ifr.ifr_flags | IFF_UP : ifr.ifr_flags & ~IFF_UP);
    return ioctl(sock, SIOCSIFFLAGS, &ifr) < 0 ? -errno : 0;
}

/* libnl's codes for what the kernel answered, as ours. */
static int from_nl(int nlerr)
{
    switch (-nlerr) {
    case NLE_PERM:
        return APC_EPERM;
    case NLE_BUSY:
        return APC_EBUSY;
    case NLE_NODEV:
    case NLE_OBJ_NOTFOUND:
        return APC_ENOTFOUND;
    case NLE_NOMEM:
        return APC_ENOMEM;
    default:
        return APC_ENOTSUP;
    }
}

/* One NL80211_CMD_SET_INTERFACE, acknowledged. 0, or a libnl error (negative NLE_*). */
static int set_type(struct nl_sock *sk, int family, unsigned idx, uint32_t type)
{
    struct nl_msg *m = nlmsg_alloc();
    if (!m)
        return -NLE_NOMEM;
    if (!genlmsg_put(m, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0, 0, NL80211_CMD_SET_INTERFACE, 0) ||
        nla_put_u32(m, NL80211_ATTR_IFINDEX, idx) < 0 ||
        nla_put_u32(m, NL80211_ATTR_IFTYPE, type) < 0) {
        nlmsg_free(m);
        return -NLE_NOMEM;
    }
    return nl_send_sync(sk, m); /* sends, waits for the ACK or error, frees m */
}

int apc__monitor_switch(const char *ifname, int on)
{
    const char *what = on ? "monitor mode on" : "managed mode on";
    unsigned idx = if_nametoindex(ifname);
    if (!idx)
        return apc__err(APC_ENOTFOUND, "%s '%s': no such interface", what, ifname);
    struct nl_sock *sk = nl_socket_alloc();
    if (!sk)
        return apc__err(APC_ENOMEM, "%s '%s': out of memory", what, ifname);
    int r = genl_connect(sk);
    int family = r < 0 ? r : genl_ctrl_resolve(sk, NL80211_GENL_NAME);
    if (family < 0) {
        /* Before anything was changed: a kernel without cfg80211 has no nl80211 family. */
        nl_socket_free(sk);
        return apc__err(APC_ENOTSUP, "%s '%s': the kernel offers no nl80211 (%s)", what, ifname,
                        nl_geterror(family));
    }
    int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    short flags = 0;
    int down = sock < 0 ? -errno : set_up(sock, ifname, 0, &flags);
    if (down < 0) {
        if (sock >= 0)
            close(sock);
        nl_socket_free(sk);
        return apc__err_errno(-down, "%s '%s': cannot take the interface down", what, ifname);
    }
    r = set_type(sk, family, idx, on ? NL80211_IFTYPE_MONITOR : NL80211_IFTYPE_STATION);
    int up = (flags & IFF_UP) ? set_up(sock, ifname, 1, NULL) : 0;
    close(sock);
    nl_socket_free(sk);
    if (r < 0)
        return apc__err(from_nl(r), "%s '%s': the kernel refused: %s", what, ifname,
                        nl_geterror(r));
    if (up < 0)
        return apc__err_errno(-up, "%s '%s': switched, but cannot bring the interface up", what,
                              ifname);
    return 0;
}
