/* SPDX-License-Identifier: MIT */
/*
 * The capture writer's commit path against an in-memory fake of the store's backend
 * (store/backend.h): the domain module (decode -> flow -> IP counters -> statistics -> commit
 * batch) runs unchanged, and the fake sees exactly what a SQL backend would apply. This is
 * what a second backend (PostgreSQL) must accept, and shows the writer needs no SQL.
 * Packet bytes still go to segment files in a temporary directory: they are files whatever
 * the backend.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <apc/capture.h>

#include "capture/capwriter.h"
#include "core/ctx.h"
#include "core/error.h"
#include "core/fsutil.h"
#include "decode/decode.h"
#include "stats/agg.h"
#include "store/backend.h"
#include "store/store.h"

/* What the fake store holds: the last row of each connection, totals it was told to add. */
typedef struct fake {
    int64_t next_capture, next_process;
    int ifaces, commits, failed, final_state;
    int fail_commits; /* from then on, every commit fails as a full disk would */
    apc__st_conn_t conns[16];
    int n_conns;
    int conn_rows;           /* connection rows received, over every commit */
    uint64_t ip_add_packets; /* sum of add_packets over every IP row */
    int ip_rows;
    uint64_t stat_all_packets; /* kind ALL totals rows */
    uint64_t new_conns;
    uint64_t proto_udp, proto_tcp;
    apc__st_progress_t progress;
} fake_t;

static int f_create(void *impl, const apc__st_capture_new_t *c, int64_t *out_id)
{
    fake_t *f = impl;
    assert_int_equal(c->type, APC_CAPTURE_INGEST);
    *out_id = ++f->next_capture;
    return 0;
}

static int f_add_iface(void *impl, int64_t capture_id, const apc__st_iface_t *i)
{
    fake_t *f = impl;
    assert_int_equal(capture_id, 1);
    assert_int_equal(i->idx, (uint32_t)f->ifaces);
    f->ifaces++;
    return 0;
}

static int f_commit(void *impl, const apc__cbatch_t *b)
{
    fake_t *f = impl;
    if (f->fail_commits)
        return apc__err(APC_ESTORE, "fake store: database or disk is full");
    f->commits++;
    f->conn_rows += (int)b->n_conns;
    for (size_t i = 0; i < b->n_conns; i++) {
        int j;
        for (j = 0; j < f->n_conns && f->conns[j].id != b->conns[i].id; j++)
            ;
        assert_true(j < 16);
        f->conns[j] = b->conns[i]; /* later rows replace earlier ones, as the upsert does */
        if (j == f->n_conns)
            f->n_conns++;
    }
    for (size_t i = 0; i < b->n_ips; i++) {
        f->ip_add_packets += b->ips[i].add_packets;
        f->ip_rows++;
    }
    for (size_t i = 0; i < b->n_protos; i++) {
        if (b->protos[i].key == 17)
            f->proto_udp = b->protos[i].packets;
        if (b->protos[i].key == 6)
            f->proto_tcp = b->protos[i].packets;
    }
    for (size_t i = 0; i < b->n_stats; i++)
        if (b->stats[i].kind == APC__SK_ALL && b->stats[i].level == APC__ST_STAT_TOTAL)
            f->stat_all_packets += b->stats[i].packets;
    f->new_conns += b->new_conns;
    f->progress = b->progress;
    if (b->final_state)
        f->final_state = b->final_state;
    return 0;
}

static int f_fail(void *impl, int64_t capture_id, const char *error, int64_t end_time)
{
    (void)capture_id, (void)error, (void)end_time;
    ((fake_t *)impl)->failed++;
    return 0;
}

static int f_set_drops(void *impl, int64_t capture_id, uint64_t k, uint64_t d)
{
    (void)impl, (void)capture_id, (void)k, (void)d;
    return 0;
}

static int f_proc_add(void *impl, const apc__st_process_t *p, int64_t *out_id)
{
    (void)p;
    *out_id = ++((fake_t *)impl)->next_process;
    return 0;
}

static int f_proc_update(void *impl, int64_t id, const apc__st_process_t *p)
{
    (void)impl, (void)id, (void)p;
    return 0;
}

static int f_pid_of(void *impl, int64_t id, int64_t *pid)
{
    (void)impl, (void)id, (void)pid;
    return APC_ENOTFOUND;
}

static int f_thread_add(void *impl, int64_t process_id, int64_t tid, const char *name)
{
    (void)impl, (void)process_id, (void)tid, (void)name;
    return 0;
}

static const apc__captures_ops_t fake_captures = {.create = f_create,
                                                  .add_iface = f_add_iface,
                                                  .commit = f_commit,
                                                  .fail = f_fail,
                                                  .set_drops = f_set_drops};
/* The writer reads nothing back: the page calls are left NULL in the fake. */
static const apc__processes_ops_t fake_processes = {
    .add = f_proc_add, .update = f_proc_update, .pid_of = f_pid_of, .thread_add = f_thread_add};
