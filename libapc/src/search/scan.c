/* SPDX-License-Identifier: MIT */
/*
 * The planner and executor of one capture's scan (docs/filters.md "Planner"). For every index
 * record (time, location, connection, process) it asks the filter, cheapest facts first:
 *   1. the connection's row (addresses, ports, protocol, conn.*): its answer is cached per
 *      connection, so a false connection costs one lookup per packet;
 *   2. the index record itself (time, packet number, capture, process);
 *   3. only then the packet bytes, read sequentially from the segment (the capture cursor,
 *      store/cursor.h, in its sequential mode).
 */
#include <stdlib.h>
#include <string.h>

#include <apc/capture.h>

#include "core/ctx.h"
#include "core/error.h"
#include "search/fields.h"
#include "search/plan.h"
#include "search/search.h"
#include "store/cursor.h"
#include "store/index.h"
#include "store/repair.h"
#include "store/searches.h"
#include "store/store.h"

#define REC_CHUNK 8192
#define PROC_CACHE 256

typedef struct scan_state {
    apc__scan_t *s;
    char dir[4096];
    uint64_t packets;
    uint32_t *linktypes;
    size_t n_ifaces;
    apc__fconn_t *conns; /* by id; conns[i].id == 0 when absent */
    size_t n_conns;
    int uses_proc;
    int needs_decode;
    int frozen;     /* the capture no longer changes: spans may be used and built */
    int have_spans; /* conns[].first_id/last_id and the no-connection span are loaded */
    int direct;     /* the writer recorded the spans (connections.first_packet, last_packet) */
    int build;      /* this scan records spans (a full scan of a frozen capture) */
    int indexed;    /* only the candidate connections are loaded; the others are false */
    int64_t *cand;  /* indexed: the candidate connection ids */
    size_t n_cand;
    uint64_t nc_first, nc_last; /* packets without a connection (0, 0: none) */
    apc__fproc_t procs[PROC_CACHE];
    size_t n_procs, next_proc;
    apc__cursor_t *cur; /* over the packets to scan, opened once load() knows them */
} scan_state_t;

static int tree_uses_proc(const apc__fnode_t *n)
{
    if (!n)
        return 0;
    if (n->field && n->field->id >= F_PROC_ID && n->field->id <= F_PROC_PPID)
        return 1;
    return tree_uses_proc(n->a) || tree_uses_proc(n->b);
}

/* Whether answering the tree needs the decoded headers, or only the raw bytes and the
 * record (frame contains/matches, frame lengths, thread id, bpf()). */
static int tree_needs_decode(const apc__fnode_t *n)
{
    if (!n)
        return 0;
    if (n->field) {
        int id = n->field->id;
        if (n->field->src != FS_REC && id != F_FRAME && id != F_FRAME_LEN &&
            id != F_FRAME_CAP_LEN && id != F_THREAD_TID && id != F_CONN_ID && id != F_CONN_BYTES &&
            id != F_CONN_PACKETS)
            return 1;
    }
    return tree_needs_decode(n->a) || tree_needs_decode(n->b);
}

static void proc_clear(apc__fproc_t *p)
{
    free(p->name);
    free(p->path);
    free(p->cmdline);
    free(p->user);
    memset(p, 0, sizeof *p);
}

/* Process `id` from a small round-robin cache over the processes table; NULL if unknown. */
static const apc__fproc_t *proc_get(scan_state_t *st, int64_t id)
{
    if (!id)
        return NULL;
    for (size_t i = 0; i < st->n_procs; i++)
        if (st->procs[i].id == id)
            return &st->procs[i];
    apc__st_search_proc_t row;
    /* unknown, or not readable: the filter sees no process, as for a packet without one */
    if (apc__searches_process(st->s->ctx->store, id, &row) != 1)
        return NULL;
    size_t slot = st->n_procs < PROC_CACHE ? st->n_procs++ : st->next_proc++ % PROC_CACHE;
    apc__fproc_t *p = &st->procs[slot];
    proc_clear(p);
    p->id = id;
    p->pid = row.pid;
    p->ppid = row.ppid;
    p->name = row.name;
    p->path = row.path;
    p->cmdline = row.cmdline;
    p->user = row.user;
    return p;
}

