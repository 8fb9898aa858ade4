/* SPDX-License-Identifier: MIT */
/*
 * Searches and file extraction on the PostgreSQL store (issue 14, phase 2), part of
 * fleet-pg-store: the same generated captures ingested into SQLite and PostgreSQL give the
 * same search results (address, port, process, bytes filters; on PostgreSQL planned from the
 * packet spans, then from the span and key index a full scan stores), the same files found
 * and written (byte for byte), the same file.* search results after. A search row left
 * running by a process that is gone is failed at the next open, but only by its own node. A
 * version 2 database (phase 1) is migrated.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <apc/apc.h>
#include "fleet.h"

#define N_CAPS 3
static const char *const caps[N_CAPS] = {"web.pcap", "ptcpdump.pcapng", "many.pcap"};

/* Position of capture id in ids[], which the results are compared by (ids may differ). */
static int cap_pos(const int64_t *ids, int64_t id)
{
    for (int i = 0; i < N_CAPS; i++)
        if (ids[i] == id)
            return i;
    fail_msg("result in capture %lld, not one of the test's", (long long)id);
    return -1;
}

/* Runs filter over capture `cap` (0: every capture) and waits: the search id. */
static int64_t run_search(node_t *n, const char *filter, int64_t cap)
{
    apc_search_options_t o;
    apc_search_options_init(&o, APC_SEARCH_OPTIONS_VERSION);
    o.capture_id = cap;
    int64_t id = 0;
    if (apc_search_start(n->ctx, filter, &o, &id) != 0)
        fail_msg("search '%s': %s", filter, apc_last_error_message());
    assert_int_equal(apc_search_wait(n->ctx, id, 60000), 0);
    apc_search_meta_t *m = NULL;
    assert_int_equal(apc_search_get(n->ctx, id, &m), 0);
    if (m->state != APC_SEARCH_COMPLETED)
        fail_msg("search '%s' ended %s: %s", filter, apc_search_state_name(m->state), m->error);
    apc_search_meta_free(m);
    return id;
}

/* Runs filter on both nodes (over every capture, or over capture ia[cap] / ib[cap] when cap
 * >= 0) and compares every result, read in pages of 50; the matches. */
static uint64_t same_search(node_t *a, const int64_t *ia, node_t *b, const int64_t *ib,
                            const char *filter, int cap)
{
    int64_t sa = run_search(a, filter, cap < 0 ? 0 : ia[cap]);
    int64_t sb = run_search(b, filter, cap < 0 ? 0 : ib[cap]);
    apc_search_meta_t *ma = NULL, *mb = NULL;
    assert_int_equal(apc_search_get(a->ctx, sa, &ma), 0);
    assert_int_equal(apc_search_get(b->ctx, sb, &mb), 0);
    if (ma->matches != mb->matches || ma->scanned != mb->scanned)
        fail_msg("'%s': SQLite %llu matches of %llu, PostgreSQL %llu of %llu", filter,
                 (unsigned long long)ma->matches, (unsigned long long)ma->scanned,
                 (unsigned long long)mb->matches, (unsigned long long)mb->scanned);
    uint64_t matches = ma->matches;
    apc_search_meta_free(ma);
    apc_search_meta_free(mb);
    int64_t la = 0, lb = 0;
    uint64_t read = 0;
    for (int more = 1; more;) {
        apc_search_page_t *pa = NULL, *pb = NULL;
        assert_int_equal(apc_search_read(a->ctx, sa, la, 50, &pa), 0);
        assert_int_equal(apc_search_read(b->ctx, sb, lb, 50, &pb), 0);
        assert_int_equal(pa->count, pb->count);
        assert_int_equal(pa->more, pb->more);
        for (size_t i = 0; i < pa->count; i++) {
            const apc_packet_t *x = &pa->packets[i], *y = &pb->packets[i];
            assert_int_equal(cap_pos(ia, x->capture_id), cap_pos(ib, y->capture_id));
            assert_int_equal(x->id, y->id);
            assert_int_equal(x->conn_id, y->conn_id);
            assert_int_equal(x->length, y->length);
            assert_int_equal(x->pid, y->pid);
            assert_string_equal(x->process_name, y->process_name);
            assert_string_equal(x->summary, y->summary);
        }
        read += pa->count;
        la = pa->last_id;
        lb = pb->last_id;
        more = pa->more;
        apc_search_page_free(pa);
        apc_search_page_free(pb);
    }
    assert_int_equal(read, matches);
    return matches;
}

/* The first `max` files found in a capture, examining it first when needed; the page (caller
 * frees). */
