/* SPDX-License-Identifier: MIT */
/* Reading stored packets back: pages by last_id, per connection, one packet. */
#include <stdlib.h>
#include <string.h>

#include <apc/capture.h>

#include "capture/read_lean.h"
#include "core/ctx.h"
#include "core/error.h"
#include "decode/decode.h"
#include "fleet/peer.h"
#include "store/cursor.h"
#include "store/index.h"
#include "store/repair.h"
#include "store/segment.h"
#include "store/captures.h"
#include "store/store.h"
#include "util/array.h"
#include "util/page.h"

#define SCAN_CHUNK 4096
#define SKIP_PAGES 64 /* records looked at per page with a skip, in pages of `max` */
/* fill_packet: no text fields (apc__capture_read_lean); never taken from a public caller */
#define READ_LEAN 0x80000000u

typedef struct proc_cache {
    int64_t process_id;
    char *name;
} proc_cache_t;

/* What a page reader needs about a capture, loaded once per call. */
typedef struct reader {
    apc_ctx_t *ctx;
    int64_t capture_id;
    uint64_t packets;
    char dir[4096];
    uint32_t *linktypes;
    size_t n_ifaces;
    proc_cache_t procs[64];
    size_t n_procs;
} reader_t;

static void reader_close(reader_t *rd)
{
    free(rd->linktypes);
    for (size_t i = 0; i < rd->n_procs; i++)
        free(rd->procs[i].name);
}

static int add_iface(const apc__st_iface_t *i, void *payload)
{
    reader_t *rd = payload;
    /* by position: interfaces are numbered from 0 in the order they were declared */
    uint32_t *nl = realloc(rd->linktypes, (rd->n_ifaces + 1) * sizeof *nl);
    if (!nl)
        return apc__err(APC_ENOMEM, "out of memory");
    rd->linktypes = nl;
    nl[rd->n_ifaces++] = i->linktype;
    return 0;
}

/* A fleet's capture (PostgreSQL store) has its packet index and bytes on the node that made
 * it: the C API reads local files only, so it says so, naming the owner, rather than failing
 * on files it does not have. The actions ask the owner over HTTP (ops/op_packets.c). */
static int check_owner(apc_ctx_t *ctx, int64_t capture_id)
{
    char *node = NULL, *url = NULL;
    int r = apc__fleet_owner(ctx, capture_id, &node, &url);
    if (r == 1)
        r = apc__err(APC_ENOTSUP,
                     "capture %lld: its packets are on node '%s' (%s), not on this node "
                     "('%s'): read them through the actions (apc_op_call), which ask that node",
                     (long long)capture_id, node, *url ? url : "no URL registered", ctx->node_name);
    free(node);
    free(url);
    return r;
}

static int reader_open(reader_t *rd, apc_ctx_t *ctx, int64_t capture_id)
{
    memset(rd, 0, sizeof *rd);
    rd->ctx = ctx;
    rd->capture_id = capture_id;
    int r = apc__captures_packets(ctx->store, capture_id, &rd->packets);
    if (r == 0)
        r = apc__err(APC_ENOTFOUND, "capture %lld not found", (long long)capture_id);
    if (r < 0) {
        reader_close(rd);
        return r;
    }
    if ((r = check_owner(ctx, capture_id)) < 0) {
        reader_close(rd);
        return r;
    }
    apc__capture_dir(ctx, capture_id, rd->dir, sizeof rd->dir);
    r = apc__captures_ifaces(ctx->store, capture_id, add_iface, rd);
    if (r < 0)
        reader_close(rd);
    return r;
}

static const char *proc_name(reader_t *rd, int64_t process_id)
{
    for (size_t i = 0; i < rd->n_procs; i++)
        if (rd->procs[i].process_id == process_id)
            return rd->procs[i].name;
    char *name = NULL;
    if (apc__processes_name_of(rd->ctx->store, process_id, &name) <= 0)
        name = NULL;
    if (!name)
        return "";
    if (rd->n_procs == 64) {
        free(rd->procs[0].name);
        memmove(rd->procs, rd->procs + 1, 63 * sizeof rd->procs[0]);
        rd->n_procs--;
    }
    rd->procs[rd->n_procs].process_id = process_id;
    rd->procs[rd->n_procs].name = name;
    rd->n_procs++;
    return name;
}

/* A lean page (apc__capture_read_lean): its packets' bytes live in a few large blocks rather
 * than a malloc each (a million of them, with their frees, were a tenth of an examination). */
typedef struct lean_page {
    apc_packet_page_t pg; /* first: what the caller holds */
    uint8_t **blocks;
    size_t n_blocks, cap_blocks;
    uint8_t *next; /* the first free byte of the last block */
    size_t room;   /* and how many follow it */
} lean_page_t;

