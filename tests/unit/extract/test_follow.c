/* SPDX-License-Identifier: MIT */
/*
 * Issue 10, "Performance": with extraction on, an ingest's examination follows the capture while
 * it is stored (extract/detect_load.c, capture/capwriter.c's on_capture_started). The capture
 * is written here through the capture writer itself, so the test decides when each commit
 * happens: after the first HTTP exchange is committed, the examination's command must exist and
 * have read those packets while the capture is still active (without the follow, no command
 * exists before the capture ends: the wait fails). The process that owns the first connection is
 * named only by a packet committed after its file was found, so the files must still carry it.
 * Then the followed examination's files must equal those of an examination of the same packets
 * run after the capture ended. Waits are on conditions, with a generous limit, never on time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include <apc/apc.h>

#include "attrib/filemeta.h"
#include "capture/capwriter.h"
#include "capture/pipeline.h"
#include "core/fsutil.h"
#include "../test_ctx.h"

#define LINKTYPE_RAW 101
#define LIMIT_MS 60000 /* generous: a loaded CI machine, ASan */

static char tmpdir[64];
static apc_ctx_t *ctx;

static int setup(void **state)
{
    (void)state;
    return apc_test_ctx_open(&ctx, tmpdir, sizeof tmpdir, "follow");
}

static int teardown(void **state)
{
    (void)state;
    return apc_test_ctx_close(&ctx, tmpdir);
}

/* --- packets ---------------------------------------------------------------------------- */

typedef struct tcpkt {
    int from_server;
    uint8_t flags;
    uint32_t seq, ack;
    const char *payload;
    int owned; /* the packet names its process (as a pcapng comment would) */
} tcpkt_t;

/* One HTTP exchange on client port `cport`: handshake, GET, a response with `body`, FINs.
 * Returns the packets written to out (11 max). owned_from: the first packet naming the
 * process (past the last: none). */
static size_t exchange(tcpkt_t *out, const char *response, size_t owned_from)
{
    static const char get[] = "GET /file.txt HTTP/1.1\r\nHost: example.test\r\n\r\n";
    uint32_t c = 1000, s = 5000;
    size_t n = 0;
    out[n++] = (tcpkt_t){0, 0x02, c, 0, "", 0};
    out[n++] = (tcpkt_t){1, 0x12, s, c + 1, "", 0};
    out[n++] = (tcpkt_t){0, 0x10, c + 1, s + 1, "", 0};
    out[n++] = (tcpkt_t){0, 0x18, c + 1, s + 1, get, 0};
    uint32_t c2 = c + 1 + (uint32_t)strlen(get);
    out[n++] = (tcpkt_t){1, 0x18, s + 1, c2, response, 0};
    uint32_t s2 = s + 1 + (uint32_t)strlen(response);
    out[n++] = (tcpkt_t){0, 0x11, c2, s2, "", 0};
    out[n++] = (tcpkt_t){1, 0x11, s2, c2 + 1, "", 0};
    for (size_t i = owned_from; i < n; i++)
        out[i].owned = 1;
    return n;
}

typedef struct writer {
    apc__capw_t *w;
    int64_t ts;
} writer_t;

static int attribute(void *state, apc__capw_t *w, const apc__pipe_pkt_t *in, const apc__pkt_t *d,
                     apc__cappkt_t *p)
{
    (void)in;
    (void)d;
    const tcpkt_t *k = state;
    if (!k->owned)
        return 1;
    static const char cmd[] = "/usr/bin/curl";
    apc__procmeta_t m;
    memset(&m, 0, sizeof m);
    m.pid = 4242;
    m.tid = 4242;
    m.uid = m.gid = -1;
    m.cmd = (apc__slice_t){cmd, sizeof cmd - 1};
    int64_t ref = 0;
    assert_int_equal(apc__capw_file_process(w, &m, &ref), 0);
    p->process_id = ref;
    p->pid = p->tid = 4242;
    p->attribution = APC_ATTR_FILE;
    return 1;
}

