/* SPDX-License-Identifier: MIT */
/*
 * Searches through the public API on real ingests: matches checked against what the packets
 * themselves say (apc_capture_read), the planner (connection / index / bytes) agreeing with a
 * byte-only evaluation, paging, cancel, delete, list, scope by capture and time, errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <apc/apc.h>

#include "core/ctx.h"
#include "core/error.h"
#include "core/fsutil.h"
#include "search/filter.h"
#include "search/search.h"
#include "store/sql.h"
#include "store/store.h"
#include "../corpus_skip.h"
#include "../test_ctx.h"

static apc_ctx_t *ctx;
static char tmpdir[64];

static const char *corpus(const char *rel)
{
    static char buf[4096];
    snprintf(buf, sizeof buf, "%s/%s", apc_test_corpus_or_skip(), rel);
    return buf;
}

static int setup(void **state)
{
    (void)state;
    return apc_test_ctx_open(&ctx, tmpdir, sizeof tmpdir, "search");
}

static int teardown(void **state)
{
    (void)state;
    return apc_test_ctx_close(&ctx, tmpdir);
}

static int64_t ingest(const char *path)
{
    int64_t id = 0;
    if (apc_ingest_file(ctx, path, NULL, &id) != 0)
        fail_msg("ingest %s: %s", path, apc_last_error_message());
    assert_int_equal(apc_capture_wait(ctx, id, 60000), 0);
    return id;
}

static apc_search_meta_t *wait_search(int64_t id)
{
    for (int i = 0; i < 6000; i++) {
        apc_search_meta_t *m = NULL;
        assert_int_equal(apc_search_get(ctx, id, &m), 0);
        if (m->state > APC_SEARCH_RUNNING)
            return m;
        apc_search_meta_free(m);
        usleep(10000);
    }
    fail_msg("search %lld did not end", (long long)id);
    return NULL;
}

/* All matches of `filter` over capture cap (0 = all), as "capture:packet" ids. */
static size_t run(const char *filter, int64_t cap, int64_t (*out)[2], size_t max)
{
    apc_search_options_t o;
    apc_search_options_init(&o, APC_SEARCH_OPTIONS_VERSION);
    o.capture_id = cap;
    int64_t id;
    if (apc_search_start(ctx, filter, &o, &id) != 0)
        fail_msg("%s: %s", filter, apc_last_error_message());
    apc_search_meta_t *m = wait_search(id);
    if (m->state != APC_SEARCH_COMPLETED)
        fail_msg("%s: %s %s", filter, apc_search_state_name(m->state), m->error);
    assert_int_equal(m->progress, 100);
    size_t n = 0;
    int64_t last = 0;
    for (;;) {
        apc_search_page_t *pg = NULL;
        assert_int_equal(apc_search_read(ctx, id, last, 7, &pg), 0);
        for (size_t i = 0; i < pg->count && n < max; i++) {
            out[n][0] = pg->packets[i].capture_id;
            out[n][1] = pg->packets[i].id;
            assert_null(pg->packets[i].data);
            n++;
        }
        last = pg->last_id;
        int more = pg->more;
        apc_search_page_free(pg);
        if (!more)
            break;
    }
    assert_int_equal(m->matches, n);
    apc_search_meta_free(m);
    return n;
}

typedef int (*pred_fn)(const apc_packet_t *p);

/* The packets of capture cap for which pred holds, read back through apc_capture_read. */
static size_t expect(int64_t cap, pred_fn pred, int64_t (*out)[2], size_t max)
{
    size_t n = 0;
    int64_t last = 0;
    for (;;) {
        apc_packet_page_t *pg = NULL;
        assert_int_equal(apc_capture_read(ctx, cap, last, 1000, 0, &pg), 0);
        for (size_t i = 0; i < pg->count; i++)
            if (pred(&pg->packets[i]) && n < max) {
                out[n][0] = cap;
                out[n][1] = pg->packets[i].id;
                n++;
            }
        last = pg->last_id;
        int more = pg->more;
        apc_packet_page_free(pg);
        if (!more)
            break;
    }
    return n;
}

