/* SPDX-License-Identifier: MIT */
/*
 * The name each program was exec'd by, recorded as the exec happens (attrib/exec_names.c;
 * read by the process table and by the triggers).
 *
 * Why: the trigger watcher learns of an exec from the process connector and reads the
 * program's path from /proc/PID/exe. A program that lives a few milliseconds can be gone
 * before that read on a busy machine, and its trigger would not fire. This program runs in
 * the exec'ing task itself, on the sched_process_exec tracepoint, which the kernel hits just
 * before it sends the connector's exec event (fs/exec.c, exec_binprm), so the name is in the
 * ring buffer before the event it belongs to can be read.
 *
 * A raw tracepoint: it needs neither tracefs nor kprobes (both unavailable on some hosts);
 * the one field read, linux_binprm.filename, is relocated by libbpf against the kernel's BTF
 * (CO-RE), so no kernel headers of a particular version are compiled in.
 */
#include <linux/bpf.h>

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

#include "exec_bpf.h"

char LICENSE[] SEC("license") = "Dual MIT/GPL";

/* Only the field read; the kernel's BTF gives its offset at load time. */
struct linux_binprm {
    const char *filename;
} __attribute__((preserve_access_index));

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 1 << 20); /* about 1,900 events: the reader drains it on every wake */
} exec_names SEC(".maps");

/* Events the ring had no room for: read by userspace through the skeleton's .bss. */
__u64 apc_exec_lost = 0;

/* TP_PROTO(struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm) */
SEC("raw_tracepoint/sched_process_exec")
int apc_on_exec(struct bpf_raw_tracepoint_args *ctx)
{
    struct linux_binprm *bprm = (struct linux_binprm *)ctx->args[2];
    struct apc_exec_ev *e = bpf_ringbuf_reserve(&exec_names, sizeof *e, 0);
    if (!e) { /* full: the reader falls back on /proc, as without this program */
        __sync_fetch_and_add(&apc_exec_lost, 1);
        return 0;
    }
    e->ktime_ns = bpf_ktime_get_ns();
    e->tgid = (__u32)(bpf_get_current_pid_tgid() >> 32);
    e->len = bpf_probe_read_kernel_str(e->name, sizeof e->name, BPF_CORE_READ(bprm, filename));
    /* No wake-up: the connector's event for this exec wakes the reader, which drains us. */
    bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
    return 0;
}
