/* SPDX-License-Identifier: MIT */
/* PostgreSQL backend: processes and threads, and pages of a capture's connections. */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "decode/decode.h"
#include "store/captures.h"
#include "store/pg/pg_int.h"

static int proc_add(void *impl, const apc__st_process_t *p, int64_t *out_id)
{
    apc__pg_t *pg = impl;
    int r = apc__pg_int(pg, "recording a process", out_id,
                        "INSERT INTO processes(node, pid, ppid, name, path, cmdline, \"user\", "
                        "source, origin_capture, start_time, exit_time, running) "
                        "VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12) RETURNING id",
                        "iiitttttiiii", pg->node, p->pid, p->ppid, p->name, p->path, p->cmdline,
                        p->user, p->source, p->origin_capture, p->start_time, p->exit_time,
                        (int64_t)p->running);
    return r < 0 ? r : 0;
}

static int proc_update(void *impl, int64_t id, const apc__st_process_t *p)
{
    int64_t r = apc__pg_exec(impl, "updating a process",
                             "UPDATE processes SET name=$1, path=$2, cmdline=$3, \"user\"=$4, "
                             "exit_time=$5, running=$6 WHERE id=$7",
                             "ttttiii", p->name, p->path, p->cmdline, p->user, p->exit_time,
                             (int64_t)p->running, id);
    return r < 0 ? (int)r : 0;
}

static int proc_pid_of(void *impl, int64_t id, int64_t *pid)
{
    int r = apc__pg_int(impl, "finding a process", pid, "SELECT pid FROM processes WHERE id=$1",
                        "i", id);
    return r < 0 ? r : r ? 0 : apc__err(APC_ENOTFOUND, "process %lld not found", (long long)id);
}

static int process_row(const PGresult *r, int i, void *payload)
{
    apc_process_page_t *pg = payload;
    apc_process_t *p = &pg->procs[i];
    pg->count = (size_t)i + 1; /* so apc_process_page_free frees what this row holds */
    p->process_id = apc__pg_i64(r, i, 0);
    p->pid = apc__pg_i64(r, i, 1);
    p->ppid = apc__pg_i64(r, i, 2);
    p->name = apc__pg_str(r, i, 3);
    p->path = apc__pg_str(r, i, 4);
    p->cmdline = apc__pg_str(r, i, 5);
    p->user = apc__pg_str(r, i, 6);
    p->start_time = apc__pg_i64(r, i, 7);
    p->exit_time = apc__pg_i64(r, i, 8);
    p->running = (int)apc__pg_i64(r, i, 9);
    p->packets = (uint64_t)apc__pg_i64(r, i, 10);
    p->bytes = (uint64_t)apc__pg_i64(r, i, 11);
    pg->last_id = p->process_id;
    return p->name && p->path && p->cmdline && p->user ? 0 : apc__err(APC_ENOMEM, "out of memory");
}

static int proc_page(void *impl, int64_t capture_id, int64_t last_id, unsigned max,
                     apc_process_page_t *pg)
{
    return apc__pg_page(impl, "listing processes",
                        "SELECT p.id, p.pid, p.ppid, p.name, p.path, p.cmdline, p.\"user\", "
                        "p.start_time, p.exit_time, p.running, cp.packets, cp.bytes "
                        "FROM capture_processes cp JOIN processes p ON p.id = cp.process_id "
                        "WHERE cp.capture_id=$1 AND p.id>$2 ORDER BY p.id LIMIT $3",
                        capture_id, last_id, max, process_row, pg, &pg->count, &pg->more);
}

static int proc_thread_add(void *impl, int64_t process_id, int64_t tid, const char *name)
{
    int64_t r = apc__pg_exec(impl, "recording a thread",
                             "INSERT INTO threads(process_id, tid, name) VALUES($1,$2,$3) "
                             "ON CONFLICT DO NOTHING",
                             "iit", process_id, tid, name ? name : "");
    return r < 0 ? (int)r : 0;
}

static int proc_name_of(void *impl, int64_t id, char **name)
{
    return apc__pg_text(impl, "reading a process", name, "SELECT name FROM processes WHERE id=$1",
                        "i", id);
}

static int proc_export_meta(void *impl, int64_t id, apc__st_proc_meta_t *out)
{
    memset(out, 0, sizeof *out);
    /* The parent as we know it: the newest process row with the parent's pid. */
    PGresult *r = apc__pg_query(
        impl, "reading a process",
        "SELECT p.path, p.cmdline, p.pid, p.ppid, q.path, q.cmdline FROM processes p LEFT JOIN "
        "processes q ON q.id = (SELECT id FROM processes WHERE pid=p.ppid AND id<>p.id AND "
        "p.ppid>0 ORDER BY id DESC LIMIT 1) WHERE p.id=$1",
        "i", id);
    if (!r)
        return APC_ESTORE;
    int rc = 0;
    if (PQntuples(r) > 0) {
        out->cmd = apc__pg_str(r, 0, 0);
        out->args = apc__pg_str(r, 0, 1);
        out->pid = apc__pg_i64(r, 0, 2);
        out->ppid = apc__pg_i64(r, 0, 3);
        out->parent_cmd = apc__pg_str(r, 0, 4);
        out->parent_args = apc__pg_str(r, 0, 5);
        rc = out->cmd && out->args && out->parent_cmd && out->parent_args
                 ? 1
                 : apc__err(APC_ENOMEM, "out of memory");
        if (rc < 0)
            apc__st_proc_meta_clear(out);
    }
    PQclear(r);
    return rc;
}

