/* SPDX-License-Identifier: MIT */
/*
 * The PostgreSQL store (issue 14, phase 1), against a real server: tests/fleet/pg_server.sh
 * starts a private PostgreSQL and runs this with $APC_PG_URL; each test makes a fresh database
 * in it. Without $APC_PG_URL (no server) every test skips, saying why.
 *
 * The same generated captures (tests/captures/) are ingested into a SQLite context and a
 * PostgreSQL one; what the API answers of them must be equal: the capture list, packet and
 * byte counts, protocol counts, connections, processes, IPs and statistics totals. Then:
 * reopening finds the capture again, a wrong connection string names the server, a newer
 * schema is refused, settings round-trip. Searches and extraction: fleet_search.c.
 */
#include <libpq-fe.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <apc/apc.h>
#include "../unit/corpus_skip.h"
#include "fleet.h"

static void same_capture(const apc_capture_t *a, const apc_capture_t *b)
{
    assert_string_equal(a->name, b->name);
    assert_int_equal(a->type, b->type);
    assert_int_equal(a->state, b->state);
    assert_int_equal(a->packets, b->packets);
    assert_int_equal(a->bytes, b->bytes);
    assert_int_equal(a->connections, b->connections);
    assert_int_equal(a->total_bytes, b->total_bytes);
    assert_int_equal(a->progress_bytes, b->progress_bytes);
    assert_string_equal(a->error, b->error);
}

static void same_meta(node_t *a, int64_t ia, node_t *b, int64_t ib)
{
    apc_capture_meta_t *ma = NULL, *mb = NULL;
    assert_int_equal(apc_capture_meta(a->ctx, ia, &ma), 0);
    assert_int_equal(apc_capture_meta(b->ctx, ib, &mb), 0);
    assert_int_equal(ma->first_time, mb->first_time);
    assert_int_equal(ma->last_time, mb->last_time);
    assert_int_equal(ma->n_ifaces, mb->n_ifaces);
    for (size_t i = 0; i < ma->n_ifaces; i++) {
        assert_int_equal(ma->ifaces[i].linktype, mb->ifaces[i].linktype);
        assert_int_equal(ma->ifaces[i].packets, mb->ifaces[i].packets);
    }
    assert_int_equal(ma->n_protocols, mb->n_protocols);
    for (size_t i = 0; i < ma->n_protocols; i++) {
        assert_int_equal(ma->protocols[i].protocol, mb->protocols[i].protocol);
        assert_int_equal(ma->protocols[i].packets, mb->protocols[i].packets);
        assert_int_equal(ma->protocols[i].bytes, mb->protocols[i].bytes);
    }
    apc_capture_meta_free(ma);
    apc_capture_meta_free(mb);
}

/* Every connection of the capture, in pages of 7 (so the cursor is used), compared. */
static size_t same_conns(node_t *a, int64_t ia, node_t *b, int64_t ib)
{
    int64_t la = 0, lb = 0;
    size_t total = 0;
    for (;;) {
        apc_conn_page_t *pa = NULL, *pb = NULL;
        assert_int_equal(apc_capture_list_conns(a->ctx, ia, la, 7, &pa), 0);
        assert_int_equal(apc_capture_list_conns(b->ctx, ib, lb, 7, &pb), 0);
        assert_int_equal(pa->count, pb->count);
        assert_int_equal(pa->more, pb->more);
        for (size_t i = 0; i < pa->count; i++) {
            const apc_conn_t *x = &pa->conns[i], *y = &pb->conns[i];
            assert_int_equal(x->id, y->id);
            assert_int_equal(x->protocol, y->protocol);
            assert_string_equal(x->src_ip, y->src_ip);
            assert_string_equal(x->dst_ip, y->dst_ip);
            assert_int_equal(x->src_port, y->src_port);
            assert_int_equal(x->dst_port, y->dst_port);
            assert_int_equal(x->first_time, y->first_time);
            assert_int_equal(x->last_time, y->last_time);
            assert_int_equal(x->packets_out, y->packets_out);
            assert_int_equal(x->bytes_out, y->bytes_out);
            assert_int_equal(x->packets_in, y->packets_in);
            assert_int_equal(x->bytes_in, y->bytes_in);
            assert_int_equal(x->state, y->state);
            assert_int_equal(x->pid, y->pid);
            assert_string_equal(x->process_name, y->process_name);
            assert_string_equal(x->host_name, y->host_name);
        }
        total += pa->count;
        la = pa->last_id;
        lb = pb->last_id;
        int more = pa->more;
        apc_conn_page_free(pa);
        apc_conn_page_free(pb);
        if (!more)
            return total;
    }
}

