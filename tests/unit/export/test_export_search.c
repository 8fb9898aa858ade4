/* SPDX-License-Identifier: MIT */
/*
 * search_export over several captures: one pcapng with the search's results in result order,
 * one IDB per (capture, interface) named after its capture, the process comments of the
 * originals; read back by tshark and by our ingest. And apc_flush of searches.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/ctx.h"
#include "search/search.h"
#include "store/sql.h"
#include "store/store.h"
#include "test_export.h"

#define MAXHITS 2000

typedef struct hit {
    int64_t capture_id, packet_id;
} hit_t;

static apc_search_meta_t *search_wait(const char *filter, int64_t *id)
{
    assert_int_equal(apc_search_start(ctx, filter, NULL, id), 0);
    assert_int_equal(apc_search_wait(ctx, *id, 60000), 0);
    apc_search_meta_t *m = NULL;
    assert_int_equal(apc_search_get(ctx, *id, &m), 0);
    if (m->state != APC_SEARCH_COMPLETED)
        fail_msg("%s: %s %s", filter, apc_search_state_name(m->state), m->error);
    return m;
}

/* The search's results through search_read, in result order. */
static size_t results(int64_t id, hit_t *out)
{
    size_t n = 0;
    int64_t last = 0;
    for (;;) {
        apc_search_page_t *pg = NULL;
        assert_int_equal(apc_search_read(ctx, id, last, 500, &pg), 0);
        for (size_t i = 0; i < pg->count; i++) {
            assert_true(n < MAXHITS);
            out[n].capture_id = pg->packets[i].capture_id;
            out[n].packet_id = pg->packets[i].id;
            n++;
        }
        last = pg->last_id;
        int more = pg->more;
        apc_search_page_free(pg);
        if (!more)
            return n;
    }
}

static apc_command_t *search_export_wait(int64_t id)
{
    char *uid = NULL;
    if (apc_search_export(ctx, id, NULL, 0, &uid) < 0)
        fail_msg("apc_search_export: %s", apc_last_error_message());
    assert_int_equal(apc_command_wait(ctx, uid, 60000), 0);
    apc_command_t *c = NULL;
    assert_int_equal(apc_command_get(ctx, uid, &c), 0);
    apc_free(uid);
    if (c->state != APC_CMD_COMPLETED)
        fail_msg("search export: %s %s", apc_command_state_name(c->state), c->error);
    return c;
}

/* Runs a shell command; its output (stdout and stderr) without tshark's root notice. */
static void run_cmd(const char *cmd, char *out, size_t max)
{
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t len = 0;
    char line[1024];
    out[0] = 0;
    while (fgets(line, sizeof line, p))
        if (!strstr(line, "Running as user") && len + strlen(line) < max) {
            memcpy(out + len, line, strlen(line) + 1);
            len += strlen(line);
        }
    assert_int_equal(pclose(p), 0);
}

static void same_packet(int64_t cap_a, int64_t id_a, int64_t cap_b, int64_t id_b)
{
    apc_packet_t *a = NULL, *b = NULL;
    assert_int_equal(apc_capture_get_packet(ctx, cap_a, id_a, &a), 0);
    assert_int_equal(apc_capture_get_packet(ctx, cap_b, id_b, &b), 0);
    assert_int_equal(a->time, b->time);
    assert_int_equal(a->length, b->length);
    assert_int_equal(a->caplen, b->caplen);
    assert_int_equal(a->linktype, b->linktype);
    assert_int_equal(a->pid, b->pid);
    assert_memory_equal(a->data, b->data, a->caplen);
    apc_packet_free(a);
    apc_packet_free(b);
}