/* A connection row into c; 0 (c->id 0) when its addresses are unusable. */
static int conn_row(apc__fconn_t *c, const apc__st_search_conn_t *row)
{
    c->id = row->id;
    c->proto = row->proto;
    c->ip_ver = row->ip_ver;
    int alen = c->ip_ver == 4 ? 4 : 16;
    if (row->src_len < alen || row->dst_len < alen) {
        c->id = 0; /* unusable row: its packets are judged from their bytes */
        return 0;
    }
    memcpy(c->src, row->src, (size_t)alen);
    memcpy(c->dst, row->dst, (size_t)alen);
    c->sport = (uint16_t)row->sport;
    c->dport = (uint16_t)row->dport;
    c->bytes = row->bytes;
    c->packets = row->packets;
    /* 0, 0 in captures stored before the writer recorded spans: load_spans fills them */
    c->first_id = row->first_packet;
    c->last_id = row->last_packet;
    c->verdict = -2;
    return 1;
}

/* Store callback: a connection row into st->conns by its id. */
static int conn_into(const apc__st_search_conn_t *row, void *payload)
{
    scan_state_t *st = payload;
    if (row->id > 0 && (size_t)row->id < st->n_conns)
        conn_row(&st->conns[row->id], row);
    return 0;
}

/* Store callback: a connection's span (conn_id 0: the packets without a connection). */
static int span_into(int64_t id, uint64_t first, uint64_t last, void *payload)
{
    scan_state_t *st = payload;
    if (id == 0) {
        st->nc_first = first;
        st->nc_last = last;
    } else if (id > 0 && (uint64_t)id < st->n_conns && st->conns[id].id) {
        st->conns[id].first_id = first;
        st->conns[id].last_id = last;
    }
    return 0;
}

static int load_conns(scan_state_t *st)
{
    int64_t max = 0;
    int r = apc__searches_conn_max(st->s->ctx->store, st->s->capture_id, &max);
    if (r < 0)
        return r;
    if (max <= 0)
        return 0;
    if ((uint64_t)max > (1ULL << 32))
        return apc__err(APC_ESTORE, "capture %lld: connection id %lld out of range",
                        (long long)st->s->capture_id, (long long)max);
    st->conns = calloc((size_t)max + 1, sizeof *st->conns);
    if (!st->conns)
        return apc__err(APC_ENOMEM, "out of memory for %lld connections", (long long)max);
    st->n_conns = (size_t)max + 1;
    return apc__searches_conns(st->s->ctx->store, st->s->capture_id, NULL, 0, conn_into, st);
}

/* The span index of a frozen capture, if a full scan built it for all its packets. */
static int spans_complete(scan_state_t *st)
{
    int64_t covered = 0;
    int r = apc__searches_spans_covered(st->s->ctx->store, st->s->capture_id, &covered);
    if (r < 0)
        return r;
    return r == 1 && (uint64_t)covered == st->packets;
}

static int load_spans(scan_state_t *st)
{
    int r = apc__searches_spans(st->s->ctx->store, st->s->capture_id, NULL, 0, span_into, st);
    if (r < 0)
        return r;
    st->have_spans = 1;
    return 0;
}

/* Stores the span index (the spans of the connections, then of the packets without one) and
 * the key index in one transaction. */
static int save_index(apc__store_t *store, const apc__span_index_t *st)
{
    apc__st_search_span_t *spans = malloc((st->n_conns + 1) * sizeof *spans);
    if (!spans)
        return apc__err(APC_ENOMEM, "out of memory for %zu connection spans", st->n_conns + 1);
    size_t n = 0;
    for (size_t i = 0; i <= st->n_conns; i++) {
        apc__st_search_span_t sp;
        if (i == st->n_conns) /* the no-connection span */
            sp = (apc__st_search_span_t){0, st->nc_first, st->nc_last};
        else
            sp = (apc__st_search_span_t){(int64_t)i, st->conns[i].first_id, st->conns[i].last_id};
        if (sp.first_id)
            spans[n++] = sp;
    }
    apc__st_search_key_t *keys = NULL;
    size_t n_keys = 0;
    int r = apc__plan_conn_keys(st->conns, st->n_conns, &keys, &n_keys);
    if (r == 0)
        r = apc__searches_save_index(store, st->capture_id, spans, n, keys, n_keys, st->packets);
    free(keys);
    free(spans);
    return r;
}

/* With the span index, the records that can match lie between the first and the last packet
 * of the connections whose answer is not false (and of the packets without a connection,
 * unless the filter is false for every such packet). */
