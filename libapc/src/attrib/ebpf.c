/* SPDX-License-Identifier: MIT */
/* Loading the eBPF attribution programs (see ebpf.h). Built as a stub that explains itself when
 * clang, bpftool or libbpf were missing at build time. */
#include "attrib/ebpf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <apc/common.h>

#include "attrib/ebpf_config.h"
#include "core/error.h"

int apc__cgroup2_root_parse(const char *mounts, char *buf, size_t n)
{
    /* /proc/mounts: "device mountpoint fstype options 0 0" per line, octal escapes in paths. */
    const char *p = mounts;
    while (p && *p) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        char dev[256], mnt[4096], type[64];
        char line[4600];
        if (len < sizeof line) {
            memcpy(line, p, len);
            line[len] = '\0';
            if (sscanf(line, "%255s %4095s %63s", dev, mnt, type) == 3 &&
                strcmp(type, "cgroup2") == 0) {
                size_t o = 0;
                for (size_t i = 0; mnt[i] && o + 1 < n; i++) {
                    if (mnt[i] == '\\' && mnt[i + 1] >= '0' && mnt[i + 1] <= '3' && mnt[i + 2] &&
                        mnt[i + 3]) {
                        buf[o++] = (char)((mnt[i + 1] - '0') * 64 + (mnt[i + 2] - '0') * 8 +
                                          (mnt[i + 3] - '0'));
                        i += 3;
                    } else {
                        buf[o++] = mnt[i];
                    }
                }
                if (n)
                    buf[o] = '\0';
                return 0;
            }
        }
        p = eol ? eol + 1 : NULL;
    }
    return apc__err(APC_ENOTFOUND, "no cgroup2 file system in /proc/mounts");
}

static int root_from(const char *mounts, char *buf, size_t n);

int apc__cgroup2_root(char *buf, size_t n)
{
    int rc = root_from("/proc/mounts", buf, n);
    if (rc == 0 || rc != APC_ENOTFOUND)
        return rc;
    /* Our mount namespace has none (`ip netns exec` mounts a sysfs of its own): the hierarchy
     * of init's mount namespace, reached through its root. */
    char p[4096];
    rc = root_from("/proc/1/mounts", p, sizeof p);
    if (rc < 0)
        return apc__err(APC_ENOTFOUND, "no cgroup2 file system in /proc/mounts or /proc/1/mounts");
    if ((size_t)snprintf(buf, n, "/proc/1/root%s", p) >= n)
        return apc__err(APC_ELIMIT, "cgroup2 mount point too long");
    return 0;
}

static int root_from(const char *mounts, char *buf, size_t n)
{
    FILE *f = fopen(mounts, "r");
    if (!f)
        return apc__err_errno(errno, "opening %s", mounts);
    size_t cap = 65536, len = 0;
    char *text = malloc(cap);
    int rc = text ? 0 : apc__err(APC_ENOMEM, "out of memory");
    while (rc == 0) {
        if (len + 1 == cap) {
            char *nt = cap < (64u << 20) ? realloc(text, cap * 2) : NULL;
            if (!nt) {
                rc = apc__err(APC_ELIMIT, "/proc/mounts is too large");
                break;
            }
            text = nt;
            cap *= 2;
        }
        size_t got = fread(text + len, 1, cap - 1 - len, f);
        if (!got)
            break;
        len += got;
    }
    fclose(f);
    if (rc == 0) {
        text[len] = '\0';
        rc = apc__cgroup2_root_parse(text, buf, n);
    }
    free(text);
    return rc;
}

#ifndef APC_HAVE_EBPF

int apc__ebpf_open(apc__ebpf_cb cb, void *payload, apc__ebpf_t **out, char *why, size_t n)
{
    (void)cb, (void)payload;
    *out = NULL;
    snprintf(why, n, "built without eBPF (clang, bpftool or libbpf were missing at build time)");
    return apc__err(APC_ENOTSUP, "%s", why);
}
void apc__ebpf_close(apc__ebpf_t *e)
{
    (void)e;
}
int apc__ebpf_fd(apc__ebpf_t *e)
{
    (void)e;
    return -1;
}
int apc__ebpf_consume(apc__ebpf_t *e)
{
    (void)e;
    return 0;
}
void apc__ebpf_seed(apc__ebpf_t *e, uint64_t cookie, uint32_t pid, uint64_t netns)
{
    (void)e, (void)cookie, (void)pid, (void)netns;
}
void apc__ebpf_seed_listener(apc__ebpf_t *e, int ver, const uint8_t *addr, uint16_t port,
                             uint32_t pid, uint64_t netns)
{
    (void)e, (void)ver, (void)addr, (void)port, (void)pid, (void)netns;
}
void apc__ebpf_stats(apc__ebpf_t *e, uint64_t *sent, uint64_t *lost)
{
    (void)e;
    *sent = *lost = 0;
}
const char *apc__ebpf_cgroup(const apc__ebpf_t *e)
{
    (void)e;
    return "";
}

#else

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-prototypes"
#pragma GCC diagnostic ignored "-Wstrict-prototypes"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "attrib/attrib.skel.h"
#pragma GCC diagnostic pop

#define MAX_LINKS 16

struct apc__ebpf {
    struct apc_attrib *skel;
    struct bpf_link *links[MAX_LINKS];
    size_t nlinks;
    struct ring_buffer *rb;
    apc__ebpf_cb cb;
    void *payload;
    char cgroup[512];
};

/* libbpf's messages: the last warning is kept (per thread) to explain a failed load. */
static __thread char g_libbpf_msg[256];

