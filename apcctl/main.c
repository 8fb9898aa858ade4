/* SPDX-License-Identifier: MIT */
/*
 * apcctl: the terminal face of libapc. Runs any action of the action table by its wire name
 * with name=value parameters, plus a few friendly commands (aliases.c), help and gen-docs.
 */
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <malloc.h>
#include <string.h>
#include <sys/stat.h>

#include "apcctl.h"

volatile int apcctl_interrupted;

void apcctl_errorf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("apcctl: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

void apcctl_warnf(const apcctl_opts_t *o, const char *fmt, ...)
{
    if (o->quiet)
        return;
    va_list ap;
    va_start(ap, fmt);
    fputs("apcctl: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static void on_sigint(int sig)
{
    (void)sig;
    /* A second Ctrl-C ends at once, for when the first one's clean shutdown is stuck. */
    if (apcctl_interrupted)
        _exit(APCCTL_EXIT_INTERRUPTED);
    apcctl_interrupted = 1;
}

/* Options with a value: "--opt VALUE" or "--opt=VALUE". Returns words used, or -1. */
static int take_value(int argc, char **argv, int i, const char *lng, const char *shrt,
                      const char **out)
{
    const char *a = argv[i];
    size_t n = strlen(lng);
    if (strncmp(a, lng, n) == 0 && a[n] == '=') {
        *out = a + n + 1;
        return 1;
    }
    if (strcmp(a, lng) != 0 && !(shrt && strcmp(a, shrt) == 0))
        return 0;
    if (i + 1 >= argc) {
        apcctl_errorf("option %s needs a value", lng);
        return -1;
    }
    *out = argv[i + 1];
    return 2;
}

/* A global option at argv[i]: fills `o` and returns the words used, 0 if argv[i] is not one,
 * -1 after a usage error. */
static int parse_global(apcctl_opts_t *o, int argc, char **argv, int i)
{
    const char *a = argv[i];
    int n;
    if ((n = take_value(argc, argv, i, "--data-dir", "-d", &o->data_dir)) != 0) {
        o->data_dir_default = false;
        return n;
    }
    if ((n = take_value(argc, argv, i, "--url", NULL, &o->url)) != 0)
        return n;
    if ((n = take_value(argc, argv, i, "--store", NULL, &o->store)) != 0)
        return n;
    if ((n = take_value(argc, argv, i, "--user", NULL, &o->user)) != 0)
        return n;
    if (strcmp(a, "--json") == 0 || strcmp(a, "-j") == 0) {
        o->json = true;
        return 1;
    }
    if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) {
        o->quiet = true;
        return 1;
    }
    return 0;
}

/* The generic path: ACTION name=value ... */
static int run_action(apcctl_transport_t *t, const apcctl_opts_t *o, const apc_op_info_t *op,
                      int argc, char **argv)
{
    apcctl_args_t args = {0};
    bool opts = true, all = false;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (opts && strcmp(a, "--") == 0) {
            opts = false;
            continue;
        }
        if (opts && strcmp(a, "--all") == 0 && apcctl_op_pages(op)) {
            all = true;
            continue;
        }
        if (opts && a[0] == '-') {
            apcctl_errorf("%s: unknown option '%s' (see: apcctl help %s)", op->name, a, op->name);
            apcctl_args_free(&args);
            return APCCTL_EXIT_USAGE;
        }
        if (apcctl_args_add_word(&args, a) < 0) {
            apcctl_errorf("%s: '%s' is not name=value (see: apcctl help %s)", op->name, a,
                          op->name);
            apcctl_args_free(&args);
            return APCCTL_EXIT_USAGE;
        }
    }
    apcctl_args_check(o, op, &args);
    int rc;
    if (apcctl_op_pages(op)) {
        rc = apcctl_run_paged(t, o, op->name, op->name, &args, &args, all);
        apcctl_args_free(&args);
        return rc;
    }
    apcctl_response_t r;
    rc = apcctl_call(t, op->name, &args, &r);
    apcctl_args_free(&args);
    if (rc < 0)
        return APCCTL_EXIT_FAIL;
    if (r.error_code != 0) {
        /* --json still prints the RESPONSE: a script wants it whatever the outcome. */
        if (o->json)
            apcctl_print_response(stdout, o, &r);
        rc = apcctl_report_error(&r);
    } else if ((rc = apcctl_job_wait(t, o, op->name, &r)) != APCCTL_EXIT_OK) {
        /* The job failed or was interrupted (said on stderr); --json still gets its state. */
        if (o->json && rc == APCCTL_EXIT_FAIL)
            apcctl_print_response(stdout, o, &r);
    } else {
        apcctl_print_response(stdout, o, &r);
    }
    apcctl_response_free(&r);
    return rc;
}

int apcctl_dispatch(apcctl_transport_t *t, const apcctl_opts_t *o, int argc, char **argv)
{
    const apcctl_alias_t *alias = apcctl_alias_find(argv[0]);
    const apc_op_info_t *op = alias ? NULL : apc_op_find(argv[0]);
    if (alias)
        return alias->run(t, o, argc - 1, argv + 1);
    if (op)
        return run_action(t, o, op, argc - 1, argv + 1);
    apcctl_errorf("unknown action '%s' (list: apcctl help)", argv[0]);
    return APCCTL_EXIT_USAGE;
}

int apcctl_open_transport(const apcctl_opts_t *o, apcctl_transport_t **t)
{
    char err[512] = "";
    if (o->url) {
        if (apcctl_transport_http_open(t, o->url, o->user, err, sizeof err) < 0) {
            apcctl_errorf("%s", err);
            return APCCTL_EXIT_USAGE;
        }
        return 0;
    }
    struct stat sb;
    if (o->data_dir_default && stat(o->data_dir, &sb) != 0) {
        /* Only a directory named on purpose is created: a command run from the wrong folder
         * must not leave an empty store behind and answer from it. */
        apcctl_errorf("no data directory: %s does not exist here; give --data-dir DIR (created "
                      "if missing), set APC_DATA_DIR, or --url URL for a running apcd",
                      o->data_dir);
        return APCCTL_EXIT_USAGE;
    }
    if (apcctl_transport_local_open(t, o->data_dir, o->store, err, sizeof err) < 0) {
        apcctl_errorf("%s", err);
        return APCCTL_EXIT_FAIL;
    }
    return 0;
}

int main(int argc, char **argv)
{
    /* apcctl builds and parses one JSON page after another (read, --all): by default glibc
     * gives each page's memory back to the kernel and faults it in again for the next, a
     * sixth of `read`'s time (bench/read). Keeping it costs no resident memory. */
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
    mallopt(M_TOP_PAD, 64 << 20);
    apcctl_opts_t o = {0};
    o.store = getenv("APC_STORE");
    o.data_dir = getenv("APC_DATA_DIR");
    if (!o.data_dir || !*o.data_dir) {
        o.data_dir = "./apc-data";
        o.data_dir_default = true;
    }

    /* Global options may come anywhere before "--"; the rest keeps its order (with "--"). */
    char **rest = calloc((size_t)argc + 1, sizeof *rest);
    if (!rest) {
        apcctl_errorf("out of memory");
        return APCCTL_EXIT_FAIL;
    }
    int nrest = 0;
    bool help = false, version = false;
    for (int i = 1; i < argc;) {
        if (strcmp(argv[i], "--") == 0) {
            while (i < argc)
                rest[nrest++] = argv[i++];
            break;
        }
        int n = parse_global(&o, argc, argv, i);
        if (n < 0) {
            free(rest);
            return APCCTL_EXIT_USAGE;
        }
        if (n > 0) {
            i += n;
            continue;
        }
        if (nrest == 0 && (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0))
            help = true;
        else if (nrest == 0 && (strcmp(argv[i], "--version") == 0 || strcmp(argv[i], "-V") == 0))
            version = true;
        else
            rest[nrest++] = argv[i];
        i++;
    }

    int rc;
    const char *cmd = nrest > 0 ? rest[0] : NULL;
    if (version) {
        printf("apcctl %s (libapc %s)\n", apc_version(), apc_version());
        rc = APCCTL_EXIT_OK;
    } else if (help || (cmd && strcmp(cmd, "help") == 0)) {
        rc = apcctl_help(stdout, help ? nrest : nrest - 1, help ? rest : rest + 1);
    } else if (!cmd) {
        apcctl_usage(stderr);
        fprintf(stderr, "\nEvery action and command: apcctl help\n");
        rc = APCCTL_EXIT_USAGE;
    } else if (cmd[0] == '-' && strcmp(cmd, "--") != 0) {
        apcctl_errorf("unknown option '%s' (see: apcctl --help)", cmd);
        rc = APCCTL_EXIT_USAGE;
    } else if (strcmp(cmd, "user") == 0) {
        rc = apcctl_user(&o, nrest - 1, rest + 1);
    } else if (strcmp(cmd, "gen-docs") == 0) {
        if (nrest != 2) {
            apcctl_errorf("gen-docs: expected one DIR (usage: apcctl gen-docs DIR)");
            rc = APCCTL_EXIT_USAGE;
        } else {
            rc = apcctl_gen_docs(rest[1]);
        }
    } else if (strcmp(cmd, "gen-man") == 0) {
        if (nrest > 2) {
            apcctl_errorf("gen-man: expected at most one FILE (usage: apcctl gen-man [FILE])");
            rc = APCCTL_EXIT_USAGE;
        } else {
            rc = apcctl_gen_man(nrest == 2 ? rest[1] : NULL);
        }
    } else if (strcmp(cmd, "completion") == 0) {
        rc = apcctl_completion(stdout, nrest - 1, rest + 1);
    } else if (strcmp(cmd, "batch") == 0) {
        struct sigaction sa = {0};
        sa.sa_handler = on_sigint;
        sigaction(SIGINT, &sa, NULL);
        rc = apcctl_batch(&o, nrest - 1, rest + 1);
    } else {
        /* "apcctl -- ACTION ...": the "--" before the action only ends the options. */
        int first = strcmp(cmd, "--") == 0 ? 1 : 0;
        cmd = first < nrest ? rest[first] : NULL;
        apcctl_transport_t *t = NULL;
        if (!cmd) {
            apcctl_errorf("no action given (see: apcctl help)");
            rc = APCCTL_EXIT_USAGE;
        } else if (!apcctl_alias_find(cmd) && !apc_op_find(cmd)) {
            apcctl_errorf("unknown action '%s' (list: apcctl help)", cmd);
            rc = APCCTL_EXIT_USAGE;
        } else if ((rc = apcctl_open_transport(&o, &t)) == 0) {
            struct sigaction sa = {0};
            sa.sa_handler = on_sigint;
            sigaction(SIGINT, &sa, NULL);
            rc = apcctl_dispatch(t, &o, nrest - first, rest + first);
            t->close(t);
        }
    }
    free(rest);
    if (fflush(stdout) != 0 && rc == APCCTL_EXIT_OK)
        rc = APCCTL_EXIT_FAIL;
    return rc;
}
