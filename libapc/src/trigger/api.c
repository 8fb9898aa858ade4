/* SPDX-License-Identifier: MIT */
/* The public API of triggers and actions (apc/trigger.h): checks, then the store, then the
 * watcher is told. A check that fails changes nothing. */
#include <errno.h>
#include <limits.h>
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <apc/live.h>

#include "core/ctx.h"
#include "core/error.h"
#include "core/roots.h"
#include "store/triggers.h"
#include "trigger/trigger_int.h"

#define FLAGS_ALLOWED (APC_CAPTURE_FLAG_RESOLVE_IPS | APC_CAPTURE_FLAG_DESCENDANTS)

static int check_ctx(apc_ctx_t *ctx)
{
    if (!ctx)
        return apc__err(APC_EINVAL, "NULL context");
    if (ctx->read_only)
        return apc__err(APC_EPERM, "the context is read-only");
    return 0;
}

static int check_abs(const char *what, const char *path)
{
    if (!path || path[0] != '/')
        return apc__err(APC_EINVAL, "%s '%s' is not an absolute path", what, path ? path : "");
    return 0;
}

/* The same compiler the live capture uses (source/live.c), on an Ethernet handle: a filter
 * that fails here would fail the capture the trigger starts. */
static int check_filter(const char *filter)
{
    if (!filter || !*filter)
        return 0;
    pcap_t *p = pcap_open_dead(DLT_EN10MB, 262144);
    if (!p)
        return apc__err(APC_ENOMEM, "out of memory");
    struct bpf_program prog;
    int r = 0;
    if (pcap_compile(p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) != 0)
        r = apc__err(APC_EINVAL, "capture filter '%s': %s", filter, pcap_geterr(p));
    else
        pcap_freecode(&prog);
    pcap_close(p);
    return r;
}

static int check_flags(uint32_t flags)
{
    /* 0x200 asks for the procfs backend instead of eBPF's socket owners. A triggered capture
     * is a route of the shared source, whose one attribution decides for every firing, and its
     * first packets (sent before the firing is handled) can only be attributed by the eBPF
     * socket owners: the flag could not be honoured, so it is refused, not ignored. */
    if (flags & APC_CAPTURE_FLAG_NO_EBPF)
        return apc__err(APC_EINVAL,
                        "trigger flags 0x%x: 0x200 (procfs attribution) cannot apply to a "
                        "triggered capture: every firing is routed by the shared source's "
                        "attribution (eBPF socket owners when they load), which its first "
                        "packets need; start a process capture to use 0x200",
                        (unsigned)flags);
    if (flags & ~FLAGS_ALLOWED)
        return apc__err(APC_EINVAL,
                        "trigger flags 0x%x: only 0x1 (resolve IPs) and 0x100 (descendants) "
                        "apply to triggered captures",
                        (unsigned)flags);
    return 0;
}

static int check_trigger(const char *name, int type, const char *path, const char *filter,
                         uint32_t flags)
{
    if (!name || !*name)
        return apc__err(APC_EINVAL, "trigger name is empty");
    if (type != APC_TRIGGER_TYPE_ON_START)
        return apc__err(APC_EINVAL, "unknown trigger type %d (TRIGGER_TYPE_ON_START is 1)", type);
    int r = check_abs("trigger path", path);
    if (r < 0)
        return r;
    struct stat sb;
    if (stat(path, &sb) != 0)
        return apc__err_errno(errno, "trigger path '%s'", path);
    r = check_flags(flags);
    return r < 0 ? r : check_filter(filter);
}

APC_API int apc_trigger_add(apc_ctx_t *ctx, const char *name, int type, const char *path,
                            const char *filter, uint32_t flags, int64_t *out_id)
{
    int r = check_ctx(ctx);
    if (r == 0)
        r = check_trigger(name, type, path, filter, flags);
    if (r < 0)
        return r;
    apc_trigger_t t = {.name = (char *)name,
                       .type = type,
                       .path = (char *)path,
                       .filter = (char *)filter,
                       .flags = flags};
    r = apc__st_trigger_add(ctx->store, &t, out_id);
    if (r == 0)
        apc__trigger_arm(ctx);
    return r;
}

APC_API int apc_trigger_mod(apc_ctx_t *ctx, int64_t id, const char *filter, uint32_t flags)
{
    int r = check_ctx(ctx);
    if (r == 0)
        r = check_flags(flags);
    if (r == 0)
        r = check_filter(filter);
    if (r == 0)
        r = apc__st_trigger_mod(ctx->store, id, filter, flags);
    if (r == 0)
        apc__trigger_arm(ctx);
    return r;
}

