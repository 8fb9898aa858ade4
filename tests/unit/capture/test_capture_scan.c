/* SPDX-License-Identifier: MIT */
/* The engine's packet reader (apc__capture_read_lean, libapc/src/capture/read.c): on a
 * generated capture (no corpus needed), every page, whole or of one connection, gives the same
 * packets, bytes, addresses, ports and connections as apc_capture_read with APC_READ_BYTES, with
 * no text fields; and the public reader ignores the internal flag bit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <apc/apc.h>

#include "capture/read_lean.h"
#include "core/fsutil.h"
#include "../test_ctx.h"

#define N 3000

static char tmpdir[64];
static apc_ctx_t *ctx;

static int setup(void **state)
{
    (void)state;
    return apc_test_ctx_open(&ctx, tmpdir, sizeof tmpdir, "scan");
}

static int teardown(void **state)
{
    (void)state;
    return apc_test_ctx_close(&ctx, tmpdir);
}

/* N UDP packets over 16 source ports (16 connections), payloads differing per packet. */
static void write_pcap(const char *path)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    uint32_t gh[6] = {0xa1b2c3d4, 0x00040002, 0, 0, 65535, 101};
    fwrite(gh, 4, 6, f);
    uint8_t pkt[100] = {0x45, 0, 0, 100, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2};
    for (unsigned i = 0; i < N; i++) {
        uint32_t ph[4] = {1700000000 + i / 1000, i % 1000, sizeof pkt, sizeof pkt};
        pkt[20] = 0x40;
        pkt[21] = (uint8_t)(i % 16);
        pkt[23] = 53;
        pkt[25] = 80;
        pkt[28] = (uint8_t)i;
        pkt[29] = (uint8_t)(i >> 8);
        fwrite(ph, 4, 4, f);
        fwrite(pkt, 1, sizeof pkt, f);
    }
    assert_int_equal(fclose(f), 0);
}

static int64_t ingest(void)
{
    char path[128];
    snprintf(path, sizeof path, "%s/in.pcap", tmpdir);
    write_pcap(path);
    int64_t id = 0;
    assert_int_equal(apc_ingest_file(ctx, path, NULL, &id), 0);
    assert_int_equal(apc_capture_wait(ctx, id, 60000), 0);
    return id;
}

static void same_packet(const apc_packet_t *a, const apc_packet_t *b)
{
    assert_int_equal(a->id, b->id);
    assert_int_equal(a->time, b->time);
    assert_int_equal(a->caplen, b->caplen);
    assert_int_equal(a->protocol, b->protocol);
    assert_int_equal(a->conn_id, b->conn_id);
    assert_int_equal(a->src_port, b->src_port);
    assert_int_equal(a->dst_port, b->dst_port);
    assert_string_equal(a->src_ip, b->src_ip);
    assert_string_equal(a->dst_ip, b->dst_ip);
    assert_non_null(a->data);
    assert_memory_equal(a->data, b->data, a->caplen);
    assert_null(a->summary);
    assert_null(a->process_name);
    assert_null(a->notes);
}

/* Pages of max packets from both readers, compared one for one; returns the packets seen. */
static size_t compare(int64_t id, int64_t conn, unsigned max)
{
    int64_t last = 0;
    size_t seen = 0;
    for (int more = 1; more;) {
        apc_packet_page_t *lean = NULL, *full = NULL;
        assert_int_equal(apc__capture_read_lean(ctx, id, conn, last, max, NULL, NULL, &lean), 0);
        int r = conn ? apc_capture_read_conn(ctx, id, conn, last, max, APC_READ_BYTES, &full)
                     : apc_capture_read(ctx, id, last, max, APC_READ_BYTES, &full);
        assert_int_equal(r, 0);
        assert_int_equal(lean->count, full->count);
        assert_int_equal(lean->last_id, full->last_id);
        assert_int_equal(lean->more, full->more);
        for (size_t i = 0; i < lean->count; i++) {
            same_packet(&lean->packets[i], &full->packets[i]);
            if (conn)
                assert_int_equal(lean->packets[i].conn_id, conn);
        }
        seen += lean->count;
        more = lean->more;
        last = lean->last_id;
        apc__lean_page_free(lean);
        apc_packet_page_free(full);
    }
    return seen;
}