static size_t same_processes(node_t *a, int64_t ia, node_t *b, int64_t ib)
{
    apc_process_page_t *pa = NULL, *pb = NULL;
    assert_int_equal(apc_capture_get_processes(a->ctx, ia, 0, 1000, &pa), 0);
    assert_int_equal(apc_capture_get_processes(b->ctx, ib, 0, 1000, &pb), 0);
    assert_int_equal(pa->count, pb->count);
    for (size_t i = 0; i < pa->count; i++) {
        const apc_process_t *x = &pa->procs[i], *y = &pb->procs[i];
        assert_int_equal(x->pid, y->pid);
        assert_int_equal(x->ppid, y->ppid);
        assert_string_equal(x->name, y->name);
        assert_string_equal(x->path, y->path);
        assert_string_equal(x->cmdline, y->cmdline);
        assert_int_equal(x->packets, y->packets);
        assert_int_equal(x->bytes, y->bytes);
    }
    size_t n = pa->count;
    apc_process_page_free(pa);
    apc_process_page_free(pb);
    return n;
}

/* IPs of a capture (or overall: 0, 0), page by page, compared by address (ids are each
 * store's, and both list by id: the order of first sight). */
static size_t same_ips(node_t *a, int64_t ia, node_t *b, int64_t ib)
{
    int64_t la = 0, lb = 0;
    size_t total = 0;
    for (;;) {
        apc_ip_page_t *pa = NULL, *pb = NULL;
        assert_int_equal(apc_ip_list(a->ctx, ia, la, 50, &pa), 0);
        assert_int_equal(apc_ip_list(b->ctx, ib, lb, 50, &pb), 0);
        assert_int_equal(pa->count, pb->count);
        assert_int_equal(pa->more, pb->more);
        for (size_t i = 0; i < pa->count; i++) {
            const apc_ip_t *x = &pa->ips[i], *y = &pb->ips[i];
            assert_string_equal(x->address, y->address);
            assert_string_equal(x->host_name, y->host_name);
            assert_int_equal(x->first_seen, y->first_seen);
            assert_int_equal(x->last_seen, y->last_seen);
            assert_int_equal(x->packets, y->packets);
            assert_int_equal(x->bytes, y->bytes);
            assert_int_equal(x->connections, y->connections);
        }
        total += pa->count;
        la = pa->last_id;
        lb = pb->last_id;
        int more = pa->more;
        apc_ip_page_free(pa);
        apc_ip_page_free(pb);
        if (!more)
            return total;
    }
}

static int top_cmp(const void *x, const void *y)
{
    const apc_stats_top_t *a = x, *b = y;
    if (a->packets != b->packets)
        return a->packets < b->packets ? 1 : -1;
    if (a->bytes != b->bytes)
        return a->bytes < b->bytes ? 1 : -1;
    int c = strcmp(a->value, b->value);
    return c ? c : strcmp(a->name, b->name);
}

/* The same entries (ties in packets may come in either order: compared sorted). Process
 * entries' values are each store's row ids: compared by name and pid. */
static void same_tops(const char *what, apc_stats_tops_t *a, apc_stats_tops_t *b, int by_id)
{
    assert_int_equal(a->count, b->count);
    if (by_id)
        for (size_t i = 0; i < a->count; i++) {
            a->items[i].value[0] = 0;
            b->items[i].value[0] = 0;
        }
    qsort(a->items, a->count, sizeof *a->items, top_cmp);
    qsort(b->items, b->count, sizeof *b->items, top_cmp);
    for (size_t i = 0; i < a->count; i++) {
        if (a->items[i].packets != b->items[i].packets)
            fail_msg("%s top %zu: %s %llu packets vs %s %llu", what, i, a->items[i].value,
                     (unsigned long long)a->items[i].packets, b->items[i].value,
                     (unsigned long long)b->items[i].packets);
        assert_int_equal(a->items[i].bytes, b->items[i].bytes);
        assert_string_equal(a->items[i].value, b->items[i].value);
        assert_string_equal(a->items[i].name, b->items[i].name);
        assert_int_equal(a->items[i].pid, b->items[i].pid);
    }
}

