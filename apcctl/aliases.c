/* SPDX-License-Identifier: MIT */
/*
 * Friendly commands over actions: ingest (with a wait and a progress bar), captures, read
 * (read.c: streamed page by page), conns. Each is a few action calls; no action logic here.
 */
#include <errno.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "apcctl.h"

/* The words after the command: positionals, name=value extras, and one flag of its own.
 * Global options were taken out by main; "--" makes every later word literal. */
typedef struct words {
    char **pos;
    size_t npos;
    apcctl_args_t extra;
    bool flag;
} words_t;

static int parse_words(const char *cmd, const char *flag, int argc, char **argv, words_t *w)
{
    memset(w, 0, sizeof *w);
    w->pos = calloc((size_t)argc + 1, sizeof *w->pos);
    if (!w->pos)
        return -1;
    bool opts = true;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (opts && strcmp(a, "--") == 0) {
            opts = false;
        } else if (opts && flag && strcmp(a, flag) == 0) {
            w->flag = true;
        } else if (opts && a[0] == '-' && a[1]) {
            apcctl_errorf("%s: unknown option '%s' (see: apcctl help %s)", cmd, a, cmd);
            return -1;
        } else if (strchr(a, '=') && a[0] != '=' && a[0] != '/' && a[0] != '.') {
            /* name=value; a path with '=' in it can be given as ./name or after a slash. */
            if (apcctl_args_add_word(&w->extra, a) < 0)
                return -1;
        } else {
            w->pos[w->npos++] = argv[i];
        }
    }
    return 0;
}

static void words_free(words_t *w)
{
    free(w->pos);
    apcctl_args_free(&w->extra);
}

static int parse_id(const char *cmd, const char *s, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end || end == s || v <= 0) {
        apcctl_errorf("%s: '%s' is not a capture id (a positive integer)", cmd, s);
        return -1;
    }
    *out = v;
    return 0;
}

static int copy_args(apcctl_args_t *dst, const apcctl_args_t *src)
{
    for (size_t i = 0; i < src->count; i++)
        if (apcctl_args_add(dst, src->items[i].name, src->items[i].value) < 0)
            return -1;
    return 0;
}

/* Calls `action` with `extra` plus capture_id=id and prints the reply. */
static int simple_call(apcctl_transport_t *t, const apcctl_opts_t *o, const char *action,
                       const char *id, const apcctl_args_t *extra)
{
    const apc_op_info_t *op = apc_op_find(action);
    if (op)
        apcctl_args_check(o, op, extra);
    apcctl_args_t args = {0};
    if ((id && apcctl_args_add(&args, "capture_id", id) < 0) || copy_args(&args, extra) < 0) {
        apcctl_args_free(&args);
        apcctl_errorf("out of memory");
        return APCCTL_EXIT_FAIL;
    }
    apcctl_response_t r;
    int rc = apcctl_call(t, action, &args, &r);
    apcctl_args_free(&args);
    if (rc < 0)
        return APCCTL_EXIT_FAIL;
    if (r.error_code != 0) {
        rc = o->json ? (apcctl_print_response(stdout, o, &r), APCCTL_EXIT_FAIL)
                     : apcctl_report_error(&r);
        apcctl_response_free(&r);
        return rc;
    }
    apcctl_print_response(stdout, o, &r);
    apcctl_response_free(&r);
    return APCCTL_EXIT_OK;
}

static int64_t field_int(const cJSON *obj, const char *name)
{
    int64_t v = 0;
    apc_jsonx_int(cJSON_GetObjectItemCaseSensitive(obj, name), &v);
    return v;
}

static const char *field_str(const cJSON *obj, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsString(v) ? v->valuestring : "";
}