#define LEAN_BLOCK (256u << 10)

static uint8_t *lean_alloc(lean_page_t *lp, size_t n)
{
    if (n > lp->room) {
        /* a packet larger than a block gets one of its own; the last one's room is lost */
        size_t size = n > LEAN_BLOCK ? n : LEAN_BLOCK;
        if (apc__grow((void **)&lp->blocks, &lp->cap_blocks, lp->n_blocks + 1, sizeof *lp->blocks) <
            0)
            return NULL;
        uint8_t *b = malloc(size);
        if (!b)
            return NULL;
        lp->blocks[lp->n_blocks++] = b;
        lp->next = b;
        lp->room = size;
    }
    uint8_t *at = lp->next;
    lp->next += n;
    lp->room -= n;
    return at;
}

void apc__lean_page_free(apc_packet_page_t *pg)
{
    if (!pg)
        return;
    lean_page_t *lp = (lean_page_t *)pg;
    for (size_t i = 0; i < lp->n_blocks; i++)
        free(lp->blocks[i]);
    free(lp->blocks);
    free(pg->packets); /* their other fields are NULL in a lean page */
    free(lp);
}

static int fill_packet(reader_t *rd, apc__cursor_t *cur, int64_t id, const apc__idxrec_t *ir,
                       unsigned flags, lean_page_t *lean, apc_packet_t *p)
{
    memset(p, 0, sizeof *p);
    apc__segrec_t sr;
    int r = apc__cursor_bytes(cur, ir, &sr);
    if (r < 0)
        return apc__err_wrap(r, "capture %lld packet %lld", (long long)rd->capture_id,
                             (long long)id);
    p->id = id;
    p->capture_id = rd->capture_id;
    p->time = ir->ts_ns;
    p->length = sr.wirelen;
    p->caplen = sr.caplen;
    p->iface = sr.iface;
    p->direction = sr.direction;
    p->linktype = sr.iface < rd->n_ifaces ? rd->linktypes[sr.iface] : 0xffffffffU;
    apc__pkt_t d;
    apc__decode(&d, sr.data, sr.caplen, sr.wirelen, p->linktype);
    if (!p->direction)
        p->direction = d.direction;
    p->protocol = d.ip_ver ? d.ip_proto : -1;
    p->src_port = p->dst_port = p->tcp_flags = -1;
    if (d.ip_ver) {
        apc__addr_format(p->src_ip, sizeof p->src_ip, d.ip_ver, d.src);
        apc__addr_format(p->dst_ip, sizeof p->dst_ip, d.ip_ver, d.dst);
        if (d.has_l4 && (d.ip_proto == 6 || d.ip_proto == 17 || d.ip_proto == 132)) {
            p->src_port = d.sport;
            p->dst_port = d.dport;
        }
        if (d.has_l4 && d.ip_proto == 6)
            p->tcp_flags = d.tcp_flags;
    }
    p->conn_id = ir->conn_id;
    p->process_id = APC_IDX_PROC_ID(ir->proc);
    p->attribution = APC_IDX_ATTR(ir->proc);
    if (sr.has_pid_tid) {
        p->pid = sr.pid;
        p->tid = sr.tid;
    }
    if (flags & READ_LEAN) {
        if ((flags & APC_READ_BYTES) && sr.caplen) {
            p->data = lean_alloc(lean, sr.caplen);
            if (!p->data)
                return apc__err(APC_ENOMEM, "out of memory");
            memcpy(p->data, sr.data, sr.caplen);
        }
        return 0;
    }
    p->process_name = strdup(p->process_id ? proc_name(rd, p->process_id) : "");
    char sum[512];
    apc__decode_summary(sum, sizeof sum, &d, sr.data, sr.caplen, sr.wirelen);
    p->summary = strdup(sum);
    p->notes = strdup("");
    if ((flags & APC_READ_BYTES) && sr.caplen) {
        p->data = malloc(sr.caplen);
        if (p->data)
            memcpy(p->data, sr.data, sr.caplen);
    }
    if (!p->process_name || !p->summary || !p->notes ||
        ((flags & APC_READ_BYTES) && sr.caplen && !p->data))
        return apc__err(APC_ENOMEM, "out of memory");
    return 0;
}

static void free_packet_fields(apc_packet_t *p)
{
    free(p->process_name);
    free(p->summary);
    free(p->notes);
    free(p->data);
}

APC_API void apc_packet_free(apc_packet_t *p)
{
    if (!p)
        return;
    free_packet_fields(p);
    free(p);
}