void test_search_export_multi(void **state)
{
    (void)state;
    static hit_t hits[MAXHITS];
    int64_t a = ingest("zeek/http_bro.org.pcap");
    int64_t b = ingest("ptcpdump/curl-thread.pcapng");
    assert_int_equal(apc_capture_set_notes(ctx, b, 0, "host b"), 0);
    int64_t id;
    apc_search_meta_t *m = search_wait("frame.len > 60", &id);
    size_t n = results(id, hits);
    assert_int_equal(n, m->matches);
    size_t in_a = 0, in_b = 0;
    for (size_t i = 0; i < n; i++) {
        in_a += hits[i].capture_id == a;
        in_b += hits[i].capture_id == b;
    }
    assert_int_equal(in_a, 479); /* tshark -Y "frame.len > 60" on the same files */
    assert_int_equal(in_b, 3);
    /* a note on a matching packet of b goes along */
    int64_t noted = 0;
    for (size_t i = 0; i < n && !noted; i++)
        if (hits[i].capture_id == b)
            noted = hits[i].packet_id;
    assert_int_equal(apc_capture_set_notes(ctx, b, noted, "look here"), 0);

    apc_command_t *c = search_export_wait(id);
    assert_int_equal(c->search_id, id);
    assert_int_equal(c->capture_id, 0); /* several captures */
    assert_int_equal(c->packets, n);
    assert_int_equal(c->progress, 100);
    assert_string_equal(c->type, "export");
    assert_non_null(strstr(c->result, "/search-"));
    /* the file's record */
    apc_export_list_t *l = NULL;
    assert_int_equal(apc_export_list(ctx, &l), 0);
    assert_int_equal(l->count, 1);
    assert_int_equal(l->files[0].search_id, id);
    assert_int_equal(l->files[0].capture_id, 0);
    assert_string_equal(l->files[0].command_uid, c->uid);
    apc_export_list_free(l);

    /* tshark reads it without a word, and tells the captures apart by interface name */
    char cmd[4096 + 128], out[8192];
    snprintf(cmd, sizeof cmd, "tshark -r '%s' 2>&1 >/dev/null", c->result);
    run_cmd(cmd, out, sizeof out);
    assert_string_equal(out, "");
    snprintf(cmd, sizeof cmd, "tshark -r '%s' -T fields -e frame.interface_name 2>&1 | uniq",
             c->result);
    run_cmd(cmd, out, sizeof out);
    char want[256];
    snprintf(want, sizeof want, "capture %lld: ", (long long)a);
    assert_true(strncmp(out, want, strlen(want)) == 0);
    snprintf(want, sizeof want, "\ncapture %lld: ", (long long)b);
    assert_non_null(strstr(out, want));

    /* our ingest reads it back: the same packets, in result order */
    int64_t back = 0;
    assert_int_equal(apc_ingest_file(ctx, c->result, NULL, &back), 0);
    assert_int_equal(apc_capture_wait(ctx, back, -1), 0);
    apc_capture_t *bc = NULL;
    assert_int_equal(apc_capture_get(ctx, back, &bc), 0);
    assert_int_equal(bc->packets, n);
    apc_capture_free(bc);
    for (size_t i = 0; i < n; i++)
        same_packet(hits[i].capture_id, hits[i].packet_id, back, (int64_t)i + 1);

    /* the comments of b's packets are ptcpdump's, as in the original file, then the note */
    for (size_t i = 0; i < n; i++) {
        if (hits[i].capture_id != b)
            continue;
        char x[8][512], y[8][512];
        uint32_t px = 0, tx = 0, py = 0, ty = 0;
        int hx, hy;
        size_t nx = epb_comments(corpus("ptcpdump/curl-thread.pcapng"),
                                 (size_t)hits[i].packet_id - 1, x, 8, &px, &tx, &hx);
        size_t ny = epb_comments(c->result, i, y, 8, &py, &ty, &hy);
        assert_true(nx > 0);
        assert_non_null(strstr(x[0], "PID:"));
        size_t extra = hits[i].packet_id == noted;
        assert_int_equal(ny, nx + extra);
        for (size_t k = 0; k < nx; k++)
            assert_string_equal(x[k], y[k]);
        if (extra)
            assert_string_equal(y[nx], "look here");
        if (hx) {
            assert_int_equal(hy, 1);
            assert_int_equal(py, px);
            assert_int_equal(ty, tx);
        }
    }
    apc_command_free(c);
    apc_search_meta_free(m);

    /* a search over every capture whose results lie in one: CaptureId is that capture */
    char filter[128];
    snprintf(filter, sizeof filter, "frame.len > 60 && proc.pid > 0 && capture.id == %lld",
             (long long)b);
    m = search_wait(filter, &id);
    assert_int_equal(m->matches, 3);
    c = search_export_wait(id);
    assert_int_equal(c->capture_id, b);
    assert_int_equal(c->search_id, id);
    assert_int_equal(c->packets, 3);
    apc_command_free(c);
    apc_search_meta_free(m);

    /* no results; unknown search */
    m = search_wait("proc.name == \"nobody-here\"", &id);
    apc_search_meta_free(m);
    char *uid = NULL;
    assert_int_equal(apc_search_export(ctx, id, NULL, 0, &uid), APC_ENOTFOUND);
    snprintf(want, sizeof want, "search %lld has no matches to export", (long long)id);
    assert_string_equal(apc_last_error_message(), want);
    assert_int_equal(apc_search_export(ctx, 999, NULL, 0, &uid), APC_ENOTFOUND);
    assert_string_equal(apc_last_error_message(), "search 999 not found");
    assert_null(uid);
}