static void same_totals(node_t *a, node_t *b)
{
    apc_stats_totals_t *ta = NULL, *tb = NULL;
    if (apc_stats_totals(a->ctx, &ta) != 0 || apc_stats_totals(b->ctx, &tb) != 0)
        fail_msg("stats totals: %s", apc_last_error_message());
    assert_int_equal(ta->packets, tb->packets);
    assert_int_equal(ta->bytes, tb->bytes);
    assert_int_equal(ta->captures, tb->captures);
    assert_int_equal(ta->connections, tb->connections);
    assert_int_equal(ta->ips, tb->ips);
    assert_int_equal(ta->processes, tb->processes);
    assert_int_equal(ta->drops, tb->drops);
    assert_true(ta->packets > 0);
    same_tops("protocols", &ta->protocols, &tb->protocols, 0);
    same_tops("ports", &ta->ports, &tb->ports, 0);
    same_tops("IPs", &ta->ips_top, &tb->ips_top, 0);
    same_tops("processes", &ta->processes_top, &tb->processes_top, 1);
    apc_stats_totals_free(ta);
    apc_stats_totals_free(tb);
}

/* The generated captures into SQLite and PostgreSQL: the same answers. */
static void test_same_as_sqlite(void **state)
{
    (void)state;
    char url[1024];
    fresh_db("apc_same", url, sizeof url);
    node_t lite = {0}, pg = {0};
    assert_int_equal(node_open(&lite, NULL), 0);
    if (node_open(&pg, url) != 0)
        fail_msg("open: %s", apc_last_error_message());
    static const char *const files[] = {"many.pcap", "web.pcap", "ptcpdump.pcapng", "names.pcap",
                                        "vlan.pcap"};
    int64_t ids[2][5];
    double secs[2][5];
    for (size_t i = 0; i < 5; i++) {
        ids[0][i] = ingest(&lite, files[i], &secs[0][i]);
        ids[1][i] = ingest(&pg, files[i], &secs[1][i]);
    }
    print_message("ingest of many.pcap: SQLite %.3f s, PostgreSQL %.3f s\n", secs[0][0],
                  secs[1][0]);
    apc_capture_list_t *la = NULL, *lb = NULL;
    assert_int_equal(apc_capture_list(lite.ctx, APC_LIST_ALL, &la), 0);
    assert_int_equal(apc_capture_list(pg.ctx, APC_LIST_ALL, &lb), 0);
    assert_int_equal(la->count, 5);
    assert_int_equal(lb->count, 5);
    for (size_t i = 0; i < la->count; i++)
        same_capture(la->items[i], lb->items[i]);
    apc_capture_list_free(la);
    apc_capture_list_free(lb);
    size_t conns = 0, procs = 0, ips = 0;
    for (size_t i = 0; i < 5; i++) {
        same_meta(&lite, ids[0][i], &pg, ids[1][i]);
        conns += same_conns(&lite, ids[0][i], &pg, ids[1][i]);
        procs += same_processes(&lite, ids[0][i], &pg, ids[1][i]);
        ips += same_ips(&lite, ids[0][i], &pg, ids[1][i]);
    }
    ips += same_ips(&lite, 0, &pg, 0);
    assert_true(conns > 100);
    assert_true(procs > 0);
    assert_true(ips > 0);
    same_totals(&lite, &pg);
    print_message("compared %zu connections, %zu processes, %zu IP rows\n", conns, procs, ips);
    node_close(&lite);
    node_close(&pg);
}

/* Closing and opening again (the same data directory and database) finds the capture; a
 * second context on another data directory (another node) lists it too. */
