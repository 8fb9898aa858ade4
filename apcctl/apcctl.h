/* SPDX-License-Identifier: MIT */
/* apcctl internals shared by its files: arguments, responses, printing, help, aliases. */
#ifndef APCCTL_H
#define APCCTL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <apc/apc.h>
#include <cjson/cJSON.h>

#include "jsonx.h"

#include "transport.h"

enum apcctl_exit {
    APCCTL_EXIT_OK = 0,
    APCCTL_EXIT_FAIL = 1,  /* the action answered ErrorCode != 0, or the work it started failed */
    APCCTL_EXIT_USAGE = 2, /* bad command line */
    APCCTL_EXIT_INTERRUPTED = 130,
};

/* Global options. */
typedef struct apcctl_opts {
    const char *data_dir;  /* --data-dir, else $APC_DATA_DIR, else ./apc-data */
    bool data_dir_default; /* ./apc-data by default: used only when it exists */
    const char *url;       /* --url: talk to apcd */
    const char *store;     /* --store, else $APC_STORE: a PostgreSQL URL; NULL = SQLite */
    const char *user;      /* --user: account for --url (default $APC_USER, else admin) */
    bool json;             /* --json: print RESPONSE objects verbatim, one per line */
    bool quiet;            /* --quiet: no progress bars, no warnings */
} apcctl_opts_t;

