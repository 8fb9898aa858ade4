/* SPDX-License-Identifier: MIT */
/*
 * Jobs started in local mode. Without --url the library runs inside apcctl, so an ingest,
 * export or search it starts lives in this process and closing the context cancels it:
 * apcctl must not exit before the job ends. It polls the job's state (the action a client of
 * apcd would poll) every 1/20 of the time waited so far, at least 10 ms and at most 100 ms (a
 * fixed 100 ms added 50 ms on average to every job's end: 20% of a short ingest), in-process
 * waiting on the library between polls so that the end is seen when it comes, draws progress
 * with rate and time left on a terminal, and answers what wait=1 would have answered. Ctrl-C stops
 * waiting and says the job is cancelled.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "apcctl.h"
#include "transport.h"

typedef struct job_kind {
    const char *action;   /* the action that starts the job */
    const char *poll;     /* the action that reads its state */
    const char *param;    /* the poll's id parameter */
    const char *id_field; /* the id in the start's ReturnValue; NULL: ReturnValue is the id */
    const char *what;     /* for messages */
    bool replace;         /* answer the final state (wait=1 answers it), not the start's reply */
} job_kind_t;

static const job_kind_t kinds[] = {
    {"pcap_ingest_file", "capture_get_details", "capture_id", NULL, "capture", false},
    {"capture_export", "command_query", "command_uid", "CommandUid", "command", true},
    {"search_export", "command_query", "command_uid", "CommandUid", "command", true},
    {"search_start", "search_open", "search_id", "SearchId", "search", true},
    /* not an action: the examination an ingest started (apcctl_wait_extraction) */
    {"extraction", "command_query", "command_uid", "CommandUid", "command", true},
};

static const char *field_str(const cJSON *obj, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsString(v) ? v->valuestring : "";
}

static int64_t field_int(const cJSON *obj, const char *name)
{
    int64_t v = 0;
    apc_jsonx_int(cJSON_GetObjectItemCaseSensitive(obj, name), &v);
    return v;
}

static bool active(const char *state)
{
    return !strcmp(state, "active") || !strcmp(state, "queued") || !strcmp(state, "running");
}

static void draw(const job_kind_t *k, const char *label, const cJSON *v)
{
    char counts[96];
    if (!strcmp(k->poll, "capture_get_details")) {
        apcctl_progress_draw(label, (uint64_t)field_int(v, "ProgressBytes"),
                             (uint64_t)field_int(v, "TotalBytes"),
                             (uint64_t)field_int(v, "Packets"));
        return;
    }
    if (!strcmp(k->poll, "search_open"))
        snprintf(counts, sizeof counts, "%lld scanned, %lld matches",
                 (long long)field_int(v, "Scanned"), (long long)field_int(v, "Matches"));
    else
        snprintf(counts, sizeof counts, "%lld packets", (long long)field_int(v, "Packets"));
    apcctl_progress_percent(label, (int)field_int(v, "Progress"), counts);
}

void apcctl_poll_sleep(apcctl_transport_t *t, const char *poll, const char *id,
                       const struct timespec *t0)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    long waited_ms = (long)(now.tv_sec - t0->tv_sec) * 1000 + (now.tv_nsec - t0->tv_nsec) / 1000000;
    long ms = waited_ms / 20;
    ms = ms < 10 ? 10 : ms > 100 ? 100 : ms;
    if (t->wait) {
        int rc = t->wait(t, poll, id, (int)ms);
        if (rc == 0 || rc == APC_EBUSY)
            return;
    }
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL); /* SIGINT cuts it short, which is what we want */
}