APC_API int apc_trigger_remove(apc_ctx_t *ctx, int64_t id)
{
    int r = check_ctx(ctx);
    if (r == 0)
        r = apc__st_trigger_remove(ctx->store, id);
    if (r == 0)
        apc__trigger_arm(ctx); /* the watcher stops the trigger's captures */
    return r;
}

static int fill_state(apc_ctx_t *ctx, apc_trigger_list_t *l)
{
    for (size_t i = 0; i < l->count; i++) {
        l->items[i].watcher = apc__trigger_state(ctx);
        if (!l->items[i].watcher)
            return apc__err(APC_ENOMEM, "out of memory");
        l->items[i].enabled = strcmp(l->items[i].watcher, "armed") == 0;
    }
    return 0;
}

APC_API int apc_trigger_list(apc_ctx_t *ctx, apc_trigger_list_t **out)
{
    if (!ctx || !out)
        return apc__err(APC_EINVAL, "NULL argument");
    *out = calloc(1, sizeof **out);
    if (!*out)
        return apc__err(APC_ENOMEM, "out of memory");
    int r = apc__st_trigger_list(ctx->store, 0, *out);
    if (r == 0)
        r = fill_state(ctx, *out);
    if (r < 0) {
        apc_trigger_list_free(*out);
        *out = NULL;
    }
    return r;
}

APC_API int apc_trigger_get(apc_ctx_t *ctx, int64_t id, apc_trigger_t **out)
{
    if (!ctx || !out)
        return apc__err(APC_EINVAL, "NULL argument");
    *out = NULL;
    if (id <= 0)
        return apc__err(APC_ENOTFOUND, "trigger %lld not found", (long long)id);
    apc_trigger_list_t *l = calloc(1, sizeof *l);
    if (!l)
        return apc__err(APC_ENOMEM, "out of memory");
    int r = apc__st_trigger_list(ctx->store, id, l);
    if (r == 0)
        r = fill_state(ctx, l);
    if (r == 0 && (l->count != 1 || !(*out = malloc(sizeof **out))))
        r = apc__err(APC_ENOMEM, "out of memory");
    if (r == 0) {
        **out = l->items[0];
        l->count = 0;
    }
    apc_trigger_list_free(l);
    return r;
}

static int action_list(apc_ctx_t *ctx, int mode, int64_t id, apc_action_list_t **out)
{
    if (!ctx || !out)
        return apc__err(APC_EINVAL, "NULL argument");
    *out = calloc(1, sizeof **out);
    if (!*out)
        return apc__err(APC_ENOMEM, "out of memory");
    int r = apc__st_action_list(ctx->store, mode, id, *out);
    if (r < 0) {
        apc_action_list_free(*out);
        *out = NULL;
    }
    return r;
}

APC_API int apc_trigger_get_actions(apc_ctx_t *ctx, int64_t id, apc_action_list_t **out)
{
    return action_list(ctx, APC__ACT_OF_TRIGGER, id, out);
}

APC_API int apc_trigger_set_action(apc_ctx_t *ctx, int64_t trigger_id, int64_t action_id)
{
    int r = check_ctx(ctx);
    return r < 0 ? r : apc__st_trigger_link(ctx->store, trigger_id, action_id);
}

APC_API int apc_trigger_clear_actions(apc_ctx_t *ctx, int64_t id)
{
    int r = check_ctx(ctx);
    return r < 0 ? r : apc__st_trigger_unlink_all(ctx->store, id);
}

/* --- actions ------------------------------------------------------------------------------- */

static int check_export_dir(apc_ctx_t *ctx, const char *path)
{
    struct stat sb;
    if (stat(path, &sb) != 0)
        return apc__err_errno(errno, "export directory '%s'", path);
    if (!S_ISDIR(sb.st_mode))
        return apc__err(APC_EINVAL, "export directory '%s' is not a directory", path);
    if (access(path, W_OK | X_OK) != 0)
        return apc__err_errno(errno, "export directory '%s' is not writable", path);
    char *real = realpath(path, NULL), *roots = apc__roots_export(ctx), *match = NULL;
    int r = real && roots ? apc__roots_find(roots, real, &match) : -1;
    if (r < 0)
        r = apc__err(APC_ENOMEM, "out of memory");
    else if (r == 1)
        r = apc__err(APC_EPERM,
                     "export directory '%s' is outside the export roots (%s): the operator sets "
                     "export_roots in apcd's config",
                     path, roots);
    free(real);
    free(roots);
    free(match);
    return r;
}

