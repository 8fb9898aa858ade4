/* SPDX-License-Identifier: MIT */
/*
 * apcctl batch: many commands through one open data directory (or one apcd session), one per
 * line. Opening a store costs more than most actions (and a sanitized build pays it many
 * times over), so a script that calls hundreds of actions keeps one apcctl open and writes
 * lines to it. Each line is split as a shell would split simple words (quotes and backslash,
 * no expansion) and run as `apcctl [OPTIONS] LINE` would run it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "apcctl.h"

/* The words of one line, in one buffer (`buf`) that `argv` points into. */
typedef struct batch_words {
    char *buf;
    char **argv;
    int argc;
} batch_words_t;

static void words_free(batch_words_t *w)
{
    free(w->buf);
    free(w->argv);
    memset(w, 0, sizeof *w);
}

/* Splits `line` into words: blanks separate, '...' is literal, "..." keeps \" and \\ escapes,
 * a backslash outside quotes takes the next character as it is, and '#' at the start of a word
 * begins a comment. Returns 0, or -1 with `why` set (an unterminated quote, out of memory). */
static int split_line(const char *line, batch_words_t *w, const char **why)
{
    size_t n = strlen(line);
    memset(w, 0, sizeof *w);
    /* Words are never longer than the line, and there are at most n/2+1 of them. */
    w->buf = malloc(n + 1);
    w->argv = calloc(n / 2 + 2, sizeof *w->argv);
    if (!w->buf || !w->argv) {
        *why = "out of memory";
        words_free(w);
        return -1;
    }
    const char *p = line;
    char *out = w->buf;
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
            p++;
        if (!*p || *p == '#')
            return 0;
        w->argv[w->argc++] = out;
        while (*p && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n') {
            if (*p == '\'') {
                const char *end = strchr(p + 1, '\'');
                if (!end) {
                    *why = "unterminated ' quote";
                    words_free(w);
                    return -1;
                }
                memcpy(out, p + 1, (size_t)(end - p - 1));
                out += end - p - 1;
                p = end + 1;
            } else if (*p == '"') {
                p++;
                while (*p && *p != '"') {
                    if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
                        p++;
                    *out++ = *p++;
                }
                if (*p != '"') {
                    *why = "unterminated \" quote";
                    words_free(w);
                    return -1;
                }
                p++;
            } else if (*p == '\\' && p[1]) {
                *out++ = p[1];
                p += 2;
            } else {
                *out++ = *p++;
            }
        }
        *out++ = '\0';
    }
}

/* Runs one line's words. Global options are the batch's: a line may not change them, since
 * the store (or the session) is already open. */
static int run_words(apcctl_transport_t *t, const apcctl_opts_t *o, int argc, char **argv,
                     size_t lineno)
{
    const char *cmd = argv[0];
    if (strcmp(cmd, "batch") == 0 || strcmp(cmd, "user") == 0 || strcmp(cmd, "gen-docs") == 0 ||
        strcmp(cmd, "help") == 0) {
        apcctl_errorf("batch line %zu: '%s' cannot run inside a batch (run it on its own)", lineno,
                      cmd);
        return APCCTL_EXIT_USAGE;
    }
    if (cmd[0] == '-') {
        apcctl_errorf("batch line %zu: options go on the apcctl batch command line, not on a "
                      "line ('%s')",
                      lineno, cmd);
        return APCCTL_EXIT_USAGE;
    }
    if (!apcctl_alias_find(cmd) && !apc_op_find(cmd)) {
        apcctl_errorf("batch line %zu: unknown action '%s' (list: apcctl help)", lineno, cmd);
        return APCCTL_EXIT_USAGE;
    }
    return apcctl_dispatch(t, o, argc, argv);
}

int apcctl_batch(const apcctl_opts_t *o, int argc, char **argv)
{
    bool status = false;
    const char *file = NULL;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--status") == 0) {
            status = true;
        } else if (!file && (argv[i][0] != '-' || strcmp(argv[i], "-") == 0)) {
            file = argv[i];
        } else {
            apcctl_errorf("batch: unexpected '%s' (usage: apcctl batch [--status] [FILE|-])",
                          argv[i]);
            return APCCTL_EXIT_USAGE;
        }
    }
    FILE *in = stdin;
    if (file && strcmp(file, "-") != 0) {
        in = fopen(file, "r");
        if (!in) {
            apcctl_errorf("batch: cannot open '%s': %s", file, strerror(errno));
            return APCCTL_EXIT_FAIL;
        }
    }
    apcctl_transport_t *t = NULL;
    int rc = apcctl_open_transport(o, &t);
    if (rc != 0) {
        if (in != stdin)
            fclose(in);
        return rc;
    }
    /* The worst outcome wins: a usage error (2) over a failed action (1) over success. */
    int worst = APCCTL_EXIT_OK;
    char *line = NULL;
    size_t cap = 0, lineno = 0;
    while (!apcctl_interrupted && getline(&line, &cap, in) >= 0) {
        lineno++;
        batch_words_t w;
        const char *why = NULL;
        int lrc;
        if (split_line(line, &w, &why) < 0) {
            apcctl_errorf("batch line %zu: %s", lineno, why);
            lrc = APCCTL_EXIT_USAGE;
        } else if (w.argc == 0) {
            words_free(&w);
            continue;
        } else {
            lrc = run_words(t, o, w.argc, w.argv, lineno);
            words_free(&w);
        }
        if (status)
            printf("#apcctl-status %zu %d\n", lineno, lrc);
        /* A reader on a pipe sees each command's output when it ends, not at exit. */
        fflush(stdout);
        fflush(stderr);
        if (lrc == APCCTL_EXIT_INTERRUPTED)
            worst = lrc;
        else if (lrc != APCCTL_EXIT_OK && worst != APCCTL_EXIT_INTERRUPTED &&
                 (worst == APCCTL_EXIT_OK || lrc == APCCTL_EXIT_USAGE))
            worst = lrc;
    }
    if (apcctl_interrupted)
        worst = APCCTL_EXIT_INTERRUPTED;
    else if (ferror(in)) {
        apcctl_errorf("batch: reading %s: %s", file && strcmp(file, "-") ? file : "stdin",
                      strerror(errno));
        worst = APCCTL_EXIT_FAIL;
    }
    free(line);
    if (in != stdin)
        fclose(in);
    t->close(t);
    return worst;
}
