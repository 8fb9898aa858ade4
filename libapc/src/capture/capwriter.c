/* SPDX-License-Identifier: MIT */
/* The capture writer: per-packet bookkeeping and periodic commits (see capwriter.h). */
#include "capture/capwriter.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>

#include "capture/committer.h"
#include "capture/ipstats.h"
#include "core/ctx.h"
#include "core/error.h"
#include "core/fsutil.h"
#include "flow/flow.h"
#include "stats/agg.h"
#include "store/captures.h"
#include "store/index.h"
#include "store/repair.h"
#include "store/segment.h"
#include "store/store.h"
#include "util/clock.h"

#define MAX_CONNS_IN_MEMORY (1u << 19)

typedef struct procent {
    int64_t process_id, pid;
    uint64_t key; /* hash of pid, path and command line */
    uint64_t packets, bytes;
    int64_t last_tid; /* last thread row written, to skip repeats */
} procent_t;

struct apc__capw {
    apc_ctx_t *ctx;
    int64_t id;
    char dir[4096];
    apc__store_t *store;
    apc__cbatch_t batch; /* the next commit: evicted connections gather here between commits */
    apc__committer_t *committer; /* applies a commit while packets go on (committer.h) */
    apc__segw_t *seg;
    apc__idxw_t *idx;
    apc__flow_table_t *flows;
    apc__ipstats_t ips;
    apc__statsagg_t *stats; /* time series and per-key totals (stats/agg.h) */
    uint64_t packets, bytes;
    uint64_t nc_first, nc_last; /* packet ids of the first and last without a connection */
    int64_t first_ts, last_ts;
    uint32_t n_ifaces;
    uint64_t *iface_pkts;
    uint64_t proto_pkts[257], proto_bytes[257]; /* by IP protocol; [256] = not IP */
    procent_t *procs;
    size_t nprocs;
    size_t last_proc;
    int oom;
    /* The last commit record, and whether writing failed since (disk full, I/O, store). */
    uint64_t c_packets, c_seg_count, c_seg_bytes;
    /* ... and the one in flight on the commit thread, which becomes the last when applied. */
    uint64_t f_packets, f_seg_count, f_seg_bytes;
    int in_flight;
    int64_t c_time;         /* monotonic time of the last commit */
    uint64_t c_bytes;       /* packet bytes at the last commit */
    uint64_t space_checked; /* packet bytes when the free space was last looked at */
    int64_t commit_ns;      /* commit at least this often (apc__capw_set_commit_every) */
    uint64_t commit_bytes;  /* ... and after this many packet bytes */
    int broken;
    /* The free space fell below MIN_FREE_BYTES: no more packets are taken, but what was written
     * is whole, and the final commit (apc__capw_finish) records it using the space kept free
     * for exactly that. Unlike `broken`, nothing is cut back. */
    int low_space;
    /* Something reads the capture as it is committed (file extraction following it,
     * apc__ctx_capture_started): each commit is broadcast on the context so the reader wakes
     * at once. */
    int followed;
    apc__capw_new_ip_fn new_ip; /* apc__capw_on_new_ip */
    void *new_ip_arg;
};

/* Readers see new packets at least every second, and a crash loses at most 32 MiB. */
#define COMMIT_NS 1000000000LL
#define COMMIT_BYTES (32ULL << 20)

int apc__capture_create(apc_ctx_t *ctx, int type, const char *name, const char *source_file,
                        uint64_t total_bytes, int64_t *out_id)
{
    apc__st_capture_new_t row = {
        .type = type,
        .name = name ? name : "",
        .source_file = source_file ? source_file : "",
        .total_bytes = total_bytes,
        .start_time = apc__real_ns(),
    };
    int64_t id;
    int r = apc__captures_create(ctx->store, &row, &id);
    if (r < 0)
        return r;
    char dir[4096];
    apc__capture_dir(ctx, id, dir, sizeof dir);
    r = apc__mkdir_p(dir, 0750);
    if (r < 0)
        return r;
    *out_id = id;
    return 0;
}

