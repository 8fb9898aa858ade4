/* SPDX-License-Identifier: MIT */
/*
 * Example: ingest a capture file and print, for every connection, which process owned it and
 * how much it sent each way. Uses only the public API (apc/apc.h).
 *
 *   who_sent_what DATA_DIR FILE.pcapng
 */
#include <stdio.h>
#include <stdlib.h>

#include <apc/apc.h>

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s DATA_DIR CAPTURE_FILE\n", argv[0]);
        return 2;
    }
    apc_ctx_options_t o;
    apc_ctx_options_init(&o, APC_CTX_OPTIONS_VERSION);
    o.data_dir = argv[1];
    apc_ctx_t *ctx;
    if (apc_ctx_open(&ctx, &o) != 0) {
        fprintf(stderr, "%s\n", apc_last_error_message());
        return 1;
    }
    int64_t id;
    int rc = apc_ingest_file(ctx, argv[2], NULL, &id);
    if (rc == 0)
        rc = apc_capture_wait(ctx, id, -1);
    if (rc != 0) {
        fprintf(stderr, "%s: %s\n", apc_err_name(rc), apc_last_error_message());
        apc_ctx_close(ctx);
        return 1;
    }
    int64_t last = 0;
    int more = 1;
    while (more) {
        apc_conn_page_t *pg;
        if (apc_capture_list_conns(ctx, id, last, 0, &pg) != 0) {
            fprintf(stderr, "%s\n", apc_last_error_message());
            break;
        }
        for (size_t i = 0; i < pg->count; i++) {
            const apc_conn_t *c = &pg->conns[i];
            printf("%-8s %s:%d -> %s:%d  out %llu B  in %llu B  %s\n",
                   c->process_name[0] ? c->process_name : "?", c->src_ip, c->src_port, c->dst_ip,
                   c->dst_port, (unsigned long long)c->bytes_out, (unsigned long long)c->bytes_in,
                   c->pid ? "" : "(no process known)");
        }
        more = pg->more;
        last = pg->last_id;
        apc_conn_page_free(pg);
    }
    apc_ctx_close(ctx);
    return 0;
}