static void plan_range(scan_state_t *st, apc__fpkt_t *p, uint64_t *lo, uint64_t *hi)
{
    const apc__filter_t *f = st->s->filter;
    *lo = UINT64_MAX;
    *hi = 0;
    memset(p, 0, sizeof *p);
    p->level = LV_CONN;
    /* indexed: visit the candidates only (the array is mostly untouched zero pages) */
    size_t n = st->indexed ? st->n_cand : st->n_conns;
    for (size_t k = st->indexed ? 0 : 1; k < n; k++) {
        size_t i = st->indexed ? (size_t)st->cand[k] : k;
        if (i >= st->n_conns)
            continue;
        apc__fconn_t *c = &st->conns[i];
        if (!c->id || !c->first_id)
            continue;
        if (c->verdict == -2) {
            p->conn = c;
            c->verdict = apc__flt_eval(f, p);
        }
        if (c->verdict == TV_FALSE)
            continue;
        if (c->first_id < *lo)
            *lo = c->first_id;
        if (c->last_id > *hi)
            *hi = c->last_id;
    }
    if (st->nc_first) {
        p->conn = NULL;
        p->noconn = 1;
        if (apc__flt_eval(f, p) != TV_FALSE) {
            if (st->nc_first < *lo)
                *lo = st->nc_first;
            if (st->nc_last > *hi)
                *hi = st->nc_last;
        }
        p->noconn = 0;
    }
}

static void note_span(scan_state_t *st, const apc__idxrec_t *rec, uint64_t id)
{
    uint64_t *first, *last;
    if (rec->conn_id && rec->conn_id < st->n_conns && st->conns[rec->conn_id].id) {
        first = &st->conns[rec->conn_id].first_id;
        last = &st->conns[rec->conn_id].last_id;
    } else {
        first = &st->nc_first;
        last = &st->nc_last;
    }
    if (!*first)
        *first = id;
    *last = id;
}

/* Loads only the candidate connections (and their spans, and the span of packets without a
 * connection): the other connections' packets are known not to match. */
static int load_candidates(scan_state_t *st, const apc__idset_t *set)
{
    apc__store_t *store = st->s->ctx->store;
    int64_t max = 0, cap = st->s->capture_id;
    int r = apc__searches_conn_max(store, cap, &max);
    if (r < 0)
        return r;
    if (max < 0 || (uint64_t)max > (1ULL << 32))
        return apc__err(APC_ESTORE, "capture %lld: connection id %lld out of range", (long long)cap,
                        (long long)max);
    st->conns = calloc((size_t)max + 1, sizeof *st->conns);
    if (!st->conns)
        return apc__err(APC_ENOMEM, "out of memory for %lld connections", (long long)max);
    st->n_conns = (size_t)max + 1;
    st->indexed = 1;
    st->have_spans = 1;
    st->cand = malloc((set->n ? set->n : 1) * sizeof *st->cand);
    /* the candidates that can be rows, then (for spans) those found and 0 */
    int64_t *ids = malloc((set->n + 1) * sizeof *ids);
    if (!st->cand || !ids) {
        free(ids);
        return apc__err(APC_ENOMEM, "out of memory");
    }
    if (set->n)
        memcpy(st->cand, set->ids, set->n * sizeof *st->cand);
    st->n_cand = set->n;
    size_t n = 0;
    for (size_t i = 0; i < set->n; i++)
        if (set->ids[i] > 0 && set->ids[i] <= max)
            ids[n++] = set->ids[i];
    r = apc__searches_conns(store, cap, ids, n, conn_into, st);
    /* direct: the rows carry the spans, load() read nc_* */
    if (r == 0 && !st->direct) {
        size_t k = 0;
        for (size_t i = 0; i < n; i++)
            if (st->conns[ids[i]].id)
                ids[k++] = ids[i];
        ids[k++] = 0;
        r = apc__searches_spans(store, cap, ids, k, span_into, st);
    }
    free(ids);
    return r;
}

void apc__search_index_save(apc_ctx_t *ctx, apc__span_index_t *ix)
{
    if (!ix)
        return;
    save_index(ctx->store, ix);
    free(ix->conns);
    free(ix);
}

/* Store callback: an interface's link type, by its index (up to 65535). */
static int linktype_into(int64_t idx, uint32_t linktype, void *payload)
{
    scan_state_t *st = payload;
    if (idx < 0 || idx > 65535)
        return 0;
    if ((size_t)idx >= st->n_ifaces) {
        uint32_t *nl = realloc(st->linktypes, ((size_t)idx + 1) * sizeof *nl);
        if (!nl)
            return apc__err(APC_ENOMEM, "out of memory");
        for (size_t i = st->n_ifaces; i <= (size_t)idx; i++)
            nl[i] = 0xffffffffu;
        st->linktypes = nl;
        st->n_ifaces = (size_t)idx + 1;
    }
    st->linktypes[idx] = linktype;
    return 0;
}

