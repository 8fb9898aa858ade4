/* SPDX-License-Identifier: MIT */
/*
 * Commands: long jobs with a uid, a state and progress, kept in the table `commands`. The
 * commands running in this process are also in a small live list (uid -> job id) so they can
 * be cancelled; a record left queued or running by a process that ended is reported failed.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "core/ctx.h"
#include "core/error.h"
#include "export/export_int.h"
#include "store/commands.h"
#include "util/clock.h"

typedef struct apc__cmd_live {
    apc_ctx_t *ctx;
    char uid[APC_CMD_UID_LEN + 1];
    uint64_t job_id; /* 0 until submitted */
    int cancel_asked;
    struct apc__cmd_live *next;
} live_t;

APC_API const char *apc_command_state_name(int state)
{
    static const char *const names[] = {"unknown",   "queued", "running",
                                        "completed", "failed", "cancelled"};
    return state >= APC_CMD_QUEUED && state <= APC_CMD_CANCELLED ? names[state] : "unknown";
}

static live_t **find_live(apc_ctx_t *ctx, const char *uid)
{
    for (live_t **pp = &ctx->cmds_live; *pp; pp = &(*pp)->next)
        if ((*pp)->ctx == ctx && strcmp((*pp)->uid, uid) == 0)
            return pp;
    return NULL;
}

int apc__cmd_is_live(apc_ctx_t *ctx, const char *uid)
{
    pthread_mutex_lock(&ctx->cmd_lock);
    int r = find_live(ctx, uid) != NULL;
    pthread_mutex_unlock(&ctx->cmd_lock);
    return r;
}

int apc__cmd_cancel_live(apc_ctx_t *ctx, const char *uid)
{
    uint64_t job = 0;
    pthread_mutex_lock(&ctx->cmd_lock);
    live_t **pp = find_live(ctx, uid);
    if (pp) {
        (*pp)->cancel_asked = 1;
        job = (*pp)->job_id;
    }
    pthread_mutex_unlock(&ctx->cmd_lock);
    if (job)
        apc__jobs_cancel(ctx->jobs, job);
    return pp != NULL;
}

static void forget_live(apc_ctx_t *ctx, const char *uid)
{
    pthread_mutex_lock(&ctx->cmd_lock);
    live_t **pp = find_live(ctx, uid);
    if (pp) {
        live_t *l = *pp;
        *pp = l->next;
        free(l);
    }
    pthread_mutex_unlock(&ctx->cmd_lock);
}

int apc__cmd_any_live(apc_ctx_t *ctx)
{
    int r = 0;
    pthread_mutex_lock(&ctx->cmd_lock);
    for (live_t *l = ctx->cmds_live; l && !r; l = l->next)
        r = l->ctx == ctx;
    pthread_mutex_unlock(&ctx->cmd_lock);
    return r;
}

int apc__cmd_new_uid(char out[APC_CMD_UID_LEN + 1])
{
    uint8_t b[16];
    size_t got = 0;
    while (got < sizeof b) {
        ssize_t n = getrandom(b + got, sizeof b - got, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return apc__err_errno(errno, "cannot make a command uid");
        }
        got += (size_t)n;
    }
    b[6] = (uint8_t)((b[6] & 0x0f) | 0x40); /* version 4 */
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80); /* variant 10 */
    snprintf(out, APC_CMD_UID_LEN + 1,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
             b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
             b[15]);
    return 0;
}

int apc__cmd_start(apc_ctx_t *ctx, const apc__cmd_new_t *what, const char *uid, apc__job_fn fn,
                   void *arg)
{
    if (ctx->read_only || !ctx->jobs)
        return apc__err(APC_ENOTSUP, "the context is read-only: it runs no commands");
    if (strlen(uid) != APC_CMD_UID_LEN)
        return apc__err(APC_EINVAL, "bad command uid '%s'", uid);
    int r;
    live_t *l = calloc(1, sizeof *l);
    if (!l)
        return apc__err(APC_ENOMEM, "out of memory");
    l->ctx = ctx;
    memcpy(l->uid, uid, APC_CMD_UID_LEN + 1);
    /* Live before the record exists, so no reader ever takes the new record for one left
     * behind by an ended process. */
    pthread_mutex_lock(&ctx->cmd_lock);
    l->next = ctx->cmds_live;
    ctx->cmds_live = l;
    pthread_mutex_unlock(&ctx->cmd_lock);
    apc__st_command_t row = {
        .uid = uid,
        .type = what->type,
        .state = APC_CMD_QUEUED,
        .created = apc__real_ns(),
        .capture_id = what->capture_id,
        .search_id = what->search_id,
        .path = what->path,
        .filter = what->filter,
    };
    r = apc__commands_add(ctx->store, &row);
    if (r < 0) {
        forget_live(ctx, uid);
        return r;
    }
    uint64_t job = 0;
    r = what->own_thread ? apc__jobs_submit_own(ctx->jobs, fn, arg, &job)
                         : apc__jobs_submit_id(ctx->jobs, fn, arg, &job);
    if (r < 0) {
        char msg[512];
        apc__err_copy(msg, sizeof msg);
        if (apc__commands_remove(ctx->store, uid) < 0)
            apc__log(ctx, APC_LOG_WARN, "command %s: %s", uid, apc_last_error_message());
        forget_live(ctx, uid);
        return apc__err(r, "%s", msg);
    }
    pthread_mutex_lock(&ctx->cmd_lock);
    live_t **pp = find_live(ctx, uid);
    int cancel = 0;
    if (pp) {
        (*pp)->job_id = job;
        cancel = (*pp)->cancel_asked;
    }
    pthread_mutex_unlock(&ctx->cmd_lock);
    if (cancel)
        apc__jobs_cancel(ctx->jobs, job);
    return 0;
}

void apc__cmd_running(apc_ctx_t *ctx, const char *uid)
{
    if (apc__commands_running(ctx->store, uid, APC_CMD_RUNNING, apc__real_ns()) < 0)
        apc__log(ctx, APC_LOG_WARN, "command %s: %s", uid, apc_last_error_message());
}

void apc__cmd_progress(apc_ctx_t *ctx, const char *uid, int progress, uint64_t packets)
{
    if (apc__commands_progress(ctx->store, uid, progress, packets) < 0)
        apc__log(ctx, APC_LOG_WARN, "command %s: %s", uid, apc_last_error_message());
}

void apc__cmd_finish(apc_ctx_t *ctx, const char *uid, int state, const char *result,
                     const char *error, uint64_t packets)
{
    apc__st_command_end_t end = {
        .uid = uid,
        .state = state,
        .finished = apc__real_ns(),
        .packets = packets,
        .progress = state == APC_CMD_COMPLETED ? 100 : -1,
        .result = result,
        .error = error,
    };
    if (apc__commands_finish(ctx->store, &end) < 0)
        apc__log(ctx, APC_LOG_ERROR, "command %s: %s", uid, apc_last_error_message());
    forget_live(ctx, uid);
    apc__ctx_broadcast(ctx);
}