static int is_port80(const apc_packet_t *p)
{
    return p->protocol == 6 && (p->src_port == 80 || p->dst_port == 80);
}
static int is_udp53(const apc_packet_t *p)
{
    return p->protocol == 17 && (p->src_port == 53 || p->dst_port == 53);
}
static int is_syn_only(const apc_packet_t *p)
{
    return p->tcp_flags >= 0 && (p->tcp_flags & 0x12) == 0x02;
}
static int is_not_tcp(const apc_packet_t *p)
{
    return p->protocol != 6;
}
static int is_big(const apc_packet_t *p)
{
    return p->length > 1000;
}

static void check_same(const char *filter, int64_t cap, pred_fn pred)
{
    static int64_t got[20000][2], want[20000][2];
    size_t ng = run(filter, cap, got, 20000);
    size_t nw = expect(cap, pred, want, 20000);
    if (ng != nw)
        fail_msg("%s: %zu matches, want %zu", filter, ng, nw);
    assert_memory_equal(got, want, ng * sizeof got[0]);
}

static void test_matches(void **state)
{
    (void)state;
    int64_t cap = ingest(corpus("zeek/http_bro.org.pcap"));
    check_same("tcp.port == 80", cap, is_port80);
    check_same("tcp.flags.syn == 1 && tcp.flags.ack == 0", cap, is_syn_only);
    check_same("!tcp", cap, is_not_tcp);
    check_same("frame.len > 1000", cap, is_big);
    int64_t cap2 = ingest(corpus("ptcpdump/dns.pcapng"));
    check_same("udp.port == 53", cap2, is_udp53);
    /* scope: every capture, results in capture order */
    static int64_t all[20000][2];
    size_t n = run("tcp.port == 80 || udp.port == 53", 0, all, 20000);
    static int64_t a[20000][2], b[20000][2];
    size_t na = expect(cap, is_port80, a, 20000), nb = expect(cap2, is_udp53, b, 20000);
    assert_int_equal(n, na + nb);
    assert_memory_equal(all, a, na * sizeof a[0]);
    assert_memory_equal(all + na, b, nb * sizeof b[0]);
    /* the HTTP request lines: one GET per request packet */
    n = run("http.request.method == \"GET\" && http.host contains \"bro\"", cap, all, 20000);
    assert_true(n > 0);
    size_t n2 = run("frame contains \"GET /\" && tcp.dstport == 80", cap, a, 20000);
    assert_int_equal(n, n2);
    assert_memory_equal(all, a, n * sizeof a[0]);
    assert_int_equal(run("proc.name == \"nothing-here\"", 0, all, 10), 0);
}

/* The planner's answer from connections and index records must equal the answer from the
 * bytes alone. A filter of the same meaning written with bpf() always reads the bytes. */
static void test_planner_vs_bytes(void **state)
{
    (void)state;
    int64_t cap = ingest(corpus("zeek/http_bro.org.pcap"));
    static int64_t a[20000][2], b[20000][2];
    const char *pairs[][2] = {
        {"tcp.port == 80", "bpf(\"tcp port 80\")"},
        {"ip.src == 192.150.187.43", "bpf(\"ip src 192.150.187.43\")"},
        {"!(ip.dst == 192.150.187.43)", "!bpf(\"ip dst 192.150.187.43\")"},
        {"tcp.srcport in {80 1000..1100}",
         "bpf(\"tcp src port 80 or tcp src portrange 1000-1100\")"},
        {"ip.addr == 192.150.187.0/24 && tcp.dstport != 80",
         "bpf(\"net 192.150.187.0/24 and tcp and not tcp dst port 80\")"},
    };
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        size_t na = run(pairs[i][0], cap, a, 20000), nb = run(pairs[i][1], cap, b, 20000);
        if (na != nb)
            fail_msg("%s: %zu, %s: %zu", pairs[i][0], na, pairs[i][1], nb);
        assert_memory_equal(a, b, na * sizeof a[0]);
    }
    /* the same through the internal entry point capture_export uses */
}