static apc_extract_page_t *files_found(node_t *n, int64_t cap, unsigned max)
{
    for (int tries = 0; tries < 3; tries++) {
        apc_extract_page_t *pg = NULL;
        if (apc_extract_query(n->ctx, cap, 0, max, &pg) != 0)
            fail_msg("extract_query: %s", apc_last_error_message());
        if (pg->state == APC_EXTRACT_DONE)
            return pg;
        assert_int_equal(apc_command_wait(n->ctx, pg->command_uid, 60000), 0);
        apc_extract_page_free(pg);
    }
    fail_msg("capture %lld is still being examined", (long long)cap);
    return NULL;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    assert_true(n >= 0);
    rewind(f);
    char *b = malloc((size_t)n + 1);
    assert_non_null(b);
    assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return b;
}

/* extract_query and extract_file_write of capture ca / cb: the same streams, the same files
 * written (SHA-256 and bytes); then both lists and a delete of all. How many files. */
static size_t same_files(node_t *a, int64_t ca, node_t *b, int64_t cb)
{
    apc_extract_page_t *pa = files_found(a, ca, 500), *pb = files_found(b, cb, 500);
    assert_int_equal(pa->count, pb->count);
    assert_true(pa->count > 0);
    for (size_t i = 0; i < pa->count; i++) {
        const apc_extract_stream_t *x = &pa->items[i], *y = &pb->items[i];
        assert_int_equal(x->id, y->id);
        assert_int_equal(x->conn_id, y->conn_id);
        assert_int_equal(x->direction, y->direction);
        assert_int_equal(x->size, y->size);
        assert_int_equal(x->first_packet, y->first_packet);
        assert_int_equal(x->last_packet, y->last_packet);
        assert_string_equal(x->name, y->name);
        assert_string_equal(x->mime, y->mime);
        assert_true(x->mime[0]); /* typed when listed (the examination stores none) */
        assert_string_equal(x->sha256, y->sha256);
        apc_extract_file_t *fa = NULL, *fb = NULL;
        if (apc_extract_file_write(a->ctx, ca, x->id, &fa) != 0 ||
            apc_extract_file_write(b->ctx, cb, y->id, &fb) != 0)
            fail_msg("extract_file_write: %s", apc_last_error_message());
        assert_string_equal(fa->sha256, x->sha256);
        assert_string_equal(fb->sha256, y->sha256);
        size_t na = 0, nb = 0;
        char *da = slurp(fa->path, &na), *db = slurp(fb->path, &nb);
        assert_int_equal(na, nb);
        assert_int_equal(na, x->size);
        assert_memory_equal(da, db, na);
        free(da);
        free(db);
        apc_extract_file_free(fa);
        apc_extract_file_free(fb);
    }
    size_t n = pa->count;
    apc_extract_page_free(pa);
    apc_extract_page_free(pb);
    apc_extract_file_list_t *la = NULL, *lb = NULL;
    assert_int_equal(apc_extract_file_list(a->ctx, ca, &la), 0);
    assert_int_equal(apc_extract_file_list(b->ctx, 0, &lb), 0);
    assert_int_equal(la->count, n);
    assert_int_equal(lb->count, n);
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(la->items[i].sha256, lb->items[i].sha256);
        assert_string_equal(la->items[i].name, lb->items[i].name);
        assert_int_equal(la->items[i].size, lb->items[i].size);
    }
    apc_extract_file_list_free(la);
    apc_extract_file_list_free(lb);
    return n;
}

static void deleted_all(node_t *n, int64_t cap, size_t files)
{
    size_t deleted = 0;
    assert_int_equal(apc_extract_file_delete(n->ctx, cap, 0, &deleted), 0);
    assert_int_equal(deleted, files);
    apc_extract_file_list_t *l = NULL;
    assert_int_equal(apc_extract_file_list(n->ctx, 0, &l), 0);
    assert_int_equal(l->count, 0);
    apc_extract_file_list_free(l);
}

