/* SPDX-License-Identifier: MIT */
/* Monitor mode of a mac80211 wireless adapter, switched through nl80211 (source/monitor.c). */
#ifndef APC_SOURCE_MONITOR_H
#define APC_SOURCE_MONITOR_H

/* Switches interface `ifname` to monitor mode (on != 0) or back to station (managed) mode.
 * The kernel refuses to change the type of a running interface, so an interface that is up is
 * taken down, switched and brought up again (also when the switch fails). Errors: APC_ENOTSUP
 * when the kernel has no nl80211 (no cfg80211) or the driver cannot do it, APC_EPERM without
 * CAP_NET_ADMIN, APC_ENOTFOUND for an unknown interface, APC_EBUSY when it is in use; each
 * message names the interface and the kernel's reason. The caller checks that `ifname` is a
 * wireless adapter first: this function takes the interface down before nl80211 answers. */
int apc__monitor_switch(const char *ifname, int on);

#endif