static void test_same_as_public(void **state)
{
    (void)state;
    int64_t id = ingest();
    assert_int_equal(compare(id, 0, 700), N);
    /* one connection: 16 ports, N / 16 packets each */
    apc_packet_page_t *pg = NULL;
    assert_int_equal(apc__capture_read_lean(ctx, id, 0, 0, 1, NULL, NULL, &pg), 0);
    int64_t conn = pg->packets[0].conn_id;
    apc__lean_page_free(pg);
    assert_true(conn > 0);
    assert_int_equal(compare(id, conn, 50), N / 16 + (0 < N % 16));
    assert_int_equal(apc__capture_read_lean(ctx, id, -1, 0, 1, NULL, NULL, &pg), APC_EINVAL);
    assert_int_equal(apc__capture_read_lean(ctx, 999, 0, 0, 1, NULL, NULL, &pg), APC_ENOTFOUND);
}

/* The extraction engine's skip: every connection but an odd-numbered one left out. */
static int skip_even(void *sp, int64_t conn_id)
{
    (*(int *)sp)++;
    return conn_id % 2 == 0;
}

/* With a skip: the packets of the connections it keeps, in order, exactly those the plain
 * reader gives; a page may be empty and still have more; pages cover every record once. */
static void test_skip(void **state)
{
    (void)state;
    int64_t id = ingest();
    size_t want = 0;
    int64_t want_ids[N];
    for (int64_t last = 0, more = 1; more;) {
        apc_packet_page_t *pg = NULL;
        assert_int_equal(apc__capture_read_lean(ctx, id, 0, last, 700, NULL, NULL, &pg), 0);
        for (size_t i = 0; i < pg->count; i++)
            if (pg->packets[i].conn_id % 2)
                want_ids[want++] = pg->packets[i].id;
        more = pg->more;
        last = pg->last_id;
        apc__lean_page_free(pg);
    }
    assert_true(want > 0 && want < N);
    size_t got = 0;
    int asked = 0, pages = 0;
    for (int64_t last = 0, more = 1; more; pages++) {
        apc_packet_page_t *pg = NULL;
        assert_int_equal(apc__capture_read_lean(ctx, id, 0, last, 3, skip_even, &asked, &pg), 0);
        for (size_t i = 0; i < pg->count; i++) {
            assert_true(got < want);
            assert_int_equal(pg->packets[i].id, want_ids[got++]);
            assert_non_null(pg->packets[i].data);
        }
        assert_true(pg->last_id > last || !pg->more);
        /* full pages but the last: skipped records do not end a page */
        assert_true(pg->count == 3 || !pg->more);
        more = pg->more;
        last = pg->last_id;
        apc__lean_page_free(pg);
    }
    assert_int_equal(got, want);
    assert_int_equal(asked, N); /* each record asked about once */
    assert_true(pages > 1);
}

/* The lean bit is internal: a public caller passing it still gets the text fields. */
static void test_public_ignores_bit(void **state)
{
    (void)state;
    int64_t id = ingest();
    apc_packet_page_t *pg = NULL;
    assert_int_equal(apc_capture_read(ctx, id, 0, 5, 0x80000000u | APC_READ_BYTES, &pg), 0);
    assert_int_equal(pg->count, 5);
    assert_non_null(pg->packets[0].summary);
    assert_true(pg->packets[0].summary[0] != 0);
    assert_non_null(pg->packets[0].notes);
    apc_packet_page_free(pg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_same_as_public, setup, teardown),
        cmocka_unit_test_setup_teardown(test_public_ignores_bit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_skip, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
