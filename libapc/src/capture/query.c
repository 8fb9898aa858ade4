/* SPDX-License-Identifier: MIT */
/* Captures: get, list, wait, delete, notes; the names of types and states. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <apc/capture.h>

#include "core/ctx.h"
#include "core/error.h"
#include "core/fsutil.h"
#include "store/captures.h"
#include "store/repair.h"

APC_API const char *apc_capture_type_name(int type)
{
    switch (type) {
    case APC_CAPTURE_SYSTEM:
        return "system";
    case APC_CAPTURE_PROCESS:
        return "process";
    case APC_CAPTURE_INGEST:
        return "ingest";
    default:
        return "unknown";
    }
}

APC_API const char *apc_capture_state_name(int state)
{
    switch (state) {
    case APC_STATE_ACTIVE:
        return "active";
    case APC_STATE_COMPLETED:
        return "completed";
    case APC_STATE_INTERRUPTED:
        return "interrupted";
    case APC_STATE_FAILED:
        return "failed";
    default:
        return "unknown";
    }
}

APC_API const char *apc_direction_name(int dir)
{
    return dir == APC_DIR_IN ? "in" : dir == APC_DIR_OUT ? "out" : "unknown";
}

APC_API const char *apc_attribution_name(int attr)
{
    static const char *const names[] = {"none", "exact", "socket", "tuple", "file"};
    return attr >= 0 && attr <= APC_ATTR_FILE ? names[attr] : "none";
}

APC_API const char *apc_tcp_state_name(int state)
{
    static const char *const names[] = {"none",     "syn_sent", "syn_recv", "established",
                                        "fin_wait", "closed",   "reset",    "midstream"};
    return state >= 0 && state <= APC_TCP_MIDSTREAM ? names[state] : "none";
}

APC_API void apc_capture_free(apc_capture_t *c)
{
    if (!c)
        return;
    free(c->name);
    free(c->notes);
    free(c->filter);
    free(c->adapters);
    free(c->error);
    free(c->source_file);
    free(c->node);
    free(c);
}

/* A store that keeps no node (SQLite: one host) leaves Node to the context: its own. */
static int own_node(apc_ctx_t *ctx, apc_capture_t *c)
{
    if (c->node)
        return 0;
    c->node = strdup(ctx->node_name ? ctx->node_name : "");
    return c->node ? 0 : apc__err(APC_ENOMEM, "out of memory");
}

APC_API int apc_capture_get(apc_ctx_t *ctx, int64_t id, apc_capture_t **out)
{
    if (!ctx || !out)
        return apc__err(APC_EINVAL, "NULL argument");
    *out = NULL;
    int r = apc__captures_get(ctx->store, id, out);
    if (r == 0)
        return apc__err(APC_ENOTFOUND, "capture %lld not found", (long long)id);
    if (r > 0 && (r = own_node(ctx, *out)) < 0) {
        apc_capture_free(*out);
        *out = NULL;
    }
    return r < 0 ? r : 0;
}

APC_API void apc_capture_list_free(apc_capture_list_t *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->count; i++)
        apc_capture_free(l->items[i]);
    free(l->items);
    free(l);
}

APC_API int apc_capture_list(apc_ctx_t *ctx, int which, apc_capture_list_t **out)
{
    if (!ctx || !out)
        return apc__err(APC_EINVAL, "NULL argument");
    *out = NULL;
    if (which != APC_LIST_ALL && which != APC_LIST_ACTIVE && which != APC_LIST_COMPLETED &&
        which != APC_LIST_SYSTEM_COMPLETED)
        return apc__err(APC_EINVAL, "unknown capture list selector %d", which);
    apc_capture_list_t *l = calloc(1, sizeof *l);
    if (!l)
        return apc__err(APC_ENOMEM, "out of memory");
    int r = apc__captures_list(ctx->store, which, l);
    for (size_t i = 0; r >= 0 && i < l->count; i++)
        r = own_node(ctx, l->items[i]);
    if (r < 0) {
        apc_capture_list_free(l);
        return r;
    }
    *out = l;
    return 0;
}

static int capture_state(apc_ctx_t *ctx, int64_t id, int *state)
{
    apc_capture_t *c;
    int r = apc_capture_get(ctx, id, &c);
    if (r < 0)
        return r;
    *state = c->state;
    apc_capture_free(c);
    return 0;
}

typedef struct capture_wait {
    apc_ctx_t *ctx;
    int64_t id;
} capture_wait_t;

static int capture_ended(void *payload)
{
    capture_wait_t *w = payload;
    int state;
    int r = capture_state(w->ctx, w->id, &state);
    return r < 0 ? r : state != APC_STATE_ACTIVE;
}

APC_API int apc_capture_wait(apc_ctx_t *ctx, int64_t id, int timeout_ms)
{
    if (!ctx)
        return apc__err(APC_EINVAL, "NULL context");
    /* Woken on every capture state change; the 200 ms poll also covers captures ended by
     * another process sharing the store. */
    capture_wait_t w = {ctx, id};
    int r = apc__ctx_wait(ctx, timeout_ms, 200, capture_ended, &w);
    return r == 1 ? apc__err(APC_EBUSY, "capture %lld is still active", (long long)id) : r;
}

APC_API int apc_capture_delete(apc_ctx_t *ctx, int64_t id)
{
    int state;
    int r = capture_state(ctx, id, &state);
    if (r < 0)
        return r;
    if (state == APC_STATE_ACTIVE)
        return apc__err(APC_EBUSY, "capture %lld is active: stop it before deleting it",
                        (long long)id);
    /* Rows first: once they are gone no reader can reach the files, so a failure removing
     * files leaves only unreferenced bytes, never a capture with missing packets. */
    r = apc__captures_remove(ctx->store, id);
    if (r < 0)
        return r;
    char dir[4096];
    apc__capture_dir(ctx, id, dir, sizeof dir);
    return apc__rm_rf(dir);
}

APC_API int apc_capture_set_notes(apc_ctx_t *ctx, int64_t capture_id, int64_t packet_id,
                                  const char *notes)
{
    if (!ctx)
        return apc__err(APC_EINVAL, "NULL context");
    if (notes && strlen(notes) > 65536)
        return apc__err(APC_ELIMIT, "notes are longer than 65536 bytes");
    apc_capture_t *c;
    int r = apc_capture_get(ctx, capture_id, &c);
    if (r < 0)
        return r;
    uint64_t packets = c->packets;
    apc_capture_free(c);
    if (packet_id < 0 || (packet_id > 0 && (uint64_t)packet_id > packets))
        return apc__err(APC_ENOTFOUND, "packet %lld not found in capture %lld",
                        (long long)packet_id, (long long)capture_id);
    return apc__captures_set_notes(ctx->store, capture_id, packet_id, notes ? notes : "");
}
