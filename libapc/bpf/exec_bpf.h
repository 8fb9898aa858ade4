/* SPDX-License-Identifier: MIT */
/*
 * The event of exec.bpf.c, read by libapc's attribution module (attrib/exec_names.c: the
 * process table and the triggers). Fixed-size types, no padding holes: clang -target bpf and gcc
 * agree on the layout.
 */
#ifndef APC_EXEC_BPF_H
#define APC_EXEC_BPF_H

#include <linux/types.h>

#define APC_EXEC_NAME_MAX 512 /* bytes of the name kept, NUL included */

struct apc_exec_ev {
    __u64 ktime_ns; /* bpf_ktime_get_ns(): CLOCK_MONOTONIC, as the process connector's events */
    __u32 tgid;     /* the process that exec'd (host pid namespace) */
    __s32 len;      /* bpf_probe_read_kernel_str's result: bytes with the NUL, < 0 failed */
    char name[APC_EXEC_NAME_MAX];
};

#endif