/* Prints "apcctl: <fmt>" to stderr. */
void apcctl_errorf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Same as a warning, unless --quiet. */
void apcctl_warnf(const apcctl_opts_t *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* args.c: "name=value" words. Returns 0, or -1 when `word` is not name=value. */
int apcctl_args_add_word(apcctl_args_t *a, const char *word);
/* Warns (stderr) about every name the action's spec does not know. */
void apcctl_args_check(const apcctl_opts_t *o, const apc_op_info_t *op, const apcctl_args_t *a);
/* Nonzero when the action's spec has a parameter `name`. */
bool apcctl_op_has_param(const apc_op_info_t *op, const char *name);

/* JSON replies are read by common/jsonx.h (numbers kept exact). json.c: */
/* Text of a number node, a string's contents, "true"/"false"/"null"; NULL for containers. */
const char *apcctl_json_scalar(const cJSON *v, char *buf, size_t len);

/* A parsed RESPONSE. */
typedef struct apcctl_response {
    char *raw; /* as the transport returned it */
    cJSON *root;
    int error_code;
    int data_type;
    const cJSON *value; /* ReturnValue, inside root */
} apcctl_response_t;

/* Calls `action`; returns 0 when a RESPONSE came back (whatever its ErrorCode), or -1 after
 * printing why none did. */
int apcctl_call(apcctl_transport_t *t, const char *action, const apcctl_args_t *args,
                apcctl_response_t *out);
void apcctl_response_free(apcctl_response_t *r);
/* Prints "apcctl: ERROR_SERVE_X: message" and returns APCCTL_EXIT_FAIL. */
int apcctl_report_error(const apcctl_response_t *r);

/* timefmt.c: FILETIME -> "2024-11-02T13:50:35.524360Z" (ns digits when needed); "-" for 0. */
void apcctl_format_filetime(int64_t ft, char *buf, size_t len);
/* Whether a field holds a FILETIME, by its name. */
bool apcctl_is_time_field(const char *name);

/* print.c */
/* A field's value as text: FILETIMEs as ISO 8601, numbers exactly, strings as they are. NULL
 * for objects and arrays. */
const char *apcctl_field_text(const char *name, const cJSON *v, char *buf, size_t len);
void apcctl_print_response(FILE *f, const apcctl_opts_t *o, const apcctl_response_t *r);
void apcctl_print_value(FILE *f, const cJSON *v);
void apcctl_print_record(FILE *f, const cJSON *obj, int indent);
/* table.c: an array of objects as aligned columns chosen by the kind of object. */
void apcctl_print_table(FILE *f, const cJSON *arr, int indent);

/* progress.c: a one-line bar on stderr, redrawn in place, with the rate and the time left
 * measured from the first draw after a clear. */
void apcctl_progress_draw(const char *label, uint64_t done, uint64_t total, uint64_t packets);
/* For jobs that report a percentage: `counts` is what to show beside it ("1234 packets"). */
void apcctl_progress_percent(const char *label, int percent, const char *counts);
void apcctl_progress_clear(void);

/* jobwait.c: in local mode a job (pcap_ingest_file, capture_export, search_start,
 * search_export) runs inside apcctl and would be cancelled when it exits; this waits for the
 * job started by the RESPONSE in *r, drawing progress on a terminal. On success *r may be
 * replaced by the job's final state (what wait=1 would have answered) and 0 is returned; else
 * an exit code after saying why (the job failed, or Ctrl-C cancelled it). Other actions, a
 * daemon's jobs and failed calls: 0 at once, *r untouched. */
/* Waits between two polls (action `poll`, job `id`) of a job that started at t0
 * (CLOCK_MONOTONIC): 1/20 of the time waited so far, at least 10 ms, at most 100 ms, so that a
 * progress bar moves and a daemon's job's end is seen soon after it comes (a fixed 100 ms added
 * 50 ms on average: a fifth of a short ingest). In-process the wait ends when the job does
 * (transport wait); a sleep is cut short by SIGINT, a wait notices it within the interval. */
void apcctl_poll_sleep(apcctl_transport_t *t, const char *poll, const char *id,
                       const struct timespec *t0);
int apcctl_job_wait(apcctl_transport_t *t, const apcctl_opts_t *o, const char *action,
                    apcctl_response_t *r);
/* In-process (no daemon): waits for the file extraction that an ingest of capture `id`
 * started beside it (extraction enabled), which exiting would cancel, and says what it found
 * (plain output). 0 at once when none runs; else as apcctl_job_wait. */
int apcctl_wait_extraction(apcctl_transport_t *t, const apcctl_opts_t *o, int64_t id);

/* help.c / gendocs.c */
int apcctl_help(FILE *f, int argc, char **argv);
void apcctl_usage(FILE *f);
int apcctl_gen_docs(const char *dir);
/* genman.c: apcctl.1 (roff) into `path`, or stdout when NULL or "-". */
int apcctl_gen_man(const char *path);
/* completion.c: apcctl completion bash. */
int apcctl_completion(FILE *f, int argc, char **argv);
typedef struct apcctl_global_opt {
    const char *shrt; /* "-d", or NULL */
    const char *lng;  /* "--data-dir" */
    const char *arg;  /* "DIR", or NULL for a flag */
    const char *help;
} apcctl_global_opt_t;
/* The i-th global option (help.c); NULL past the end. */
const apcctl_global_opt_t *apcctl_global_opt_at(size_t i);
const char *apcctl_role_name(int role);
const char *apcctl_param_type_name(int type);
const char *apcctl_data_type_name(int type);

/* aliases.c: friendly commands. Each returns an exit code. */
typedef struct apcctl_alias {
    const char *name;
    const char *usage;
    const char *summary;
    const char *action; /* the action it stands for */
    int (*run)(apcctl_transport_t *t, const apcctl_opts_t *o, int argc, char **argv);
} apcctl_alias_t;
const apcctl_alias_t *apcctl_alias_find(const char *name);
const apcctl_alias_t *apcctl_alias_at(size_t i);
/* read.c: apcctl read CAPTURE_ID [options]: streams the packets, one page at a time. */
int apcctl_read(apcctl_transport_t *t, const apcctl_opts_t *o, int argc, char **argv);

/* Set by SIGINT so waiting loops can stop and close the context cleanly. */
extern volatile int apcctl_interrupted;

/* main.c: opens the data directory (or the apcd session) the options name; 0, or an exit code
 * after printing why not. Close with t->close(t). */
int apcctl_open_transport(const apcctl_opts_t *o, apcctl_transport_t **t);
/* Runs argv[0] (a command or an action) with the words after it on `t`; returns an exit
 * code. argc >= 1. */
int apcctl_dispatch(apcctl_transport_t *t, const apcctl_opts_t *o, int argc, char **argv);
/* paging.c: whether `op` reads a list by pages (it has last_id). */
bool apcctl_op_pages(const apc_op_info_t *op);
/* Calls `action` with `args` and prints the reply. When it is a page: with `all`, reads every
 * following page and prints one list; else, when more remain, says on stderr how to read on
 * ("apcctl CMD SHOWN... last_id=N, or --all"; not with --quiet). Returns an exit code. */
int apcctl_run_paged(apcctl_transport_t *t, const apcctl_opts_t *o, const char *action,
                     const char *cmd, const apcctl_args_t *args, const apcctl_args_t *shown,
                     bool all);
/* batch.c: apcctl batch [--status] [FILE|-]: one command per line on one open transport. */
int apcctl_batch(const apcctl_opts_t *o, int argc, char **argv);

/* user.c: apcctl user add|del|passwd|list (local, over the auth API). */
int apcctl_user(const apcctl_opts_t *o, int argc, char **argv);

#endif