static int proc_thread_name(void *impl, int64_t process_id, int64_t tid, char **name)
{
    return apc__pg_text(impl, "reading a thread", name,
                        "SELECT name FROM threads WHERE process_id=$1 AND tid=$2", "ii", process_id,
                        tid);
}

const apc__processes_ops_t apc__pg_processes_ops = {
    .add = proc_add,
    .update = proc_update,
    .pid_of = proc_pid_of,
    .capture_page = proc_page,
    .thread_add = proc_thread_add,
    .name_of = proc_name_of,
    .export_meta = proc_export_meta,
    .thread_name = proc_thread_name,
};

static void format_addr(const PGresult *r, int i, int col, int ver, char *buf, size_t n)
{
    uint8_t a[16] = {0};
    apc__pg_bytes(r, i, col, a, sizeof a);
    apc__addr_format(buf, n, ver, a);
}

static int conn_row(const PGresult *r, int i, void *payload)
{
    apc_conn_page_t *pg = payload;
    apc_conn_t *c = &pg->conns[i];
    pg->count = (size_t)i + 1; /* so apc_conn_page_free frees what this row holds */
    int ver = (int)apc__pg_i64(r, i, 2);
    c->id = apc__pg_i64(r, i, 0);
    c->protocol = (int)apc__pg_i64(r, i, 1);
    format_addr(r, i, 3, ver, c->src_ip, sizeof c->src_ip);
    format_addr(r, i, 4, ver, c->dst_ip, sizeof c->dst_ip);
    c->src_port = (int)apc__pg_i64(r, i, 5);
    c->dst_port = (int)apc__pg_i64(r, i, 6);
    c->first_time = apc__pg_i64(r, i, 7);
    c->last_time = apc__pg_i64(r, i, 8);
    c->packets_out = (uint64_t)apc__pg_i64(r, i, 9);
    c->bytes_out = (uint64_t)apc__pg_i64(r, i, 10);
    c->packets_in = (uint64_t)apc__pg_i64(r, i, 11);
    c->bytes_in = (uint64_t)apc__pg_i64(r, i, 12);
    c->state = (int)apc__pg_i64(r, i, 13);
    c->pid = apc__pg_i64(r, i, 14);
    c->process_id = apc__pg_i64(r, i, 15);
    c->process_name = apc__pg_str(r, i, 16);
    c->host_name = apc__pg_str(r, i, 17);
    pg->last_id = c->id;
    return c->process_name && c->host_name ? 0 : apc__err(APC_ENOMEM, "out of memory");
}

static int conn_page(void *impl, int64_t capture_id, int64_t last_id, unsigned max, int lean,
                     apc_conn_page_t *pg)
{
    /* lean: the same columns, statistics 0 and no host name (its two lookups a row) */
    if (lean)
        return apc__pg_page(
            impl, "listing connections",
            "SELECT c.id, c.proto, c.ip_ver, c.src, c.dst, c.sport, c.dport, 0, 0, 0, 0, 0, 0, 0, "
            "c.pid, c.process_id, coalesce(p.name, ''), '' FROM connections c "
            "LEFT JOIN processes p ON p.id = c.process_id "
            "WHERE c.capture_id=$1 AND c.id>$2 ORDER BY c.id LIMIT $3",
            capture_id, last_id, max, conn_row, pg, &pg->count, &pg->more);
    return apc__pg_page(
        impl, "listing connections",
        "SELECT c.id, c.proto, c.ip_ver, c.src, c.dst, c.sport, c.dport, c.first_time, "
        "c.last_time, c.pkts_out, c.bytes_out, c.pkts_in, c.bytes_in, c.state, c.pid, "
        "c.process_id, coalesce(p.name, ''), coalesce(ci.host_name, i.host_name, '') "
        "FROM connections c LEFT JOIN processes p ON p.id = c.process_id "
        "LEFT JOIN ips i ON i.addr = c.dst "
        "LEFT JOIN capture_ips ci ON ci.capture_id = c.capture_id AND ci.ip_id = i.id "
        "AND ci.host_name <> '' "
        "WHERE c.capture_id=$1 AND c.id>$2 ORDER BY c.id LIMIT $3",
        capture_id, last_id, max, conn_row, pg, &pg->count, &pg->more);
}

const apc__conns_ops_t apc__pg_conns_ops = {
    .page = conn_page,
};