/* Polls capture_get_details until the capture is no longer active; prints the final record. */
static int wait_capture(apcctl_transport_t *t, const apcctl_opts_t *o, int64_t id, const char *file)
{
    char idtext[24], label[64];
    snprintf(idtext, sizeof idtext, "%lld", (long long)id);
    char *dup = strdup(file);
    snprintf(label, sizeof label, "%s", dup ? basename(dup) : file);
    free(dup);
    bool bar = !o->quiet && isatty(STDOUT_FILENO) && isatty(STDERR_FILENO);
    apcctl_args_t args = {0};
    if (apcctl_args_add(&args, "capture_id", idtext) < 0) {
        apcctl_errorf("out of memory");
        return APCCTL_EXIT_FAIL;
    }
    apcctl_response_t r;
    int rc;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        if (apcctl_call(t, "capture_get_details", &args, &r) < 0) {
            rc = APCCTL_EXIT_FAIL;
            goto out;
        }
        if (r.error_code != 0) {
            if (bar)
                apcctl_progress_clear();
            rc = apcctl_report_error(&r);
            apcctl_response_free(&r);
            goto out;
        }
        if (strcmp(field_str(r.value, "State"), "active") != 0)
            break;
        if (bar)
            apcctl_progress_draw(label, (uint64_t)field_int(r.value, "ProgressBytes"),
                                 (uint64_t)field_int(r.value, "TotalBytes"),
                                 (uint64_t)field_int(r.value, "Packets"));
        apcctl_response_free(&r);
        if (apcctl_interrupted) {
            if (bar)
                apcctl_progress_clear();
            apcctl_errorf("interrupted: ingest of %s (capture %s) is cancelled", file, idtext);
            rc = APCCTL_EXIT_INTERRUPTED;
            goto out;
        }
        apcctl_poll_sleep(t, "capture_get_details", idtext, &t0);
    }
    if (bar)
        apcctl_progress_clear();
    apcctl_print_response(stdout, o, &r);
    const char *state = field_str(r.value, "State");
    if (strcmp(state, "completed") == 0) {
        rc = apcctl_wait_extraction(t, o, id);
    } else {
        const char *err = field_str(r.value, "Error");
        apcctl_errorf("ingest %s: capture %s %s: %s", file, idtext, state,
                      *err ? err : "(no error text)");
        rc = APCCTL_EXIT_FAIL;
    }
    apcctl_response_free(&r);
out:
    apcctl_args_free(&args);
    return rc;
}

static int ingest_one(apcctl_transport_t *t, const apcctl_opts_t *o, const apc_op_info_t *op,
                      const char *file, const words_t *w)
{
    apcctl_args_t args = {0};
    int rc = apcctl_args_add(&args, "path", file);
    /* We wait by polling so we can show progress; the call itself must return at once. */
    if (rc == 0 && apcctl_op_has_param(op, "wait") && !apcctl_args_get(&w->extra, "wait"))
        rc = apcctl_args_add(&args, "wait", "0");
    if (rc < 0 || copy_args(&args, &w->extra) < 0) {
        apcctl_args_free(&args);
        apcctl_errorf("out of memory");
        return APCCTL_EXIT_FAIL;
    }
    apcctl_response_t r;
    rc = apcctl_call(t, op->name, &args, &r);
    apcctl_args_free(&args);
    if (rc < 0)
        return APCCTL_EXIT_FAIL;
    if (r.error_code != 0) {
        rc = apcctl_report_error(&r);
        apcctl_response_free(&r);
        return rc;
    }
    int64_t id = 0;
    if (!apc_jsonx_int(r.value, &id))
        id = field_int(r.value, "CaptureId");
    if (w->flag || id <= 0) {
        if (o->json || id <= 0)
            apcctl_print_response(stdout, o, &r);
        else
            printf("%lld\n", (long long)id);
        apcctl_response_free(&r);
        return APCCTL_EXIT_OK;
    }
    apcctl_response_free(&r);
    return wait_capture(t, o, id, file);
}

