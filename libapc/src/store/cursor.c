/* SPDX-License-Identifier: MIT */
/* The capture cursor (see cursor.h). */
#include "store/cursor.h"

#include <stdlib.h>
#include <string.h>

#include <apc/common.h>

#include "core/error.h"
#include "store/segscan.h"

#define DEFAULT_BATCH 4096

struct apc__cursor {
    char *dir;
    apc__cursor_opts_t o;
    uint64_t packets;
    uint64_t next; /* next record to read from the index */
    uint64_t pos;  /* records passed over (yielded or skipped) */
    apc__idxrec_t *recs;
    size_t n, i; /* records in recs, the next one to look at */
    apc__segr_t *segr;
    apc__segscan_t scan;
    int scan_open;
};

int apc__cursor_open(apc__cursor_t **out, const char *dir, uint64_t packets,
                     const apc__cursor_opts_t *opts)
{
    *out = NULL;
    apc__cursor_t *c = calloc(1, sizeof *c);
    if (!c)
        return apc__err(APC_ENOMEM, "out of memory");
    if (opts)
        c->o = *opts;
    if (!c->o.end || c->o.end > packets)
        c->o.end = packets;
    if (!c->o.batch)
        c->o.batch = DEFAULT_BATCH;
    c->packets = packets;
    c->next = c->pos = c->o.first;
    c->dir = strdup(dir);
    c->recs = malloc(c->o.batch * sizeof *c->recs);
    int r = c->dir && c->recs ? 0 : apc__err(APC_ENOMEM, "out of memory");
    if (r == 0 && c->o.sequential) {
        apc__segscan_init(&c->scan, c->dir);
        c->scan_open = 1;
    } else if (r == 0) {
        r = apc__segr_open(&c->segr, c->dir);
        /* Safe: every block read is below `packets`, written before the cursor opened. */
        if (r == 0)
            r = apc__segr_read_ahead(c->segr);
    }
    if (r < 0) {
        apc__cursor_close(c);
        return r;
    }
    *out = c;
    return 0;
}

static int passes(const apc__cursor_t *c, const apc__idxrec_t *rec)
{
    const apc__cursor_opts_t *o = &c->o;
    return (!o->conn_id || rec->conn_id == (uint64_t)o->conn_id) &&
           (!o->process_id || APC_IDX_PROC_ID(rec->proc) == (uint64_t)o->process_id) &&
           (!o->time_from || rec->ts_ns >= o->time_from) &&
           (!o->time_to || rec->ts_ns <= o->time_to);
}

int apc__cursor_next(apc__cursor_t *c, int64_t *id, const apc__idxrec_t **rec)
{
    for (;;) {
        while (c->i < c->n) {
            const apc__idxrec_t *r = &c->recs[c->i++];
            uint64_t at = c->pos++;
            if (passes(c, r)) {
                *id = (int64_t)at + 1;
                *rec = r;
                return 1;
            }
        }
        if (c->next >= c->o.end)
            return 0;
        size_t want = c->o.batch;
        if (want > c->o.end - c->next)
            want = (size_t)(c->o.end - c->next);
        long got = apc__idx_read(c->dir, c->next, want, c->recs);
        if (got < 0)
            return (int)got;
        if (got == 0)
            return apc__err(APC_ESTORE, "the index of '%s' ends at packet %llu of %llu", c->dir,
                            (unsigned long long)c->next, (unsigned long long)c->packets);
        c->next += (uint64_t)got;
        c->n = (size_t)got;
        c->i = 0;
    }
}

uint64_t apc__cursor_pos(const apc__cursor_t *c)
{
    return c->pos;
}

uint64_t apc__cursor_end(const apc__cursor_t *c)
{
    return c->o.end;
}

void apc__cursor_seek(apc__cursor_t *c, uint64_t first, uint64_t end)
{
    c->o.first = c->next = c->pos = first;
    c->o.end = !end || end > c->packets ? c->packets : end;
    c->n = c->i = 0;
}

int apc__cursor_bytes(apc__cursor_t *c, const apc__idxrec_t *rec, apc__segrec_t *out)
{
    return c->o.sequential ? apc__segscan_read(&c->scan, rec->loc, out)
                           : apc__segr_read(c->segr, rec->loc, out);
}

void apc__cursor_close(apc__cursor_t *c)
{
    if (!c)
        return;
    if (c->scan_open)
        apc__segscan_close(&c->scan);
    apc__segr_close(c->segr);
    free(c->recs);
    free(c->dir);
    free(c);
}
