/* SPDX-License-Identifier: MIT */
/*
 * The session's wait limit (apc_session_t.wait_limit_ms, apcd's max_wait): a wait=1 call under
 * a limit answers the state as it is when the limit passes, and the job goes on to its end;
 * without a limit it answers the ended job. The limit here is 1 ms and the job exports or
 * searches 300,000 packets (23 MB), which no machine does in 1 ms: the check is on a physical
 * bound, not on how fast this machine happens to be.
 */
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <cjson/cJSON.h>

#include <apc/apc.h>

#define PACKETS 300000

static apc_ctx_t *ctx;
static char data_dir[] = "/tmp/apc-waitcap-XXXXXX";
static char pcap_path[4200];

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(p);
}

/* PACKETS UDP datagrams in an Ethernet pcap (checksums zero: valid for UDP over IPv4). */
static void write_pcap(const char *path)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    const uint32_t hdr[6] = {0xa1b2c3d4, 0x00040002, 0, 0, 65535, 1};
    assert_int_equal(fwrite(hdr, sizeof hdr, 1, f), 1);
    uint8_t frame[14 + 20 + 8 + 18] = {0};
    memset(frame, 0x02, 6);
    memset(frame + 6, 0x04, 6);
    frame[12] = 0x08;
    uint8_t *ip = frame + 14;
    ip[0] = 0x45;
    ip[3] = 20 + 8 + 18;
    ip[8] = 64;
    ip[9] = 17;
    ip[12] = 10, ip[15] = 1, ip[16] = 10, ip[19] = 2;
    uint8_t *udp = ip + 20;
    udp[5] = 8 + 18;
    for (uint32_t i = 0; i < PACKETS; i++) {
        udp[0] = (uint8_t)(0x80 | (i % 64)); /* 64 flows */
        udp[3] = 53;
        const uint32_t rec[4] = {1700000000 + i / 1000, (i % 1000) * 1000, sizeof frame,
                                 sizeof frame};
        assert_int_equal(fwrite(rec, sizeof rec, 1, f), 1);
        assert_int_equal(fwrite(frame, sizeof frame, 1, f), 1);
    }
    assert_int_equal(fclose(f), 0);
}

static int setup(void **state)
{
    (void)state;
    if (!mkdtemp(data_dir))
        return -1;
    snprintf(pcap_path, sizeof pcap_path, "%s/many.pcap", data_dir);
    write_pcap(pcap_path);
    apc_ctx_options_t o;
    apc_ctx_options_init(&o, APC_CTX_OPTIONS_VERSION);
    o.data_dir = data_dir;
    return apc_ctx_open(&ctx, &o) < 0 ? -1 : 0;
}

static int teardown(void **state)
{
    (void)state;
    apc_ctx_close(ctx);
    nftw(data_dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    return 0;
}

/* Calls `action` with a session whose wait limit is `limit_ms`; name, value pairs end with
 * NULL. Returns the RESPONSE's ReturnValue, detached (caller deletes); ErrorCode must be 0. */
static cJSON *call(int limit_ms, const char *action, ...)
{
    apc_params_t *p = NULL;
    assert_int_equal(apc_params_new(&p), 0);
    va_list ap;
    va_start(ap, action);
    for (const char *k; (k = va_arg(ap, const char *)) != NULL;)
        assert_int_equal(apc_params_add(p, k, va_arg(ap, const char *)), 0);
    va_end(ap);
    apc_session_t s = {.role = APC_ROLE_ADMIN, .username = "t", .wait_limit_ms = limit_ms};
    char *json = NULL;
    int code = apc_op_call(ctx, &s, action, p, &json);
    apc_params_free(p);
    if (code != 0)
        fprintf(stderr, "%s: %s\n", action, json);
    assert_int_equal(code, 0);
    cJSON *r = cJSON_Parse(json);
    apc_free(json);
    assert_non_null(r);
    cJSON *v = cJSON_DetachItemFromObject(r, "ReturnValue");
    cJSON_Delete(r);
    return v;
}

static const char *state_of(const cJSON *v)
{
    const cJSON *s = cJSON_GetObjectItem(v, "State");
    assert_true(cJSON_IsString(s));
    return s->valuestring;
}

static int active(const char *state)
{
    return strcmp(state, "queued") == 0 || strcmp(state, "running") == 0;
}

static void test_limits(void **state)
{
    (void)state;
    /* The ingest itself without a limit: the capture is complete when the call answers. */
    cJSON *id = call(0, "pcap_ingest_file", "path", pcap_path, "wait", "1", NULL);
    char cid[32];
    snprintf(cid, sizeof cid, "%.0f", id->valuedouble);
    cJSON_Delete(id);
    cJSON *d = call(0, "capture_get_details", "capture_id", cid, NULL);
    assert_string_equal(state_of(d), "completed");
    assert_int_equal((int)cJSON_GetObjectItem(d, "Packets")->valuedouble, PACKETS);
    cJSON_Delete(d);

    /* Export under a 1 ms limit: answered while the command runs; it still ends well. */
    cJSON *c = call(1, "capture_export", "capture_id", cid, "wait", "1", NULL);
    assert_true(active(state_of(c)));
    const char *uid = cJSON_GetObjectItem(c, "CommandUid")->valuestring;
    assert_int_equal(apc_command_wait(ctx, uid, 600000), 0);
    cJSON *done = call(0, "command_query", "command_uid", uid, NULL);
    assert_string_equal(state_of(done), "completed");
    cJSON_Delete(done);
    cJSON_Delete(c);

    /* Search under a 1 ms limit: the same. */
    cJSON *m = call(1, "search_start", "filter", "udp", "capture_id", cid, "wait", "1", NULL);
    assert_true(active(state_of(m)));
    long long sid = (long long)cJSON_GetObjectItem(m, "SearchId")->valuedouble;
    cJSON_Delete(m);
    assert_int_equal(apc_search_wait(ctx, sid, 600000), 0);
    char sids[32];
    snprintf(sids, sizeof sids, "%lld", sid);
    m = call(0, "search_open", "search_id", sids, NULL);
    assert_string_equal(state_of(m), "completed");
    assert_int_equal((int)cJSON_GetObjectItem(m, "Matches")->valuedouble, PACKETS);
    cJSON_Delete(m);

    /* Without a limit, wait=1 answers the ended jobs. */
    c = call(0, "capture_export", "capture_id", cid, "wait", "1", NULL);
    assert_string_equal(state_of(c), "completed");
    cJSON_Delete(c);
    m = call(0, "search_start", "filter", "udp", "capture_id", cid, "wait", "1", NULL);
    assert_string_equal(state_of(m), "completed");
    cJSON_Delete(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_limits)};
    return cmocka_run_group_tests_name("ops wait limit", tests, setup, teardown);
}
