/* SPDX-License-Identifier: MIT */
/* What the extraction engine learns from the store besides packets (extract/engine.h): the
 * connections and processes of the capture, loaded once for a stored capture, or as they appear
 * while the capture is still being stored (a followed run, detect.h), and the wait for the
 * next commit of such a capture. */
#include <stdlib.h>
#include <string.h>

#include "capture/read_lean.h"
#include "core/ctx.h"
#include "core/error.h"
#include "extract/engine.h"
#include "util/array.h"

/* How often a followed run looks at its capture when no commit woke it: the writer broadcasts
 * each commit of a followed capture (capture/capwriter.c), so this only bounds how late a
 * cancel is seen. */
#define FOLLOW_POLL_MS 100

/* Rows of connections with id > last, up to id `upto` (0: every one after last; a run of
 * only_conn: that one): new ones are added, known ones updated (a connection's owner can be
 * learned from a later packet than its first). */
static int load_rows(engine_t *e, int64_t last, int64_t upto)
{
    for (;;) {
        unsigned max = APC_PAGE_MAX;
        if (upto > 0 && upto - last < (int64_t)APC_PAGE_MAX)
            max = (unsigned)(upto - last);
        apc_conn_page_t *pg = NULL;
        int r = apc__capture_list_conns_lean(e->run->ctx, e->run->capture_id, last, max, &pg);
        if (r < 0)
            return r;
        for (size_t i = 0; i < pg->count; i++) {
            const apc_conn_t *c = &pg->conns[i];
            if (c->id <= 0 || c->id > (int64_t)1 << 40)
                continue;
            if (apc__grow((void **)&e->ci, &e->cap_ci, (size_t)c->id, sizeof *e->ci) < 0) {
                apc_conn_page_free(pg);
                return apc__err(APC_ENOMEM, "out of memory");
            }
            while (e->n_ci < (size_t)c->id)
                memset(&e->ci[e->n_ci++], 0, sizeof *e->ci);
            conninfo_t *ci = &e->ci[c->id - 1];
            char *name = strdup(c->process_name ? c->process_name : "");
            if (!name) {
                apc_conn_page_free(pg);
                return apc__err(APC_ENOMEM, "out of memory");
            }
            free(ci->process_name);
            ci->process_name = name;
            snprintf(ci->src_ip, sizeof ci->src_ip, "%s", c->src_ip);
            snprintf(ci->dst_ip, sizeof ci->dst_ip, "%s", c->dst_ip);
            ci->src_port = c->src_port;
            ci->dst_port = c->dst_port;
            ci->pid = c->pid;
            ci->process_id = c->process_id;
            ci->loaded = 1;
        }
        int more = pg->more && !e->run->only_conn && pg->count > 0;
        last = pg->last_id;
        apc_conn_page_free(pg);
        if (!more || (upto > 0 && last >= upto))
            return 0;
    }
}

int apc__xe_load_conns(engine_t *e, int64_t last)
{
    const apc__xtrun_t *run = e->run;
    int r = 0;
    if (run->conns) {
        /* only the connections read, a page per cluster of near ids: a listing page's typing
         * needs a few dozen of a capture's tens of thousands */
        for (size_t k = 0; r == 0 && k < run->n_conns;) {
            size_t j = k;
            while (j + 1 < run->n_conns && run->conns[j + 1] - run->conns[k] < APC_PAGE_MAX)
                j++;
            if (run->conns[j] > last)
                r = load_rows(e, run->conns[k] - 1 > last ? run->conns[k] - 1 : last,
                              run->conns[j]);
            k = j + 1;
        }
    } else {
        r = load_rows(e, last, 0);
    }
    if (r < 0)
        return r;
    /* the reassembly states, one slot per connection row */
    if (e->n_conns < e->n_ci || !e->conns) {
        size_t n = e->n_ci ? e->n_ci : 1;
        xconn_t **nc = realloc(e->conns, n * sizeof *nc);
        if (!nc)
            return apc__err(APC_ENOMEM, "out of memory");
        memset(nc + e->n_conns, 0, (n - e->n_conns) * sizeof *nc);
        e->conns = nc;
        e->n_conns = e->n_ci;
    }
    return 0;
}

/* Every process of the capture, again from the first: the list a followed run loaded at its
 * start lacks those stored since. */