static void test_reopen(void **state)
{
    (void)state;
    char url[1024];
    fresh_db("apc_reopen", url, sizeof url);
    node_t n = {0};
    assert_int_equal(node_open(&n, url), 0);
    int64_t id = ingest(&n, "web.pcap", NULL);
    apc_capture_t *before = NULL;
    assert_int_equal(apc_capture_get(n.ctx, id, &before), 0);
    apc_ctx_close(n.ctx);
    n.ctx = NULL;
    assert_int_equal(node_open(&n, url), 0);
    apc_capture_t *after = NULL;
    assert_int_equal(apc_capture_get(n.ctx, id, &after), 0);
    same_capture(before, after);
    assert_int_equal(after->state, APC_STATE_COMPLETED);
    apc_capture_free(before);
    apc_capture_free(after);
    /* Ids come from the database: a second capture gets the next one. */
    int64_t id2 = ingest(&n, "vlan.pcap", NULL);
    assert_true(id2 > id);
    /* Another node (another data directory) on the same database: its capture's id follows,
     * and it lists every node's captures. */
    node_t other = {0};
    assert_int_equal(node_open(&other, url), 0);
    int64_t id3 = ingest(&other, "names.pcap", NULL);
    assert_true(id3 > id2);
    apc_capture_list_t *l = NULL;
    assert_int_equal(apc_capture_list(other.ctx, APC_LIST_COMPLETED, &l), 0);
    assert_int_equal(l->count, 3);
    apc_capture_list_free(l);
    node_close(&other);
    node_close(&n);
    pg_run(url, "DO $$ BEGIN IF (SELECT count(*) FROM nodes) <> 2 THEN "
                "RAISE 'expected two nodes'; END IF; END $$");
}

/* A server that is not there: the error is APC_ESTORE and names it. */
static void test_wrong_url(void **state)
{
    (void)state;
    pg_url_or_skip();
    node_t n = {0};
    int r = node_open(&n, "postgresql://apc@%2Fnonexistent-apc-dir/apc");
    assert_int_equal(r, APC_ESTORE);
    const char *m = apc_last_error_message();
    print_message("wrong URL: %s\n", m);
    assert_non_null(strstr(m, "/nonexistent-apc-dir"));
    assert_non_null(strstr(m, "PostgreSQL store at"));
    rm_tree(n.dir);
    /* Neither SQLite (empty) nor a PostgreSQL URL. */
    node_t m2 = {0};
    assert_int_equal(node_open(&m2, "mysql://db/apc"), APC_EINVAL);
    print_message("not a PostgreSQL URL: %s\n", apc_last_error_message());
    assert_non_null(strstr(apc_last_error_message(), "store 'mysql...' is neither"));
    assert_null(strstr(apc_last_error_message(), "db/apc"));
    rm_tree(m2.dir);
}

/* A database migrated by a newer build is refused, saying both versions. */
static void test_newer_schema(void **state)
{
    (void)state;
    char url[1024];
    fresh_db("apc_newer", url, sizeof url);
    node_t n = {0};
    assert_int_equal(node_open(&n, url), 0);
    apc_ctx_close(n.ctx);
    n.ctx = NULL;
    pg_run(url, "UPDATE schema_version SET version=999");
    int r = node_open(&n, url);
    assert_int_equal(r, APC_ESTORE);
    const char *m = apc_last_error_message();
    print_message("newer schema: %s\n", m);
    assert_non_null(strstr(m, "has schema version 999, this build knows up to"));
    rm_tree(n.dir);
}

/* Triggers and actions: stored, linked, listed, unlinked, removed (the same calls as on
 * SQLite; the watcher itself is trigger/'s and runs on each node). */
