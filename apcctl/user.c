/* SPDX-License-Identifier: MIT */
/*
 * apcctl user add NAME [--role admin|viewer] | del NAME | passwd NAME | list: accounts of the
 * data directory (local mode, over the auth API of apc/auth.h). Passwords come from
 * $APC_PASSWORD or are asked twice on the terminal without echo, never on the command line.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <apc/apc.h>

#include "apcctl.h"

static int ask(const char *prompt, char *buf, size_t n)
{
    int tty = open("/dev/tty", O_RDWR | O_CLOEXEC);
    if (tty < 0)
        return -1;
    struct termios old, quiet;
    int have = tcgetattr(tty, &old) == 0;
    if (have) {
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(tty, TCSAFLUSH, &quiet);
    }
    (void)!write(tty, prompt, strlen(prompt));
    ssize_t k = read(tty, buf, n - 1);
    buf[k > 0 ? k : 0] = '\0';
    buf[strcspn(buf, "\r\n")] = '\0';
    if (have)
        tcsetattr(tty, TCSAFLUSH, &old);
    (void)!write(tty, "\n", 1);
    close(tty);
    return 0;
}

static int get_password(char *buf, size_t n)
{
    const char *env = getenv("APC_PASSWORD");
    if (env && *env) {
        snprintf(buf, n, "%s", env);
        return 0;
    }
    char again[1100];
    if (ask("New password: ", buf, n) < 0 || ask("Again: ", again, sizeof again) < 0) {
        apcctl_errorf("user: no terminal to ask the password on: set APC_PASSWORD");
        return -1;
    }
    int same = strcmp(buf, again) == 0;
    memset(again, 0, sizeof again);
    if (!same) {
        apcctl_errorf("user: the passwords differ");
        return -1;
    }
    return 0;
}

static int usage(void)
{
    apcctl_errorf("usage: apcctl user add NAME [--role admin|viewer] | del NAME | passwd NAME "
                  "| list");
    return APCCTL_EXIT_USAGE;
}

int apcctl_user(const apcctl_opts_t *o, int argc, char **argv)
{
    if (argc < 1)
        return usage();
    const char *sub = argv[0];
    int need_name = strcmp(sub, "list") != 0;
    if (strcmp(sub, "add") && strcmp(sub, "del") && strcmp(sub, "passwd") && strcmp(sub, "list"))
        return usage();
    if (need_name && argc < 2)
        return usage();
    int role = APC_ROLE_ADMIN;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(sub, "add") && !strcmp(argv[i], "--role") && i + 1 < argc) {
            if ((role = apc_role_parse(argv[++i])) < 0) {
                apcctl_errorf("user add: %s", apc_last_error_message());
                return APCCTL_EXIT_USAGE;
            }
        } else {
            return usage();
        }
    }
    if (!need_name && argc > 1)
        return usage();
    char pw[1100] = "";
    if ((!strcmp(sub, "add") || !strcmp(sub, "passwd")) && get_password(pw, sizeof pw) < 0)
        return APCCTL_EXIT_FAIL;

    apc_ctx_options_t opts;
    apc_ctx_options_init(&opts, APC_CTX_OPTIONS_VERSION);
    opts.data_dir = o->data_dir;
    opts.store = o->store;
    apc_ctx_t *ctx = NULL;
    if (apc_ctx_open(&ctx, &opts) < 0) {
        apcctl_errorf("%s: %s", o->data_dir, apc_last_error_message());
        return APCCTL_EXIT_FAIL;
    }
    int rc = 0;
    if (!strcmp(sub, "add"))
        rc = apc_user_add(ctx, argv[1], pw, role);
    else if (!strcmp(sub, "passwd"))
        rc = apc_user_passwd(ctx, argv[1], pw);
    else if (!strcmp(sub, "del"))
        rc = apc_user_del(ctx, argv[1]);
    else {
        apc_user_list_t *l = NULL;
        if ((rc = apc_user_list(ctx, &l)) == 0) {
            for (size_t i = 0; i < l->count; i++) {
                char when[32] = "";
                time_t t = (time_t)(l->items[i].created / 1000000000);
                struct tm tm;
                strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
                if (o->json)
                    printf("{\"Name\":\"%s\",\"Role\":\"%s\",\"Created\":\"%s\"}\n",
                           l->items[i].name, apc_role_name(l->items[i].role), when);
                else
                    printf("%-24s %-7s %s\n", l->items[i].name, apc_role_name(l->items[i].role),
                           when);
            }
            apc_user_list_free(l);
        }
    }
    memset(pw, 0, sizeof pw);
    if (rc < 0)
        apcctl_errorf("user %s: %s", sub, apc_last_error_message());
    apc_ctx_close(ctx);
    return rc < 0 ? APCCTL_EXIT_FAIL : APCCTL_EXIT_OK;
}