/* A connection as the store keeps it. */
static int batch_conn(apc__cbatch_t *b, const apc__conn_t *c)
{
    apc__st_conn_t k = {
        .id = (int64_t)c->id,
        .proto = c->proto,
        .ip_ver = c->ip_ver,
        .sport = c->a_port,
        .dport = c->b_port,
        .first_ns = c->first_ns,
        .last_ns = c->last_ns,
        .pkts_out = c->pkts[0],
        .bytes_out = c->bytes[0],
        .pkts_in = c->pkts[1],
        .bytes_in = c->bytes[1],
        .state = c->tcp_state,
        .pid = c->pid,
        .tid = c->tid,
        .process_id = c->process_ref,
        .first_packet = c->first_packet,
        .last_packet = c->last_packet,
    };
    memcpy(k.src, c->a_addr, sizeof k.src);
    memcpy(k.dst, c->b_addr, sizeof k.dst);
    return apc__cbatch_conn(b, &k);
}

/* Adds the connection's pending port and address statistics (pend_stats) to the aggregator. */
static void flush_stats(apc__capw_t *w, apc__conn_t *c)
{
    if (!c->st_pend.packets)
        return;
    apc__stats_ends_t e = {
        .ip_ver = c->ip_ver,
        .addr1 = c->a_addr,
        .addr2 = c->b_addr,
        .port1 = c->a_port,
        .port2 = c->b_port,
        .t = c->st_pend.t,
        .first = c->st_pend.first,
        .last = c->st_pend.last,
        .packets = c->st_pend.packets,
        .bytes = c->st_pend.bytes,
    };
    apc__statsagg_ends(w->stats, &e);
    c->st_pend.packets = 0;
}

/*
 * Counts a TCP or UDP packet of connection c under its ports and addresses on the connection,
 * which the packet has just touched, and adds them to the aggregator when the minute bucket
 * changes, at each commit (batch_dirty) and when the connection leaves the table (on_evict).
 */
static void pend_stats(apc__capw_t *w, apc__conn_t *c, int64_t ts, uint32_t wirelen)
{
    int64_t t = apc__statsagg_key_bucket(ts);
    if (c->st_pend.packets && c->st_pend.t != t)
        flush_stats(w, c);
    if (!c->st_pend.packets) {
        c->st_pend.t = t;
        c->st_pend.first = c->st_pend.last = ts;
        c->st_pend.bytes = 0;
    }
    if (ts < c->st_pend.first)
        c->st_pend.first = ts;
    if (ts > c->st_pend.last)
        c->st_pend.last = ts;
    c->st_pend.packets++;
    c->st_pend.bytes += wirelen;
}

static void on_evict(const apc__conn_t *c, void *payload)
{
    apc__capw_t *w = payload;
    flush_stats(w, (apc__conn_t *)c); /* the table's own object, about to be reused */
    /* A clean one is stored as it is (leaving the table changes nothing in it): writing it again
     * was 40% of a 10,000,000-packet ingest's connection rows, each an upsert into an index that
     * grows with the capture (docs/benchmarks.md, "Growth"). */
    if (c->dirty && batch_conn(&w->batch, c) < 0)
        w->oom = 1;
}