static const apc__store_backend_t fake_backend = {
    .name = "fake", .captures = &fake_captures, .processes = &fake_processes};

/* Ethernet + IPv4 + UDP (or TCP with `flags`) from 10.0.0.a:sport to 10.0.0.b:dport. */
static size_t frame(uint8_t *p, int tcp, uint8_t a, uint8_t b, uint16_t sport, uint16_t dport,
                    uint8_t flags)
{
    memset(p, 0, 128);
    p[12] = 0x08; /* IPv4 */
    uint8_t *ip = p + 14;
    size_t l4 = tcp ? 20 : 8, len = 20 + l4 + 10;
    ip[0] = 0x45;
    ip[2] = (uint8_t)(len >> 8);
    ip[3] = (uint8_t)len;
    ip[8] = 64;
    ip[9] = tcp ? 6 : 17;
    uint8_t src[4] = {10, 0, 0, a}, dst[4] = {10, 0, 0, b};
    memcpy(ip + 12, src, 4);
    memcpy(ip + 16, dst, 4);
    uint8_t *t = ip + 20;
    t[0] = (uint8_t)(sport >> 8), t[1] = (uint8_t)sport;
    t[2] = (uint8_t)(dport >> 8), t[3] = (uint8_t)dport;
    if (tcp) {
        t[12] = 0x50;
        t[13] = flags;
    } else {
        t[4] = 0, t[5] = (uint8_t)(8 + 10);
    }
    return 14 + len;
}

static void add(apc__capw_t *w, int64_t ts, int tcp, uint8_t a, uint8_t b, uint16_t sp, uint16_t dp,
                uint8_t flags)
{
    uint8_t buf[128];
    size_t n = frame(buf, tcp, a, b, sp, dp, flags);
    apc__pkt_t d;
    apc__decode(&d, buf, (uint32_t)n, (uint32_t)n, 1);
    apc__cappkt_t p = {.ts_ns = ts, .caplen = (uint32_t)n, .wirelen = (uint32_t)n, .data = buf};
    assert_int_equal(apc__capw_add(w, &p, &d), 0);
}

/* A writer on a fake store, over a temporary directory for its segment files. */
typedef struct rig {
    char dir[64];
    fake_t f;
    struct apc_ctx ctx;
    int64_t id;
    apc__capw_t *w;
} rig_t;

static void rig_open(rig_t *r, const char *name)
{
    memset(r, 0, sizeof *r);
    snprintf(r->dir, sizeof r->dir, "/tmp/apc-capw-%s-XXXXXX", name);
    assert_non_null(mkdtemp(r->dir));
    r->ctx = (struct apc_ctx){.data_dir = r->dir, .lock_fd = -1};
    pthread_mutex_init(&r->ctx.lock, NULL);
    pthread_cond_init(&r->ctx.cond, NULL);
    assert_int_equal(apc__store_new_backend(&fake_backend, &r->f, &r->ctx.store), 0);
    assert_int_equal(apc__capture_create(&r->ctx, APC_CAPTURE_INGEST, "t", "/x.pcap", 0, &r->id),
                     0);
    assert_int_equal(apc__capw_open(&r->ctx, r->id, &r->w), 0);
    assert_int_equal(apc__capw_add_iface(r->w, 1, 65535, "eth0", "", 1000000000), 0);
}

/* After apc__capw_finish. */
static void rig_close(rig_t *r)
{
    apc__store_close(r->ctx.store);
    pthread_mutex_destroy(&r->ctx.lock);
    pthread_cond_destroy(&r->ctx.cond);
    apc__rm_rf(r->dir);
}

static void test_commit_path_on_fake_store(void **state)
{
    (void)state;
    rig_t r;
    rig_open(&r, "fake");
    fake_t *f = &r.f;
    apc__capw_t *w = r.w;
    assert_int_equal(r.id, 1);

    int64_t t = 1700000000LL * 1000000000LL;
    /* A UDP exchange (2 packets), then a TCP handshake start (SYN, SYN-ACK). */
    add(w, t, 0, 1, 2, 5000, 53, 0);
    add(w, t + 1000, 0, 2, 1, 53, 5000, 0);
    assert_int_equal(apc__capw_commit(w, 0), 0);
    assert_int_equal(apc__capw_sync(w), 0); /* applied on the writer's commit thread */
    assert_int_equal(f->commits, 1);
    assert_int_equal(f->n_conns, 1);
    assert_int_equal(f->conns[0].pkts_out, 1);
    assert_int_equal(f->conns[0].pkts_in, 1);
    assert_int_equal(f->conns[0].first_packet, 1);
    assert_int_equal(f->conns[0].last_packet, 2);
    add(w, t + 2000, 1, 3, 4, 40000, 80, 0x02);
    add(w, t + 3000, 1, 4, 3, 80, 40000, 0x12);
    assert_int_equal(apc__capw_finish(w, APC_STATE_COMPLETED, NULL, 0, 0), 0);

    assert_int_equal(f->failed, 0);
    assert_int_equal(f->final_state, APC_STATE_COMPLETED);
    assert_int_equal(f->n_conns, 2); /* the UDP row was not sent again: it did not change */
    assert_int_equal(f->conns[1].proto, 6);
    assert_int_equal(f->conns[1].sport, 40000);
    assert_int_equal(f->conns[1].dport, 80);
    assert_int_equal(f->progress.packets, 4);
    assert_int_equal(f->progress.connections, 2);
    assert_int_equal(f->proto_udp, 2);
    assert_int_equal(f->proto_tcp, 2);
    assert_int_equal(f->ip_add_packets, 8); /* each packet counts for both of its addresses */
    assert_int_equal(f->stat_all_packets, 4);
    assert_int_equal(f->new_conns, 2);
    assert_true(f->progress.seg_bytes > 0);

    rig_close(&r);
}