static int on_libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
    if (level == LIBBPF_DEBUG)
        return 0;
    char m[256];
    vsnprintf(m, sizeof m, fmt, ap);
    size_t l = strlen(m);
    while (l && (m[l - 1] == '\n' || m[l - 1] == ' '))
        m[--l] = '\0';
    if (l)
        memcpy(g_libbpf_msg, m, l + 1);
    return 0;
}

static int on_event(void *ctx, void *data, size_t size)
{
    apc__ebpf_t *e = ctx;
    if (size >= sizeof(struct apc_pktev))
        e->cb(data, e->payload);
    return 0;
}

int apc__ebpf_open(apc__ebpf_cb cb, void *payload, apc__ebpf_t **out, char *why, size_t n)
{
    *out = NULL;
    libbpf_set_print(on_libbpf_print);
    g_libbpf_msg[0] = '\0';
    apc__ebpf_t *e = calloc(1, sizeof *e);
    if (!e) {
        snprintf(why, n, "out of memory");
        return apc__err(APC_ENOMEM, "out of memory");
    }
    e->cb = cb;
    e->payload = payload;
    int rc = apc__cgroup2_root(e->cgroup, sizeof e->cgroup);
    if (rc < 0) {
        snprintf(why, n, "eBPF: no cgroup v2 hierarchy is mounted (/proc/mounts, /proc/1/mounts)");
        free(e);
        return rc;
    }
    int cg = open(e->cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (cg < 0) {
        int er = errno;
        snprintf(why, n, "eBPF: cannot open the cgroup v2 root %s: %s", e->cgroup, strerror(er));
        free(e);
        return apc__err_errno(er, "opening %s", e->cgroup);
    }
    e->skel = apc_attrib__open_and_load();
    if (!e->skel) {
        int er = errno;
        snprintf(why, n, "eBPF programs did not load: %s%s%s", strerror(er),
                 g_libbpf_msg[0] ? "; libbpf: " : "", g_libbpf_msg);
        close(cg);
        free(e);
        return apc__err(APC_ENOTSUP, "%s", why);
    }
    struct bpf_program *p;
    rc = 0;
    bpf_object__for_each_program(p, e->skel->obj)
    {
        if (rc < 0 || e->nlinks == MAX_LINKS)
            break;
        struct bpf_link *l = bpf_program__attach_cgroup(p, cg);
        if (!l) {
            int er = errno;
            snprintf(why, n, "eBPF program %s did not attach to %s: %s", bpf_program__name(p),
                     e->cgroup, strerror(er));
            rc = apc__err(APC_ENOTSUP, "%s", why);
        } else {
            e->links[e->nlinks++] = l;
        }
    }
    close(cg);
    if (rc == 0) {
        e->rb = ring_buffer__new(bpf_map__fd(e->skel->maps.events), on_event, e, NULL);
        if (!e->rb) {
            snprintf(why, n, "eBPF ring buffer: %s", strerror(errno));
            rc = apc__err(APC_ENOTSUP, "%s", why);
        }
    }
    if (rc < 0) {
        apc__ebpf_close(e);
        return rc;
    }
    snprintf(why, n, "eBPF cgroup programs attached to %s", e->cgroup);
    *out = e;
    return 0;
}

void apc__ebpf_close(apc__ebpf_t *e)
{
    if (!e)
        return;
    for (size_t i = 0; i < e->nlinks; i++)
        bpf_link__destroy(e->links[i]);
    ring_buffer__free(e->rb);
    apc_attrib__destroy(e->skel);
    free(e);
}

int apc__ebpf_fd(apc__ebpf_t *e)
{
    return ring_buffer__epoll_fd(e->rb);
}

int apc__ebpf_consume(apc__ebpf_t *e)
{
    return ring_buffer__consume(e->rb);
}

/* An owner learnt by userspace into `map` at `key`; one the programs know already is kept. */
static void seed_owner(struct bpf_map *map, const void *key, uint32_t pid, uint64_t netns,
                       uint32_t src)
{
    struct apc_owner o;
    memset(&o, 0, sizeof o);
    o.pid = pid;
    o.netns = netns;
    o.src = src;
    bpf_map_update_elem(bpf_map__fd(map), key, &o, BPF_NOEXIST);
}

void apc__ebpf_seed(apc__ebpf_t *e, uint64_t cookie, uint32_t pid, uint64_t netns)
{
    seed_owner(e->skel->maps.owners, &cookie, pid, netns, APC_OWN_SEEDED);
}

void apc__ebpf_seed_listener(apc__ebpf_t *e, int ver, const uint8_t *addr, uint16_t port,
                             uint32_t pid, uint64_t netns)
{
    struct apc_bindkey k;
    memset(&k, 0, sizeof k);
    k.ver = (__u8)ver;
    k.port = port;
    memcpy(k.addr, addr, ver == 4 ? 4 : 16);
    seed_owner(e->skel->maps.bound, &k, pid, netns, APC_OWN_LISTENER);
}

void apc__ebpf_stats(apc__ebpf_t *e, uint64_t *sent, uint64_t *lost)
{
    *sent = *lost = 0;
    int ncpu = libbpf_num_possible_cpus();
    if (ncpu <= 0 || ncpu > 4096)
        return;
    uint64_t *v = calloc((size_t)ncpu, sizeof *v);
    for (uint32_t k = 0; v && k < 2; k++)
        if (bpf_map_lookup_elem(bpf_map__fd(e->skel->maps.stats), &k, v) == 0)
            for (int i = 0; i < ncpu; i++)
                *(k == APC_STAT_SENT ? sent : lost) += v[i];
    free(v);
}

const char *apc__ebpf_cgroup(const apc__ebpf_t *e)
{
    return e ? e->cgroup : "";
}

#endif