int apc__capw_open(apc_ctx_t *ctx, int64_t capture_id, apc__capw_t **out)
{
    *out = NULL;
    apc__capw_t *w = calloc(1, sizeof *w);
    if (!w)
        return apc__err(APC_ENOMEM, "out of memory");
    w->ctx = ctx;
    w->id = capture_id;
    w->store = ctx->store;
    w->batch.capture_id = capture_id;
    apc__capture_dir(ctx, capture_id, w->dir, sizeof w->dir);
    int r = apc__ipstats_init(&w->ips);
    if (r == 0 && !(w->stats = apc__statsagg_new(capture_id)))
        r = apc__err(APC_ENOMEM, "out of memory for statistics");
    if (r == 0)
        r = apc__segw_open(&w->seg, w->dir, 0, 0, 0);
    if (r == 0)
        r = apc__idxw_open(&w->idx, w->dir, 0);
    if (r == 0)
        r = apc__committer_start(w->store, ctx, capture_id, &w->committer);
    if (r == 0) {
        w->flows = apc__flow_new(1, MAX_CONNS_IN_MEMORY, on_evict, w);
        if (!w->flows)
            r = apc__err(APC_ENOMEM, "out of memory for the connection table");
    }
    w->c_time = apc__mono_ns();
    if (r < 0) {
        char msg[1024];
        apc__err_copy(msg, sizeof msg);
        apc__capw_finish(w, APC_STATE_FAILED, msg, 0, 0);
        return apc__err(r, "%s", msg);
    }
    w->commit_ns = COMMIT_NS;
    w->commit_bytes = COMMIT_BYTES;
    w->followed = apc__ctx_capture_started(ctx, capture_id) == 1;
    *out = w;
    return 0;
}

int apc__capw_add_iface(apc__capw_t *w, uint32_t linktype, uint32_t snaplen, const char *name,
                        const char *description, uint64_t tsresol)
{
    uint64_t *np = realloc(w->iface_pkts, (w->n_ifaces + 1) * sizeof *np);
    if (!np)
        return apc__err(APC_ENOMEM, "out of memory");
    w->iface_pkts = np;
    np[w->n_ifaces] = 0;
    int r = apc__segw_add_iface(w->seg, w->n_ifaces, linktype, snaplen, name);
    if (r < 0)
        return r;
    apc__st_iface_t row = {
        .idx = w->n_ifaces,
        .linktype = linktype,
        .snaplen = snaplen,
        .tsresol = tsresol,
        .name = name ? name : "",
        .description = description ? description : "",
    };
    r = apc__captures_add_iface(w->store, w->id, &row);
    if (r < 0)
        return r;
    w->n_ifaces++;
    return 0;
}

static void on_dns_answer(const char *name, int ip_ver, const uint8_t *addr, void *payload)
{
    apc__capw_t *w = payload;
    apc__ipent_t *e = apc__ipstats_get(&w->ips, ip_ver, addr);
    if (!e)
        return;
    if (e->host_name && strcmp(e->host_name, name) == 0)
        return;
    char *n = strdup(name);
    if (!n)
        return;
    free(e->host_name);
    e->host_name = n;
    e->name_dirty = 1;
}

static void learn_dns(apc__capw_t *w, const apc__cappkt_t *p, const apc__pkt_t *d)
{
    if (!d->has_l4 || d->payload_caplen == 0 || d->payload_off >= p->caplen)
        return;
    const uint8_t *msg = p->data + d->payload_off;
    size_t len = d->payload_caplen;
    if (d->ip_proto == 17 && (d->sport == 53 || d->sport == 5353)) {
        apc__dns_answers(msg, len, on_dns_answer, w);
    } else if (d->ip_proto == 6 && d->sport == 53 && len > 2) {
        size_t mlen = ((size_t)msg[0] << 8) | msg[1];
        if (mlen <= len - 2)
            apc__dns_answers(msg + 2, mlen, on_dns_answer, w);
    }
}

static void count_ip(apc__capw_t *w, int ver, const uint8_t *addr, int64_t ts, uint32_t len,
                     int new_conn)
{
    apc__ipent_t *e = apc__ipstats_get(&w->ips, ver, addr);
    if (!e) {
        w->oom = 1;
        return;
    }
    if (e->packets == 0 && !e->host_name && w->new_ip)
        w->new_ip(ver, addr, w->new_ip_arg);
    if (e->packets == 0 || ts < e->first_ns)
        e->first_ns = ts;
    if (ts > e->last_ns)
        e->last_ns = ts;
    e->packets++;
    e->bytes += len;
    e->conns += (uint64_t)new_conn;
}

