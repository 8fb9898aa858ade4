/* SPDX-License-Identifier: MIT */
/* The names programs were exec'd by (exec_names.h), from libapc/bpf/exec.bpf.c. Built as a stub
 * that explains itself when clang, bpftool or libbpf were missing at build time. */
#include "attrib/exec_names.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apc/common.h>

#include "core/error.h"
#include "attrib/exec_config.h"

#ifndef APC_HAVE_EXEC_BPF

int apc__exec_names_open(apc__exec_names_t **out, char *why, size_t n)
{
    *out = NULL;
    snprintf(why, n, "built without eBPF (clang, bpftool or libbpf were missing at build time)");
    return apc__err(APC_ENOTSUP, "%s", why);
}
void apc__exec_names_close(apc__exec_names_t *en)
{
    (void)en;
}
void apc__exec_names_drain(apc__exec_names_t *en)
{
    (void)en;
}
int apc__exec_names_find(apc__exec_names_t *en, pid_t tgid, uint64_t ktime_ns, char *out, size_t n)
{
    (void)en, (void)tgid, (void)ktime_ns, (void)out, (void)n;
    return APC_ENOTFOUND;
}
void apc__exec_names_stats(const apc__exec_names_t *en, uint64_t *seen, uint64_t *lost)
{
    (void)en;
    *seen = *lost = 0;
}

#else

#include <bpf/libbpf.h>

#include "../../bpf/exec_bpf.h"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-prototypes"
#pragma GCC diagnostic ignored "-Wstrict-prototypes"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "attrib/exec.skel.h"
#pragma GCC diagnostic pop

struct apc__exec_names {
    struct apc_exec *skel;
    struct ring_buffer *rb;
    struct apc_exec_ev *kept; /* ring of APC__EXEC_NAMES_KEPT; tgid 0 = taken or empty */
    size_t next;
    uint64_t seen;
};

static int on_event(void *ctx, void *data, size_t size)
{
    apc__exec_names_t *en = ctx;
    if (size < sizeof(struct apc_exec_ev))
        return 0;
    en->kept[en->next] = *(const struct apc_exec_ev *)data;
    en->next = (en->next + 1) % APC__EXEC_NAMES_KEPT;
    en->seen++;
    return 0;
}

int apc__exec_names_open(apc__exec_names_t **out, char *why, size_t n)
{
    *out = NULL;
    apc__exec_names_t *en = calloc(1, sizeof *en);
    if (!en || !(en->kept = calloc(APC__EXEC_NAMES_KEPT, sizeof *en->kept))) {
        free(en);
        snprintf(why, n, "out of memory");
        return apc__err(APC_ENOMEM, "out of memory");
    }
    const char *step = "load";
    int er = 0;
    if (!(en->skel = apc_exec__open_and_load()))
        er = errno;
    else if (apc_exec__attach(en->skel) != 0)
        er = errno, step = "attach to sched_process_exec";
    else if (!(en->rb =
                   ring_buffer__new(bpf_map__fd(en->skel->maps.exec_names), on_event, en, NULL)))
        er = errno, step = "open its ring buffer";
    if (er || !en->rb) {
        snprintf(why, n, "the exec-name eBPF program did not %s: %s", step,
                 strerror(er ? er : EINVAL));
        apc__exec_names_close(en);
        return apc__err(APC_ENOTSUP, "%s", why);
    }
    *out = en;
    return 0;
}

void apc__exec_names_close(apc__exec_names_t *en)
{
    if (!en)
        return;
    ring_buffer__free(en->rb);
    apc_exec__destroy(en->skel);
    free(en->kept);
    free(en);
}

void apc__exec_names_drain(apc__exec_names_t *en)
{
    if (en)
        (void)ring_buffer__consume(en->rb);
}

int apc__exec_names_find(apc__exec_names_t *en, pid_t tgid, uint64_t ktime_ns, char *out, size_t n)
{
    if (!en || tgid <= 0)
        return APC_ENOTFOUND;
    apc__exec_names_drain(en);
    /* Newest first: a process that exec'd twice before its first event was read has two
     * entries; the one for this event is the newest at or before the event's time. */
    for (size_t k = 1; k <= APC__EXEC_NAMES_KEPT; k++) {
        struct apc_exec_ev *e =
            &en->kept[(en->next + APC__EXEC_NAMES_KEPT - k) % APC__EXEC_NAMES_KEPT];
        if (e->tgid != (uint32_t)tgid || e->ktime_ns > ktime_ns)
            continue;
        e->tgid = 0; /* taken */
        /* The name as passed to execve (after the kernel's own lookups, e.g. "/dev/fd/N" for
         * fexecve); only an absolute one can be resolved once the process is gone. */
        if (e->len <= 1 || e->len >= (int32_t)sizeof e->name || e->name[0] != '/')
            return APC_ENOTFOUND;
        char real[PATH_MAX];
        const char *p = realpath(e->name, real) ? real : e->name;
        if (strlen(p) >= n)
            return APC_ENOTFOUND;
        memcpy(out, p, strlen(p) + 1);
        return 0;
    }
    return APC_ENOTFOUND;
}

void apc__exec_names_stats(const apc__exec_names_t *en, uint64_t *seen, uint64_t *lost)
{
    *seen = en ? en->seen : 0;
    *lost = en && en->skel->bss ? en->skel->bss->apc_exec_lost : 0;
}

#endif