static int check_program(apc_ctx_t *ctx, const char *path)
{
    if (!ctx->execute_roots)
        return apc__err(APC_EPERM,
                        "EXECUTE actions are refused: no execute_roots set (the operator allows "
                        "directories of programs with apcd --execute-roots or the config key "
                        "execute_roots)");
    struct stat sb;
    if (stat(path, &sb) != 0)
        return apc__err_errno(errno, "program '%s'", path);
    if (!S_ISREG(sb.st_mode) || access(path, X_OK) != 0)
        return apc__err(APC_EINVAL, "program '%s' is not an executable file", path);
    char *real = realpath(path, NULL), *match = NULL;
    int r = real ? apc__roots_find(ctx->execute_roots, real, &match) : -1;
    if (r < 0)
        r = apc__err(APC_ENOMEM, "out of memory");
    else if (r == 1)
        r = apc__err(APC_EPERM, "program '%s' is outside the execute roots (%s)", path,
                     ctx->execute_roots);
    free(real);
    free(match);
    return r;
}

static int check_action(apc_ctx_t *ctx, int type, const char *path)
{
    if (type != APC_ACTION_TYPE_EXECUTE && type != APC_ACTION_TYPE_EXPORT)
        return apc__err(APC_EINVAL,
                        "unknown action type %d (ACTION_TYPE_EXECUTE 1, ACTION_TYPE_EXPORT 2)",
                        type);
    int r = check_abs(type == APC_ACTION_TYPE_EXPORT ? "export directory" : "program", path);
    if (r < 0)
        return r;
    return type == APC_ACTION_TYPE_EXPORT ? check_export_dir(ctx, path) : check_program(ctx, path);
}

APC_API int apc_action_add(apc_ctx_t *ctx, const char *name, int type, const char *path,
                           const char *params, int64_t trigger_id, int64_t *out_id)
{
    int r = check_ctx(ctx);
    if (r == 0 && (!name || !*name))
        r = apc__err(APC_EINVAL, "action name is empty");
    if (r == 0)
        r = check_action(ctx, type, path);
    if (r < 0)
        return r;
    apc_action_t a = {
        .name = (char *)name, .type = type, .path = (char *)path, .params = (char *)params};
    return apc__st_action_add(ctx->store, &a, trigger_id, out_id);
}

APC_API int apc_action_mod(apc_ctx_t *ctx, int64_t id, const char *name, const char *path,
                           const char *params)
{
    int r = check_ctx(ctx);
    if (r < 0)
        return r;
    if (name && !*name)
        return apc__err(APC_EINVAL, "action name is empty");
    if (path) {
        apc_action_t *a = NULL;
        if ((r = apc_action_get(ctx, id, &a)) < 0)
            return r;
        r = check_action(ctx, a->type, path);
        apc_action_free(a);
        if (r < 0)
            return r;
    }
    return apc__st_action_mod(ctx->store, id, name, path, params);
}

APC_API int apc_action_remove(apc_ctx_t *ctx, int64_t id)
{
    int r = check_ctx(ctx);
    return r < 0 ? r : apc__st_action_remove(ctx->store, id);
}

APC_API int apc_action_list(apc_ctx_t *ctx, apc_action_list_t **out)
{
    return action_list(ctx, APC__ACT_ALL, 0, out);
}

APC_API int apc_action_get(apc_ctx_t *ctx, int64_t id, apc_action_t **out)
{
    if (out)
        *out = NULL;
    apc_action_list_t *l = NULL;
    int r = action_list(ctx, APC__ACT_ONE, id, &l);
    if (r < 0)
        return r;
    if (l->count != 1 || !(*out = malloc(sizeof **out))) {
        apc_action_list_free(l);
        return apc__err(APC_ENOMEM, "out of memory");
    }
    **out = l->items[0];
    l->count = 0;
    apc_action_list_free(l);
    return 0;
}

APC_API int apc_action_set_trigger(apc_ctx_t *ctx, int64_t action_id, int64_t trigger_id)
{
    int r = check_ctx(ctx);
    if (r < 0)
        return r;
    return trigger_id == 0 ? apc__st_action_system(ctx->store, action_id)
                           : apc__st_trigger_link(ctx->store, trigger_id, action_id);
}

APC_API int apc_action_clear_triggers(apc_ctx_t *ctx, int64_t id)
{
    int r = check_ctx(ctx);
    return r < 0 ? r : apc__st_action_system(ctx->store, id);
}