static int load(scan_state_t *st)
{
    apc__scan_t *s = st->s;
    /* Read before the connections: a commit stores a capture's packet count and its
     * connections together, so rows read later cover at least these packets. */
    apc__st_search_capture_t cr;
    int r = apc__searches_capture(s->ctx->store, s->capture_id, &cr);
    if (r == 0)
        return apc__err(APC_ENOTFOUND, "capture %lld not found", (long long)s->capture_id);
    if (r < 0)
        return r;
    st->packets = cr.packets;
    int64_t state = cr.state;
    st->direct = cr.packet_spans;
    if (st->direct) {
        st->nc_first = cr.nc_first;
        st->nc_last = cr.nc_last;
    }
    apc__capture_dir(s->ctx, s->capture_id, st->dir, sizeof st->dir);
    r = apc__searches_linktypes(s->ctx->store, s->capture_id, linktype_into, st);
    if (r < 0)
        return r;
    if (s->filter) {
        r = apc__files_resolve(s->ctx, s->capture_id, s->filter->root, s->cancel, s->cancel2);
        if (r < 0)
            return r;
    }
    st->uses_proc = s->filter && tree_uses_proc(s->filter->root);
    st->needs_decode = s->filter && tree_needs_decode(s->filter->root);
    st->frozen = state != APC_STATE_ACTIVE;
    /* Spans recorded by the writer hold for an active capture too: a span may grow past
     * st->packets, and the scan stops there. The first full scan's index needs a capture that
     * no longer changes. */
    int spans = st->direct ? 1 : st->frozen ? spans_complete(st) : 0;
    if (spans < 0)
        return spans;
    if (spans && s->filter && s->filter->root) {
        apc__idset_t set;
        r = apc__plan_candidates(s->ctx->store, s->capture_id, st->direct, s->filter->root, &set);
        if (r < 0)
            return r;
        if (!set.all)
            r = load_candidates(st, &set);
        apc__idset_free(&set);
        if (r < 0 || st->indexed)
            return r;
    }
    r = load_conns(st);
    if (r == 0 && spans && !st->direct)
        r = load_spans(st);
    if (r == 0 && st->direct)
        st->have_spans = 1;
    return r;
}

static void unload(scan_state_t *st)
{
    for (size_t i = 0; i < st->n_procs; i++)
        proc_clear(&st->procs[i]);
    free(st->conns);
    free(st->cand);
    free(st->linktypes);
    apc__cursor_close(st->cur);
}

/* The filter's answer for one record: connection, then record, then bytes. */
static int judge(scan_state_t *st, apc__fpkt_t *p, const apc__idxrec_t *rec, int64_t packet_id)
{
    const apc__filter_t *f = st->s->filter;
    if (!f || !f->root)
        return 1;
    apc__fconn_t *c = NULL;
    if (rec->conn_id && rec->conn_id < st->n_conns) {
        if (st->conns[rec->conn_id].id)
            c = &st->conns[rec->conn_id];
        else if (st->indexed)
            return TV_FALSE; /* not a candidate: the key index rules it out */
    }
    p->conn = c;
    if (c) {
        if (c->verdict == -2) {
            p->level = LV_CONN;
            c->verdict = apc__flt_eval(f, p);
        }
        if (c->verdict != TV_UNKNOWN)
            return c->verdict;
    }
    p->level = LV_REC;
    p->capture_id = st->s->capture_id;
    p->packet_id = packet_id;
    p->ts_ns = rec->ts_ns;
    p->proc = st->uses_proc ? proc_get(st, APC_IDX_PROC_ID(rec->proc)) : NULL;
    int v = apc__flt_eval(f, p);
    if (v != TV_UNKNOWN)
        return v;
    apc__segrec_t sr;
    int r = apc__cursor_bytes(st->cur, rec, &sr);
    if (r < 0) {
        char msg[256];
        apc__err_copy(msg, sizeof msg);
        return apc__err(r, "capture %lld packet %lld: %s", (long long)st->s->capture_id,
                        (long long)packet_id, msg);
    }
    st->s->bytes_read++;
    p->level = LV_FULL;
    p->data = sr.data;
    p->caplen = sr.caplen;
    p->wirelen = sr.wirelen;
    p->linktype = sr.iface < st->n_ifaces ? st->linktypes[sr.iface] : 0xffffffffu;
    p->has_pid_tid = sr.has_pid_tid;
    p->pid = sr.pid;
    p->tid = sr.tid;
    p->app.done = 0;
    if (st->needs_decode)
        apc__decode(&p->d, sr.data, sr.caplen, sr.wirelen, p->linktype);
    v = apc__flt_eval(f, p);
    return v == TV_TRUE;
}