static void test_triggers(void **state)
{
    (void)state;
    char url[1024];
    fresh_db("apc_triggers", url, sizeof url);
    node_t n = {0};
    assert_int_equal(node_open(&n, url), 0);
    int64_t t = 0, a = 0, sys = 0;
    char out[128]; /* the default export root */
    snprintf(out, sizeof out, "%s/exports", n.dir);
    mkdir(out, 0750);
    if (apc_trigger_add(n.ctx, "curl", APC_TRIGGER_TYPE_ON_START, "/usr/bin/curl", "tcp", 0, &t) !=
        0)
        fail_msg("trigger_add: %s", apc_last_error_message());
    if (apc_action_add(n.ctx, "mark", APC_ACTION_TYPE_EXPORT, out, "", t, &a) != 0)
        fail_msg("action_add: %s", apc_last_error_message());
    assert_int_equal(apc_action_add(n.ctx, "all", APC_ACTION_TYPE_EXPORT, out, "", 0, &sys), 0);
    assert_true(a > 0 && sys > a);
    apc_trigger_t *tr = NULL;
    assert_int_equal(apc_trigger_get(n.ctx, t, &tr), 0);
    assert_string_equal(tr->name, "curl");
    assert_string_equal(tr->filter, "tcp");
    assert_int_equal(tr->n_actions, 1);
    assert_int_equal(tr->action_ids[0], a);
    assert_int_equal(tr->drops, 0); /* read from captures and trigger_captures (pg SQL) */
    assert_int_equal(tr->missed, 0);
    apc_trigger_free(tr);
    assert_int_equal(apc_trigger_mod(n.ctx, t, "udp", 0), 0);
    apc_action_list_t *al = NULL;
    assert_int_equal(apc_action_list(n.ctx, &al), 0);
    assert_int_equal(al->count, 2);
    assert_int_equal(al->items[0].n_triggers, 1);
    assert_int_equal(al->items[1].system_wide, 1);
    apc_action_list_free(al);
    assert_int_equal(apc_trigger_get_actions(n.ctx, t, &al), 0);
    assert_int_equal(al->count, 1);
    apc_action_list_free(al);
    assert_int_equal(apc_action_set_trigger(n.ctx, sys, t), 0);
    assert_int_equal(apc_trigger_get(n.ctx, t, &tr), 0);
    assert_string_equal(tr->filter, "udp");
    assert_int_equal(tr->n_actions, 2);
    apc_trigger_free(tr);
    assert_int_equal(apc_trigger_clear_actions(n.ctx, t), 0);
    assert_int_equal(apc_action_remove(n.ctx, a), 0);
    assert_int_equal(apc_action_remove(n.ctx, a), APC_ENOTFOUND);
    assert_int_equal(apc_trigger_remove(n.ctx, t), 0);
    apc_trigger_list_t *tl = NULL;
    assert_int_equal(apc_trigger_list(n.ctx, &tl), 0);
    assert_int_equal(tl->count, 0);
    apc_trigger_list_free(tl);
    node_close(&n);
}

/* Runs "$APC_PG_CTL <action>": stops or starts the test server. */
static void pg_ctl(const char *action)
{
    const char *ctl = getenv("APC_PG_CTL");
    assert_non_null(ctl);
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s %s >/dev/null 2>&1", ctl, action);
    assert_int_equal(system(cmd), 0);
}

/* The database goes away under a node and comes back: a statement outside a transaction
 * reconnects; while it is down an ingest fails with the error naming the server and nothing
 * committed is lost; when it is back the node works again without a restart. */
static void test_database_restart(void **state)
{
    (void)state;
    char url[1024];
    fresh_db("apc_restart", url, sizeof url);
    node_t n = {0};
    assert_int_equal(node_open(&n, url), 0);
    int64_t a = ingest(&n, "web.pcap", NULL);
    pg_ctl("restart");
    int64_t b = ingest(&n, "vlan.pcap", NULL);
    assert_true(b > a);
    pg_ctl("stop");
    char path[4096];
    int64_t id = 0;
    int r = apc_ingest_file(n.ctx, apc_test_capture(path, sizeof path, "names.pcap"), NULL, &id);
    if (r == 0) /* created before the server went: then the capture itself fails */
        r = apc_capture_wait(n.ctx, id, 60000);
    print_message("database down: %d %s\n", r, apc_last_error_message());
    assert_int_equal(r, APC_ESTORE);
    assert_non_null(strstr(apc_last_error_message(), "PostgreSQL store at"));
    pg_ctl("start");
    int64_t c = ingest(&n, "names.pcap", NULL);
    assert_true(c > b);
    apc_capture_list_t *l = NULL;
    assert_int_equal(apc_capture_list(n.ctx, APC_LIST_COMPLETED, &l), 0);
    assert_int_equal(l->count, 3);
    assert_int_equal(l->items[0]->packets, 165);
    apc_capture_list_free(l);
    node_close(&n);
}