int apc__xe_load_procs(engine_t *e)
{
    for (size_t i = 0; i < e->n_pp; i++)
        free(e->pp[i].path);
    e->n_pp = 0;
    int64_t last = 0;
    for (;;) {
        apc_process_page_t *pg = NULL;
        int r = apc_capture_get_processes(e->run->ctx, e->run->capture_id, last, APC_PAGE_MAX, &pg);
        if (r < 0)
            return r;
        for (size_t i = 0; i < pg->count; i++) {
            if (apc__grow((void **)&e->pp, &e->cap_pp, e->n_pp + 1, sizeof *e->pp) < 0) {
                apc_process_page_free(pg);
                return apc__err(APC_ENOMEM, "out of memory");
            }
            procpath_t *pp = &e->pp[e->n_pp];
            pp->process_id = pg->procs[i].process_id;
            if (!(pp->path = strdup(pg->procs[i].path ? pg->procs[i].path : ""))) {
                apc_process_page_free(pg);
                return apc__err(APC_ENOMEM, "out of memory");
            }
            e->n_pp++;
        }
        int more = pg->more;
        last = pg->last_id;
        apc_process_page_free(pg);
        if (!more)
            return 0;
    }
}

/* A page of a followed capture names connections whose rows were not loaded yet. The writer
 * puts every connection it created or changed since the last commit into that commit, in the
 * same transaction as the packets it makes visible (capture/capwriter.c commit: batch_dirty,
 * then apc__captures_commit), so a committed packet's connection row is committed too: one
 * load from the lowest missing id finds them all. */
int apc__xe_follow_conns(engine_t *e, const apc_packet_page_t *pg)
{
    int64_t missing = 0;
    for (size_t i = 0; i < pg->count; i++) {
        int64_t id = pg->packets[i].conn_id;
        if (id > 0 && ((size_t)id > e->n_ci || !e->ci[id - 1].loaded) &&
            (missing == 0 || id < missing))
            missing = id;
    }
    return missing ? apc__xe_load_conns(e, missing - 1) : 0;
}

void apc__xe_owner(const engine_t *e, int64_t conn_id, int64_t *pid, const char **name,
                   const char **path)
{
    const conninfo_t *ci =
        conn_id > 0 && (size_t)(conn_id - 1) < e->n_ci ? &e->ci[conn_id - 1] : NULL;
    *pid = ci ? ci->pid : 0;
    *name = ci && ci->process_name ? ci->process_name : "";
    *path = "";
    for (size_t i = 0; ci && ci->process_id && i < e->n_pp; i++)
        if (e->pp[i].process_id == ci->process_id) {
            *path = e->pp[i].path;
            break;
        }
}

static void owner_of(const void *eng, int64_t conn_id, int64_t *pid, const char **name,
                     const char **path)
{
    apc__xe_owner(eng, conn_id, pid, name, path);
}

int apc__xe_follow_end(engine_t *e)
{
    int r = apc__xe_load_conns(e, 0);
    if (r == 0)
        r = apc__xe_load_procs(e);
    if (r == 0 && e->run->reowned)
        e->run->reowned(e->run->payload, owner_of, e);
    return r;
}

typedef struct follow_wait {
    const apc__xtrun_t *run;
    int64_t last; /* the last packet read */
    int ended;
    int err;
} follow_wait_t;

static int follow_check(void *payload)
{
    follow_wait_t *w = payload;
    if (w->run->cancelled && *w->run->cancelled)
        return 1;
    apc_capture_t *cap = NULL;
    int r = apc_capture_get(w->run->ctx, w->run->capture_id, &cap);
    if (r < 0) {
        w->err = r;
        return 1;
    }
    /* the state first: the final commit makes the last packets and the end visible at once */
    w->ended = cap->state != APC_STATE_ACTIVE;
    int news = cap->packets > (uint64_t)w->last;
    apc_capture_free(cap);
    return w->ended || news;
}

int apc__xe_follow_wait(engine_t *e, int64_t last, int *ended)
{
    follow_wait_t w = {.run = e->run, .last = last};
    int r = apc__ctx_wait(e->run->ctx, -1, FOLLOW_POLL_MS, follow_check, &w);
    if (r < 0)
        return r;
    if (w.err < 0)
        return w.err;
    if (e->run->cancelled && *e->run->cancelled)
        return apc__err(APC_ECANCELED, "cancelled");
    *ended = w.ended;
    return 0;
}