static void put(writer_t *wr, uint16_t cport, const tcpkt_t *k)
{
    uint8_t b[1500] = {0};
    size_t len = strlen(k->payload), total = 40 + len;
    assert_true(total <= sizeof b);
    uint8_t cli[4] = {10, 0, 0, 1}, srv[4] = {10, 0, 0, 2};
    b[0] = 0x45;
    b[2] = (uint8_t)(total >> 8);
    b[3] = (uint8_t)total;
    b[8] = 64;
    b[9] = 6;
    memcpy(b + 12, k->from_server ? srv : cli, 4);
    memcpy(b + 16, k->from_server ? cli : srv, 4);
    uint16_t sp = k->from_server ? 80 : cport, dp = k->from_server ? cport : 80;
    uint8_t *t = b + 20;
    t[0] = (uint8_t)(sp >> 8);
    t[1] = (uint8_t)sp;
    t[2] = (uint8_t)(dp >> 8);
    t[3] = (uint8_t)dp;
    for (int i = 0; i < 4; i++) {
        t[4 + i] = (uint8_t)(k->seq >> (24 - 8 * i));
        t[8 + i] = (uint8_t)(k->ack >> (24 - 8 * i));
    }
    t[12] = 0x50;
    t[13] = k->flags;
    t[14] = 0xff;
    memcpy(t + 20, k->payload, len);
    apc__pipe_pkt_t in = {.linktype = LINKTYPE_RAW,
                          .ts_ns = wr->ts += 1000000,
                          .caplen = (uint32_t)total,
                          .wirelen = (uint32_t)total,
                          .data = b};
    assert_int_equal(apc__pipe_packet(wr->w, &in, attribute, (void *)k), 1);
}

static void put_all(writer_t *wr, uint16_t cport, const tcpkt_t *k, size_t n)
{
    for (size_t i = 0; i < n; i++)
        put(wr, cport, &k[i]);
}

static const char resp_a[] = "HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello world";
static const char resp_b[] = "HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\nsecond file!";

static writer_t open_capture(int64_t *id)
{
    writer_t wr = {.ts = 1700000000000000000LL};
    assert_int_equal(apc__capture_create(ctx, APC_CAPTURE_INGEST, "follow", "/dev/null", 0, id), 0);
    assert_int_equal(apc__capw_open(ctx, *id, &wr.w), 0);
    assert_int_equal(apc__capw_add_iface(wr.w, LINKTYPE_RAW, 65535, "raw", "", 1000000000ULL), 0);
    return wr;
}

/* --- waiting ------------------------------------------------------------------------------ */

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* The extraction command of capture id, once it has read at least `packets` (NULL: not yet). */
static char *examined(int64_t id, uint64_t packets)
{
    apc_command_list_t *l = NULL;
    assert_int_equal(apc_command_list(ctx, &l), 0);
    char *uid = NULL;
    for (size_t i = 0; i < l->count && !uid; i++) {
        const apc_command_t *c = l->items[i];
        if (!strcmp(c->type, "extraction") && c->capture_id == id && c->packets >= packets)
            uid = strdup(c->uid);
    }
    apc_command_list_free(l);
    return uid;
}

/* The files of capture id, its examination waited for. */
static apc_extract_page_t *files_of(int64_t id)
{
    apc_extract_page_t *pg = NULL;
    assert_int_equal(apc_extract_query(ctx, id, 0, 100, &pg), 0);
    if (pg->state == APC_EXTRACT_DETECTING) {
        assert_int_equal(apc_command_wait(ctx, pg->command_uid, LIMIT_MS), 0);
        apc_extract_page_free(pg);
        assert_int_equal(apc_extract_query(ctx, id, 0, 100, &pg), 0);
    }
    assert_int_equal(pg->state, APC_EXTRACT_DONE);
    return pg;
}

/* --- the test ----------------------------------------------------------------------------- */

