/* SPDX-License-Identifier: MIT */
/*
 * The runner (trigger_int.h): one thread that takes firings whose process tree has exited,
 * stops their capture (which waits until every packet is stored) and runs the actions: the
 * trigger's own, then the system-wide ones, each in id order; each run is recorded on its
 * action. A thread of its own, not the job pool: an EXPORT waits for an export command that
 * runs on the pool, which a pool thread waiting for it could starve.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <apc/capture.h>
#include <apc/export.h>
#include <apc/live.h>

#include "core/error.h"
#include "store/triggers.h"
#include "trigger/trigger_int.h"
#include "util/clock.h"

#define EXPORT_WAIT_MS (10 * 60 * 1000)

void apc__firing_free(apc__firing_t *f)
{
    if (f) {
        free(f->pids);
        free(f->program);
        free(f);
    }
}

/* <dir>/trigger<id>-<program>-<pid>-<UTC time>.pcapng; the program's base name with anything
 * but [A-Za-z0-9._-] replaced, so the name is one safe path component. */
static void export_name(char *out, size_t n, const char *dir, const apc__firing_t *f)
{
    const char *base = strrchr(f->program, '/');
    char prog[64];
    snprintf(prog, sizeof prog, "%s", base ? base + 1 : f->program);
    for (char *p = prog; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '.' || *p == '_' || *p == '-'))
            *p = '_';
    time_t now = time(NULL);
    struct tm tm;
    char when[32];
    gmtime_r(&now, &tm);
    strftime(when, sizeof when, "%Y%m%dT%H%M%SZ", &tm);
    snprintf(out, n, "%s/trigger%lld-%s-%lld-%s.pcapng", dir, (long long)f->trigger_id, prog,
             (long long)f->pid, when);
}

static void run_export(apc_ctx_t *ctx, apc_action_t *a, const apc__firing_t *f, char *file,
                       size_t n)
{
    char path[4096 + 256];
    export_name(path, sizeof path, a->path, f);
    char *uid = NULL;
    apc_command_t *c = NULL;
    if (apc_export_start(ctx, f->capture_id, path, NULL, 0, &uid) < 0) {
        a->last_error = strdup(apc_last_error_message());
        return;
    }
    apc_command_wait(ctx, uid, EXPORT_WAIT_MS);
    if (apc_command_get(ctx, uid, &c) < 0) {
        a->last_error = strdup(apc_last_error_message());
    } else if (c->state != APC_CMD_COMPLETED) {
        a->last_error = strdup(*c->error ? c->error : "the export did not complete");
    } else {
        a->last_status = 0;
        a->last_file = strdup(*c->result ? c->result : path);
        snprintf(file, n, "%s", a->last_file ? a->last_file : path);
    }
    apc_command_free(c);
    apc_free(uid);
}

static void handle(struct apc__trig *t, apc__firing_t *f)
{
    apc_ctx_t *ctx = t->ctx;
    int r = apc_capture_stop(ctx, f->capture_id, 0);
    if (r < 0 && r != APC_ENOTFOUND) /* not found: stopped already (capture_stop_process) */
        apc__log(ctx, APC_LOG_WARN, "trigger %lld: stopping capture %lld: %s",
                 (long long)f->trigger_id, (long long)f->capture_id, apc_last_error_message());
    apc_action_list_t l = {0};
    if (apc__st_action_list(ctx->store, APC__ACT_TO_RUN, f->trigger_id, &l) < 0) {
        apc__log(ctx, APC_LOG_ERROR, "trigger %lld: cannot read its actions: %s",
                 (long long)f->trigger_id, apc_last_error_message());
        return;
    }
    char file[4096 + 256] = "";
    for (size_t i = 0; i < l.count; i++) {
        apc_action_t *a = &l.items[i];
        free(a->last_error);
        free(a->last_output);
        free(a->last_file);
        a->last_error = a->last_output = a->last_file = NULL;
        a->last_status = -1;
        a->last_capture_id = f->capture_id;
        a->last_run = apc__real_ns();
        if (a->type == APC_ACTION_TYPE_EXPORT)
            run_export(ctx, a, f, file, sizeof file);
        else
            apc__trig_execute(a, f, file, ctx->execute_user);
        if (a->last_error && *a->last_error)
            apc__log(ctx, APC_LOG_WARN, "action %lld (capture %lld): %s", (long long)a->id,
                     (long long)f->capture_id, a->last_error);
        if (apc__st_action_ran(ctx->store, a) < 0)
            apc__log(ctx, APC_LOG_ERROR, "action %lld: cannot record its run: %s", (long long)a->id,
                     apc_last_error_message());
    }
    apc_action_list_t *lp = malloc(sizeof *lp);
    if (lp) {
        *lp = l;
        apc_action_list_free(lp);
    }
}

static void *run_main(void *arg)
{
    struct apc__trig *t = arg;
    for (;;) {
        pthread_mutex_lock(&t->qlock);
        while (!t->qhead && !t->qstop)
            pthread_cond_wait(&t->qcond, &t->qlock);
        apc__firing_t *f = t->qhead;
        if (f) {
            t->qhead = f->next;
            if (!t->qhead)
                t->qtail = NULL;
            t->qlen--;
        }
        pthread_mutex_unlock(&t->qlock);
        if (!f)
            break; /* stopping, and the queue is empty */
        handle(t, f);
        apc__firing_free(f);
        apc__ctx_broadcast(t->ctx);
    }
    return NULL;
}

int apc__trig_runner_start(struct apc__trig *t)
{
    if (t->running)
        return 0;
    if (pthread_create(&t->run_thread, NULL, run_main, t) != 0)
        return apc__err(APC_ENOMEM, "cannot start the trigger runner thread");
    t->running = 1;
    return 0;
}

void apc__trig_enqueue(struct apc__trig *t, apc__firing_t *f)
{
    pthread_mutex_lock(&t->qlock);
    int full = t->qlen >= APC__TRIG_QUEUE_MAX;
    if (!full) {
        f->next = NULL;
        if (t->qtail)
            t->qtail->next = f;
        else
            t->qhead = f;
        t->qtail = f;
        t->qlen++;
        pthread_cond_signal(&t->qcond);
    }
    pthread_mutex_unlock(&t->qlock);
    if (full) {
        /* The capture still ends; only its actions are skipped, and that is said. */
        apc__log(t->ctx, APC_LOG_ERROR,
                 "trigger %lld: %d captures wait for their actions; capture %lld stopped "
                 "without running them",
                 (long long)f->trigger_id, APC__TRIG_QUEUE_MAX, (long long)f->capture_id);
        apc_capture_stop(t->ctx, f->capture_id, 0);
        apc__firing_free(f);
    }
}

void apc__trig_runner_stop(struct apc__trig *t)
{
    if (!t->running)
        return;
    pthread_mutex_lock(&t->qlock);
    t->qstop = 1;
    pthread_cond_broadcast(&t->qcond);
    pthread_mutex_unlock(&t->qlock);
    pthread_join(t->run_thread, NULL);
    t->running = 0;
}