static int count_cb(int64_t capture_id, int64_t packet_id, void *payload)
{
    (void)capture_id, (void)packet_id;
    (*(size_t *)payload)++;
    return 0;
}

static void test_filter_capture(void **state)
{
    (void)state;
    int64_t cap = ingest(corpus("zeek/http_bro.org.pcap"));
    static int64_t want[20000][2];
    size_t nw = expect(cap, is_port80, want, 20000), n = 0;
    uint64_t scanned = 0, all = 0;
    assert_int_equal(
        apc__search_filter_capture(ctx, "tcp.port == 80", cap, 0, 0, NULL, count_cb, &n, &scanned),
        0);
    assert_int_equal(n, nw);
    /* The whole capture was looked at (what search_scan answers as Scanned). */
    apc_capture_t *c = NULL;
    assert_int_equal(apc_capture_get(ctx, cap, &c), 0);
    all = c->packets;
    apc_capture_free(c);
    assert_true(scanned > 0 && scanned <= all);
    assert_int_equal(
        apc__search_filter_capture(ctx, "tcp.prot == 80", cap, 0, 0, NULL, count_cb, &n, &scanned),
        APC_EINVAL);
    assert_string_equal(apc_last_error_message(),
                        "unknown field `tcp.prot` \xe2\x80\x94 did you mean `tcp.port`?");
    volatile int cancel = 1;
    assert_int_equal(
        apc__search_filter_capture(ctx, "", cap, 0, 0, &cancel, count_cb, &n, &scanned),
        APC_ECANCELED);
}

static int64_t db_int(const char *sql, int64_t cap)
{
    sqlite3 *db = apc__db_get(ctx->store);
    assert_non_null(db);
    int64_t v = -1;
    int r = apc__sql_int(db, "test", &v, sql, "i", cap);
    apc__db_put(ctx->store, db);
    if (r != 1)
        fail_msg("%s: %d %s", sql, r, apc_last_error_message());
    return v;
}

static void db_exec(const char *sql, int64_t cap)
{
    sqlite3 *db = apc__db_get(ctx->store);
    assert_non_null(db);
    int r = apc__sql_exec(db, "test", sql, "i", cap);
    apc__db_put(ctx->store, db);
    assert_int_equal(r, 0);
}

static int is_49998(const apc_packet_t *p)
{
    return p->protocol == 6 && (p->src_port == 49998 || p->dst_port == 49998) &&
           (!strcmp(p->src_ip, "141.142.220.118") || !strcmp(p->dst_ip, "141.142.220.118"));
}

/* One scan through the internal entry point; *records = index records it read. */
static size_t scan_once(int64_t cap, const char *text, uint64_t *records)
{
    apc__filter_t *f = NULL;
    size_t off, n = 0;
    assert_int_equal(apc__flt_compile(text, strlen(text), &f, &off), 0);
    apc__scan_t s = {0};
    s.ctx = ctx;
    s.filter = f;
    s.capture_id = cap;
    s.on_match = count_cb;
    s.payload = &n;
    assert_int_equal(apc__search_scan(&s), 0);
    apc__flt_free(f);
    *records = s.records_read;
    return n;
}

/* The writer records each connection's first and last packet id as it stores them, so the
 * first selective search right after an ingest reads only the candidates' span; a capture
 * stored before (no spans: first_packet 0) still gets its index from its first full scan. */