static void test_follows_the_ingest(void **state)
{
    (void)state;
    tcpkt_t a[11], b[11];
    /* a: the process is named from its first FIN on, after the file; b: from its first packet */
    size_t na = exchange(a, resp_a, 5), nb = exchange(b, resp_b, 0);
    assert_int_equal(apc_extract_set_enabled(ctx, 1), 0);

    int64_t id = 0;
    writer_t wr = open_capture(&id);
    put_all(&wr, 40000, a, 5); /* up to the response: its file ends with its last byte */
    assert_int_equal(apc__capw_commit(wr.w, 0), 0);
    char *uid = NULL;
    for (int ms = 0; !(uid = examined(id, 5)) && ms < LIMIT_MS; ms += 10)
        sleep_ms(10);
    assert_non_null(uid); /* the examination read them before the capture ended */
    apc_command_t *cmd = NULL;
    assert_int_equal(apc_command_get(ctx, uid, &cmd), 0);
    assert_int_equal(cmd->progress, 99); /* all that is stored so far was read (100, capped) */
    apc_command_free(cmd);
    apc_capture_t *cap = NULL;
    assert_int_equal(apc_capture_get(ctx, id, &cap), 0);
    assert_int_equal(cap->state, APC_STATE_ACTIVE);
    apc_capture_free(cap);
    /* a followed capture answers with its command, not "still active" */
    apc_extract_page_t *pg = NULL;
    assert_int_equal(apc_extract_query(ctx, id, 0, 100, &pg), 0);
    assert_int_equal(pg->state, APC_EXTRACT_DETECTING);
    assert_string_equal(pg->command_uid, uid);
    apc_extract_page_free(pg);
    put_all(&wr, 40000, a + 5, na - 5);
    put_all(&wr, 40001, b, nb);
    assert_int_equal(apc__capw_finish(wr.w, APC_STATE_COMPLETED, NULL, 0, 0), 0);
    assert_int_equal(apc_command_wait(ctx, uid, LIMIT_MS), 0);
    apc_command_t *c = NULL;
    assert_int_equal(apc_command_get(ctx, uid, &c), 0);
    assert_int_equal(c->state, APC_CMD_COMPLETED);
    apc_command_free(c);
    free(uid);
    apc_extract_page_t *followed = files_of(id);

    /* the same packets, stored with extraction off, examined after they were */
    assert_int_equal(apc_extract_set_enabled(ctx, 0), 0);
    int64_t id2 = 0;
    wr = open_capture(&id2);
    put_all(&wr, 40000, a, na);
    put_all(&wr, 40001, b, nb);
    assert_int_equal(apc__capw_finish(wr.w, APC_STATE_COMPLETED, NULL, 0, 0), 0);
    assert_null(examined(id2, 0));
    apc_extract_page_t *after = files_of(id2);

    assert_int_equal(followed->count, 2);
    assert_int_equal(after->count, followed->count);
    for (size_t i = 0; i < followed->count; i++) {
        const apc_extract_stream_t *x = &followed->items[i], *y = &after->items[i];
        assert_int_equal(x->id, y->id);
        assert_int_equal(x->conn_id, y->conn_id);
        assert_int_equal(x->direction, y->direction);
        assert_int_equal(x->nth, y->nth);
        assert_string_equal(x->protocol, y->protocol);
        assert_string_equal(x->name, y->name);
        assert_string_equal(x->mime, y->mime);
        assert_int_equal(x->size, y->size);
        assert_int_equal(x->complete, y->complete);
        assert_string_equal(x->sha256, y->sha256);
        assert_string_equal(x->md5, y->md5);
        assert_int_equal(x->time, y->time);
        assert_int_equal(x->first_packet, y->first_packet);
        assert_int_equal(x->last_packet, y->last_packet);
        /* a's owner was stored after its file was found: the followed run still has it */
        assert_int_equal(x->pid, 4242);
        assert_int_equal(y->pid, 4242);
        assert_string_equal(x->process_name, y->process_name);
        assert_string_equal(x->process_path, y->process_path);
    }
    assert_int_equal(followed->items[0].size, 11);
    assert_int_equal(followed->items[1].size, 12);
    apc_extract_page_free(followed);
    apc_extract_page_free(after);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_follows_the_ingest, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
