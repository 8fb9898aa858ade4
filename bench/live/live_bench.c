/* SPDX-License-Identifier: MIT */
/*
 * Our side of bench/live: a system capture (attribution on: eBPF when it loads) of one adapter
 * into a fresh data directory, or with pid=N a process capture of that pid (the capture that
 * must keep up while other traffic passes it by). Prints "ready <backend>" once capturing,
 * stops at a line on stdin, then prints "packets P kernel_drops K drops D".
 *   live_bench DATA_DIR ADAPTER [no-ebpf] [pid=N]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apc/apc.h>

int main(int argc, char **argv)
{
    if (argc < 3)
        return 2;
    apc_ctx_options_t co;
    apc_ctx_options_init(&co, APC_CTX_OPTIONS_VERSION);
    co.data_dir = argv[1];
    apc_ctx_t *ctx = NULL;
    if (apc_ctx_open(&ctx, &co) < 0) {
        fprintf(stderr, "open: %s\n", apc_last_error_message());
        return 1;
    }
    apc_live_options_t o;
    apc_live_options_init(&o, APC_LIVE_OPTIONS_VERSION);
    const char *ad[1] = {argv[2]};
    o.adapters = ad;
    o.n_adapters = 1;
    int type = APC_CAPTURE_SYSTEM;
    for (int i = 3; i < argc; i++) {
        if (strcmp(argv[i], "no-ebpf") == 0)
            o.flags |= APC_CAPTURE_FLAG_NO_EBPF;
        else if (strncmp(argv[i], "pid=", 4) == 0) {
            o.pid = atoll(argv[i] + 4);
            type = APC_CAPTURE_PROCESS;
        } else {
            fprintf(stderr, "unknown argument %s\n", argv[i]);
            return 2;
        }
    }
    int64_t id = 0;
    int rc = type == APC_CAPTURE_PROCESS ? apc_capture_start_process(ctx, &o, &id)
                                         : apc_capture_start_system(ctx, &o, &id);
    if (rc < 0) {
        fprintf(stderr, "start: %s\n", apc_last_error_message());
        return 1;
    }
    const char *reason = "";
    const char *b = apc_attribution_backend(ctx, &reason);
    printf("ready %s (%s)\n", b, reason);
    fflush(stdout);
    char line[64];
    if (!fgets(line, sizeof line, stdin))
        line[0] = '\0';
    apc_capture_stop(ctx, id, type);
    apc_capture_t *c = NULL;
    if (apc_capture_get(ctx, id, &c) < 0)
        return 1;
    printf("packets %llu kernel_drops %llu drops %llu\n", (unsigned long long)c->packets,
           (unsigned long long)c->kernel_drops, (unsigned long long)c->drops);
    apc_capture_free(c);
    apc_ctx_close(ctx);
    return 0;
}