/* A commit applied on the commit thread fails: the next call reports it with the store's
 * message, and the end cuts the capture back to the last commit applied and marks it failed. */
static void test_commit_failure_on_the_commit_thread(void **state)
{
    (void)state;
    rig_t r;
    rig_open(&r, "fail");
    fake_t *f = &r.f;
    apc__capw_t *w = r.w;
    int64_t t = 1700000000LL * 1000000000LL;
    add(w, t, 0, 1, 2, 5000, 53, 0);
    assert_int_equal(apc__capw_commit(w, 0), 0);
    assert_int_equal(apc__capw_sync(w), 0);
    assert_int_equal(f->progress.packets, 1);
    f->fail_commits = 1;
    add(w, t + 1000, 0, 2, 1, 53, 5000, 0);
    assert_int_equal(apc__capw_commit(w, 0), 0); /* handed over: the failure comes later */
    assert_int_equal(apc__capw_sync(w), APC_ESTORE);
    assert_non_null(strstr(apc_last_error_message(), "database or disk is full"));
    assert_int_equal(apc__capw_finish(w, APC_STATE_COMPLETED, "stopped", 0, 0), 0);
    assert_int_equal(f->failed, 1);           /* marked failed, not completed */
    assert_int_equal(f->final_state, 0);      /* no final commit went through */
    assert_int_equal(f->progress.packets, 1); /* the last commit applied stands */
    rig_close(&r);
}

static const apc__st_conn_t *fake_conn(const fake_t *f, int64_t id)
{
    for (int j = 0; j < f->n_conns; j++)
        if (f->conns[j].id == id)
            return &f->conns[j];
    fail_msg("connection %lld never stored", (long long)id);
    return NULL;
}

/* A connection leaving the table (idle 10 minutes of packet time) is sent again only if it
 * changed since the last commit: the store already holds a clean one as it is (issue 15: those
 * rows were 40% of a 10,000,000-packet ingest's). A changed one is sent with its last values. */
static void test_evicted_sent_only_when_changed(void **state)
{
    (void)state;
    rig_t r;
    rig_open(&r, "evict");
    fake_t *f = &r.f;
    apc__capw_t *w = r.w;
    int64_t t = 1700000000LL * 1000000000LL, min = 60LL * 1000000000LL;
    add(w, t, 0, 1, 2, 5000, 53, 0);        /* connection 1 */
    add(w, t + 1000, 0, 3, 4, 5001, 53, 0); /* connection 2 */
    assert_int_equal(apc__capw_commit(w, 0), 0);
    assert_int_equal(apc__capw_sync(w), 0);
    assert_int_equal(f->conn_rows, 2);
    add(w, t + 2000, 0, 4, 3, 53, 5001, 0); /* connection 2 changes after the commit */
    /* 11 minutes later: both leave the table as connection 3 comes. */
    add(w, t + 11 * min, 0, 5, 6, 5002, 53, 0);
    assert_int_equal(apc__capw_commit(w, 0), 0);
    assert_int_equal(apc__capw_sync(w), 0);
    assert_int_equal(f->conn_rows, 4); /* 2 and 3, not 1 */
    assert_int_equal(f->n_conns, 3);
    const apc__st_conn_t *c1 = fake_conn(f, 1), *c2 = fake_conn(f, 2);
    assert_int_equal(c1->pkts_out + c1->pkts_in, 1);
    assert_int_equal(c2->pkts_out + c2->pkts_in, 2); /* its last values */
    assert_int_equal(c2->last_packet, 3);
    assert_int_equal(apc__capw_finish(w, APC_STATE_COMPLETED, NULL, 0, 0), 0);
    assert_int_equal(f->conn_rows, 4); /* connection 3 did not change since */
    assert_int_equal(f->progress.connections, 3);
    rig_close(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_commit_path_on_fake_store),
        cmocka_unit_test(test_commit_failure_on_the_commit_thread),
        cmocka_unit_test(test_evicted_sent_only_when_changed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
