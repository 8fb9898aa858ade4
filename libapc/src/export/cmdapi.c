/* SPDX-License-Identifier: MIT */
/* The public command API: get, list, cancel, wait, delete. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/ctx.h"
#include "core/error.h"
#include "export/export_int.h"
#include "store/commands.h"
#include "util/clock.h"

APC_API void apc_command_free(apc_command_t *c)
{
    if (!c)
        return;
    free(c->uid);
    free(c->type);
    free(c->result);
    free(c->error);
    free(c);
}

APC_API void apc_command_list_free(apc_command_list_t *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->count; i++)
        apc_command_free(l->items[i]);
    free(l->items);
    free(l);
}

static const char ENDED_MSG[] = "interrupted: the process running it ended before it finished";

/* Queued or running but not running here: the process that ran it ended (a crash, or a one-shot
 * program like apcctl that did not wait). A read-only context may be looking at another
 * process's store, so it reports what is recorded. */
static void settle(apc_ctx_t *ctx, apc_command_t *c)
{
    if ((c->state != APC_CMD_QUEUED && c->state != APC_CMD_RUNNING) || ctx->read_only ||
        apc__cmd_is_live(ctx, c->uid))
        return;
    apc_time_t now = apc__real_ns();
    if (apc__commands_interrupted(ctx->store, c->uid, APC_CMD_FAILED, now, ENDED_MSG) > 0) {
        char *e = strdup(ENDED_MSG);
        if (e) {
            free(c->error);
            c->error = e;
            c->state = APC_CMD_FAILED;
            c->finished = now;
        }
    }
}

APC_API int apc_command_get(apc_ctx_t *ctx, const char *uid, apc_command_t **out)
{
    if (!ctx || !uid || !out)
        return apc__err(APC_EINVAL, "NULL argument");
    *out = NULL;
    int r = apc__commands_get(ctx->store, uid, out);
    if (r == 0)
        return apc__err(APC_ENOTFOUND, "command '%s' not found", uid);
    if (r < 0)
        return r;
    settle(ctx, *out);
    return 0;
}

APC_API int apc_command_list(apc_ctx_t *ctx, apc_command_list_t **out)
{
    if (!ctx || !out)
        return apc__err(APC_EINVAL, "NULL argument");
    *out = NULL;
    apc_command_list_t *l = calloc(1, sizeof *l);
    if (!l)
        return apc__err(APC_ENOMEM, "out of memory");
    int r = apc__commands_list(ctx->store, l);
    if (r < 0) {
        apc_command_list_free(l);
        return r;
    }
    for (size_t i = 0; i < l->count; i++)
        settle(ctx, l->items[i]);
    *out = l;
    return 0;
}

APC_API int apc_command_cancel(apc_ctx_t *ctx, const char *uid)
{
    apc_command_t *c;
    int r = apc_command_get(ctx, uid, &c);
    if (r < 0)
        return r;
    apc_command_free(c);
    apc__cmd_cancel_live(ctx, uid);
    return 0;
}

static int ended(int state)
{
    return state != APC_CMD_QUEUED && state != APC_CMD_RUNNING;
}

typedef struct command_wait {
    apc_ctx_t *ctx;
    const char *uid;
} command_wait_t;

static int command_ended(void *payload)
{
    command_wait_t *w = payload;
    apc_command_t *c;
    int r = apc_command_get(w->ctx, w->uid, &c);
    if (r < 0)
        return r;
    int done = ended(c->state);
    apc_command_free(c);
    return done;
}

APC_API int apc_command_wait(apc_ctx_t *ctx, const char *uid, int timeout_ms)
{
    if (!ctx || !uid)
        return apc__err(APC_EINVAL, "NULL argument");
    /* Woken when a command ends (apc__cmd_finish broadcasts); the 100 ms poll covers the
     * short window between a record's update and the broadcast. */
    command_wait_t w = {ctx, uid};
    int r = apc__ctx_wait(ctx, timeout_ms, 100, command_ended, &w);
    return r == 1 ? apc__err(APC_EBUSY, "command %s is still running", uid) : r;
}

APC_API int apc_command_delete(apc_ctx_t *ctx, const char *uid)
{
    apc_command_t *c;
    int r = apc_command_get(ctx, uid, &c);
    if (r < 0)
        return r;
    int running = !ended(c->state);
    apc_command_free(c);
    if (running) {
        apc__cmd_cancel_live(ctx, uid);
        if ((r = apc_command_wait(ctx, uid, -1)) < 0)
            return r;
    }
    return apc__commands_remove(ctx->store, uid);
}
