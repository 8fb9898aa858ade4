/* SPDX-License-Identifier: MIT */
/*
 * Parser of the process metadata that ptcpdump (github.com/mozillazg/ptcpdump) writes into
 * pcapng packet comments (opt_comment, RFC draft-ietf-opsawg-pcapng section 3.5): lines of
 * "Key: value", several comments joined with "\n" by our reader. The keys are the ones
 * ptcpdump writes and reads back: PID, Cmd/Command, Args, ThreadId/TID, ThreadName, UserId,
 * GroupId, ParentPID, ParentCmd/ParentCommand, ParentArgs, ContainerName, ContainerId,
 * ContainerImage, ContainerLabels, PodName, PodNamespace, PodUID, PodLabels, PodAnnotations.
 * ptcpdump marks a cut-off Cmd or Args with a trailing "..."; we strip it and set *_truncated.
 * Everything else is ignored. The comment is untrusted: every read stays inside [0, len).
 */
#include <string.h>

#include "attrib/filemeta.h"

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static apc__slice_t trim(const char *p, size_t len)
{
    while (len && is_space(*p)) {
        p++;
        len--;
    }
    while (len && is_space(p[len - 1]))
        len--;
    apc__slice_t s = {p, len};
    return s;
}

static int key_is(apc__slice_t k, const char *name)
{
    size_t n = strlen(name);
    return k.len == n && memcmp(k.p, name, n) == 0;
}

/* A decimal id: digits only, at most 2^62 (ids beyond are nonsense, and the bound keeps the
 * arithmetic clear of overflow). Returns 0 when the value is not one. */
static int64_t parse_id(apc__slice_t v)
{
    const int64_t limit = (int64_t)1 << 62;
    int64_t x = 0;
    if (v.len == 0)
        return 0;
    for (size_t i = 0; i < v.len; i++) {
        char c = v.p[i];
        if (c < '0' || c > '9')
            return 0;
        if (x > (limit - (c - '0')) / 10)
            return 0; /* checked before the multiply: no signed overflow */
        x = x * 10 + (c - '0');
    }
    return x;
}

/* Like parse_id but 0 is a real value (root): -1 when absent or malformed. */
static int64_t parse_uid(apc__slice_t v)
{
    if (v.len == 1 && v.p[0] == '0')
        return 0;
    int64_t x = parse_id(v);
    return x > 0 ? x : -1;
}

static apc__slice_t strip_ellipsis(apc__slice_t v, int *truncated)
{
    if (v.len >= 3 && memcmp(v.p + v.len - 3, "...", 3) == 0) {
        v.len -= 3;
        *truncated = 1;
    }
    return v;
}

static void apply(apc__procmeta_t *m, apc__slice_t k, apc__slice_t v)
{
    if (key_is(k, "PID"))
        m->pid = parse_id(v);
    else if (key_is(k, "ThreadId") || key_is(k, "TID"))
        m->tid = parse_id(v);
    else if (key_is(k, "ParentPID"))
        m->ppid = parse_id(v);
    else if (key_is(k, "Cmd") || key_is(k, "Command"))
        m->cmd = strip_ellipsis(v, &m->cmd_truncated);
    else if (key_is(k, "Args"))
        m->args = strip_ellipsis(v, &m->args_truncated);
    else if (key_is(k, "ThreadName"))
        m->thread_name = v;
    else if (key_is(k, "ParentCmd") || key_is(k, "ParentCommand"))
        m->parent_cmd = strip_ellipsis(v, &m->parent_cmd_truncated);
    else if (key_is(k, "ParentArgs"))
        m->parent_args = strip_ellipsis(v, &m->parent_args_truncated);
    else if (key_is(k, "User") || key_is(k, "UserName"))
        m->user = v;
    else if (key_is(k, "UserId"))
        m->uid = parse_uid(v);
    else if (key_is(k, "GroupId"))
        m->gid = parse_uid(v);
    else if (key_is(k, "ContainerName"))
        m->container = v;
    else if (key_is(k, "ContainerId"))
        m->container_id = v;
    else if (key_is(k, "ContainerImage"))
        m->container_image = v;
    else if (key_is(k, "PodName"))
        m->pod = v;
    else if (key_is(k, "PodNamespace"))
        m->pod_namespace = v;
    else if (key_is(k, "PodUID"))
        m->pod_uid = v;
}

int apc__filemeta_parse(apc__procmeta_t *out, const char *comment, size_t len)
{
    memset(out, 0, sizeof(*out));
    out->uid = out->gid = -1;
    if (!comment)
        return 0;
    size_t pos = 0;
    while (pos < len) {
        const char *line = comment + pos;
        const char *nl = memchr(line, '\n', len - pos);
        size_t llen = nl ? (size_t)(nl - line) : len - pos;
        pos += llen + (nl ? 1 : 0);
        /* The key ends at the first ':'; values (Args) may contain ": " themselves. */
        const char *colon = memchr(line, ':', llen);
        if (!colon)
            continue;
        apc__slice_t k = trim(line, (size_t)(colon - line));
        apc__slice_t v = trim(colon + 1, llen - (size_t)(colon - line) - 1);
        apply(out, k, v);
    }
    return out->pid > 0;
}

apc__slice_t apc__filemeta_basename(apc__slice_t cmd)
{
    apc__slice_t s = cmd;
    if (!s.p) {
        s.len = 0;
        return s;
    }
    while (s.len > 1 && s.p[s.len - 1] == '/')
        s.len--; /* "/usr/bin/" names "bin", as basename(1) says */
    for (size_t i = s.len; i > 0; i--) {
        if (s.p[i - 1] == '/' && i < s.len) {
            s.p += i;
            s.len -= i;
            break;
        }
    }
    return s;
}