static procent_t *find_proc(apc__capw_t *w, int64_t process_id)
{
    if (w->last_proc < w->nprocs && w->procs[w->last_proc].process_id == process_id)
        return &w->procs[w->last_proc];
    for (size_t i = 0; i < w->nprocs; i++)
        if (w->procs[i].process_id == process_id) {
            w->last_proc = i;
            return &w->procs[i];
        }
    return NULL;
}

/* Stop taking packets while the filesystem still has room for the store's own last writes
 * (the commit of the packets written so far, marking the capture failed, WAL checkpoints),
 * rather than filling it to the last byte. docs/storage.md states this value. */
#define MIN_FREE_BYTES (32ULL << 20)
/* Packet bytes stored between two looks at the free space. */
#define SPACE_CHECK_BYTES (4ULL << 20)

/* 0, or -ENOSPC (w->low_space set) when less than MIN_FREE_BYTES are left. */
static int check_free_space(apc__capw_t *w)
{
    struct statvfs sv;
    if (statvfs(w->dir, &sv) != 0)
        return 0; /* cannot tell: the writes themselves will report a full disk */
    unsigned long long avail = (unsigned long long)sv.f_bavail * sv.f_frsize;
    if (avail >= MIN_FREE_BYTES)
        return 0;
    w->low_space = 1;
    return apc__err(-ENOSPC,
                    "disk full: %llu KiB left on the filesystem of '%s' (a capture stops below "
                    "%llu MiB free); the packets stored before the stop are kept",
                    avail >> 10, w->dir, MIN_FREE_BYTES >> 20);
}

void apc__capw_hint(apc__capw_t *w, const apc__pkt_t *d, uint64_t key, int stage)
{
    apc__flow_hint(w->flows, key, stage);
    if (stage == 0 && d->ip_ver) {
        apc__ipstats_hint(&w->ips, d->ip_ver, d->src);
        apc__ipstats_hint(&w->ips, d->ip_ver, d->dst);
    }
}

