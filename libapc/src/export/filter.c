/* SPDX-License-Identifier: MIT */
/*
 * The one place where exports meet the search language (module search, docs/filters.md).
 * apc__export_filter_open only compiles the filter, so a bad one is refused by
 * capture_export with the checker's message and offset before any command exists. The first
 * apc__export_filter_match (in the export job's thread) runs the search planner over the
 * capture once (connection and index answers first, packet bytes only where needed) and keeps
 * the matches as a bitmap of packet ids; later calls are a bit test.
 */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "export/export_int.h"
#include "search/search.h"

struct apc__export_filter {
    apc_ctx_t *ctx;
    int64_t capture_id;
    apc__filter_t *compiled;
    int ran;       /* the scan has run (successfully or not) */
    int failed;    /* it failed: nothing matches, the export writes no packet */
    uint8_t *bits; /* bit (packet_id - 1) set for a match */
    size_t nbytes;
};

int apc__export_filter_open(apc_ctx_t *ctx, int64_t capture_id, const char *filter,
                            apc__export_filter_t **out)
{
    *out = NULL;
    if (!filter || !*filter)
        return 0;
    apc__export_filter_t *f = calloc(1, sizeof *f);
    if (!f)
        return apc__err(APC_ENOMEM, "out of memory");
    size_t off = 0;
    int rc = apc__flt_compile(filter, strlen(filter), &f->compiled, &off);
    if (rc < 0) {
        char msg[512];
        apc__err_copy(msg, sizeof msg);
        free(f);
        return apc__err(rc, "bad filter: %s (at offset %zu)", msg, off);
    }
    f->ctx = ctx;
    f->capture_id = capture_id;
    *out = f;
    return 0;
}

static int on_match(int64_t capture_id, int64_t packet_id, void *payload)
{
    apc__export_filter_t *f = payload;
    (void)capture_id;
    size_t byte = (size_t)(packet_id - 1) / 8;
    if (byte >= f->nbytes) {
        size_t n = f->nbytes ? f->nbytes : 4096;
        while (n <= byte)
            n *= 2;
        uint8_t *nb = realloc(f->bits, n);
        if (!nb)
            return apc__err(APC_ENOMEM, "out of memory for the export filter's matches");
        memset(nb + f->nbytes, 0, n - f->nbytes);
        f->bits = nb;
        f->nbytes = n;
    }
    f->bits[byte] |= (uint8_t)(1u << ((packet_id - 1) % 8));
    return 0;
}

int apc__export_filter_match(apc__export_filter_t *f, int64_t packet_id)
{
    if (!f)
        return 1;
    if (!f->ran) {
        f->ran = 1;
        apc__scan_t s = {0};
        s.ctx = f->ctx;
        s.filter = f->compiled;
        s.capture_id = f->capture_id;
        s.on_match = on_match;
        s.payload = f;
        f->failed = apc__search_scan(&s) < 0;
    }
    if (f->failed || packet_id < 1)
        return 0;
    size_t byte = (size_t)(packet_id - 1) / 8;
    return byte < f->nbytes && (f->bits[byte] >> ((packet_id - 1) % 8) & 1);
}

void apc__export_filter_close(apc__export_filter_t *f)
{
    if (!f)
        return;
    apc__flt_free(f->compiled);
    free(f->bits);
    free(f);
}