int apcctl_job_wait(apcctl_transport_t *t, const apcctl_opts_t *o, const char *action,
                    apcctl_response_t *r)
{
    const job_kind_t *k = NULL;
    for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++)
        if (!strcmp(kinds[i].action, action))
            k = &kinds[i];
    if (!k || t->detached_jobs || r->error_code != 0 || !r->value)
        return APCCTL_EXIT_OK;
    char idbuf[64];
    const cJSON *idv =
        k->id_field ? cJSON_GetObjectItemCaseSensitive(r->value, k->id_field) : r->value;
    const char *id = idv ? apcctl_json_scalar(idv, idbuf, sizeof idbuf) : NULL;
    if (!id || !*id)
        return APCCTL_EXIT_OK; /* nothing started (a reply without a job) */
    char *id_copy = strdup(id), label[128];
    apcctl_args_t args = {0};
    if (!id_copy || apcctl_args_add(&args, k->param, id_copy) < 0) {
        free(id_copy);
        apcctl_errorf("out of memory");
        return APCCTL_EXIT_FAIL;
    }
    snprintf(label, sizeof label, "%s %s %s", action, k->what, id_copy);
    bool bar = !o->quiet && isatty(STDERR_FILENO);
    int rc = APCCTL_EXIT_OK;
    apcctl_response_t s;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        if (apcctl_call(t, k->poll, &args, &s) < 0) {
            rc = APCCTL_EXIT_FAIL;
            break;
        }
        if (s.error_code != 0) {
            if (bar)
                apcctl_progress_clear();
            rc = apcctl_report_error(&s);
            apcctl_response_free(&s);
            break;
        }
        const char *state = field_str(s.value, "State");
        if (!active(state)) {
            if (bar)
                apcctl_progress_clear();
            if (strcmp(state, "completed") != 0) {
                const char *err = field_str(s.value, "Error");
                const char *file = field_str(s.value, "SourceFile");
                apcctl_errorf("%s: %s %s%s%s%s %s: %s", action, k->what, id_copy, *file ? " (" : "",
                              file, *file ? ")" : "", state, *err ? err : "(no error text)");
                rc = APCCTL_EXIT_FAIL;
            }
            if (k->replace || rc != APCCTL_EXIT_OK) {
                apcctl_response_free(r);
                *r = s;
            } else {
                apcctl_response_free(&s);
            }
            break;
        }
        if (bar)
            draw(k, label, s.value);
        apcctl_response_free(&s);
        if (apcctl_interrupted) {
            if (bar)
                apcctl_progress_clear();
            apcctl_errorf("interrupted: %s %s is cancelled (it ran inside apcctl; with --url "
                          "it would go on in apcd)",
                          k->what, id_copy);
            rc = APCCTL_EXIT_INTERRUPTED;
            break;
        }
        apcctl_poll_sleep(t, k->poll, id_copy, &t0);
    }
    apcctl_args_free(&args);
    free(id_copy);
    return rc;
}

/* The newest extraction command of capture `id` in a command_list reply (newest first); NULL
 * when none. */
static const cJSON *extraction_of(const cJSON *list, int64_t id)
{
    const cJSON *c;
    cJSON_ArrayForEach(c, list)
    {
        if (!strcmp(field_str(c, "Type"), "extraction") && field_int(c, "CaptureId") == id)
            return c;
    }
    return NULL;
}

int apcctl_wait_extraction(apcctl_transport_t *t, const apcctl_opts_t *o, int64_t id)
{
    if (t->detached_jobs)
        return APCCTL_EXIT_OK;
    apcctl_args_t none = {0};
    apcctl_response_t r;
    if (apcctl_call(t, "command_list", &none, &r) < 0)
        return APCCTL_EXIT_FAIL;
    const cJSON *c = r.error_code == 0 ? extraction_of(r.value, id) : NULL;
    /* the command as listed: apcctl_job_wait replaces it by its final state if it still runs */
    cJSON *copy = c ? cJSON_Duplicate(c, 1) : NULL;
    apcctl_response_free(&r);
    if (!c)
        return APCCTL_EXIT_OK; /* extraction is off */
    if (!copy) {
        apcctl_errorf("out of memory");
        return APCCTL_EXIT_FAIL;
    }
    apcctl_response_t w = {.root = copy, .value = copy};
    int rc =
        active(field_str(copy, "State")) ? apcctl_job_wait(t, o, "extraction", &w) : APCCTL_EXIT_OK;
    if (rc == APCCTL_EXIT_OK && !o->json && !o->quiet &&
        !strcmp(field_str(w.value, "State"), "completed"))
        printf("Extraction:    %s, found while the capture was stored (apcctl extract_query "
               "capture_id=%lld)\n",
               field_str(w.value, "Result"), (long long)id);
    apcctl_response_free(&w);
    return rc;
}