int apc__search_scan(apc__scan_t *s)
{
    scan_state_t *st = calloc(1, sizeof *st);
    apc__fpkt_t *p = calloc(1, sizeof *p);
    int r = 0;
    if (!st || !p) {
        r = apc__err(APC_ENOMEM, "out of memory");
        goto out;
    }
    st->s = s;
    r = load(st);
    uint64_t next = 0, end = st->packets;
    if (r == 0 && st->have_spans && s->filter && s->filter->root) {
        uint64_t lo, hi;
        plan_range(st, p, &lo, &hi);
        if (lo > hi || lo > st->packets) { /* lo > packets: an active capture's newer rows */
            next = end = 0;
        } else {
            next = lo - 1;
            end = hi < st->packets ? hi : st->packets;
        }
        s->scanned += st->packets - (end - next); /* skipped: known not to match */
    }
    st->build = r == 0 && st->frozen && !st->have_spans && !s->time_from && !s->time_to;
    /* The time window is answered from the index records; a scan that records spans has none
     * (build above), so it sees every record. */
    apc__cursor_opts_t co = {.first = next,
                             .end = end,
                             .time_from = s->time_from,
                             .time_to = s->time_to,
                             .batch = REC_CHUNK,
                             .sequential = 1};
    if (r == 0 && next < end)
        r = apc__cursor_open(&st->cur, st->dir, st->packets, &co);
    uint64_t counted = next; /* records counted in s->scanned so far */
    int64_t id;
    const apc__idxrec_t *rec;
    while (r == 0 && st->cur) {
        if ((s->cancel && *s->cancel) || (s->cancel2 && *s->cancel2)) {
            r = apc__err(APC_ECANCELED, "the search was cancelled");
            break;
        }
        /* One batch of records between cancel checks and progress reports. */
        int more = 0;
        while (r == 0 && (more = apc__cursor_next(st->cur, &id, &rec)) == 1) {
            if (st->build)
                note_span(st, rec, (uint64_t)id);
            int v = judge(st, p, rec, id);
            if (v < 0)
                r = v;
            else if (v == TV_TRUE && s->on_match)
                r = s->on_match(s->capture_id, id, s->payload);
            if (apc__cursor_pos(st->cur) - counted >= REC_CHUNK)
                break;
        }
        if (more < 0)
            r = more;
        uint64_t pos = apc__cursor_pos(st->cur);
        s->scanned += pos - counted;
        s->records_read += pos - counted;
        counted = pos;
        if (r == 0 && s->on_progress)
            r = s->on_progress(s->payload);
        if (more == 0)
            break;
    }
    if (r == 0 && st && st->build) {
        /* only an optimisation: a failure to store it is not the scan's */
        apc__span_index_t *ix = calloc(1, sizeof *ix);
        if (ix) {
            ix->capture_id = s->capture_id;
            ix->packets = st->packets;
            ix->conns = st->conns;
            ix->n_conns = st->n_conns;
            ix->nc_first = st->nc_first;
            ix->nc_last = st->nc_last;
            st->conns = NULL;
            if (s->defer_index)
                s->pending_index = ix;
            else
                apc__search_index_save(s->ctx, ix);
        }
    }
out:
    if (st)
        unload(st);
    free(st);
    free(p);
    return r;
}

int apc__search_filter_capture(apc_ctx_t *ctx, const char *text, int64_t capture_id,
                               int64_t time_from, int64_t time_to, const volatile int *cancel,
                               apc__search_match_fn fn, void *payload, uint64_t *scanned)
{
    *scanned = 0;
    apc__filter_t *f = NULL;
    size_t off;
    int r = apc__flt_compile(text ? text : "", text ? strlen(text) : 0, &f, &off);
    if (r < 0)
        return r;
    apc__scan_t s = {0};
    s.ctx = ctx;
    s.filter = f;
    s.capture_id = capture_id;
    s.time_from = time_from;
    s.time_to = time_to;
    s.cancel = cancel;
    s.on_match = fn;
    s.payload = payload;
    r = apc__search_scan(&s);
    *scanned = s.scanned;
    apc__flt_free(f);
    return r;
}