static void test_spans_from_writer(void **state)
{
    (void)state;
    int64_t cap = ingest(corpus("zeek/wikipedia.pcap"));
    int64_t packets = db_int("SELECT packets FROM captures WHERE id=?", cap);
    assert_int_equal(packets, 136);
    assert_int_equal(db_int("SELECT packet_spans FROM captures WHERE id=?", cap), 1);
    /* every connection's span is the first and last packet that apc_capture_read gives it */
    int64_t nconns = db_int("SELECT count(*) FROM connections WHERE capture_id=?", cap);
    assert_true(nconns > 5);
    static int64_t first[4096], last[4096];
    int64_t nc_first = 0, nc_last = 0, lastid = 0;
    for (;;) {
        apc_packet_page_t *pg = NULL;
        assert_int_equal(apc_capture_read(ctx, cap, lastid, 1000, 0, &pg), 0);
        for (size_t i = 0; i < pg->count; i++) {
            const apc_packet_t *p = &pg->packets[i];
            int64_t *f = &nc_first, *l = &nc_last;
            if (p->conn_id) {
                assert_true(p->conn_id > 0 && p->conn_id < 4096);
                f = &first[p->conn_id];
                l = &last[p->conn_id];
            }
            if (!*f)
                *f = p->id;
            *l = p->id;
        }
        lastid = pg->last_id;
        int more = pg->more;
        apc_packet_page_free(pg);
        if (!more)
            break;
    }
    sqlite3 *db = apc__db_get(ctx->store);
    sqlite3_stmt *q;
    assert_int_equal(apc__sql_prepare(db, "test",
                                      "SELECT id, first_packet, last_packet FROM connections "
                                      "WHERE capture_id=?",
                                      &q),
                     0);
    sqlite3_bind_int64(q, 1, cap);
    int64_t rows = 0;
    while (sqlite3_step(q) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(q, 0);
        assert_true(id > 0 && id < 4096);
        assert_int_equal(sqlite3_column_int64(q, 1), first[id]);
        assert_int_equal(sqlite3_column_int64(q, 2), last[id]);
        rows++;
    }
    sqlite3_finalize(q);
    apc__db_put(ctx->store, db);
    assert_int_equal(rows, nconns);
    assert_int_equal(db_int("SELECT nc_first_packet FROM captures WHERE id=?", cap), nc_first);
    assert_int_equal(db_int("SELECT nc_last_packet FROM captures WHERE id=?", cap), nc_last);

    /* the first search after the ingest: only the candidate's span is read, no index built */
    const char *flt = "ip.addr == 141.142.220.118 && tcp.port == 49998";
    static int64_t want[200][2];
    size_t nw = expect(cap, is_49998, want, 200);
    assert_int_equal(nw, 10);
    int64_t c_first = db_int("SELECT first_packet FROM connections WHERE capture_id=? AND "
                             "sport=49998",
                             cap);
    int64_t c_last = db_int("SELECT last_packet FROM connections WHERE capture_id=? AND "
                            "sport=49998",
                            cap);
    uint64_t rec_new = 0;
    assert_int_equal(scan_once(cap, flt, &rec_new), nw);
    assert_true(rec_new >= (uint64_t)(c_last - c_first + 1));
    assert_true(rec_new < (uint64_t)packets);
    if (!nc_first)
        assert_int_equal(rec_new, c_last - c_first + 1);
    assert_int_equal(db_int("SELECT count(*) FROM search_conn_spans WHERE capture_id=?", cap), 0);
    assert_int_equal(db_int("SELECT count(*) FROM search_conn_keys WHERE capture_id=?", cap), 0);
    /* through the job too: the same matches */
    check_same(flt, cap, is_49998);

    /* a capture stored before the writer kept spans: its first full scan builds the index,
     * and later searches read the same span as the writer's */
    db_exec("UPDATE connections SET first_packet=0, last_packet=0 WHERE capture_id=?", cap);
    db_exec("UPDATE captures SET packet_spans=0, nc_first_packet=0, nc_last_packet=0 WHERE id=?",
            cap);
    uint64_t rec_old = 0;
    assert_int_equal(scan_once(cap, flt, &rec_old), nw);
    assert_int_equal(rec_old, packets);
    assert_true(db_int("SELECT count(*) FROM search_conn_spans WHERE capture_id=?", cap) > 0);
    assert_int_equal(scan_once(cap, flt, &rec_old), nw);
    assert_int_equal(rec_old, rec_new);
}