/* Settings round-trip; an empty search list is an empty list. */
static void test_settings(void **state)
{
    (void)state;
    char url[1024];
    fresh_db("apc_misc", url, sizeof url);
    node_t n = {0};
    assert_int_equal(node_open(&n, url), 0);
    assert_int_equal(apc_settings_set(n.ctx, "colour", "blue"), 0);
    assert_int_equal(apc_settings_set(n.ctx, "colour", "green"), 0);
    char *v = NULL;
    assert_int_equal(apc_settings_get(n.ctx, "colour", &v), 0);
    assert_string_equal(v, "green");
    free(v);
    assert_int_equal(apc_settings_get(n.ctx, "nope", &v), APC_ENOTFOUND);
    /* searches are stored now (fleet_search.c): none yet is an empty list */
    apc_search_list_t *sl = NULL;
    assert_int_equal(apc_search_list(n.ctx, &sl), 0);
    assert_int_equal(sl->count, 0);
    apc_search_list_free(sl);
    node_close(&n);
}

/* Crash repair with PostgreSQL: a capture the database still says is active (its writer was
 * killed) has its packet files cut back to its commit record at the next open, as SQLite's
 * repair does, and becomes interrupted: a torn tail and a segment past the record are gone. */
static void test_crash_repair(void **state)
{
    (void)state;
    char url[1024];
    fresh_db("apc_repair", url, sizeof url);
    node_t n = {0};
    assert_int_equal(node_open(&n, url), 0);
    int64_t id = ingest(&n, "web.pcap", NULL);
    apc_capture_t *c = NULL;
    assert_int_equal(apc_capture_get(n.ctx, id, &c), 0);
    uint64_t packets = c->packets;
    apc_capture_free(c);
    apc_ctx_close(n.ctx);
    n.ctx = NULL;
    /* What a kill -9 in the middle of a write leaves behind. */
    char seg[256], extra[256], sql[256];
    snprintf(seg, sizeof seg, "%s/captures/%lld/seg-000000.pcapng", n.dir, (long long)id);
    snprintf(extra, sizeof extra, "%s/captures/%lld/seg-000001.pcapng", n.dir, (long long)id);
    struct stat sb;
    assert_int_equal(stat(seg, &sb), 0);
    off_t committed = sb.st_size;
    static const char torn[100] = {(char)0x06, 0, 0, 0, (char)0xab};
    FILE *f = fopen(seg, "ab");
    assert_non_null(f);
    assert_int_equal(fwrite(torn, 1, sizeof torn, f), sizeof torn);
    fclose(f);
    f = fopen(extra, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(torn, 1, sizeof torn, f), sizeof torn);
    fclose(f);
    snprintf(sql, sizeof sql, "UPDATE captures SET state=%d WHERE id=%lld", APC_STATE_ACTIVE,
             (long long)id);
    pg_run(url, sql);

    assert_int_equal(node_open(&n, url), 0);
    assert_int_equal(apc_capture_get(n.ctx, id, &c), 0);
    assert_int_equal(c->state, APC_STATE_INTERRUPTED);
    assert_int_equal(c->packets, packets);
    assert_non_null(strstr(c->error, "interrupted"));
    apc_capture_free(c);
    assert_int_equal(stat(seg, &sb), 0);
    assert_int_equal(sb.st_size, committed);
    assert_int_not_equal(access(extra, F_OK), 0);
    apc_packet_page_t *pg = NULL;
    assert_int_equal(apc_capture_read(n.ctx, id, (int64_t)packets - 3, 10, 0, &pg), 0);
    assert_int_equal(pg->count, 3);
    assert_int_equal(pg->more, 0);
    apc_packet_page_free(pg);
    node_close(&n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_as_sqlite), cmocka_unit_test(test_reopen),
        cmocka_unit_test(test_wrong_url),      cmocka_unit_test(test_newer_schema),
        cmocka_unit_test(test_settings),       cmocka_unit_test(test_database_restart),
        cmocka_unit_test(test_triggers),       cmocka_unit_test(test_search_same_as_sqlite),
        cmocka_unit_test(test_stale_search),   cmocka_unit_test(test_migrate_v2),
        cmocka_unit_test(test_crash_repair),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