/* apc_flush with the searches bit empties the search module's tables (schema_search.c). */
void test_flush_searches(void **state)
{
    (void)state;
    int64_t a = ingest("zeek/http_bro.org.pcap");
    int64_t id;
    /* a full scan of a frozen capture stored before the writer kept packet spans stores its
     * connection span and key index: make this capture look like one */
    sqlite3 *odb = apc__db_get(ctx->store);
    assert_int_equal(apc__sql_exec(odb, "t", "UPDATE captures SET packet_spans=0", ""), 0);
    assert_int_equal(
        apc__sql_exec(odb, "t", "UPDATE connections SET first_packet=0, last_packet=0", ""), 0);
    apc__db_put(ctx->store, odb);
    apc_search_meta_free(search_wait("frame.len > 60", &id));
    apc_search_meta_free(search_wait("tcp.port == 80", &id));
    /* A search's state is final before its job stores the span index: wait for that too (the
     * test was flaky on a loaded machine without it). */
    assert_int_equal(apc__search_any_active(ctx), 0);
    const char *tables[] = {"searches", "search_results", "search_conn_spans", "search_conn_keys"};
    sqlite3 *db = apc__db_get(ctx->store);
    assert_non_null(db);
    for (size_t i = 0; i < 4; i++) {
        char sql[128];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", tables[i]);
        int64_t n = 0;
        assert_int_equal(apc__sql_int(db, "t", &n, sql, ""), 1);
        if (n == 0)
            fail_msg("%s is empty before the flush: the test checks nothing", tables[i]);
    }
    apc__db_put(ctx->store, db);
    assert_int_equal(apc_flush(ctx, APC_FLUSH_SEARCHES), 0);
    db = apc__db_get(ctx->store);
    for (size_t i = 0; i < 4; i++) {
        char sql[128];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", tables[i]);
        int64_t n = -1;
        assert_int_equal(apc__sql_int(db, "t", &n, sql, ""), 1);
        if (n != 0)
            fail_msg("%s: %lld rows after flushing searches", tables[i], (long long)n);
    }
    int64_t n = 0;
    assert_int_equal(apc__sql_int(db, "t", &n, "SELECT count(*) FROM captures", ""), 1);
    assert_int_equal(n, 1); /* only searches went */
    apc__db_put(ctx->store, db);
    apc_search_meta_t *m = NULL;
    assert_int_equal(apc_search_get(ctx, id, &m), APC_ENOTFOUND);
    /* and searching works again, rebuilding the index */
    apc_search_meta_free(search_wait("tcp.port == 80", &id));
    (void)a;
    /* a running search refuses it (its job writes search tables) */
    ingest("zeek/echo-connections.pcap");
    assert_int_equal(apc_search_start(ctx, "frame matches \"(a|b)*c\"", NULL, &id), 0);
    int rc = apc_flush(ctx, APC_FLUSH_SEARCHES);
    if (rc == APC_EBUSY) {
        char want[160];
        snprintf(want, sizeof want,
                 "search %lld is running: wait for it or cancel it before flushing (search_list "
                 "shows it)",
                 (long long)id);
        assert_string_equal(apc_last_error_message(), want);
    } else {
        fprintf(stderr, "note: search %lld ended before apc_flush could see it run\n",
                (long long)id);
        assert_int_equal(rc, 0);
    }
    assert_int_equal(apc_search_cancel(ctx, id), rc == 0 ? APC_ENOTFOUND : 0);
    assert_int_equal(apc_search_wait(ctx, id, 60000), rc == 0 ? APC_ENOTFOUND : 0);
    /* once it has ended (and stored its index), the flush goes through */
    assert_int_equal(apc_flush(ctx, APC_FLUSH_SEARCHES), 0);
}