/* capture_export's filter is this language: the exported file holds exactly the matches. */
static void test_export_filter(void **state)
{
    (void)state;
    int64_t cap = ingest(corpus("zeek/http_bro.org.pcap"));
    static int64_t want[20000][2];
    size_t nw = expect(cap, is_port80, want, 20000);
    char *uid = NULL;
    assert_int_equal(apc_export_start(ctx, cap, NULL, "tcp.srcport == 80", 0, &uid), 0);
    assert_int_equal(apc_command_wait(ctx, uid, 60000), 0);
    apc_command_t *c = NULL;
    assert_int_equal(apc_command_get(ctx, uid, &c), 0);
    if (c->state != APC_CMD_COMPLETED)
        fail_msg("export: %s", c->error);
    size_t ns = 0;
    for (size_t i = 0; i < nw; i++) {
        apc_packet_t *p = NULL;
        assert_int_equal(apc_capture_get_packet(ctx, cap, want[i][1], &p), 0);
        ns += p->src_port == 80;
        apc_packet_free(p);
    }
    assert_true(ns > 0 && ns < nw);
    assert_int_equal(c->packets, ns);
    /* read the file back: same packets */
    int64_t back = ingest(c->result);
    apc_capture_t *bc = NULL;
    assert_int_equal(apc_capture_get(ctx, back, &bc), 0);
    assert_int_equal(bc->packets, ns);
    apc_capture_free(bc);
    apc_command_free(c);
    apc_free(uid);
    assert_int_equal(apc_export_start(ctx, cap, NULL, "tcp.port = 80", 0, &uid), APC_EINVAL);
    assert_string_equal(apc_last_error_message(),
                        "bad filter: `=` is not an operator: use `==` to compare (at offset 9)");
}

/* search_export: the command writes the search's matches, from one capture or several. */
static void test_search_export(void **state)
{
    (void)state;
    int64_t cap = ingest(corpus("zeek/http_bro.org.pcap"));
    apc_search_options_t o;
    apc_search_options_init(&o, APC_SEARCH_OPTIONS_VERSION);
    int64_t id;
    /* over every capture, with a time bound: its matches lie in one capture */
    o.start_time = 1;
    assert_int_equal(apc_search_start(ctx, "tcp.flags.syn == 1", &o, &id), 0);
    apc_search_meta_t *m = wait_search(id);
    assert_true(m->matches > 0);
    char *uid = NULL;
    assert_int_equal(apc_search_export(ctx, id, NULL, 0, &uid), 0);
    assert_int_equal(apc_command_wait(ctx, uid, 60000), 0);
    apc_command_t *c = NULL;
    assert_int_equal(apc_command_get(ctx, uid, &c), 0);
    if (c->state != APC_CMD_COMPLETED)
        fail_msg("search export: %s", c->error);
    assert_int_equal(c->packets, m->matches);
    assert_int_equal(c->capture_id, cap);
    assert_int_equal(c->search_id, id);
    apc_command_free(c);
    apc_free(uid);
    /* matches in two captures go to one file (tests/unit/export checks its contents) */
    int64_t cap2 = ingest(corpus("zeek/http_bro.org.pcap"));
    int64_t id2;
    assert_int_equal(apc_search_start(ctx, "tcp.flags.syn == 1", NULL, &id2), 0);
    apc_search_meta_t *m2 = wait_search(id2);
    assert_int_equal(m2->matches, 2 * m->matches);
    assert_int_equal(apc_search_export(ctx, id2, NULL, 0, &uid), 0);
    assert_int_equal(apc_command_wait(ctx, uid, 60000), 0);
    assert_int_equal(apc_command_get(ctx, uid, &c), 0);
    if (c->state != APC_CMD_COMPLETED)
        fail_msg("search export: %s", c->error);
    assert_int_equal(c->packets, m2->matches);
    assert_int_equal(c->capture_id, 0);
    assert_int_equal(c->search_id, id2);
    apc_command_free(c);
    apc_free(uid);
    apc_search_meta_free(m2);
    (void)cap2;
    int64_t id3;
    assert_int_equal(apc_search_start(ctx, "proc.name == \"none\"", NULL, &id3), 0);
    apc_search_meta_free(wait_search(id3));
    assert_int_equal(apc_search_export(ctx, id3, NULL, 0, &uid), APC_ENOTFOUND);
    assert_int_equal(apc_search_export(ctx, 999, NULL, 0, &uid), APC_ENOTFOUND);
    assert_string_equal(apc_last_error_message(), "search 999 not found");
    apc_search_meta_free(m);
}

