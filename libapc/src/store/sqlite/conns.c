/* SPDX-License-Identifier: MIT */
/* SQLite backend: pages of a capture's connections and processes (last_id cursors). */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "decode/decode.h"
#include "store/sql.h"
#include "store/sqlite/sqlite_int.h"

static void blob_addr(sqlite3_stmt *st, int col, int ver, char *buf, size_t n)
{
    const uint8_t *b = sqlite3_column_blob(st, col);
    int len = sqlite3_column_bytes(st, col);
    uint8_t a[16] = {0};
    if (b && len > 0)
        memcpy(a, b, len > 16 ? 16 : (size_t)len);
    apc__addr_format(buf, n, ver, a);
}

static int conn_row(sqlite3_stmt *st, size_t i, void *payload)
{
    apc_conn_page_t *pg = payload;
    apc_conn_t *c = &pg->conns[i];
    pg->count = i + 1; /* so apc_conn_page_free frees what this row holds */
    int ver = sqlite3_column_int(st, 2);
    c->id = sqlite3_column_int64(st, 0);
    c->protocol = sqlite3_column_int(st, 1);
    blob_addr(st, 3, ver, c->src_ip, sizeof c->src_ip);
    blob_addr(st, 4, ver, c->dst_ip, sizeof c->dst_ip);
    c->src_port = sqlite3_column_int(st, 5);
    c->dst_port = sqlite3_column_int(st, 6);
    c->first_time = sqlite3_column_int64(st, 7);
    c->last_time = sqlite3_column_int64(st, 8);
    c->packets_out = (uint64_t)sqlite3_column_int64(st, 9);
    c->bytes_out = (uint64_t)sqlite3_column_int64(st, 10);
    c->packets_in = (uint64_t)sqlite3_column_int64(st, 11);
    c->bytes_in = (uint64_t)sqlite3_column_int64(st, 12);
    c->state = sqlite3_column_int(st, 13);
    c->pid = sqlite3_column_int64(st, 14);
    c->process_id = sqlite3_column_int64(st, 15);
    c->process_name = apc__sql_text(st, 16);
    c->host_name = apc__sql_text(st, 17);
    pg->last_id = c->id;
    return c->process_name && c->host_name ? 0 : apc__err(APC_ENOMEM, "out of memory");
}

int apc__sqlite_conn_page(void *impl, int64_t capture_id, int64_t last_id, unsigned max, int lean,
                          apc_conn_page_t *pg)
{
    /* lean: the same columns, statistics 0 and no host name (its two lookups a row) */
    if (lean)
        return apc__sqlite_capture_page(
            impl, "listing connections",
            "SELECT c.id, c.proto, c.ip_ver, c.src, c.dst, c.sport, c.dport, 0, 0, 0, 0, 0, 0, 0, "
            "c.pid, c.process_id, coalesce(p.name, ''), '' FROM connections c "
            "LEFT JOIN processes p ON p.id = c.process_id "
            "WHERE c.capture_id=?1 AND c.id>?2 ORDER BY c.id LIMIT ?3",
            capture_id, last_id, max, conn_row, pg, &pg->count, &pg->more);
    return apc__sqlite_capture_page(
        impl, "listing connections",
        "SELECT c.id, c.proto, c.ip_ver, c.src, c.dst, c.sport, c.dport, c.first_time, "
        "c.last_time, c.pkts_out, c.bytes_out, c.pkts_in, c.bytes_in, c.state, c.pid, "
        "c.process_id, coalesce(p.name, ''), coalesce(ci.host_name, i.host_name, '') "
        "FROM connections c LEFT JOIN processes p ON p.id = c.process_id "
        "LEFT JOIN ips i ON i.addr = c.dst "
        "LEFT JOIN capture_ips ci ON ci.capture_id = c.capture_id AND ci.ip_id = i.id "
        "AND ci.host_name <> '' "
        "WHERE c.capture_id=?1 AND c.id>?2 ORDER BY c.id LIMIT ?3",
        capture_id, last_id, max, conn_row, pg, &pg->count, &pg->more);
}

static int process_row(sqlite3_stmt *st, size_t i, void *payload)
{
    apc_process_page_t *pg = payload;
    apc_process_t *p = &pg->procs[i];
    pg->count = i + 1; /* so apc_process_page_free frees what this row holds */
    p->process_id = sqlite3_column_int64(st, 0);
    p->pid = sqlite3_column_int64(st, 1);
    p->ppid = sqlite3_column_int64(st, 2);
    p->name = apc__sql_text(st, 3);
    p->path = apc__sql_text(st, 4);
    p->cmdline = apc__sql_text(st, 5);
    p->user = apc__sql_text(st, 6);
    p->start_time = sqlite3_column_int64(st, 7);
    p->exit_time = sqlite3_column_int64(st, 8);
    p->running = sqlite3_column_int(st, 9);
    p->packets = (uint64_t)sqlite3_column_int64(st, 10);
    p->bytes = (uint64_t)sqlite3_column_int64(st, 11);
    pg->last_id = p->process_id;
    return p->name && p->path && p->cmdline && p->user ? 0 : apc__err(APC_ENOMEM, "out of memory");
}

int apc__sqlite_process_page(void *impl, int64_t capture_id, int64_t last_id, unsigned max,
                             apc_process_page_t *pg)
{
    return apc__sqlite_capture_page(
        impl, "listing processes",
        "SELECT p.id, p.pid, p.ppid, p.name, p.path, p.cmdline, p.user, "
        "p.start_time, p.exit_time, p.running, cp.packets, cp.bytes "
        "FROM capture_processes cp JOIN processes p ON p.id = cp.process_id "
        "WHERE cp.capture_id=?1 AND p.id>?2 ORDER BY p.id LIMIT ?3",
        capture_id, last_id, max, process_row, pg, &pg->count, &pg->more);
}
