/* SPDX-License-Identifier: MIT */
/*
 * Tests of module stats: corpus files ingested through the real capture writer, their
 * statistics compared with tshark's counts of the same files (io,stat with ip.addr / port /
 * protocol filters), date ranges, process statistics, the reset point, and bad input with its
 * exact error.
 */
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <apc/apc.h>
#include "../corpus_skip.h"

static apc_ctx_t *ctx;
static char data_dir[] = "/tmp/apc-stats-test-XXXXXX";

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(p);
}

static int setup(void **state)
{
    (void)state;
    if (!mkdtemp(data_dir))
        return -1;
    apc_ctx_options_t o;
    apc_ctx_options_init(&o, APC_CTX_OPTIONS_VERSION);
    o.data_dir = data_dir;
    return apc_ctx_open(&ctx, &o);
}

static int teardown(void **state)
{
    (void)state;
    apc_ctx_close(ctx);
    nftw(data_dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    return 0;
}

static const char *corpus(const char *rel)
{
    static char buf[4096];
    /* "made:NAME": a capture the build generated (tests/captures/), there without the corpus */
    if (strncmp(rel, "made:", 5) == 0)
        return apc_test_capture(buf, sizeof buf, rel + 5);
    snprintf(buf, sizeof buf, "%s/%s", apc_test_corpus_or_skip(), rel);
    return buf;
}

static int64_t ingest(const char *rel)
{
    int64_t id = 0;
    assert_int_equal(apc_ingest_file(ctx, corpus(rel), NULL, &id), 0);
    assert_int_equal(apc_capture_wait(ctx, id, 60000), 0);
    return id;
}

static int have_tshark(void)
{
    return system("tshark -v >/dev/null 2>&1") == 0;
}

/* tshark's frame and byte count of the packets of `file` matching `filter` (io,stat,0). */
static void tshark_count(const char *file, const char *filter, uint64_t *frames, uint64_t *bytes)
{
    char cmd[8192], line[1024];
    snprintf(cmd, sizeof cmd, "tshark -n -r '%s' -q -z 'io,stat,0%s%s' 2>/dev/null", file,
             *filter ? "," : "", filter);
    FILE *f = popen(cmd, "r");
    assert_non_null(f);
    int found = 0;
    while (fgets(line, sizeof line, f)) {
        unsigned long long fr, by;
        char *p = strstr(line, "<>");
        if (!p || !(p = strchr(p, '|')))
            continue;
        if (sscanf(p, "| %llu | %llu |", &fr, &by) == 2) {
            *frames = fr;
            *bytes = by;
            found = 1;
        }
    }
    pclose(f);
    assert_true(found);
}

static void check_buckets(const apc_stats_query_t *q)
{
    uint64_t p = 0, b = 0;
    assert_true(q->nbuckets <= 201);
    for (size_t i = 0; i < q->nbuckets; i++) {
        p += q->buckets[i].packets;
        b += q->buckets[i].bytes;
        if (i)
            assert_int_equal(q->buckets[i].time - q->buckets[i - 1].time, q->bucket_ns);
    }
    if (q->series_complete) {
        assert_int_equal(p, q->packets);
        assert_int_equal(b, q->bytes);
    } else {
        assert_true(p < q->packets); /* a key with partial buckets says so */
    }
    if (q->packets) {
        assert_true(q->buckets[0].time <= q->first_time);
        assert_true(q->end_time >= q->last_time);
    }
}

/* One file: capture totals, every top IP, port and protocol against tshark. */
static void compare_file(const char *rel)
{
    int64_t id = ingest(rel);
    apc_stats_query_t *q = NULL;
    assert_int_equal(apc_stats_by_capture(ctx, id, &q), 0);
    assert_int_equal(q->series_complete, 1);
    check_buckets(q);
    uint64_t fr = 0, by = 0;
    tshark_count(corpus(rel), "", &fr, &by);
    assert_int_equal(q->packets, fr);
    assert_int_equal(q->bytes, by);
    assert_true(q->ips.count > 0);
    for (size_t i = 0; i < q->ips.count && i < 4; i++) {
        const char *ip = q->ips.items[i].value;
        char filter[256];
        snprintf(filter, sizeof filter, "%s.addr==%s", strchr(ip, ':') ? "ipv6" : "ip", ip);
        tshark_count(corpus(rel), filter, &fr, &by);
        apc_stats_query_t *k = NULL;
        assert_int_equal(apc_stats_by_ip(ctx, id, ip, &k), 0);
        assert_int_equal(k->series_complete, 1); /* a top address has its whole series */
        check_buckets(k);
        if (k->packets != fr || k->bytes != by)
            fail_msg("%s %s: ours %llu/%llu, tshark %llu/%llu", rel, ip,
                     (unsigned long long)k->packets, (unsigned long long)k->bytes,
                     (unsigned long long)fr, (unsigned long long)by);
        assert_int_equal(q->ips.items[i].packets, fr);
        apc_stats_query_free(k);
    }
    for (size_t i = 0; i < q->ports.count && i < 4; i++) {
        int port = (int)q->ports.items[i].id;
        char filter[256];
        snprintf(filter, sizeof filter, "tcp.port==%d||udp.port==%d", port, port);
        tshark_count(corpus(rel), filter, &fr, &by);
        apc_stats_query_t *k = NULL;
        assert_int_equal(apc_stats_by_port(ctx, id, port, &k), 0);
        if (k->nbuckets)
            check_buckets(k);
        if (k->packets != fr || k->bytes != by)
            fail_msg("%s port %d: ours %llu/%llu, tshark %llu/%llu", rel, port,
                     (unsigned long long)k->packets, (unsigned long long)k->bytes,
                     (unsigned long long)fr, (unsigned long long)by);
        apc_stats_query_free(k);
    }
    for (size_t i = 0; i < q->protocols.count; i++) {
        int proto = (int)q->protocols.items[i].id;
        if (proto < 0)
            continue;
        char filter[256];
        snprintf(filter, sizeof filter, "ip.proto==%d||ipv6.nxt==%d", proto, proto);
        tshark_count(corpus(rel), filter, &fr, &by);
        apc_stats_query_t *k = NULL;
        assert_int_equal(apc_stats_by_protocol(ctx, id, proto, &k), 0);
        check_buckets(k);
        if (k->packets != fr)
            fail_msg("%s protocol %d: ours %llu, tshark %llu", rel, proto,
                     (unsigned long long)k->packets, (unsigned long long)fr);
        apc_stats_query_free(k);
    }
    apc_stats_query_free(q);
}

static void test_vs_tshark(void **state)
{
    (void)state;
    if (!have_tshark()) {
        print_message("tshark not installed: comparison skipped\n");
        skip();
    }
    compare_file("ndpi/443-firefox.pcap");
    compare_file("ndpi/1kxun.pcap");
    compare_file("ptcpdump/curl-thread.pcapng");
    compare_file("ptcpdump/dns.pcapng");
}

/* The same comparison on the captures the build makes: runs with or without the corpus. */
static void test_made_vs_tshark(void **state)
{
    (void)state;
    if (!have_tshark()) {
        print_message("tshark not installed: comparison skipped\n");
        skip();
    }
    compare_file("made:web.pcap");
    compare_file("made:ptcpdump.pcapng");
}

static void process_of(const char *rel)
{
    int64_t id = ingest(rel);
    apc_process_page_t *pg = NULL;
    assert_int_equal(apc_capture_get_processes(ctx, id, 0, 100, &pg), 0);
    assert_true(pg->count > 0);
    apc_stats_query_t *q = NULL;
    assert_int_equal(apc_stats_by_process(ctx, id, 0, pg->procs[0].pid, &q), 0);
    assert_int_equal(q->packets, pg->procs[0].packets);
    assert_int_equal(q->bytes, pg->procs[0].bytes);
    assert_string_equal(q->name, pg->procs[0].name);
    check_buckets(q);
    assert_true(q->ips.count > 0);
    apc_stats_query_free(q);
    assert_int_equal(apc_stats_by_process(ctx, id, pg->procs[0].process_id, 0, &q), 0);
    assert_int_equal(q->packets, pg->procs[0].packets);
    apc_stats_query_free(q);
    /* The capture's top processes name it too. */
    assert_int_equal(apc_stats_by_capture(ctx, id, &q), 0);
    assert_true(q->processes.count > 0);
    assert_int_equal(q->processes.items[0].pid, pg->procs[0].pid);
    apc_stats_query_free(q);
    apc_process_page_free(pg);
    assert_int_equal(apc_stats_by_process(ctx, id, 0, 999999, &q), APC_ENOTFOUND);
    assert_string_equal(apc_last_error_message(),
                        "no process with pid 999999 has packets in this capture");
}

static void test_process(void **state)
{
    (void)state;
    process_of("ptcpdump/curl-thread.pcapng");
}

static void test_made_process(void **state)
{
    (void)state;
    process_of("made:ptcpdump.pcapng");
}

static void test_date(void **state)
{
    (void)state;
    int64_t id = ingest("ndpi/443-firefox.pcap");
    apc_stats_query_t *all = NULL, *q = NULL;
    assert_int_equal(apc_stats_by_capture(ctx, id, &all), 0);
    /* The whole range: the same totals. */
    assert_int_equal(apc_stats_by_date(ctx, id, all->first_time, all->last_time, &q), 0);
    assert_int_equal(q->packets, all->packets);
    assert_int_equal(q->bytes, all->bytes);
    check_buckets(q);
    apc_stats_query_free(q);
    /* From the third second on: the buckets' packets, fewer than all. */
    int64_t s = all->buckets[2].time;
    assert_int_equal(apc_stats_by_date(ctx, id, s, 0, &q), 0);
    uint64_t want = 0;
    for (size_t i = 2; i < all->nbuckets; i++)
        want += all->buckets[i].packets;
    assert_int_equal(q->packets, want);
    assert_true(q->packets < all->packets);
    apc_stats_query_free(q);
    /* Before the capture: nothing. */
    assert_int_equal(apc_stats_by_date(ctx, id, 1000000000LL, 2000000000LL, &q), 0);
    assert_int_equal(q->packets, 0);
    assert_int_equal(q->nbuckets, 0);
    apc_stats_query_free(q);
    assert_int_equal(apc_stats_by_date(ctx, id, 20, 10, &q), APC_EINVAL);
    assert_string_equal(apc_last_error_message(), "end_dtg is before start_dtg");
    apc_stats_query_free(all);
}

static void test_reset(void **state)
{
    (void)state;
    assert_int_equal(apc_stats_reset(ctx), 0);
    apc_stats_totals_t *t = NULL;
    assert_int_equal(apc_stats_totals(ctx, &t), 0);
    assert_int_equal(t->packets, 0);
    assert_int_equal(t->captures, 0);
    assert_int_equal(t->ips_top.count, 0);
    assert_true(t->since > 0);
    apc_stats_totals_free(t);
    int64_t id = ingest("ptcpdump/curl-thread.pcapng");
    apc_capture_t *c = NULL;
    assert_int_equal(apc_capture_get(ctx, id, &c), 0);
    assert_int_equal(apc_stats_totals(ctx, &t), 0);
    assert_int_equal(t->packets, c->packets);
    assert_int_equal(t->bytes, c->bytes);
    assert_int_equal(t->captures, 1);
    assert_int_equal(t->connections, c->connections);
    assert_int_equal(t->processes, 1);
    assert_true(t->ips >= 2);
    assert_true(t->protocols.count > 0);
    assert_true(t->ports.count > 0);
    assert_true(t->processes_top.count == 1);
    apc_stats_totals_free(t);
    /* Capture 0: everything since the reset. */
    apc_stats_query_t *q = NULL;
    assert_int_equal(apc_stats_by_capture(ctx, 0, &q), 0);
    assert_int_equal(q->packets, c->packets);
    check_buckets(q);
    apc_stats_query_free(q);
    apc_capture_free(c);
}

static void test_errors(void **state)
{
    (void)state;
    apc_stats_query_t *q = NULL;
    assert_int_equal(apc_stats_by_capture(ctx, 999999, &q), APC_ENOTFOUND);
    assert_string_equal(apc_last_error_message(), "capture 999999 not found");
    assert_null(q);
    assert_int_equal(apc_stats_by_ip(ctx, 0, "203.0.113.77", &q), APC_ENOTFOUND);
    assert_string_equal(apc_last_error_message(), "address 203.0.113.77 was never seen");
    assert_int_equal(apc_stats_by_ip(ctx, 0, "not-an-ip", &q), APC_EINVAL);
    assert_string_equal(apc_last_error_message(), "'not-an-ip' is not an IPv4 or IPv6 address");
    assert_int_equal(apc_stats_by_port(ctx, 0, 70000, &q), APC_EINVAL);
    assert_string_equal(apc_last_error_message(), "port 70000 out of range 0-65535");
    assert_int_equal(apc_stats_by_protocol(ctx, 0, 300, &q), APC_EINVAL);
    assert_int_equal(apc_stats_by_process(ctx, 0, 0, 0, &q), APC_EINVAL);
    assert_string_equal(apc_last_error_message(), "give process_id or pid");
    /* A port nobody used: zero, no buckets. */
    int64_t id = ingest("ndpi/443-firefox.pcap");
    assert_int_equal(apc_stats_by_port(ctx, id, 9, &q), 0);
    assert_int_equal(q->packets, 0);
    assert_int_equal(q->nbuckets, 0);
    apc_stats_query_free(q);
    /* Deleting a capture removes its statistics with it. */
    assert_int_equal(apc_capture_delete(ctx, id), 0);
    assert_int_equal(apc_stats_by_capture(ctx, id, &q), APC_ENOTFOUND);
}

/* node (ours): a store of one node (SQLite) knows only this node's name; asked by it, the
 * answers are those of every node; another name is not found. */
static void test_node(void **state)
{
    (void)state;
    int64_t id = ingest("made:web.pcap");
    apc_capture_t *c = NULL;
    assert_int_equal(apc_capture_get(ctx, id, &c), 0);
    apc_stats_totals_t *all = NULL, *mine = NULL;
    assert_int_equal(apc_stats_totals(ctx, &all), 0);
    assert_int_equal(apc_stats_totals_node(ctx, c->node, &mine), 0);
    assert_int_equal(mine->packets, all->packets);
    assert_int_equal(mine->ips, all->ips);
    apc_stats_totals_free(mine);
    assert_int_equal(apc_stats_totals_node(ctx, "", &mine), 0); /* "" = every node */
    assert_int_equal(mine->packets, all->packets);
    apc_stats_totals_free(mine);
    apc_stats_totals_free(all);
    assert_int_equal(apc_stats_totals_node(ctx, "elsewhere", &mine), APC_ENOTFOUND);
    assert_null(mine);
    assert_non_null(strstr(apc_last_error_message(), "no node named 'elsewhere'"));
    apc_stats_query_t *q = NULL, *r = NULL;
    apc_stats_ask_t k = {.key = APC_STATS_KEY_CAPTURE, .capture_id = id, .node = c->node};
    assert_int_equal(apc_stats_ask(ctx, &k, &q), 0);
    assert_int_equal(apc_stats_by_capture(ctx, id, &r), 0);
    assert_int_equal(q->packets, r->packets);
    assert_int_equal(q->ips.count, r->ips.count);
    apc_stats_query_free(q);
    apc_stats_query_free(r);
    k.node = "elsewhere";
    assert_int_equal(apc_stats_ask(ctx, &k, &q), APC_ENOTFOUND);
    k.key = 99;
    assert_int_equal(apc_stats_ask(ctx, &k, &q), APC_EINVAL);
    assert_string_equal(apc_last_error_message(), "unknown statistics key 99");
    apc_capture_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vs_tshark),      cmocka_unit_test(test_process),
        cmocka_unit_test(test_made_vs_tshark), cmocka_unit_test(test_made_process),
        cmocka_unit_test(test_date),           cmocka_unit_test(test_reset),
        cmocka_unit_test(test_errors),         cmocka_unit_test(test_node),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