void test_search_same_as_sqlite(void **state)
{
    (void)state;
    char url[1024];
    fresh_db("apc_search", url, sizeof url);
    node_t lite = {0}, pg = {0};
    assert_int_equal(node_open(&lite, NULL), 0);
    if (node_open(&pg, url) != 0)
        fail_msg("open: %s", apc_last_error_message());
    int64_t ia[N_CAPS], ib[N_CAPS];
    for (int i = 0; i < N_CAPS; i++) {
        ia[i] = ingest(&lite, caps[i], NULL);
        ib[i] = ingest(&pg, caps[i], NULL);
    }
    static const char *const filters[] = {
        "ip.addr == 10.0.0.5",
        "ip.addr == 10.0.1.81 && tcp.port == 80",
        "ipv6.addr == fd00::80",
        "udp.port == 53",
        "proc.name == \"curl\"",
        "frame contains \"GET \"",
        "tcp.flags.syn == 1 && tcp.flags.ack == 0",
    };
    size_t nf = sizeof filters / sizeof filters[0];
    uint64_t first[8] = {0};
    double t0 = now_s();
    /* Pass 0 plans from the connections' packet spans. Then the PostgreSQL captures are made
     * to look as if stored before packet spans: pass 1 scans fully and stores the span and key
     * index (save_index), pass 2 is planned from it (spans, ids_by_key). SQLite answers by
     * the packet spans all along: the results must not differ. */
    for (int pass = 0; pass < 3; pass++) {
        if (pass == 1)
            pg_run(url, "UPDATE captures SET packet_spans = 0");
        for (size_t i = 0; i < nf; i++) {
            uint64_t m = same_search(&lite, ia, &pg, ib, filters[i], -1);
            assert_true(m > 0);
            if (pass == 0)
                first[i] = m;
            else
                assert_int_equal(m, first[i]);
        }
        if (pass == 1)
            pg_run(url, "DO $$ BEGIN IF (SELECT count(*) FROM search_conn_spans WHERE "
                        "conn_id = -1) <> 3 OR NOT EXISTS (SELECT 1 FROM search_conn_keys) "
                        "THEN RAISE 'no span and key index'; END IF; END $$");
    }
    print_message("%zu filters x 3 on both stores: %.2f s; matches of '%s': %llu\n", nf,
                  now_s() - t0, filters[3], (unsigned long long)first[3]);
    /* Every packet of many.pcap matches: the results are stored in batches (COPY on
     * PostgreSQL), then compared one by one. */
    double ta = now_s();
    run_search(&lite, "frame.len > 0", ia[2]);
    double tb = now_s();
    run_search(&pg, "frame.len > 0", ib[2]);
    double tc = now_s();
    uint64_t all = same_search(&lite, ia, &pg, ib, "frame.len > 0", 2);
    print_message("'frame.len > 0' over many.pcap, %llu matches: SQLite %.3f s, PostgreSQL "
                  "%.3f s\n",
                  (unsigned long long)all, tb - ta, tc - tb);
    /* file.mime types the files first: here all but the one listed were never typed (the
     * generator's bodies are all application/octet-stream, so every file matches) */
    apc_extract_page_free(files_found(&lite, ia[0], 1));
    apc_extract_page_free(files_found(&pg, ib[0], 1));
    uint64_t typed =
        same_search(&lite, ia, &pg, ib, "file.mime == \"application/octet-stream\"", 0);
    assert_int_equal(typed, same_search(&lite, ia, &pg, ib, "file.size >= 0", 0));
    assert_true(typed > 0);
    size_t files = same_files(&lite, ia[0], &pg, ib[0]);
    /* file.* needs the capture examined: the one same_files examined */
    assert_true(same_search(&lite, ia, &pg, ib, "file.size > 2000", 0) > 0);
    assert_true(same_search(&lite, ia, &pg, ib, "file.name contains \"file3\"", 0) > 0);
    print_message("%zu files found and written alike\n", files);
    deleted_all(&lite, ia[0], files);
    deleted_all(&pg, ib[0], files);
    /* Deleting a search takes its results with it. */
    apc_search_list_t *l = NULL;
    assert_int_equal(apc_search_list(pg.ctx, &l), 0);
    assert_int_equal(l->count, 3 * nf + 6); /* + frame.len twice, file.* four times */
    int64_t gone = l->items[0]->id;
    apc_search_list_free(l);
    assert_int_equal(apc_search_delete(pg.ctx, gone), 0);
    apc_search_meta_t *m = NULL;
    assert_int_equal(apc_search_get(pg.ctx, gone, &m), APC_ENOTFOUND);
    char sql[256];
    snprintf(sql, sizeof sql,
             "DO $$ BEGIN IF EXISTS (SELECT 1 FROM search_results WHERE search_id = %lld) "
             "THEN RAISE 'results left'; END IF; END $$",
             (long long)gone);
    pg_run(url, sql);
    /* A flush of searches takes this node's searches, results and index. */
    assert_int_equal(apc_flush(pg.ctx, APC_FLUSH_SEARCHES | APC_FLUSH_EXTRACTED), 0);
    assert_int_equal(apc_search_list(pg.ctx, &l), 0);
    assert_int_equal(l->count, 0);
    apc_search_list_free(l);
    pg_run(url, "DO $$ BEGIN IF EXISTS (SELECT 1 FROM search_results) OR EXISTS (SELECT 1 FROM "
                "search_conn_spans) THEN RAISE 'flush left search rows'; END IF; END $$");
    node_close(&lite);
    node_close(&pg);
}

/* A search row left queued or running by a process that stopped: the next open of its node
 * fails it, saying so; a row of another node (which may be running it) is left alone. */