int apc__capw_add(apc__capw_t *w, const apc__cappkt_t *p, const apc__pkt_t *d)
{
    if (p->iface >= w->n_ifaces)
        return apc__err(APC_EINVAL, "packet on undeclared interface %u", p->iface);
    if (w->low_space)
        return apc__err(-ENOSPC, "disk full: the capture has stopped taking packets");
    int dir = 0;
    apc__conn_t *c =
        d->ip_ver ? apc__flow_track_at(w->flows, d, p->flow, p->ts_ns, p->wirelen, &dir) : NULL;
    /* A later fragment has no ports (it is counted under its addresses alone, packet by
     * packet); every other TCP or UDP packet of a connection carries the connection's. */
    int by_conn = c && d->has_l4 && (d->ip_proto == 6 || d->ip_proto == 17) &&
                  !(d->is_fragment && d->frag_offset != 0);
    apc__statsagg_packet(w->stats, d, p->ts_ns, p->wirelen, p->process_id,
                         c && c->pkts[0] + c->pkts[1] == 1, !by_conn);
    if (by_conn)
        pend_stats(w, c, p->ts_ns, p->wirelen);
    if (c && p->process_id && !c->process_ref) {
        c->process_ref = p->process_id;
        c->pid = p->pid;
        c->tid = p->tid;
        c->dirty = 1;
    }
    if (d->ip_ver) {
        int new_conn = c && c->pkts[0] + c->pkts[1] == 1;
        count_ip(w, d->ip_ver, d->src, p->ts_ns, p->wirelen, new_conn);
        /* A packet counts once for an address even when it is both ends (loopback). */
        if (memcmp(d->src, d->dst, d->ip_ver == 4 ? 4 : 16) != 0)
            count_ip(w, d->ip_ver, d->dst, p->ts_ns, p->wirelen, new_conn);
        learn_dns(w, p, d);
    }
    apc__segpkt_t sp = {
        .iface = p->iface,
        .ts_ns = p->ts_ns,
        .caplen = p->caplen,
        .wirelen = p->wirelen,
        .data = p->data,
        .direction = p->direction,
        .has_pid_tid = p->pid > 0,
        .pid = (uint32_t)p->pid,
        .tid = (uint32_t)p->tid,
        .comment = p->comment,
        .comment_len = p->comment_len,
    };
    apc__idxrec_t ir = {.ts_ns = p->ts_ns,
                        .conn_id = c ? (uint32_t)c->id : 0,
                        .proc = APC_IDX_PROC(p->process_id, p->attribution)};
    int r = apc__segw_append(w->seg, &sp, &ir.loc);
    if (r == 0)
        r = apc__idxw_append(w->idx, &ir);
    if (r == 0 && w->bytes - w->space_checked >= SPACE_CHECK_BYTES) {
        /* Between commits too: a fast source fills a disk in less than a second. */
        w->space_checked = w->bytes;
        r = check_free_space(w);
    }
    if (r < 0) {
        /* Too little space left is not a failed write: this packet and those before it are
         * whole, and the caller's apc__capw_finish commits them. */
        if (!w->low_space)
            w->broken = 1;
        return r;
    }
    if (p->process_id) {
        procent_t *pe = find_proc(w, p->process_id);
        if (pe) {
            pe->packets++;
            pe->bytes += p->wirelen;
            if (p->tid && p->tid != pe->last_tid) {
                pe->last_tid = p->tid;
                if (apc__cbatch_thread(&w->batch, p->process_id, p->tid) < 0)
                    w->oom = 1;
            }
        }
    }
    /* The span index of the search planner: this packet's id is w->packets + 1. */
    if (c) {
        if (!c->first_packet)
            c->first_packet = w->packets + 1;
        c->last_packet = w->packets + 1;
    } else {
        if (!w->nc_first)
            w->nc_first = w->packets + 1;
        w->nc_last = w->packets + 1;
    }
    if (w->packets == 0 || p->ts_ns < w->first_ts)
        w->first_ts = p->ts_ns;
    if (w->packets == 0 || p->ts_ns > w->last_ts)
        w->last_ts = p->ts_ns;
    w->packets++;
    w->bytes += p->wirelen;
    w->iface_pkts[p->iface]++;
    unsigned pi = d->ip_ver ? d->ip_proto : 256;
    w->proto_pkts[pi]++;
    w->proto_bytes[pi] += p->wirelen;
    if (w->oom)
        return apc__err(APC_ENOMEM, "out of memory while storing packets");
    return 0;
}

static uint64_t slice_hash(uint64_t h, apc__slice_t s)
{
    for (size_t i = 0; i < s.len; i++) {
        h ^= (uint8_t)s.p[i];
        h *= 1099511628211ULL;
    }
    return h;
}

static char *slice_dup(apc__slice_t s)
{
    char *t = malloc(s.len + 1);
    if (t) {
        if (s.len)
            memcpy(t, s.p, s.len);
        t[s.len] = '\0';
    }
    return t;
}

int apc__capw_file_process(apc__capw_t *w, const apc__procmeta_t *m, int64_t *out_process_id)
{
    uint64_t key =
        slice_hash(slice_hash(1469598103934665603ULL ^ (uint64_t)m->pid, m->cmd), m->args);
    for (size_t i = 0; i < w->nprocs; i++)
        if (w->procs[i].key == key && w->procs[i].pid == m->pid) {
            *out_process_id = w->procs[i].process_id;
            return 0;
        }
    procent_t *np = realloc(w->procs, (w->nprocs + 1) * sizeof *np);
    if (!np)
        return apc__err(APC_ENOMEM, "out of memory");
    w->procs = np;
    char *path = slice_dup(m->cmd), *args = slice_dup(m->args), *user = slice_dup(m->user);
    apc__slice_t base = apc__filemeta_basename(m->cmd);
    char *name = slice_dup(base);
    apc__st_process_t row = {
        .pid = m->pid,
        .ppid = m->ppid,
        .name = name,
        .path = path,
        .cmdline = args,
        .user = user,
        .source = "file",
        .origin_capture = w->id,
    };
    int64_t process_id = 0;
    int r = (!path || !args || !user || !name) ? apc__err(APC_ENOMEM, "out of memory")
                                               : apc__processes_add(w->store, &row, &process_id);
    free(path);
    free(args);
    free(user);
    free(name);
    if (r < 0)
        return r;
    procent_t *pe = &w->procs[w->nprocs++];
    memset(pe, 0, sizeof *pe);
    pe->process_id = process_id;
    pe->pid = m->pid;
    pe->key = key;
    if (m->tid > 0 && m->thread_name.len) {
        char *tn = slice_dup(m->thread_name);
        r = tn ? apc__processes_thread_add(w->store, pe->process_id, m->tid, tn)
               : apc__err(APC_ENOMEM, "out of memory");
        free(tn);
        if (r < 0)
            return r;
    }
    *out_process_id = pe->process_id;
    return 0;
}

