/* SPDX-License-Identifier: MIT */
/*
 * search_call DATA_DIR CAPTURE_ID FILTER: starts one search through the public API and prints
 * the time to its first non-empty page (as a client polling search_read sees it), the time to
 * completion, packets scanned and matches. Used by bench/search/run.sh.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <apc/apc.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: search_call DATA_DIR CAPTURE_ID FILTER\n");
        return 2;
    }
    apc_ctx_options_t o;
    apc_ctx_options_init(&o, APC_CTX_OPTIONS_VERSION);
    o.data_dir = argv[1];
    apc_ctx_t *ctx;
    if (apc_ctx_open(&ctx, &o) != 0) {
        fprintf(stderr, "open: %s\n", apc_last_error_message());
        return 1;
    }
    apc_search_options_t so;
    apc_search_options_init(&so, APC_SEARCH_OPTIONS_VERSION);
    so.capture_id = atoll(argv[2]);
    int64_t id;
    double t0 = now(), first = -1;
    if (apc_search_start(ctx, argv[3], &so, &id) != 0) {
        fprintf(stderr, "start: %s\n", apc_last_error_message());
        return 1;
    }
    size_t first_count = 0;
    for (;;) {
        apc_search_page_t *pg = NULL;
        if (apc_search_read(ctx, id, 0, 100, &pg) != 0) {
            fprintf(stderr, "read: %s\n", apc_last_error_message());
            return 1;
        }
        size_t n = pg->count;
        int more = pg->more;
        apc_search_page_free(pg);
        if (n > 0 || !more) {
            first = now() - t0;
            first_count = n;
            break;
        }
        /* a client polls; it does not spin (the job needs the CPU) */
        struct timespec ms = {0, 1000000};
        nanosleep(&ms, NULL);
    }
    apc_search_wait(ctx, id, -1);
    double total = now() - t0;
    apc_search_meta_t *m = NULL;
    apc_search_get(ctx, id, &m);
    printf("first_page_ms=%.2f first_page_count=%zu total_s=%.3f scanned=%llu matches=%llu "
           "state=%s\n",
           first * 1e3, first_count, total, (unsigned long long)m->scanned,
           (unsigned long long)m->matches, apc_search_state_name(m->state));
    apc_search_meta_free(m);
    apc_search_delete(ctx, id);
    apc_ctx_close(ctx);
    return 0;
}