APC_API void apc_packet_page_free(apc_packet_page_t *pg)
{
    if (!pg)
        return;
    for (size_t i = 0; i < pg->count; i++)
        free_packet_fields(&pg->packets[i]);
    free(pg->packets);
    free(pg);
}

static int attach_note(int64_t packet_id, const char *notes, void *payload)
{
    apc_packet_page_t *pg = payload;
    for (size_t i = 0; i < pg->count; i++)
        if (pg->packets[i].id == packet_id) {
            char *n = strdup(notes);
            if (!n)
                return apc__err(APC_ENOMEM, "out of memory");
            free(pg->packets[i].notes);
            pg->packets[i].notes = n;
            break;
        }
    return 0;
}

/* Packet notes for the page's id range, attached to the packets that have some. */
static int attach_notes(reader_t *rd, apc_packet_page_t *pg)
{
    if (pg->count == 0)
        return 0;
    return apc__captures_notes(rd->ctx->store, rd->capture_id, pg->packets[0].id,
                               pg->packets[pg->count - 1].id, attach_note, pg);
}

static int read_page(apc_ctx_t *ctx, int64_t capture_id, int64_t conn_id, int64_t last_id,
                     unsigned max, unsigned flags, apc__read_skip_fn skip, void *sp,
                     apc_packet_page_t **out)
{
    if (!ctx || !out)
        return apc__err(APC_EINVAL, "NULL argument");
    *out = NULL;
    if (last_id < 0)
        return apc__err(APC_EINVAL, "last_id %lld is negative", (long long)last_id);
    max = apc__page_size(max);
    reader_t rd;
    int r = reader_open(&rd, ctx, capture_id);
    if (r < 0)
        return r;
    lean_page_t *lean = (flags & READ_LEAN) ? calloc(1, sizeof *lean) : NULL;
    apc_packet_page_t *pg = lean ? &lean->pg : (flags & READ_LEAN) ? NULL : calloc(1, sizeof *pg);
    void (*page_free)(apc_packet_page_t *) = lean ? apc__lean_page_free : apc_packet_page_free;
    if (pg)
        pg->packets = calloc(max, sizeof *pg->packets);
    if (!pg || !pg->packets) {
        page_free(pg);
        reader_close(&rd);
        return apc__err(APC_ENOMEM, "out of memory");
    }
    pg->capture_id = capture_id;
    /* A page of a whole capture reads exactly its records; one connection's, batches. */
    apc__cursor_opts_t co = {
        .first = (uint64_t)last_id, .conn_id = conn_id, .batch = conn_id ? SCAN_CHUNK : max};
    apc__cursor_t *cur = NULL;
    r = apc__cursor_open(&cur, rd.dir, rd.packets, &co);
    int64_t id;
    const apc__idxrec_t *rec;
    /* Records a skip leaves out cost their index entry only; a page still ends after
     * SKIP_PAGES pages' worth of them, so that its reader sees its cancel and progress. */
    uint64_t looked = 0, limit = (uint64_t)max * SKIP_PAGES;
    while (r == 0 && pg->count < max && looked < limit &&
           (r = apc__cursor_next(cur, &id, &rec)) == 1) {
        looked++;
        if (skip && skip(sp, (int64_t)rec->conn_id)) {
            r = 0;
            continue;
        }
        r = fill_packet(&rd, cur, id, rec, flags, lean, &pg->packets[pg->count]);
        pg->count++;
    }
    /* Where the next page starts: after the last packet given, or (one connection's packets,
     * or records skipped) after the last record looked at. */
    uint64_t pos = cur ? apc__cursor_pos(cur) : co.first;
    pg->last_id = pg->count > 0 && !conn_id && !skip ? pg->packets[pg->count - 1].id : (int64_t)pos;
    pg->more = pos < rd.packets;
    if (r == 0 && !(flags & READ_LEAN))
        r = attach_notes(&rd, pg);
    apc__cursor_close(cur);
    reader_close(&rd);
    if (r < 0) {
        page_free(pg);
        return r;
    }
    *out = pg;
    return 0;
}

APC_API int apc_capture_read(apc_ctx_t *ctx, int64_t capture_id, int64_t last_id, unsigned max,
                             unsigned flags, apc_packet_page_t **out)
{
    return read_page(ctx, capture_id, 0, last_id, max, flags & ~READ_LEAN, NULL, NULL, out);
}

APC_API int apc_capture_read_conn(apc_ctx_t *ctx, int64_t capture_id, int64_t conn_id,
                                  int64_t last_id, unsigned max, unsigned flags,
                                  apc_packet_page_t **out)
{
    if (conn_id <= 0)
        return apc__err(APC_EINVAL, "conn_id must be positive");
    return read_page(ctx, capture_id, conn_id, last_id, max, flags & ~READ_LEAN, NULL, NULL, out);
}