static void batch_dirty(const apc__conn_t *c, void *payload)
{
    apc__capw_t *w = payload;
    flush_stats(w, (apc__conn_t *)c); /* before apc__statsagg_commit, in the same commit */
    if (!c->dirty)
        return;
    if (batch_conn(&w->batch, c) < 0)
        w->oom = 1;
    ((apc__conn_t *)c)->dirty = 0; /* the table's own object; foreach hands it out const */
}

/* Addresses whose counters or name changed since the last commit. */
static int batch_ips(apc__capw_t *w)
{
    for (size_t i = 0; i < w->ips.cap; i++) {
        apc__ipent_t *e = &w->ips.slots[i];
        if (!e->ver || (e->packets == e->c_packets && e->conns == e->c_conns && !e->name_dirty))
            continue;
        apc__st_ip_t row = {
            .ver = e->ver,
            .first_ns = e->first_ns,
            .last_ns = e->last_ns,
            .packets = e->packets,
            .bytes = e->bytes,
            .conns = e->conns,
            .add_packets = e->packets - e->c_packets,
            .add_bytes = e->bytes - e->c_bytes,
            .add_conns = e->conns - e->c_conns,
            .host_name = e->name_dirty && e->host_name ? e->host_name : "",
        };
        memcpy(row.addr, e->addr, sizeof row.addr);
        if (apc__cbatch_ip(&w->batch, &row) < 0)
            return apc__err(APC_ENOMEM, "out of memory while storing IP counters");
        /* A failed commit breaks the writer, so these are only read after a good one. */
        e->c_packets = e->packets;
        e->c_bytes = e->bytes;
        e->c_conns = e->conns;
        e->name_dirty = 0;
    }
    return 0;
}

static int batch_counts(apc__capw_t *w)
{
    apc__cbatch_t *b = &w->batch;
    int r = 0;
    for (size_t i = 0; r == 0 && i < w->nprocs; i++)
        r = apc__cbatch_proc(b, w->procs[i].process_id, w->procs[i].packets, w->procs[i].bytes);
    for (unsigned i = 0; r == 0 && i < 257; i++)
        if (w->proto_pkts[i])
            r = apc__cbatch_proto(b, i == 256 ? -1 : (int64_t)i, w->proto_pkts[i],
                                  w->proto_bytes[i]);
    for (uint32_t i = 0; r == 0 && i < w->n_ifaces; i++)
        r = apc__cbatch_iface(b, i, w->iface_pkts[i]);
    return r < 0 ? apc__err(APC_ENOMEM, "out of memory while storing counters") : 0;
}

/* Waits for the commit in flight: applied, it is now the last commit (what a failure later
 * cuts back to); failed, the writer is broken with its message. */
static int settle(apc__capw_t *w)
{
    if (!w->in_flight)
        return 0;
    w->in_flight = 0;
    int r = apc__committer_wait(w->committer);
    if (r < 0) {
        w->broken = 1;
        return r;
    }
    w->c_packets = w->f_packets;
    w->c_seg_count = w->f_seg_count;
    w->c_seg_bytes = w->f_seg_bytes;
    return 0;
}