void test_stale_search(void **state)
{
    (void)state;
    char url[1024];
    fresh_db("apc_stale", url, sizeof url);
    node_t n = {0};
    assert_int_equal(node_open(&n, url), 0);
    int64_t cap = ingest(&n, "web.pcap", NULL);
    int64_t done = run_search(&n, "tcp.port == 80", 0);
    apc_ctx_close(n.ctx); /* the data directory stays: the same node opens again */
    n.ctx = NULL;
    /* what a process killed mid-search leaves: the row says running */
    pg_run(url, "UPDATE searches SET state=1, finished=0");
    pg_run(url, "INSERT INTO nodes(name) VALUES('elsewhere')");
    pg_run(url, "INSERT INTO searches(node, filter, normalized, state) SELECT id, "
                "'udp', 'udp', 1 FROM nodes WHERE name='elsewhere'");
    assert_int_equal(node_open(&n, url), 0);
    apc_search_meta_t *m = NULL;
    assert_int_equal(apc_search_get(n.ctx, done, &m), 0);
    assert_int_equal(m->state, APC_SEARCH_FAILED);
    assert_non_null(strstr(m->error, "interrupted"));
    apc_search_meta_free(m);
    apc_search_list_t *l = NULL;
    assert_int_equal(apc_search_list(n.ctx, &l), 0);
    assert_int_equal(l->count, 2);
    assert_int_equal(l->items[0]->state, APC_SEARCH_FAILED);
    assert_int_equal(l->items[1]->state, APC_SEARCH_RUNNING);
    apc_search_list_free(l);
    /* its results stay readable, and a new search runs */
    apc_search_page_t *pg = NULL;
    assert_int_equal(apc_search_read(n.ctx, done, 0, 10, &pg), 0);
    assert_true(pg->count > 0);
    assert_int_equal(pg->packets[0].capture_id, cap);
    apc_search_page_free(pg);
    run_search(&n, "udp.port == 53", 0);
    node_close(&n);
}

/* A database of schema version 2 (phase 1: no searches, no extraction, no nodes.last_seen, no
 * index of trigger_captures by trigger, no node in the since-reset statistics) is migrated to the
 * current version at open; its captures stay, and can be searched and examined. */
void test_migrate_v2(void **state)
{
    (void)state;
    char url[1024];
    fresh_db("apc_v2", url, sizeof url);
    node_t n = {0};
    assert_int_equal(node_open(&n, url), 0);
    int64_t cap = ingest(&n, "web.pcap", NULL);
    apc_ctx_close(n.ctx);
    n.ctx = NULL;
    /* what version 2 had: none of step 3's tables and indexes */
    pg_run(url, "DROP TABLE searches, search_results, search_conn_spans, search_conn_keys, "
                "extract_config, extract_runs, extract_streams, extracted_files");
    pg_run(url, "DROP INDEX connections_src, connections_dst, connections_sport, "
                "connections_dport");
    pg_run(url, "ALTER TABLE nodes DROP COLUMN last_seen"); /* step 4's */
    pg_run(url, "DROP INDEX trigger_captures_trigger");     /* step 5's */
    /* step 6's: the since-reset statistics without their node */
    pg_run(url, "ALTER TABLE stats_global_keys DROP CONSTRAINT stats_global_keys_pkey, "
                "DROP COLUMN node, ADD PRIMARY KEY(kind, key)");
    pg_run(url, "ALTER TABLE stats_global_series DROP CONSTRAINT stats_global_series_pkey, "
                "DROP COLUMN node, ADD PRIMARY KEY(kind, key, level, t)");
    pg_run(url, "UPDATE schema_version SET version = 2");
    assert_int_equal(node_open(&n, url), 0);
    pg_run(url, "DO $$ BEGIN IF (SELECT version FROM schema_version) <> 6 THEN "
                "RAISE 'not migrated'; END IF; END $$");
    /* The statistics from before step 6 count for every node, and for no one node. */
    apc_stats_totals_t *all = NULL, *mine = NULL;
    apc_capture_t *c = NULL;
    assert_int_equal(apc_capture_get(n.ctx, cap, &c), 0);
    assert_int_equal(apc_stats_totals(n.ctx, &all), 0);
    assert_int_equal(all->packets, c->packets);
    assert_int_equal(apc_stats_totals_node(n.ctx, c->node, &mine), 0);
    assert_int_equal(mine->packets, 0);
    apc_stats_totals_free(all);
    apc_stats_totals_free(mine);
    apc_capture_free(c);
    int64_t id = run_search(&n, "tcp.port == 80", cap);
    apc_search_meta_t *m = NULL;
    assert_int_equal(apc_search_get(n.ctx, id, &m), 0);
    assert_true(m->matches > 0);
    apc_search_meta_free(m);
    assert_int_equal(apc_extract_enabled(n.ctx), 0);
    apc_extract_page_t *pg = files_found(&n, cap, 500);
    assert_true(pg->count > 0);
    apc_extract_page_free(pg);
    node_close(&n);
}