int apc__capture_read_lean(apc_ctx_t *ctx, int64_t capture_id, int64_t conn_id, int64_t last_id,
                           unsigned max, apc__read_skip_fn skip, void *sp, apc_packet_page_t **out)
{
    if (conn_id < 0)
        return apc__err(APC_EINVAL, "conn_id must not be negative");
    return read_page(ctx, capture_id, conn_id, last_id, max, APC_READ_BYTES | READ_LEAN, skip, sp,
                     out);
}

int apc__capture_get_many(apc_ctx_t *ctx, int64_t capture_id, const int64_t *ids, size_t n,
                          apc_packet_t *out, size_t *got)
{
    *got = 0;
    reader_t rd;
    int r = reader_open(&rd, ctx, capture_id);
    if (r < 0)
        return r;
    apc__cursor_opts_t co = {.first = 0, .end = 1, .batch = 1};
    apc__cursor_t *cur = NULL;
    r = n ? apc__cursor_open(&cur, rd.dir, rd.packets, &co) : 0;
    for (size_t i = 0; r == 0 && i < n; i++) {
        if (ids[i] < 1 || (uint64_t)ids[i] > rd.packets)
            continue; /* not in this capture (cut back after a failure): as a deleted one */
        apc__cursor_seek(cur, (uint64_t)ids[i] - 1, (uint64_t)ids[i]);
        int64_t id;
        const apc__idxrec_t *rec;
        r = apc__cursor_next(cur, &id, &rec);
        if (r == 0) /* the index has every committed packet, or fails */
            r = apc__err(APC_ESTORE, "capture %lld: packet %lld missing from the index",
                         (long long)capture_id, (long long)ids[i]);
        if (r == 1) {
            memset(&out[*got], 0, sizeof out[*got]);
            r = fill_packet(&rd, cur, id, rec, 0, NULL, &out[*got]);
            (*got)++;
        }
    }
    apc__cursor_close(cur);
    if (r == 0 && *got) {
        int64_t lo = out[0].id, hi = out[0].id; /* ascending as asked, but do not rely on it */
        for (size_t i = 1; i < *got; i++) {
            lo = out[i].id < lo ? out[i].id : lo;
            hi = out[i].id > hi ? out[i].id : hi;
        }
        apc_packet_page_t pg = {.packets = out, .count = *got};
        r = apc__captures_notes(ctx->store, capture_id, lo, hi, attach_note, &pg);
    }
    reader_close(&rd);
    if (r < 0) {
        for (size_t i = 0; i < *got; i++)
            free_packet_fields(&out[i]);
        *got = 0;
    }
    return r;
}

APC_API int apc_capture_get_packet(apc_ctx_t *ctx, int64_t capture_id, int64_t packet_id,
                                   apc_packet_t **out)
{
    if (!ctx || !out)
        return apc__err(APC_EINVAL, "NULL argument");
    *out = NULL;
    reader_t rd;
    int r = reader_open(&rd, ctx, capture_id);
    if (r < 0)
        return r;
    if (packet_id < 1 || (uint64_t)packet_id > rd.packets) {
        reader_close(&rd);
        return apc__err(APC_ENOTFOUND, "packet %lld not found in capture %lld",
                        (long long)packet_id, (long long)capture_id);
    }
    apc__cursor_opts_t co = {
        .first = (uint64_t)packet_id - 1, .end = (uint64_t)packet_id, .batch = 1};
    apc__cursor_t *cur = NULL;
    int64_t id;
    const apc__idxrec_t *rec;
    apc_packet_page_t pg = {0};
    apc_packet_t *p = calloc(1, sizeof *p);
    r = p ? apc__cursor_open(&cur, rd.dir, rd.packets, &co) : apc__err(APC_ENOMEM, "out of memory");
    if (r == 0)
        r = apc__cursor_next(cur, &id, &rec);
    if (r == 1)
        r = fill_packet(&rd, cur, packet_id, rec, APC_READ_BYTES, NULL, p);
    else if (r == 0) /* cannot happen: the index has every committed packet, or fails */
        r = apc__err(APC_ESTORE, "capture %lld: packet %lld missing from the index",
                     (long long)capture_id, (long long)packet_id);
    apc__cursor_close(cur);
    if (r == 0) {
        pg.count = 1;
        pg.packets = p;
        r = attach_notes(&rd, &pg);
    }
    reader_close(&rd);
    if (r < 0) {
        apc_packet_free(p);
        return r;
    }
    *out = p;
    return 0;
}