static int commit(apc__capw_t *w, uint64_t progress_bytes, int final_state, const char *error,
                  uint64_t error_offset)
{
    /* Bytes first, then the record that makes them visible (see store/repair.c). */
    int r = apc__segw_flush(w->seg);
    if (r == 0)
        r = apc__idxw_flush(w->idx);
    if (r < 0) {
        w->broken = 1;
        return r;
    }
    /* The one before first: commits are applied in order, and one failed breaks the writer. */
    if ((r = settle(w)) < 0)
        return r;
    /* Too little space: this commit still goes through (the space kept free is for it), and
     * then the caller is told to stop. The final commit does not look: it is what the reserve
     * is for. */
    int space = final_state || w->low_space ? 0 : check_free_space(w);
    char space_msg[600] = "";
    if (space < 0)
        apc__err_copy(space_msg, sizeof space_msg);
    apc__cbatch_t *b = &w->batch;
    apc__flow_foreach(w->flows, batch_dirty, w);
    if (w->oom)
        r = apc__err(APC_ENOMEM, "out of memory while storing connections");
    if (r == 0)
        r = batch_ips(w);
    if (r == 0)
        r = batch_counts(w);
    if (r == 0)
        r = apc__statsagg_commit(w->stats, b);
    if (r == 0 && final_state)
        r = apc__statsagg_finish(w->stats, b);
    if (r == 0) {
        b->progress = (apc__st_progress_t){
            .packets = w->packets,
            .bytes = w->bytes,
            .seg_count = apc__segw_seg_no(w->seg) + 1,
            .seg_bytes = apc__segw_seg_bytes(w->seg),
            .progress_bytes = progress_bytes,
            .first_ts = w->first_ts,
            .last_ts = w->last_ts,
            .connections = apc__flow_next_id(w->flows) - 1,
            .nc_first = w->nc_first,
            .nc_last = w->nc_last,
        };
        b->final_state = final_state;
        b->error = error;
        b->error_offset = error_offset;
        b->end_time = apc__real_ns();
    }
    if (r < 0) {
        apc__cbatch_clear(b);
        w->broken = 1;
        return r;
    }
    uint64_t seg_count = apc__segw_seg_no(w->seg) + 1, seg_bytes = apc__segw_seg_bytes(w->seg);
    if (final_state) {
        /* The last one is applied here and now: the caller reports its result, and `error`
         * is the caller's. */
        r = apc__captures_commit(w->store, b);
        apc__cbatch_clear(b);
        if (r < 0) {
            w->broken = 1;
            return r;
        }
        w->c_packets = w->packets;
        w->c_seg_count = seg_count;
        w->c_seg_bytes = seg_bytes;
    } else if ((r = apc__committer_hand(w->committer, b)) < 0) {
        w->broken = 1;
        return r;
    } else {
        w->in_flight = 1;
        w->f_packets = w->packets;
        w->f_seg_count = seg_count;
        w->f_seg_bytes = seg_bytes;
    }
    return space < 0 ? apc__err(space, "%s", space_msg) : 0;
}

int apc__capw_commit(apc__capw_t *w, uint64_t progress_bytes)
{
    int r = commit(w, progress_bytes, 0, NULL, 0);
    w->c_time = apc__mono_ns();
    w->c_bytes = w->bytes;
    return r;
}

int apc__capw_sync(apc__capw_t *w)
{
    return settle(w);
}

void apc__capw_set_commit_every(apc__capw_t *w, int64_t ns, uint64_t bytes)
{
    w->commit_ns = ns > 0 ? ns : COMMIT_NS;
    w->commit_bytes = bytes > 0 ? bytes : COMMIT_BYTES;
}

