/* SPDX-License-Identifier: MIT */
/*
 * stats_call: times one action call through the action table (apc_op_call), the way apcd and
 * apcctl make it, on an existing data directory. Prints the reply and the best wall time of N
 * calls in ms on stderr.
 *
 *   stats_call DATA_DIR N ACTION name=value...
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <apc/apc.h>

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: stats_call DATA_DIR N ACTION [name=value...]\n");
        return 2;
    }
    apc_ctx_options_t o;
    apc_ctx_options_init(&o, APC_CTX_OPTIONS_VERSION);
    o.data_dir = argv[1];
    apc_ctx_t *ctx = NULL;
    if (apc_ctx_open(&ctx, &o) != 0) {
        fprintf(stderr, "stats_call: %s\n", apc_last_error_message());
        return 1;
    }
    int n = atoi(argv[2]);
    apc_params_t *p = NULL;
    apc_params_new(&p);
    for (int i = 4; i < argc; i++) {
        char *eq = strchr(argv[i], '=');
        if (!eq)
            continue;
        *eq = '\0';
        apc_params_add(p, argv[i], eq + 1);
    }
    apc_session_t s = {.role = APC_ROLE_ADMIN, .username = "bench"};
    double best = 1e18;
    char *json = NULL;
    int code = 0;
    for (int i = 0; i < (n > 0 ? n : 1); i++) {
        apc_free(json);
        json = NULL;
        double t0 = now_ms();
        code = apc_op_call(ctx, &s, argv[3], p, &json);
        double dt = now_ms() - t0;
        if (dt < best)
            best = dt;
    }
    printf("%s\n", json ? json : "");
    fprintf(stderr, "%s: best of %d calls: %.2f ms\n", argv[3], n, best);
    apc_free(json);
    apc_params_free(p);
    apc_ctx_close(ctx);
    return code == 0 ? 0 : 1;
}