static void test_lifecycle(void **state)
{
    (void)state;
    int64_t cap = ingest(corpus("zeek/http_bro.org.pcap"));
    int64_t id;
    apc_search_options_t o;
    apc_search_options_init(&o, APC_SEARCH_OPTIONS_VERSION);
    /* bad filter: refused before anything is recorded */
    assert_int_equal(apc_search_start(ctx, "ip.adr == 1.2.3.4", NULL, &id), APC_EINVAL);
    assert_string_equal(
        apc_last_error_message(),
        "unknown field `ip.adr` \xe2\x80\x94 did you mean `ip.addr`? (at offset 0)");
    o.capture_id = 999;
    assert_int_equal(apc_search_start(ctx, "ip", &o, &id), APC_ENOTFOUND);
    assert_string_equal(apc_last_error_message(), "capture 999 not found");
    apc_search_list_t *l = NULL;
    assert_int_equal(apc_search_list(ctx, &l), 0);
    assert_int_equal(l->count, 0);
    apc_search_list_free(l);
    /* time scope: nothing before 1971 */
    o.capture_id = cap;
    o.end_time = 365LL * 86400 * 1000000000LL;
    assert_int_equal(apc_search_start(ctx, "", &o, &id), 0);
    apc_search_meta_t *m = wait_search(id);
    assert_int_equal(m->state, APC_SEARCH_COMPLETED);
    assert_int_equal(m->matches, 0);
    apc_search_meta_free(m);
    /* an empty filter matches every packet */
    o.end_time = 0;
    assert_int_equal(apc_search_start(ctx, "", &o, &id), 0);
    m = wait_search(id);
    apc_capture_t *c;
    assert_int_equal(apc_capture_get(ctx, cap, &c), 0);
    assert_int_equal(m->matches, c->packets);
    assert_int_equal(m->scanned, c->packets);
    assert_string_equal(m->filter, "");
    assert_string_equal(m->error, "");
    assert_true(m->start_time > 0 && m->end_time >= m->start_time);
    apc_capture_free(c);
    apc_search_meta_free(m);
    /* pages: last_id continues, More ends */
    apc_search_page_t *pg;
    assert_int_equal(apc_search_read(ctx, id, 0, 5, &pg), 0);
    assert_int_equal(pg->count, 5);
    assert_int_equal(pg->last_id, 5);
    assert_int_equal(pg->packets[4].id, 5);
    assert_true(pg->more);
    apc_search_page_free(pg);
    assert_int_equal(apc_search_read(ctx, id, -1, 5, &pg), APC_EINVAL);
    assert_int_equal(apc_search_read(ctx, 12345, 0, 5, &pg), APC_ENOTFOUND);
    assert_string_equal(apc_last_error_message(), "search 12345 not found");
    /* list, cancel of an ended search (no change), delete */
    assert_int_equal(apc_search_list(ctx, &l), 0);
    assert_int_equal(l->count, 2);
    assert_int_equal(l->items[1]->id, id);
    apc_search_list_free(l);
    assert_int_equal(apc_search_cancel(ctx, id), 0);
    m = wait_search(id);
    assert_int_equal(m->state, APC_SEARCH_COMPLETED);
    apc_search_meta_free(m);
    assert_int_equal(apc_search_delete(ctx, id), 0);
    assert_int_equal(apc_search_get(ctx, id, &m), APC_ENOTFOUND);
    assert_int_equal(apc_search_delete(ctx, id), APC_ENOTFOUND);
    assert_int_equal(apc_search_cancel(ctx, id), APC_ENOTFOUND);
    /* a search over a deleted capture's results skips them */
    assert_int_equal(apc_search_start(ctx, "tcp", NULL, &id), 0);
    m = wait_search(id);
    assert_true(m->matches > 0);
    apc_search_meta_free(m);
    assert_int_equal(apc_capture_delete(ctx, cap), 0);
    assert_int_equal(apc_search_read(ctx, id, 0, 10, &pg), 0);
    assert_int_equal(pg->count, 0);
    assert_int_equal(pg->last_id, 10);
    apc_search_page_free(pg);
}

