/* SPDX-License-Identifier: MIT */
/* Parser of proc connector datagrams (see procconn.h). Layout: linux/netlink.h (nlmsghdr),
 * linux/connector.h (cn_msg), linux/cn_proc.h (proc_event). Every length is checked against
 * the datagram before it is used. */
#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>
#include <stddef.h>
#include <string.h>

#include <apc/common.h>

#include "attrib/procconn.h"
#include "core/error.h"

int apc__procconn_parse(const uint8_t *buf, size_t len,
                        void (*cb)(const apc__procev_t *ev, void *payload), void *payload)
{
    int found = 0;
    size_t off = 0;
    while (off + sizeof(struct nlmsghdr) <= len) {
        struct nlmsghdr nh;
        memcpy(&nh, buf + off, sizeof nh);
        if (nh.nlmsg_len < sizeof nh || nh.nlmsg_len > len - off)
            return apc__err(APC_EFORMAT, "proc connector: nlmsg_len %u at offset %zu of %zu",
                            nh.nlmsg_len, off, len);
        if (nh.nlmsg_type == NLMSG_DONE || nh.nlmsg_type >= NLMSG_MIN_TYPE) {
            size_t body = off + NLMSG_HDRLEN, end = off + nh.nlmsg_len;
            struct cn_msg cn;
            if (body + sizeof cn > end)
                return apc__err(APC_EFORMAT, "proc connector: cn_msg truncated at offset %zu",
                                body);
            memcpy(&cn, buf + body, sizeof cn);
            size_t evoff = body + sizeof cn;
            if (cn.id.idx == CN_IDX_PROC && cn.id.val == CN_VAL_PROC) {
                struct proc_event ev;
                /* Events are smaller than the union; read what the message holds. */
                size_t have = end - evoff < cn.len ? end - evoff : cn.len;
                size_t head = offsetof(struct proc_event, event_data);
                if (have < head)
                    return apc__err(APC_EFORMAT, "proc connector: event of %zu bytes", have);
                memset(&ev, 0, sizeof ev);
                memcpy(&ev, buf + evoff, have < sizeof ev ? have : sizeof ev);
                apc__procev_t e = {0};
                switch (ev.what) {
                case PROC_EVENT_FORK:
                    if (have < head + sizeof ev.event_data.fork)
                        return apc__err(APC_EFORMAT, "proc connector: short fork event");
                    e.what = APC_PEV_FORK;
                    e.ppid = ev.event_data.fork.parent_tgid;
                    e.pid = ev.event_data.fork.child_tgid;
                    e.tid = ev.event_data.fork.child_pid;
                    break;
                case PROC_EVENT_EXEC:
                    if (have < head + sizeof ev.event_data.exec)
                        return apc__err(APC_EFORMAT, "proc connector: short exec event");
                    e.what = APC_PEV_EXEC;
                    e.pid = ev.event_data.exec.process_tgid;
                    e.tid = ev.event_data.exec.process_pid;
                    break;
                case PROC_EVENT_EXIT:
                    if (have < head + sizeof ev.event_data.exit)
                        return apc__err(APC_EFORMAT, "proc connector: short exit event");
                    e.what = APC_PEV_EXIT;
                    e.pid = ev.event_data.exit.process_tgid;
                    e.tid = ev.event_data.exit.process_pid;
                    break;
                default:
                    break;
                }
                if (e.what) {
                    e.ktime_ns = ev.timestamp_ns;
                    cb(&e, payload);
                    found++;
                }
            }
        }
        size_t step = NLMSG_ALIGN(nh.nlmsg_len);
        if (step == 0 || step > len - off)
            break;
        off += step;
    }
    return found;
}
