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

#include "capture/ipstats.h"
#include "core/ctx.h"
#include "core/error.h"
#include "core/fsutil.h"
#include "flow/flow.h"
#include "stats/agg.h"
#include "store/index.h"
#include "store/repair.h"
#include "store/segment.h"
#include "store/sql.h"
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
    sqlite3 *db;
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
    apc__conn_t *pending;                       /* connections evicted since the last commit */
    size_t npending, cap_pending;
    procent_t *procs;
    size_t nprocs;
    size_t last_proc;
    int oom;
    /* The last commit record, and whether writing failed since (disk full, I/O, store). */
    uint64_t c_packets, c_seg_count, c_seg_bytes;
    int64_t c_time;         /* monotonic time of the last commit */
    uint64_t c_bytes;       /* packet bytes at the last commit */
    uint64_t space_checked; /* packet bytes when the free space was last looked at */
    int64_t commit_ns;      /* commit at least this often (apc__capw_set_commit_every) */
    uint64_t commit_bytes;  /* ... and after this many packet bytes */
    int broken;
    apc__capw_new_ip_fn new_ip; /* apc__capw_on_new_ip */
    void *new_ip_arg;
};

/* Readers see new packets at least every second, and a crash loses at most 32 MiB. */
#define COMMIT_NS 1000000000LL
#define COMMIT_BYTES (32ULL << 20)