static int run_ingest(apcctl_transport_t *t, const apcctl_opts_t *o, int argc, char **argv)
{
    words_t w;
    if (parse_words("ingest", "--no-wait", argc, argv, &w) < 0) {
        words_free(&w);
        return APCCTL_EXIT_USAGE;
    }
    int rc = APCCTL_EXIT_OK;
    const apc_op_info_t *op = apc_op_find("pcap_ingest_file");
    if (w.npos == 0) {
        apcctl_errorf("ingest: no FILE given (usage: apcctl ingest [--no-wait] FILE...)");
        rc = APCCTL_EXIT_USAGE;
    } else if (w.flag && !t->detached_jobs) {
        /* In-process, the ingest job lives in this process; exiting would cancel it. */
        apcctl_errorf("ingest: --no-wait needs a daemon (--url): without one the ingest runs "
                      "inside apcctl and would be cancelled when it exits");
        rc = APCCTL_EXIT_USAGE;
    } else if (!op) {
        apcctl_errorf("ingest: this libapc has no action pcap_ingest_file");
        rc = APCCTL_EXIT_FAIL;
    } else {
        apcctl_args_check(o, op, &w.extra);
        for (size_t i = 0; i < w.npos && !apcctl_interrupted; i++) {
            int one = ingest_one(t, o, op, w.pos[i], &w);
            if (one != APCCTL_EXIT_OK && rc != APCCTL_EXIT_INTERRUPTED)
                rc = one;
        }
    }
    words_free(&w);
    return rc;
}

static int run_captures(apcctl_transport_t *t, const apcctl_opts_t *o, int argc, char **argv)
{
    words_t w;
    int rc = parse_words("captures", NULL, argc, argv, &w);
    if (rc == 0 && w.npos > 0) {
        apcctl_errorf("captures: unexpected argument '%s'", w.pos[0]);
        rc = -1;
    }
    rc = rc < 0 ? APCCTL_EXIT_USAGE : simple_call(t, o, "capture_list_completed", NULL, &w.extra);
    words_free(&w);
    return rc;
}

static int one_id(const char *cmd, words_t *w, int64_t *id)
{
    if (w->npos != 1) {
        apcctl_errorf("%s: expected one CAPTURE_ID, got %zu arguments", cmd, w->npos);
        return -1;
    }
    return parse_id(cmd, w->pos[0], id);
}

static int run_conns(apcctl_transport_t *t, const apcctl_opts_t *o, int argc, char **argv)
{
    words_t w;
    int64_t id;
    int rc = APCCTL_EXIT_USAGE;
    if (parse_words("conns", "--all", argc, argv, &w) == 0 && one_id("conns", &w, &id) == 0) {
        const apc_op_info_t *op = apc_op_find("capture_list_conns");
        apcctl_args_t args = {0};
        char cmd[40];
        snprintf(cmd, sizeof cmd, "conns %lld", (long long)id);
        if (op)
            apcctl_args_check(o, op, &w.extra);
        if (apcctl_args_add(&args, "capture_id", w.pos[0]) < 0 || copy_args(&args, &w.extra) < 0) {
            apcctl_errorf("out of memory");
            rc = APCCTL_EXIT_FAIL;
        } else {
            rc = apcctl_run_paged(t, o, "capture_list_conns", cmd, &args, &w.extra, w.flag);
        }
        apcctl_args_free(&args);
    }
    words_free(&w);
    return rc;
}

static const apcctl_alias_t aliases[] = {
    {"ingest", "ingest [--no-wait] FILE...",
     "ingest pcap/pcapng files; waits with a progress bar (and for the file extraction beside it "
     "when enabled), prints each capture",
     "pcap_ingest_file", run_ingest},
    {"captures", "captures", "list captures that are not active", "capture_list_completed",
     run_captures},
    {"read",
     "read CAPTURE_ID [-c N] [-x] [-t|-tt] [--utc] [-T fields|json] [-e FIELD]... "
     "[-E separator=S] [-Y FILTER]",
     "packets of a capture, streamed like tcpdump -r (read.c)", "capture_read", apcctl_read},
    {"conns", "conns CAPTURE_ID [--all]", "connections of a capture (--all: every page)",
     "capture_list_conns", run_conns},
};

const apcctl_alias_t *apcctl_alias_at(size_t i)
{
    return i < sizeof aliases / sizeof *aliases ? &aliases[i] : NULL;
}

const apcctl_alias_t *apcctl_alias_find(const char *name)
{
    for (size_t i = 0; i < sizeof aliases / sizeof *aliases; i++)
        if (strcmp(aliases[i].name, name) == 0)
            return &aliases[i];
    return NULL;
}
