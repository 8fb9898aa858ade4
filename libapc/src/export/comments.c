/* SPDX-License-Identifier: MIT */
/* Packet comments of exports: ptcpdump's groups, stored comments split back, notes. */
#include "export/comments.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attrib/filemeta.h"
#include "core/error.h"

void apc__cmts_reset(apc__cmts_t *c)
{
    c->len = 0;
    c->n = 0;
}

void apc__cmts_free(apc__cmts_t *c)
{
    free(c->buf);
    memset(c, 0, sizeof *c);
}

static int grow(apc__cmts_t *c, size_t need)
{
    if (c->len + need <= c->cap)
        return 0;
    size_t nc = c->cap ? c->cap : 1024;
    while (nc < c->len + need)
        nc *= 2;
    char *nb = realloc(c->buf, nc);
    if (!nb)
        return apc__err(APC_ENOMEM, "out of memory");
    c->buf = nb;
    c->cap = nc;
    return 0;
}

int apc__cmts_add(apc__cmts_t *c, const char *s, size_t n)
{
    if (!n)
        return 0;
    if (grow(c, n + 2) < 0)
        return APC_ENOMEM;
    if (c->n == APC_CMTS_MAX) {
        /* Joined to the last one with "\n" as readers join them anyway. */
        c->buf[c->len - 1] = '\n';
    } else {
        c->off[c->n++] = c->len;
    }
    memcpy(c->buf + c->len, s, n);
    c->len += n;
    c->buf[c->len++] = 0;
    return 0;
}

int apc__cmts_addf(apc__cmts_t *c, const char *fmt, ...)
{
    char small[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return apc__err(APC_EINVAL, "bad comment format");
    if ((size_t)n < sizeof small)
        return apc__cmts_add(c, small, (size_t)n);
    char *big = malloc((size_t)n + 1);
    if (!big)
        return apc__err(APC_ENOMEM, "out of memory");
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    int r = apc__cmts_add(c, big, (size_t)n);
    free(big);
    return r;
}

static int starts_group(const char *line, size_t n)
{
    static const char *const keys[] = {
        "PID:", "ThreadId:", "ParentPID:", "ContainerName:", "PodName:"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        size_t k = strlen(keys[i]);
        if (n >= k && memcmp(line, keys[i], k) == 0)
            return 1;
    }
    return 0;
}

int apc__cmts_add_stored(apc__cmts_t *c, const char *text, size_t len)
{
    apc__procmeta_t m;
    if (!len)
        return 0;
    if (apc__filemeta_parse(&m, text, len) != 1)
        return apc__cmts_add(c, text, len);
    size_t group = 0, pos = 0;
    while (pos < len) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - text) : len;
        if (pos > group && starts_group(text + pos, end - pos)) {
            int r = apc__cmts_add(c, text + group, pos - 1 - group);
            if (r < 0)
                return r;
            group = pos;
        }
        pos = nl ? end + 1 : len;
    }
    return apc__cmts_add(c, text + group, len - group);
}

int apc__cmts_add_proc(apc__cmts_t *c, const apc__cmt_proc_t *p)
{
#define S(x) ((x) ? (x) : "")
    int r =
        apc__cmts_addf(c, "PID: %lld\nCmd: %s\nArgs: %s", (long long)p->pid, S(p->cmd), S(p->args));
    if (r == 0 && p->tid > 0)
        r = apc__cmts_addf(c, "ThreadId: %lld\nThreadName: %s", (long long)p->tid,
                           S(p->thread_name));
    if (r == 0 && p->ppid > 0)
        r = apc__cmts_addf(c, "ParentPID: %lld\nParentCmd: %s\nParentArgs: %s", (long long)p->ppid,
                           S(p->parent_cmd), S(p->parent_args));
    return r;
#undef S
}

const char *const *apc__cmts_ptrs(apc__cmts_t *c, size_t *n)
{
    for (size_t i = 0; i < c->n; i++)
        c->ptr[i] = c->buf + c->off[i];
    *n = c->n;
    return c->ptr;
}