/* Cancel while running: a large capture and a filter that reads every packet's bytes. */
static void test_cancel_delete_running(void **state)
{
    (void)state;
    int64_t cap = ingest(corpus("zeek/echo-connections.pcap"));
    (void)cap;
    int64_t id, id2;
    assert_int_equal(apc_search_start(ctx, "frame matches \"(a|b)*c\"", NULL, &id), 0);
    assert_int_equal(apc_search_start(ctx, "frame contains \"zzzz\"", NULL, &id2), 0);
    /* a running search is not exported (its results are still coming) */
    char *uid = NULL;
    int rc = apc_search_export(ctx, id2, NULL, 0, &uid);
    if (rc == APC_EBUSY) {
        char want[200];
        snprintf(want, sizeof want,
                 "search %lld is still running: export it when it has ended (search_open shows "
                 "its state) or cancel it first",
                 (long long)id2);
        assert_string_equal(apc_last_error_message(), want);
    } else {
        fprintf(stderr, "note: search %lld ended before search_export saw it run\n",
                (long long)id2);
        assert_int_equal(rc, APC_ENOTFOUND); /* ended: no matches */
    }
    assert_null(uid);
    assert_int_equal(apc_search_cancel(ctx, id), 0);
    apc_search_meta_t *m = wait_search(id);
    /* it may have finished before the cancel reached it */
    assert_true(m->state == APC_SEARCH_CANCELLED || m->state == APC_SEARCH_COMPLETED);
    if (m->state == APC_SEARCH_CANCELLED)
        assert_string_equal(m->error, "");
    apc_search_meta_free(m);
    assert_int_equal(apc_search_delete(ctx, id2), 0);
    assert_int_equal(apc_search_get(ctx, id2, &m), APC_ENOTFOUND);
}

static void test_verify(void **state)
{
    (void)state;
    apc_search_syntax_t *s = NULL;
    assert_int_equal(apc_search_verify("ip.addr==10.0.0.1 and tcp.port in {80,443}", &s), 0);
    assert_int_equal(s->valid, 1);
    assert_string_equal(s->normalized, "ip.addr == 10.0.0.1 && tcp.port in {80 443}");
    assert_string_equal(s->error, "");
    apc_search_syntax_free(s);
    assert_int_equal(apc_search_verify("tcp.port == 80 && ip.adr", &s), 0);
    assert_int_equal(s->valid, 0);
    assert_int_equal(s->error_offset, 18);
    assert_string_equal(s->error, "unknown field `ip.adr` \xe2\x80\x94 did you mean `ip.addr`?");
    assert_string_equal(s->normalized, "");
    apc_search_syntax_free(s);
    assert_int_equal(apc_search_verify(NULL, &s), APC_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_verify),
        cmocka_unit_test_setup_teardown(test_matches, setup, teardown),
        cmocka_unit_test_setup_teardown(test_planner_vs_bytes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_filter_capture, setup, teardown),
        cmocka_unit_test_setup_teardown(test_spans_from_writer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_export_filter, setup, teardown),
        cmocka_unit_test_setup_teardown(test_search_export, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lifecycle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cancel_delete_running, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