int apc__capture_create(apc_ctx_t *ctx, int type, const char *name, const char *source_file,
                        uint64_t total_bytes, int64_t *out_id)
{
    sqlite3 *db = apc__db_get(ctx->store);
    if (!db)
        return APC_ESTORE;
    int r = apc__sql_exec(db, "creating a capture",
                          "INSERT INTO captures(type, state, name, source_file, start_time, "
                          "total_bytes) VALUES(?,?,?,?,?,?)",
                          "iittii", (int64_t)type, (int64_t)APC_STATE_ACTIVE, name ? name : "",
                          source_file ? source_file : "", apc__real_ns(), (int64_t)total_bytes);
    int64_t id = sqlite3_last_insert_rowid(db);
    apc__db_put(ctx->store, db);
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

static void on_evict(const apc__conn_t *c, void *payload)
{
    apc__capw_t *w = payload;
    if (w->npending == w->cap_pending) {
        size_t ncap = w->cap_pending ? w->cap_pending * 2 : 256;
        apc__conn_t *np = realloc(w->pending, ncap * sizeof *np);
        if (!np) {
            w->oom = 1;
            return;
        }
        w->pending = np;
        w->cap_pending = ncap;
    }
    w->pending[w->npending++] = *c;
}

int apc__capw_open(apc_ctx_t *ctx, int64_t capture_id, apc__capw_t **out)
{
    *out = NULL;
    apc__capw_t *w = calloc(1, sizeof *w);
    if (!w)
        return apc__err(APC_ENOMEM, "out of memory");
    w->ctx = ctx;
    w->id = capture_id;
    apc__capture_dir(ctx, capture_id, w->dir, sizeof w->dir);
    int r = apc__ipstats_init(&w->ips);
    if (r == 0 && !(w->stats = apc__statsagg_new(capture_id)))
        r = apc__err(APC_ENOMEM, "out of memory for statistics");
    if (r == 0)
        r = apc__segw_open(&w->seg, w->dir, 0, 0, 0);
    if (r == 0)
        r = apc__idxw_open(&w->idx, w->dir, 0);
    if (r == 0) {
        w->flows = apc__flow_new(1, MAX_CONNS_IN_MEMORY, on_evict, w);
        if (!w->flows)
            r = apc__err(APC_ENOMEM, "out of memory for the connection table");
    }
    if (r == 0 && !(w->db = apc__db_get(ctx->store)))
        r = APC_ESTORE;
    w->c_time = apc__mono_ns();
    w->commit_ns = COMMIT_NS;
    w->commit_bytes = COMMIT_BYTES;
    if (r < 0) {
        char msg[1024];
        apc__err_copy(msg, sizeof msg);
        apc__capw_finish(w, APC_STATE_FAILED, msg, 0, 0);
        return apc__err(r, "%s", msg);
    }
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
    r = apc__sql_exec(w->db, "recording an interface",
                      "INSERT INTO interfaces(capture_id, idx, linktype, snaplen, tsresol, name, "
                      "description) VALUES(?,?,?,?,?,?,?)",
                      "iiiiitt", w->id, (int64_t)w->n_ifaces, (int64_t)linktype, (int64_t)snaplen,
                      (int64_t)tsresol, name ? name : "", description ? description : "");
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

/* Stop while the filesystem still has room for the store's own last writes (marking the
 * capture failed, WAL checkpoints), rather than filling it to the last byte. */
#define MIN_FREE_BYTES (32ULL << 20)
/* Packet bytes stored between two looks at the free space. */
#define SPACE_CHECK_BYTES (4ULL << 20)

static int check_free_space(apc__capw_t *w)
{
    struct statvfs sv;
    if (statvfs(w->dir, &sv) != 0)
        return 0; /* cannot tell: the writes themselves will report a full disk */
    unsigned long long avail = (unsigned long long)sv.f_bavail * sv.f_frsize;
    if (avail < MIN_FREE_BYTES)
        return apc__err(-ENOSPC,
                        "disk full: %llu KiB left on the filesystem of '%s' (the capture stops "
                        "below %llu MiB); packets up to the last commit are kept",
                        avail >> 10, w->dir, MIN_FREE_BYTES >> 20);
    return 0;
}

int apc__capw_add(apc__capw_t *w, const apc__cappkt_t *p, const apc__pkt_t *d)
{
    if (p->iface >= w->n_ifaces)
        return apc__err(APC_EINVAL, "packet on undeclared interface %u", p->iface);
    int dir = 0;
    apc__conn_t *c = d->ip_ver ? apc__flow_track(w->flows, d, p->ts_ns, p->wirelen, &dir) : NULL;
    apc__statsagg_packet(w->stats, d, p->ts_ns, p->wirelen, p->process_id,
                         c && c->pkts[0] + c->pkts[1] == 1);
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
                apc__sql_exec(w->db, "recording a thread",
                              "INSERT OR IGNORE INTO threads(process_id, tid) VALUES(?,?)", "ii",
                              p->process_id, p->tid);
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
    int r = (!path || !args || !user || !name)
                ? apc__err(APC_ENOMEM, "out of memory")
                : apc__sql_exec(w->db, "recording a process",
                                "INSERT INTO processes(pid, ppid, name, path, cmdline, user, "
                                "source, origin_capture) VALUES(?,?,?,?,?,?,'file',?)",
                                "iitttti", m->pid, m->ppid, name, path, args, user, w->id);
    free(path);
    free(args);
    free(user);
    free(name);
    if (r < 0)
        return r;
    procent_t *pe = &w->procs[w->nprocs++];
    memset(pe, 0, sizeof *pe);
    pe->process_id = sqlite3_last_insert_rowid(w->db);
    pe->pid = m->pid;
    pe->key = key;
    if (m->tid > 0 && m->thread_name.len) {
        char *tn = slice_dup(m->thread_name);
        apc__sql_exec(w->db, "recording a thread",
                      "INSERT OR IGNORE INTO threads(process_id, tid, name) VALUES(?,?,?)", "iit",
                      pe->process_id, m->tid, tn ? tn : "");
        free(tn);
    }
    *out_process_id = pe->process_id;
    return 0;
}

static int write_conn(apc__capw_t *w, sqlite3_stmt *st, const apc__conn_t *c)
{
    int alen = c->ip_ver == 4 ? 4 : 16;
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, w->id);
    sqlite3_bind_int64(st, 2, (int64_t)c->id);
    sqlite3_bind_int(st, 3, c->proto);
    sqlite3_bind_int(st, 4, c->ip_ver);
    sqlite3_bind_blob(st, 5, c->a_addr, alen, SQLITE_STATIC);
    sqlite3_bind_blob(st, 6, c->b_addr, alen, SQLITE_STATIC);
    sqlite3_bind_int(st, 7, c->a_port);
    sqlite3_bind_int(st, 8, c->b_port);
    sqlite3_bind_int64(st, 9, c->first_ns);
    sqlite3_bind_int64(st, 10, c->last_ns);
    sqlite3_bind_int64(st, 11, (int64_t)c->pkts[0]);
    sqlite3_bind_int64(st, 12, (int64_t)c->bytes[0]);
    sqlite3_bind_int64(st, 13, (int64_t)c->pkts[1]);
    sqlite3_bind_int64(st, 14, (int64_t)c->bytes[1]);
    sqlite3_bind_int(st, 15, c->tcp_state);
    sqlite3_bind_int64(st, 16, c->pid);
    sqlite3_bind_int64(st, 17, c->tid);
    sqlite3_bind_int64(st, 18, c->process_ref);
    sqlite3_bind_int64(st, 19, (int64_t)c->first_packet);
    sqlite3_bind_int64(st, 20, (int64_t)c->last_packet);
    int rc = sqlite3_step(st);
    return rc == SQLITE_DONE ? 0 : apc__db_err(w->db, rc, "storing a connection");
}

typedef struct conn_walk {
    apc__capw_t *w;
    sqlite3_stmt *st;
    int r;
} conn_walk_t;

static void write_dirty(const apc__conn_t *c, void *payload)
{
    conn_walk_t *cw = payload;
    if (cw->r < 0 || !c->dirty)
        return;
    cw->r = write_conn(cw->w, cw->st, c);
    ((apc__conn_t *)c)->dirty = 0; /* the table's own object; foreach hands it out const */
}

static int write_ips(apc__capw_t *w)
{
    sqlite3_stmt *g, *cap;
    int r = apc__sql_prepare(
        w->db, "storing IP counters",
        "INSERT INTO ips(addr, family, first_seen, last_seen, packets, bytes, connections, "
        "host_name) VALUES(?1,?2,?3,?4,?5,?6,?7,?8) ON CONFLICT(addr) DO UPDATE SET "
        "first_seen=CASE WHEN first_seen=0 OR excluded.first_seen<first_seen "
        "THEN excluded.first_seen ELSE first_seen END,"
        "last_seen=max(last_seen, excluded.last_seen), packets=packets+excluded.packets,"
        "bytes=bytes+excluded.bytes, connections=connections+excluded.connections,"
        "host_name=CASE WHEN excluded.host_name<>'' THEN excluded.host_name ELSE host_name END "
        "RETURNING id",
        &g);
    if (r < 0)
        return r;
    r = apc__sql_prepare(w->db, "storing IP counters",
                         "INSERT INTO capture_ips(capture_id, ip_id, host_name, first_seen, "
                         "last_seen, packets, bytes, connections) VALUES(?,?,?,?,?,?,?,?) "
                         "ON CONFLICT(capture_id, ip_id) DO UPDATE SET "
                         "host_name=CASE WHEN excluded.host_name<>'' THEN excluded.host_name "
                         "ELSE host_name END, first_seen=excluded.first_seen, "
                         "last_seen=excluded.last_seen, packets=excluded.packets, "
                         "bytes=excluded.bytes, connections=excluded.connections",
                         &cap);
    if (r < 0) {
        sqlite3_finalize(g);
        return r;
    }
    for (size_t i = 0; r == 0 && i < w->ips.cap; i++) {
        apc__ipent_t *e = &w->ips.slots[i];
        if (!e->ver || (e->packets == e->c_packets && e->conns == e->c_conns && !e->name_dirty))
            continue;
        const char *hn = e->name_dirty && e->host_name ? e->host_name : "";
        sqlite3_reset(g);
        sqlite3_bind_blob(g, 1, e->addr, e->ver == 4 ? 4 : 16, SQLITE_STATIC);
        sqlite3_bind_int(g, 2, e->ver);
        sqlite3_bind_int64(g, 3, e->first_ns);
        sqlite3_bind_int64(g, 4, e->last_ns);
        sqlite3_bind_int64(g, 5, (int64_t)(e->packets - e->c_packets));
        sqlite3_bind_int64(g, 6, (int64_t)(e->bytes - e->c_bytes));
        sqlite3_bind_int64(g, 7, (int64_t)(e->conns - e->c_conns));
        sqlite3_bind_text(g, 8, hn, -1, SQLITE_STATIC);
        int rc = sqlite3_step(g);
        if (rc != SQLITE_ROW) {
            r = apc__db_err(w->db, rc, "storing IP counters");
            break;
        }
        e->ip_id = sqlite3_column_int64(g, 0);
        sqlite3_step(g);
        sqlite3_reset(cap);
        sqlite3_bind_int64(cap, 1, w->id);
        sqlite3_bind_int64(cap, 2, e->ip_id);
        sqlite3_bind_text(cap, 3, hn, -1, SQLITE_STATIC);
        sqlite3_bind_int64(cap, 4, e->first_ns);
        sqlite3_bind_int64(cap, 5, e->last_ns);
        sqlite3_bind_int64(cap, 6, (int64_t)e->packets);
        sqlite3_bind_int64(cap, 7, (int64_t)e->bytes);
        sqlite3_bind_int64(cap, 8, (int64_t)e->conns);
        rc = sqlite3_step(cap);
        if (rc != SQLITE_DONE) {
            r = apc__db_err(w->db, rc, "storing IP counters");
            break;
        }
        e->c_packets = e->packets;
        e->c_bytes = e->bytes;
        e->c_conns = e->conns;
        e->name_dirty = 0;
    }
    sqlite3_finalize(g);
    sqlite3_finalize(cap);
    return r;
}

static int write_procs(apc__capw_t *w)
{
    int r = 0;
    for (size_t i = 0; r == 0 && i < w->nprocs; i++)
        r = apc__sql_exec(w->db, "storing process counters",
                          "INSERT INTO capture_processes(capture_id, process_id, packets, bytes) "
                          "VALUES(?,?,?,?) ON CONFLICT(capture_id, process_id) DO UPDATE SET "
                          "packets=excluded.packets, bytes=excluded.bytes",
                          "iiii", w->id, w->procs[i].process_id, (int64_t)w->procs[i].packets,
                          (int64_t)w->procs[i].bytes);
    for (unsigned i = 0; r == 0 && i < 257; i++)
        if (w->proto_pkts[i])
            r = apc__sql_exec(w->db, "storing protocol counters",
                              "INSERT INTO capture_protocols(capture_id, proto, packets, bytes) "
                              "VALUES(?,?,?,?) ON CONFLICT(capture_id, proto) DO UPDATE SET "
                              "packets=excluded.packets, bytes=excluded.bytes",
                              "iiii", w->id, i == 256 ? (int64_t)-1 : (int64_t)i,
                              (int64_t)w->proto_pkts[i], (int64_t)w->proto_bytes[i]);
    for (uint32_t i = 0; r == 0 && i < w->n_ifaces; i++)
        r = apc__sql_exec(w->db, "storing interface counters",
                          "UPDATE interfaces SET packets=? WHERE capture_id=? AND idx=?", "iii",
                          (int64_t)w->iface_pkts[i], w->id, (int64_t)i);
    return r;
}

static int commit(apc__capw_t *w, uint64_t progress_bytes, int final_state, const char *error,
                  uint64_t error_offset)
{
    /* Bytes first, then the record that makes them visible (see store/repair.c). */
    int r = apc__segw_flush(w->seg);
    if (r == 0)
        r = apc__idxw_flush(w->idx);
    if (r == 0)
        r = check_free_space(w);
    if (r == 0)
        r = apc__sql_begin(w->db);
    if (r < 0) {
        w->broken = 1;
        return r;
    }
    sqlite3_stmt *st;
    r = apc__sql_prepare(w->db, "storing connections",
                         "INSERT INTO connections(capture_id, id, proto, ip_ver, src, dst, sport, "
                         "dport, first_time, last_time, pkts_out, bytes_out, pkts_in, bytes_in, "
                         "state, pid, tid, process_id, first_packet, last_packet) "
                         "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) "
                         "ON CONFLICT(capture_id, id) DO UPDATE SET last_time=excluded.last_time,"
                         "last_packet=excluded.last_packet,"
                         "pkts_out=excluded.pkts_out, bytes_out=excluded.bytes_out,"
                         "pkts_in=excluded.pkts_in, bytes_in=excluded.bytes_in,"
                         "state=excluded.state, pid=excluded.pid, tid=excluded.tid,"
                         "process_id=excluded.process_id",
                         &st);
    if (r == 0) {
        for (size_t i = 0; r == 0 && i < w->npending; i++)
            r = write_conn(w, st, &w->pending[i]);
        w->npending = 0;
        conn_walk_t cw = {w, st, r};
        if (r == 0)
            apc__flow_foreach(w->flows, write_dirty, &cw);
        r = cw.r;
        sqlite3_finalize(st);
    }
    if (r == 0)
        r = write_ips(w);
    if (r == 0)
        r = write_procs(w);
    if (r == 0)
        r = apc__statsagg_commit(w->stats, w->db); /* after write_ips: IP keys are ips.id */
    if (r == 0 && final_state)
        r = apc__statsagg_finish(w->stats, w->db);
    if (r == 0) {
        uint64_t conns = apc__flow_next_id(w->flows) - 1;
        if (final_state)
            r = apc__sql_exec(w->db, "ending a capture",
                              "UPDATE captures SET state=?, error=?, error_offset=?, end_time=? "
                              "WHERE id=?",
                              "itiii", (int64_t)final_state, error ? error : "",
                              (int64_t)error_offset, apc__real_ns(), w->id);
        if (r == 0)
            r = apc__sql_exec(w->db, "committing packets",
                              "UPDATE captures SET packets=?, bytes=?, seg_count=?, seg_bytes=?, "
                              "progress_bytes=?, first_time=?, last_time=?, connections=?, "
                              "nc_first_packet=?, nc_last_packet=?, packet_spans=1 WHERE id=?",
                              "iiiiiiiiiii", (int64_t)w->packets, (int64_t)w->bytes,
                              (int64_t)apc__segw_seg_no(w->seg) + 1,
                              (int64_t)apc__segw_seg_bytes(w->seg), (int64_t)progress_bytes,
                              w->first_ts, w->last_ts, (int64_t)conns, (int64_t)w->nc_first,
                              (int64_t)w->nc_last, w->id);
    }
    if (r == 0)
        r = apc__sql_commit(w->db, "committing packets");
    if (r < 0) {
        apc__sql_rollback(w->db);
        w->broken = 1;
        return r;
    }
    w->c_packets = w->packets;
    w->c_seg_count = apc__segw_seg_no(w->seg) + 1;
    w->c_seg_bytes = apc__segw_seg_bytes(w->seg);
    return 0;
}

int apc__capw_commit(apc__capw_t *w, uint64_t progress_bytes)
{
    int r = commit(w, progress_bytes, 0, NULL, 0);
    w->c_time = apc__mono_ns();
    w->c_bytes = w->bytes;
    return r;
}

void apc__capw_set_commit_every(apc__capw_t *w, int64_t ns, uint64_t bytes)
{
    w->commit_ns = ns > 0 ? ns : COMMIT_NS;
    w->commit_bytes = bytes > 0 ? bytes : COMMIT_BYTES;
}

int apc__capw_maybe_commit(apc__capw_t *w, uint64_t progress_bytes)
{
    if (w->bytes - w->c_bytes < w->commit_bytes && apc__mono_ns() - w->c_time < w->commit_ns)
        return 0;
    int r = apc__capw_commit(w, progress_bytes);
    return r < 0 ? r : 1;
}

uint64_t apc__capw_packets(const apc__capw_t *w)
{
    return w->packets;
}

static int mark_failed(apc_ctx_t *ctx, int64_t id, const char *error)
{
    sqlite3 *db = apc__db_get(ctx->store);
    if (!db)
        return APC_ESTORE;
    const char *sql = "UPDATE captures SET state=?, error=?, end_time=? WHERE id=?";
    int r = apc__sql_exec(db, "marking a capture failed", sql, "itii", (int64_t)APC_STATE_FAILED,
                          error, apc__real_ns(), id);
    if (r == -ENOSPC) {
        /* A full disk: the write-ahead log may hold the space a failed commit took; give it
         * back and try once more. */
        sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
        r = apc__sql_exec(db, "marking a capture failed", sql, "itii", (int64_t)APC_STATE_FAILED,
                          error, apc__real_ns(), id);
    }
    apc__db_put(ctx->store, db);
    return r;
}

int apc__capw_finish(apc__capw_t *w, int state, const char *error, uint64_t error_offset,
                     uint64_t progress_bytes)
{
    int r = 0;
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
    } else if (w->seg && w->idx && w->flows && w->db) {
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
    apc__segw_close(w->seg);
    apc__idxw_close(w->idx);
    apc__flow_free(w->flows);
    apc__ipstats_free(&w->ips);
    apc__statsagg_free(w->stats);
    if (w->db)
        apc__db_put(w->ctx->store, w->db);
    apc__ctx_broadcast(w->ctx);
    free(w->pending);
    free(w->procs);
    free(w->iface_pkts);
    free(w);
    return r;
}

int apc__capw_set_drops(apc__capw_t *w, uint64_t kernel_drops, uint64_t drops)
{
    /* Its own small statement: the commit record stays as it is. */
    return apc__sql_exec(w->db, "recording drops",
                         "UPDATE captures SET kernel_drops=?, drops=? WHERE id=?", "iii",
                         (int64_t)kernel_drops, (int64_t)drops, w->id);
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