int apc__capw_maybe_commit(apc__capw_t *w, uint64_t progress_bytes)
{
    uint64_t since = w->bytes - w->c_bytes;
    if (since < w->commit_bytes && apc__mono_ns() - w->c_time < w->commit_ns)
        return 0;
    /* The commit before is still being applied: packets go on and the commit comes a little
     * later, rather than this thread waiting for the store. Only a writer this far ahead (two
     * commits' worth of bytes, whose evicted connections wait in memory) waits for it. */
    if (since < 2 * w->commit_bytes && apc__committer_busy(w->committer))
        return 0;
    int r = apc__capw_commit(w, progress_bytes);
    return r < 0 ? r : 1;
}

int apc__capw_followed(const apc__capw_t *w)
{
    return w->followed;
}

uint64_t apc__capw_packets(const apc__capw_t *w)
{
    return w->packets;
}

static int mark_failed(apc_ctx_t *ctx, int64_t id, const char *error)
{
    return apc__captures_fail(ctx->store, id, error, apc__real_ns());
}

int apc__capw_finish(apc__capw_t *w, int state, const char *error, uint64_t error_offset,
                     uint64_t progress_bytes)
{
    int r = 0;
    apc__ctx_capture_ending(w->ctx);
    /* The commit in flight settles first, broken or not: applied, it is what a failure cuts
     * back to; still running, it could record packets after the cut. */
    settle(w);
    if (w->broken) {
        /* Writing failed: cut the files back to the last commit (which also frees the space a
         * full disk needs for the state change), then record why the capture ended. */
        char msg[1024];
        snprintf(msg, sizeof msg, "%s", error && *error ? error : "writing the capture failed");
        apc__segw_close(w->seg);
        apc__idxw_close(w->idx);
        w->seg = NULL;
        w->idx = NULL;
        apc__capture_cut(w->ctx, w->id, (int64_t)w->c_packets, (int64_t)w->c_seg_count,
                         (int64_t)w->c_seg_bytes);
        r = mark_failed(w->ctx, w->id, msg);
    } else if (w->seg && w->idx && w->flows) {
        /* Connections still in the table are dirty if they changed: the commit writes them. */
        r = commit(w, progress_bytes, state, error, error_offset);
        if (r < 0) {
            /* The final commit failed (disk full...): what the last commit covered stays;
             * the capture is marked failed with the reason. */
            char msg[1024];
            apc__err_copy(msg, sizeof msg);
            mark_failed(w->ctx, w->id, msg);
            apc__err(r, "%s", msg);
        }
    } else {
        r = mark_failed(w->ctx, w->id, error ? error : "capture could not start");
    }
    apc__committer_stop(w->committer); /* settled above: nothing is in flight */
    apc__segw_close(w->seg);
    apc__idxw_close(w->idx);
    /* The final commit stored every connection that changed (or the capture failed): evicting
     * them one by one into a batch nobody commits took 37 ms with 30,000 in the table. */
    apc__flow_discard(w->flows);
    apc__ipstats_free(&w->ips);
    apc__statsagg_free(w->stats);
    apc__cbatch_free(&w->batch);
    /* Runs the end hook (extraction) and wakes the waiters. */
    apc__ctx_capture_ended(w->ctx, w->c_packets > 0 ? w->id : 0);
    free(w->procs);
    free(w->iface_pkts);
    free(w);
    return r;
}

int apc__capw_set_drops(apc__capw_t *w, uint64_t kernel_drops, uint64_t drops)
{
    return apc__captures_set_drops(w->store, w->id, kernel_drops, drops);
}

int apc__capw_live_process(apc__capw_t *w, int64_t process_id, int64_t pid)
{
    if (find_proc(w, process_id))
        return 0;
    procent_t *np = realloc(w->procs, (w->nprocs + 1) * sizeof *np);
    if (!np)
        return apc__err(APC_ENOMEM, "out of memory");
    w->procs = np;
    procent_t *pe = &w->procs[w->nprocs++];
    memset(pe, 0, sizeof *pe);
    pe->process_id = process_id;
    pe->pid = pid;
    pe->key = 0;
    return 0;
}

void apc__capw_on_new_ip(apc__capw_t *w, apc__capw_new_ip_fn fn, void *arg)
{
    w->new_ip = fn;
    w->new_ip_arg = arg;
}
