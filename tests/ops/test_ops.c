/* SPDX-License-Identifier: MIT */
/*
 * Tests of module ops: every action of the foundation milestone through apc_op_call against a
 * real context on a temporary data directory, with real ingests of corpus files; the error
 * map; parameter validation with its exact messages; roles; unknown and unimplemented actions.
 */
#include <errno.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <cmocka.h>

#include <cjson/cJSON.h>

#include <apc/apc.h>
#include "../unit/corpus_skip.h"
#ifdef APC_OPS_PG
#include <libpq-fe.h>
#endif

extern const int64_t apc__ops_build_time;

static apc_ctx_t *ctx;
static char data_dir[64];

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(p);
}

#ifdef APC_OPS_PG
/* ops-pg (suite fleet): the same tests on the PostgreSQL store, a fresh database per test on
 * the server tests/fleet/pg_server.sh started ($APC_PG_URL). NULL (the test fails) if none. */
static const char *fresh_store(void)
{
    static char url[1024];
    static int n;
    const char *base = getenv("APC_PG_URL");
    const char *slash = base ? strrchr(base, '/') : NULL;
    if (!slash)
        return NULL;
    PGconn *c = PQconnectdb(base);
    char sql[128];
    snprintf(sql, sizeof sql, "CREATE DATABASE apc_ops_%d_%d", (int)getpid(), ++n);
    PGresult *r = PQexec(c, sql);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    PQfinish(c);
    snprintf(url, sizeof url, "%.*s/apc_ops_%d_%d", (int)(slash - base), base, (int)getpid(), n);
    return ok ? url : NULL;
}
#endif

/* Each test has a context of its own on a new data directory: none depends on what another
 * stored, so they pass in any order and alone. */
static int setup_ctx(void **state)
{
    (void)state;
    snprintf(data_dir, sizeof data_dir, "/tmp/apc-ops-test-XXXXXX");
    if (!mkdtemp(data_dir))
        return -1;
    apc_ctx_options_t o;
    apc_ctx_options_init(&o, APC_CTX_OPTIONS_VERSION);
    o.data_dir = data_dir;
#ifdef APC_OPS_PG
    if (!(o.store = fresh_store()))
        return -1;
#endif
    int rc = apc_ctx_open(&ctx, &o);
    if (rc < 0)
        fprintf(stderr, "apc_ctx_open: %s\n", apc_last_error_message());
    return rc < 0 ? -1 : 0;
}

static int teardown_ctx(void **state)
{
    (void)state;
    apc_ctx_close(ctx);
    ctx = NULL;
    nftw(data_dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    return 0;
}

static char *corpus(const char *rel)
{
    const char *dir = apc_test_corpus_or_skip();
    char *p = NULL;
    assert_true(asprintf(&p, "%s/%s", dir, rel) > 0);
    return p;
}

/* Calls `action` as `role` with name, value pairs (NULL-terminated), checks the ErrorCode and
 * the RESPONSE shape, and returns the parsed RESPONSE (caller deletes). The raw JSON text is
 * left in *raw when raw is not NULL (caller frees with apc_free). */
static cJSON *vcall(int role, int expect, char **raw, const char *action, va_list ap)
{
    apc_params_t *p = NULL;
    assert_int_equal(apc_params_new(&p), 0);
    for (;;) {
        const char *k = va_arg(ap, const char *);
        if (!k)
            break;
        const char *v = va_arg(ap, const char *);
        assert_int_equal(apc_params_add(p, k, v), 0);
    }
    apc_session_t s = {.role = role, .username = "test"};
    char *json = NULL;
    int code = apc_op_call(ctx, &s, action, p, &json);
    apc_params_free(p);
    assert_non_null(json);
    cJSON *r = cJSON_Parse(json);
    assert_non_null(r);
    if (code != expect)
        fprintf(stderr, "%s: expected %d, got %s\n", action, expect, json);
    assert_int_equal(code, expect);
    assert_int_equal(cJSON_GetObjectItem(r, "ErrorCode")->valueint, expect);
    assert_non_null(cJSON_GetObjectItem(r, "DataType"));
    assert_non_null(cJSON_GetObjectItem(r, "ReturnValue"));
    if (expect != 0) {
        assert_int_equal(cJSON_GetObjectItem(r, "DataType")->valueint, APC_DATA_TYPE_STRING);
        assert_true(cJSON_IsString(cJSON_GetObjectItem(r, "ReturnValue")));
    }
    if (raw)
        *raw = json;
    else
        apc_free(json);
    return r;
}

static cJSON *call(int expect, const char *action, ...)
{
    va_list ap;
    va_start(ap, action);
    cJSON *r = vcall(APC_ROLE_ADMIN, expect, NULL, action, ap);
    va_end(ap);
    return r;
}

static cJSON *call_as(int role, int expect, const char *action, ...)
{
    va_list ap;
    va_start(ap, action);
    cJSON *r = vcall(role, expect, NULL, action, ap);
    va_end(ap);
    return r;
}

static cJSON *rv(cJSON *r)
{
    return cJSON_GetObjectItem(r, "ReturnValue");
}

static const char *msg(cJSON *r)
{
    return rv(r)->valuestring;
}

static double num(const cJSON *o, const char *k)
{
    const cJSON *n = cJSON_GetObjectItem(o, k);
    if (!cJSON_IsNumber(n))
        fail_msg("field %s missing or not a number", k);
    return n->valuedouble;
}

static const char *str(const cJSON *o, const char *k)
{
    const cJSON *n = cJSON_GetObjectItem(o, k);
    if (!cJSON_IsString(n))
        fail_msg("field %s missing or not a string", k);
    return n->valuestring;
}

/* Expects an error reply whose message is exactly `text`. */
static void expect_error(int code, const char *text, const char *action, ...)
{
    va_list ap;
    va_start(ap, action);
    cJSON *r = vcall(APC_ROLE_ADMIN, code, NULL, action, ap);
    va_end(ap);
    assert_string_equal(msg(r), text);
    cJSON_Delete(r);
}

/* Field names of an object, in order, joined by ','. */
static void keys_of(const cJSON *o, char *buf, size_t n)
{
    buf[0] = '\0';
    const cJSON *it;
    cJSON_ArrayForEach(it, o)
    {
        strncat(buf, it->string, n - strlen(buf) - 2);
        strcat(buf, ",");
    }
}

#define CAPTURE_KEYS                                                                               \
    "Version,CaptureId,Type,State,Name,Notes,Filter,Flags,Adapters,Pid,ThreadId,StartTime,"        \
    "EndTime,Packets,Bytes,KernelDrops,Drops,Connections,Error,SourceFile,ErrorOffset,"            \
    "ProgressBytes,TotalBytes,Node,"
#define PACKET_KEYS                                                                                \
    "Version,PacketId,CaptureId,Time,Length,CapturedLength,Interface,Direction,LinkType,"          \
    "Protocol,SrcIp,DstIp,SrcPort,DstPort,TcpFlags,ConnId,Pid,Tid,ProcessId,ProcessName,"          \
    "Attribution,Summary,Notes,"
#define CONN_KEYS                                                                                  \
    "Version,ConnId,CaptureId,Protocol,SrcIp,SrcPort,DstIp,DstPort,FirstTime,LastTime,"            \
    "PacketsOut,BytesOut,PacketsIn,BytesIn,State,Pid,ProcessId,ProcessName,HostName,"
#define PROCESS_KEYS                                                                               \
    "Version,ProcessId,Pid,ParentPid,Name,Path,CommandLine,User,StartTime,ExitTime,Running,"       \
    "Packets,Bytes,"
#define IP_KEYS                                                                                    \
    "Version,IpId,Address,Family,HostName,Country,City,Lat,Lng,UserData,FirstSeen,LastSeen,"       \
    "Packets,Bytes,Connections,HasGeo,"

static void assert_keys(const cJSON *o, const char *expect)
{
    char buf[1024];
    keys_of(o, buf, sizeof buf);
    assert_string_equal(buf, expect);
}

/* ---- no context needed ------------------------------------------------------------------- */

static const char *milestone[] = {
    /* every implemented action: the test fails when the table and this list disagree */
    "capture_export",
    "command_list",
    "command_query",
    "command_delete",
    "export_list",
    /* file extraction (issue 10) */
    "extract_enable",
    "extract_disable",
    "extract_query",
    "extract_file_write",
    "extract_file_list",
    "extract_file_clear",
    "extract_file_delete",
    "export_delete",
    "apc_flush",
    "apppaccap",
    "adapter_list",
    "monitor_start",
    "monitor_stop",
    "capture_start_system",
    "capture_stop_system",
    "capture_start_process",
    "capture_stop_process",
    "capture_stop_all",
    "capture_list_active",
    "capture_stream",
    "capture_thread_stream",
    "process_list_capture",
    "process_list_running",
    "process_list_threads",
    "pcap_ingest_file",
    "capture_list_completed",
    "capture_list_system",
    "capture_open",
    "capture_get_details",
    "capture_read",
    "capture_get_packet",
    "capture_conn_stream",
    "capture_list_conns",
    "capture_get_processes",
    "capture_query_ip",
    "capture_set_notes",
    "capture_delete",
    "ip_query",
    "ip_set_data",
    "ip_set_geo",
    "settings_get_all",
    "settings_get_by_key",
    "settings_set",
    "settings_clear",
    "search_verify_filter",
    "search_start",
    "search_scan",
    "search_list",
    "search_open",
    "search_read",
    "search_cancel",
    "search_delete",
    "search_export",
    "stats_totals",
    "stats_reset",
    "stats_by_id",
    "stats_by_date",
    "stats_by_ip",
    "stats_by_port",
    "stats_by_protocol",
    "stats_by_process",
    "login",
    "logout",
    "server_folders",
    "server_pages",
    "pcap_ingest_post",
    "trigger_add",
    "trigger_mod",
    "trigger_remove",
    "trigger_list",
    "trigger_get_actions",
    "trigger_set_action",
    "trigger_clear_actions",
    "action_add",
    "action_mod",
    "action_remove",
    "action_list",
    "action_set_trigger",
    "action_clear_triggers",
};

static int in_milestone(const char *n)
{
    for (size_t i = 0; i < sizeof milestone / sizeof *milestone; i++)
        if (strcmp(milestone[i], n) == 0)
            return 1;
    return 0;
}

/* Every action of the original's API document is in the table; exactly the milestone's are
 * implemented; every entry is complete. */
static void test_table_covers_spec(void **state)
{
    (void)state;
    char *path = corpus("../spec/apppaccap-api.txt");
    FILE *f = fopen(path, "r");
    free(path);
    assert_non_null(f);
    char prev[1024] = "", line[1024];
    int n_spec = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (strncmp(line, "This command", 12) == 0 && prev[0]) {
            const apc_op_info_t *op = apc_op_find(prev);
            if (!op)
                fail_msg("action %s of the spec is not in the table", prev);
            n_spec++;
        }
        snprintf(prev, sizeof prev, "%s", line);
    }
    fclose(f);
    assert_int_equal(n_spec, 80);
    size_t n = apc_op_count(), impl = 0;
    assert_true(n >= 80);
    assert_null(apc_op_at(n));
    for (size_t i = 0; i < n; i++) {
        const apc_op_info_t *op = apc_op_at(i);
        assert_non_null(op->name);
        assert_ptr_equal(apc_op_find(op->name), op);
        assert_true(strlen(op->summary) > 10);
        assert_non_null(op->returns);
        assert_non_null(op->params);
        assert_in_range(op->data_type, 1, 4);
        assert_in_range(op->role, APC_ROLE_NONE, APC_ROLE_ADMIN);
        assert_int_equal(!!op->implemented, in_milestone(op->name));
        impl += !!op->implemented;
        for (const apc_param_spec_t *sp = op->params; sp->name; sp++) {
            assert_non_null(sp->summary);
            assert_in_range(sp->type, APC_PARAM_INT, APC_PARAM_FLOAT);
            assert_false(sp->required && sp->def);
        }
    }
    assert_int_equal(impl, sizeof milestone / sizeof *milestone);
    assert_null(apc_op_find("no_such_action"));
    assert_int_equal(apc_op_find("capture_delete")->role, APC_ROLE_ADMIN);
    assert_int_equal(apc_op_find("capture_read")->role, APC_ROLE_VIEWER);
}

static void test_error_map(void **state)
{
    (void)state;
    static const int map[][2] = {
        {0, 0},
        {APC_EINVAL, 4},
        {APC_ENOTFOUND, 100},
        {APC_EEXISTS, 101},
        {APC_EBUSY, 101},
        {APC_ENOTSUP, 102},
        {APC_EIO, 103},
        {APC_ESTORE, 103},
        {-ENOSPC, 103},
        {-EACCES, 8}, /* was an I/O error: a file the daemon may not read is a permission */
        {-EMFILE, 103},
        {APC_ELIMIT, 104},
        {APC_EFORMAT, 105},
        {APC_ECANCELED, 106},
        {APC_ENOACTION, 107},
        {APC_ENOTOKEN, 2},
        {APC_ESESSION, 5},
        {APC_EPERM, 8},
        {APC_EAUTH, 9},
        {APC_ENOPAGE, 3},
        {APC_EGENERIC, 1},
        {APC_ENOMEM, 1},
        {-5000, 1},
    };
    for (size_t i = 0; i < sizeof map / sizeof *map; i++)
        assert_int_equal(apc_serve_error_from(map[i][0]), map[i][1]);
    assert_string_equal(apc_serve_error_name(0), "ERROR_SERVE_SUCCESS");
    assert_string_equal(apc_serve_error_name(4), "ERROR_SERVE_MALFORMED_REQUEST");
    assert_string_equal(apc_serve_error_name(12), "ERROR_SERVE_INVALID_LICENSE");
    assert_string_equal(apc_serve_error_name(100), "ERROR_SERVE_NOT_FOUND");
    assert_string_equal(apc_serve_error_name(101), "ERROR_SERVE_CONFLICT");
    assert_string_equal(apc_serve_error_name(107), "ERROR_SERVE_UNKNOWN_ACTION");
    assert_string_equal(apc_serve_error_name(6), "ERROR_SERVE_UNKNOWN");
    int code, n = 0;
    for (const char *name; (name = apc_serve_error_at((size_t)n, &code)) != NULL; n++)
        assert_string_equal(apc_serve_error_name(code), name);
    assert_int_equal(n, 17);
}

static void test_params_multimap(void **state)
{
    (void)state;
    apc_params_t *p = NULL;
    assert_int_equal(apc_params_new(&p), 0);
    assert_null(apc_params_get(p, "a"));
    assert_int_equal(apc_params_add(p, "a", "1"), 0);
    assert_int_equal(apc_params_add(p, "b", NULL), 0);
    assert_int_equal(apc_params_add(p, "a", "2"), 0);
    assert_int_equal(apc_params_addn(p, "c", "xyz", 2), 0);
    assert_string_equal(apc_params_get(p, "a"), "1");
    assert_string_equal(apc_params_get(p, "b"), "");
    assert_string_equal(apc_params_get(p, "c"), "xy");
    assert_int_equal(apc_params_add(NULL, "a", "1"), APC_EINVAL);
    apc_params_free(p);
    apc_params_free(NULL);
}

/* ---- dispatch and validation --------------------------------------------------------------- */

static void test_unknown_and_unimplemented(void **state)
{
    (void)state;
    expect_error(107, "unknown action 'capture_reed' (did you mean 'capture_read'?)",
                 "capture_reed", NULL);
    expect_error(107, "unknown action 'frobnicate'", "frobnicate", NULL);
    expect_error(4, "missing parameter 'action'", "", NULL);
    /* any action still without a handler (the list shrinks as issues land) */
    for (size_t i = 0; i < apc_op_count(); i++) {
        const apc_op_info_t *op = apc_op_at(i);
        if (!op->implemented && op->role != APC_ROLE_NONE) {
            char want[128];
            snprintf(want, sizeof want, "%s is not implemented yet", op->name);
            expect_error(102, want, op->name, NULL);
            break;
        }
    }
    /* Roles are checked before anything else about a known action. */
    cJSON *r = call_as(APC_ROLE_VIEWER, 8, "capture_start_system", NULL);
    assert_string_equal(msg(r), "permission denied: capture_start_system needs the admin role");
    cJSON_Delete(r);
    r = call_as(APC_ROLE_NONE, 8, "capture_read", "capture_id", "1", NULL);
    assert_string_equal(msg(r), "permission denied: capture_read needs the viewer role");
    cJSON_Delete(r);
    /* A NULL session is the local admin. */
    char *json = NULL;
    assert_int_equal(apc_op_call(ctx, NULL, "settings_clear", NULL, &json), 0);
    assert_string_equal(json, "{\"ErrorCode\":0,\"DataType\":2,\"ReturnValue\":0}");
    apc_free(json);
    assert_int_equal(apc_op_call(ctx, NULL, "apppaccap", NULL, NULL), APC_EINVAL);
}

static void test_validation(void **state)
{
    (void)state;
    expect_error(4, "missing parameter 'capture_id'", "capture_get_details", NULL);
    expect_error(4, "missing parameter 'capture_id'", "capture_get_details", "capture_id", "",
                 NULL);
    expect_error(4, "parameter 'capture_id' must be an integer, got 'abc'", "capture_get_details",
                 "capture_id", "abc", NULL);
    expect_error(4, "parameter 'capture_id' must be an integer, got '12 '", "capture_get_details",
                 "capture_id", "12 ", NULL);
    expect_error(4, "parameter 'capture_id' must be an integer, got '99999999999999999999'",
                 "capture_get_details", "capture_id", "99999999999999999999", NULL);
    expect_error(4, "parameter 'capture_id' must be between 1 and 9223372036854775807, got 0",
                 "capture_get_details", "capture_id", "0", NULL);
    expect_error(4, "parameter 'capture_id' must be between 1 and 9223372036854775807, got -3",
                 "capture_get_details", "capture_id", "-3", NULL);
    expect_error(4, "parameter 'count' must be between 1 and 1000, got 1001", "capture_read",
                 "capture_id", "1", "count", "1001", NULL);
    expect_error(4, "parameter 'flags' must be between 0 and 1, got 2", "capture_read",
                 "capture_id", "1", "flags", "2", NULL);
    expect_error(4, "parameter 'flags' must be between 0 and 1, got 16", "capture_read",
                 "capture_id", "1", "flags", "0x10", NULL);
    expect_error(4, "parameter 'wait' must be between 0 and 1, got 5", "pcap_ingest_file", "path",
                 "/x", "wait", "5", NULL);
    expect_error(4, "missing parameter 'path'", "pcap_ingest_file", NULL);
    expect_error(4, "parameter 'path' must not be empty", "pcap_ingest_file", "path", "", NULL);
    expect_error(4, "missing parameter 'ip'", "ip_query", NULL);
    expect_error(4, "parameter 'ip' must be an IPv4 or IPv6 address, got '1.2.3'", "ip_query", "ip",
                 "1.2.3", NULL);
    expect_error(4, "parameter 'ip' must be an IPv4 or IPv6 address, got '::g'", "ip_query", "ip",
                 "::g", NULL);
    expect_error(4, "parameter 'lat' must be between -90 and 90, got 91", "ip_set_geo", "ip",
                 "192.0.2.1", "lat", "91", "lng", "0", NULL);
    expect_error(4, "parameter 'lng' must be a number, got 'east'", "ip_set_geo", "ip", "192.0.2.1",
                 "lat", "1", "lng", "east", NULL);
    expect_error(4, "missing parameter 'lng'", "ip_set_geo", "ip", "192.0.2.1", "lat", "1", NULL);
    expect_error(4, "parameter 'notes' is not valid UTF-8", "capture_set_notes", "capture_id", "1",
                 "notes", "bad \xc3\x28 text", NULL);
    expect_error(4, "parameter 'key_name' must not be empty", "settings_set", "key_name", "",
                 "value", "v", NULL);
    expect_error(4, "missing parameter 'value'", "settings_set", "key_name", "k", NULL);

    /* A NUL inside a value is refused rather than silently cut. */
    apc_params_t *p = NULL;
    apc_params_new(&p);
    apc_params_addn(p, "capture_id", "1\0002", 3);
    char *json = NULL;
    assert_int_equal(apc_op_call(ctx, NULL, "capture_get_details", p, &json), 4);
    assert_non_null(strstr(json, "parameter 'capture_id' contains a NUL byte"));
    apc_free(json);
    apc_params_free(p);

    /* Too long. */
    char *big = malloc(70000);
    memset(big, 'a', 69999);
    big[69999] = '\0';
    expect_error(4, "parameter 'value' is too long: 69999 bytes, at most 65536", "settings_set",
                 "key_name", "k", "value", big, NULL);
    free(big);

    /* Unknown parameters and token are ignored; hex ids accepted; the first value wins. */
    cJSON *r = call(100, "capture_get_details", "token", "t", "bogus", "1", "capture_id", "0x7b",
                    "capture_id", "5", NULL);
    assert_non_null(strstr(msg(r), "capture_get_details: "));
    assert_non_null(strstr(msg(r), "123"));
    cJSON_Delete(r);
}

static void test_apppaccap(void **state)
{
    (void)state;
    /* The raw text is checked too: FILETIMEs exceed a double's 53 bits, so a parsed value
     * would not show a rounding bug. */
    char *raw = NULL;
    apc_session_t s = {.role = APC_ROLE_VIEWER};
    assert_int_equal(apc_op_call(ctx, &s, "apppaccap", NULL, &raw), 0);
    cJSON *r = cJSON_Parse(raw);
    assert_non_null(r);
    assert_int_equal(num(r, "DataType"), APC_DATA_TYPE_JSON);
    cJSON *a = rv(r);
    assert_keys(a, "Version,AppPacCap,Licensed,LicenseType,MachineName,OS,MapData,Threat,Updated,"
                   "DataDir,AttributionBackend,AttributionReason,Extraction,");
    assert_int_equal(num(a, "Version"), 1);
    assert_string_equal(str(a, "AppPacCap"), apc_version());
    assert_int_equal(num(a, "Licensed"), 1);
    assert_string_equal(str(a, "LicenseType"), "open source");
    struct utsname u;
    uname(&u);
    assert_string_equal(str(a, "MachineName"), u.nodename);
    char os[1024];
    snprintf(os, sizeof os, "%s %s %s", u.sysname, u.release, u.machine);
    assert_string_equal(str(a, "OS"), os);
    assert_int_equal(num(a, "MapData"), 0);
    assert_int_equal(num(a, "Threat"), 0);
    assert_string_equal(str(a, "DataDir"), apc_ctx_data_dir(ctx));
    assert_string_equal(str(a, "AttributionBackend"), "none");
    assert_non_null(strstr(str(a, "AttributionReason"), "no live capture runs"));
    /* extraction follows extract_enable / extract_disable */
    assert_int_equal(num(a, "Extraction"), 0);
    apc_session_t admin = {.role = APC_ROLE_ADMIN};
    char *out = NULL;
    assert_int_equal(apc_op_call(ctx, &admin, "extract_enable", NULL, &out), 0);
    apc_free(out);
    out = NULL;
    assert_int_equal(apc_op_call(ctx, &s, "apppaccap", NULL, &out), 0);
    cJSON *r2 = cJSON_Parse(out);
    assert_int_equal(num(rv(r2), "Extraction"), 1);
    cJSON_Delete(r2);
    apc_free(out);
    out = NULL;
    assert_int_equal(apc_op_call(ctx, &admin, "extract_disable", NULL, &out), 0);
    apc_free(out);
    char want[64];
    snprintf(want, sizeof want, "\"Updated\":%lld,",
             (long long)apc_time_to_filetime(apc__ops_build_time * 1000000000LL));
    assert_non_null(strstr(raw, want));
    assert_true(apc__ops_build_time > 1600000000); /* after 2020 */
    cJSON_Delete(r);
    apc_free(raw);
}

static void test_settings(void **state)
{
    (void)state;
    cJSON_Delete(call(0, "settings_clear", NULL));
    cJSON *r = call(0, "settings_get_all", NULL);
    assert_true(cJSON_IsObject(rv(r)));
    assert_int_equal(cJSON_GetArraySize(rv(r)), 0);
    cJSON_Delete(r);
    r = call(0, "settings_set", "key_name", "ui.theme", "value", "dark", NULL);
    assert_int_equal(num(r, "DataType"), APC_DATA_TYPE_INT);
    assert_int_equal(rv(r)->valueint, 0);
    cJSON_Delete(r);
    cJSON_Delete(call(0, "settings_set", "key_name", "empty", "value", "", NULL));
    r = call_as(APC_ROLE_VIEWER, 0, "settings_get_by_key", "key_name", "ui.theme", NULL);
    assert_int_equal(num(r, "DataType"), APC_DATA_TYPE_STRING);
    assert_string_equal(msg(r), "dark");
    cJSON_Delete(r);
    r = call(0, "settings_get_by_key", "key_name", "empty", NULL);
    assert_string_equal(msg(r), "");
    cJSON_Delete(r);
    r = call(0, "settings_get_all", NULL);
    assert_string_equal(str(rv(r), "ui.theme"), "dark");
    assert_string_equal(str(rv(r), "empty"), "");
    assert_int_equal(cJSON_GetArraySize(rv(r)), 2);
    cJSON_Delete(r);

    /* A viewer may read but not write; the refused write changes nothing. */
    r = call_as(APC_ROLE_VIEWER, 8, "settings_set", "key_name", "ui.theme", "value", "light", NULL);
    assert_string_equal(msg(r), "permission denied: settings_set needs the admin role");
    cJSON_Delete(r);
    cJSON_Delete(call_as(APC_ROLE_VIEWER, 8, "settings_clear", NULL));
    r = call(0, "settings_get_by_key", "key_name", "ui.theme", NULL);
    assert_string_equal(msg(r), "dark");
    cJSON_Delete(r);

    cJSON_Delete(call(0, "settings_clear", NULL));
    r = call(100, "settings_get_by_key", "key_name", "ui.theme", NULL);
    assert_non_null(strstr(msg(r), "settings_get_by_key: "));
    cJSON_Delete(r);
}

/* ---- with ingested captures ----------------------------------------------------------------- */

static int64_t ingest(const char *rel, const char *name)
{
    char *path = corpus(rel);
    cJSON *r = name ? call(0, "pcap_ingest_file", "path", path, "name", name, "wait", "1", NULL)
                    : call(0, "pcap_ingest_file", "path", path, "wait", "1", NULL);
    free(path);
    assert_int_equal(num(r, "DataType"), APC_DATA_TYPE_INT);
    int64_t id = (int64_t)rv(r)->valuedouble;
    assert_true(id > 0);
    cJSON_Delete(r);
    return id;
}

static cJSON *details(int64_t id)
{
    char ids[32];
    snprintf(ids, sizeof ids, "%lld", (long long)id);
    return call(0, "capture_get_details", "capture_id", ids, NULL);
}

static void test_ingest_errors(void **state)
{
    (void)state;
    cJSON *r = call(100, "pcap_ingest_file", "path", "/nonexistent/x.pcap", NULL);
    assert_non_null(strstr(msg(r), "pcap_ingest_file: "));
    cJSON_Delete(r);
    char *readme = corpus("README.md");
    r = call(105, "pcap_ingest_file", "path", readme, NULL);
    free(readme);
    cJSON_Delete(r);
    /* A viewer cannot ingest, and nothing is created. */
    char *path = corpus("ptcpdump/dns.pcapng");
    r = call(0, "capture_list_completed", NULL);
    int before = cJSON_GetArraySize(rv(r));
    cJSON_Delete(r);
    cJSON_Delete(call_as(APC_ROLE_VIEWER, 8, "pcap_ingest_file", "path", path, "wait", "1", NULL));
    free(path);
    r = call(0, "capture_list_completed", NULL);
    assert_int_equal(cJSON_GetArraySize(rv(r)), before);
    cJSON_Delete(r);
}

/* Reads every packet of a capture with capture_read pages of `count`; checks each id comes
 * once, in order; returns the number read. */
static int read_all(const char *ids, const char *count, int flags)
{
    char last[32] = "0";
    int total = 0;
    double prev = 0;
    for (int guard = 0; guard < 100000; guard++) {
        cJSON *r = call(0, "capture_read", "capture_id", ids, "last_id", last, "count", count,
                        "flags", flags ? "1" : "0", NULL);
        cJSON *pg = rv(r);
        assert_keys(pg, "Version,CaptureId,LastId,More,Packets,");
        assert_int_equal(num(pg, "CaptureId"), atoll(ids));
        cJSON *pk = cJSON_GetObjectItem(pg, "Packets");
        assert_true(cJSON_GetArraySize(pk) <= atoi(count));
        const cJSON *p;
        cJSON_ArrayForEach(p, pk)
        {
            assert_true(num(p, "PacketId") > prev);
            prev = num(p, "PacketId");
            assert_int_equal(num(p, "CaptureId"), atoll(ids));
            const cJSON *d = cJSON_GetObjectItem(p, "Data");
            if (flags) {
                assert_non_null(d);
                assert_int_equal(strlen(d->valuestring), 2 * (size_t)num(p, "CapturedLength"));
                assert_int_equal(strspn(d->valuestring, "0123456789abcdef"),
                                 strlen(d->valuestring));
            } else {
                assert_null(d);
            }
            total++;
        }
        int n = cJSON_GetArraySize(pk), more = (int)num(pg, "More");
        if (n)
            assert_int_equal(num(pg, "LastId"), prev);
        snprintf(last, sizeof last, "%.0f", num(pg, "LastId"));
        cJSON_Delete(r);
        if (!more || !n)
            break;
    }
    return total;
}

#define COMMAND_KEYS                                                                               \
    "Version,CommandUid,Type,State,Progress,Created,Started,Finished,Result,Error,CaptureId,"      \
    "SearchId,Packets,"

/* capture_export, commands, export files and apc_flush through the table. */
static void test_export_actions(void **state)
{
    (void)state;
    int64_t id = ingest("ptcpdump/dns.pcapng", NULL);
    char ids[32];
    snprintf(ids, sizeof ids, "%lld", (long long)id);
    cJSON *r = call(0, "capture_export", "capture_id", ids, "wait", "1", NULL);
    cJSON *c = rv(r);
    assert_keys(c, COMMAND_KEYS);
    assert_int_equal(num(c, "Version"), 1);
    assert_string_equal(str(c, "Type"), "export");
    assert_string_equal(str(c, "State"), "completed");
    assert_int_equal(num(c, "Progress"), 100);
    assert_int_equal(num(c, "CaptureId"), id);
    assert_int_equal(num(c, "Packets"), 2);
    assert_string_equal(str(c, "Error"), "");
    assert_true(num(c, "Finished") >= num(c, "Started") && num(c, "Started") > 0);
    char uid[64], result[1024];
    snprintf(uid, sizeof uid, "%s", str(c, "CommandUid"));
    snprintf(result, sizeof result, "%s", str(c, "Result"));
    assert_non_null(strstr(result, "/exports/capture-"));
    cJSON_Delete(r);
    r = call(0, "command_query", "command_uid", uid, NULL);
    assert_string_equal(str(rv(r), "CommandUid"), uid);
    assert_string_equal(str(rv(r), "State"), "completed");
    cJSON_Delete(r);
    r = call(0, "command_list", NULL);
    assert_true(cJSON_IsArray(rv(r)) && cJSON_GetArraySize(rv(r)) >= 1);
    cJSON_Delete(r);
    r = call(0, "export_list", NULL);
    assert_int_equal(cJSON_GetArraySize(rv(r)), 1);
    const cJSON *f = cJSON_GetArrayItem(rv(r), 0);
    assert_keys(f, "Version,Name,Size,Created,CaptureId,SearchId,CommandUid,Path,");
    assert_string_equal(str(f, "Name"), strrchr(result, '/') + 1);
    assert_string_equal(str(f, "Path"), result);
    assert_string_equal(str(f, "CommandUid"), uid);
    assert_int_equal(num(f, "CaptureId"), id);
    assert_true(num(f, "Size") > 0);
    cJSON_Delete(r);
    expect_error(4,
                 "capture_export: bad filter: 70000 is out of range for tcp.port: it is 0 to "
                 "65535 (at offset 12)",
                 "capture_export", "capture_id", ids, "filter", "tcp.port == 70000", NULL);
    expect_error(4, "capture_export: export path 'x.pcapng' is not absolute", "capture_export",
                 "capture_id", ids, "path", "x.pcapng", NULL);
    expect_error(100, "capture_export: capture 999999 not found", "capture_export", "capture_id",
                 "999999", NULL);
    r = call(8, "capture_export", "capture_id", ids, "path", "/etc/x.pcapng", NULL);
    assert_non_null(strstr(msg(r), "is outside the export roots"));
    cJSON_Delete(r);
    r = call(101, "capture_export", "capture_id", ids, "path", result, NULL);
    assert_non_null(strstr(msg(r), "already exists; pass overwrite=1 to replace it"));
    cJSON_Delete(r);
    r = call(0, "capture_export", "capture_id", ids, "path", result, "overwrite", "1", "wait", "1",
             NULL);
    assert_string_equal(str(rv(r), "State"), "completed");
    cJSON_Delete(r);
    expect_error(4,
                 "export_delete: '../apc.db' is not a file name: give the name of a file in the "
                 "export folder as export_list shows it",
                 "export_delete", "filename", "../apc.db", NULL);
    expect_error(100, "export_delete: export 'no.pcapng' not found", "export_delete", "filename",
                 "no.pcapng", NULL);
    r = call(0, "export_delete", NULL);
    assert_int_equal(num(r, "DataType"), APC_DATA_TYPE_INT);
    assert_int_equal(rv(r)->valueint, 1);
    cJSON_Delete(r);
    r = call(0, "command_delete", "command_uid", uid, NULL);
    assert_int_equal(rv(r)->valueint, 0);
    cJSON_Delete(r);
    char want[128];
    snprintf(want, sizeof want, "command_query: command '%s' not found", uid);
    expect_error(100, want, "command_query", "command_uid", uid, NULL);
    /* search_export: one file with the matches of both captures; COMMAND and EXPORTFILE name
     * the search */
    int64_t id2 = ingest("ptcpdump/dns.pcapng", NULL);
    r = call(0, "search_start", "filter", "udp.port == 53", "wait", "1", NULL);
    char sids[32];
    snprintf(sids, sizeof sids, "%.0f", num(rv(r), "SearchId"));
    int64_t matches = (int64_t)num(rv(r), "Matches");
    assert_int_equal(matches, 4); /* 2 packets in each */
    cJSON_Delete(r);
    /* search_scan: the same scan of one capture, now, its packet ids in order */
    char cid2[32];
    snprintf(cid2, sizeof cid2, "%lld", (long long)id2);
    r = call(0, "search_scan", "capture_id", cid2, "filter", "udp.port == 53", NULL);
    assert_int_equal(num(rv(r), "CaptureId"), id2);
    const cJSON *pids = cJSON_GetObjectItemCaseSensitive(rv(r), "PacketIds");
    assert_int_equal(cJSON_GetArraySize(pids), 2);
    assert_true(cJSON_GetArrayItem(pids, 0)->valuedouble <
                cJSON_GetArrayItem(pids, 1)->valuedouble);
    assert_true(num(rv(r), "Scanned") >= 2);
    cJSON_Delete(r);
    expect_error(4, "search_scan: unknown field `udp.prot` \xe2\x80\x94 did you mean `udp.port`?",
                 "search_scan", "capture_id", cid2, "filter", "udp.prot == 53", NULL);
    r = call(0, "search_export", "search_id", sids, "wait", "1", NULL);
    c = rv(r);
    assert_keys(c, COMMAND_KEYS);
    assert_string_equal(str(c, "State"), "completed");
    assert_int_equal(num(c, "SearchId"), atoll(sids));
    assert_int_equal(num(c, "CaptureId"), 0);
    assert_int_equal(num(c, "Packets"), matches);
    assert_non_null(strstr(str(c, "Result"), "/exports/search-"));
    cJSON_Delete(r);
    r = call(0, "export_list", NULL);
    assert_int_equal(cJSON_GetArraySize(rv(r)), 1);
    f = cJSON_GetArrayItem(rv(r), 0);
    assert_int_equal(num(f, "SearchId"), atoll(sids));
    assert_int_equal(num(f, "CaptureId"), 0);
    cJSON_Delete(r);
    expect_error(100, "search_export: search 999999 not found", "search_export", "search_id",
                 "999999", NULL);
    (void)id2;
    expect_error(4, "parameter 'flags' must be between 1 and 511, got 512", "apc_flush", "flags",
                 "512", NULL);
    r = call_as(APC_ROLE_VIEWER, 8, "apc_flush", "flags", "1", NULL);
    cJSON_Delete(r);
    r = call(0, "apc_flush", "flags", "511", NULL);
    assert_int_equal(rv(r)->valueint, 0);
    cJSON_Delete(r);
    snprintf(want, sizeof want, "capture_get_details: capture %s not found", ids);
    expect_error(100, want, "capture_get_details", "capture_id", ids, NULL);
}

static void test_capture_lifecycle(void **state)
{
    (void)state;
    int64_t id = ingest("ptcpdump/tcp.pcapng", "tcp test");
    char ids[32];
    snprintf(ids, sizeof ids, "%lld", (long long)id);

    cJSON *r = details(id);
    cJSON *c = rv(r);
    assert_keys(c, CAPTURE_KEYS);
    assert_int_equal(num(c, "Version"), 1);
    assert_int_equal(num(c, "CaptureId"), id);
    assert_string_equal(str(c, "Type"), "ingest");
    assert_string_equal(str(c, "State"), "completed");
    assert_string_equal(str(c, "Name"), "tcp test");
    assert_int_equal(num(c, "Packets"), 24); /* capinfos -c */
    assert_true(num(c, "Bytes") > 0);
    assert_string_equal(str(c, "Error"), "");
    assert_non_null(strstr(str(c, "SourceFile"), "ptcpdump/tcp.pcapng"));
    assert_true(cJSON_IsArray(cJSON_GetObjectItem(c, "Adapters")));
    assert_true(num(c, "StartTime") > 116444736000000000.0);
    assert_true(num(c, "EndTime") >= num(c, "StartTime"));
    int packets = (int)num(c, "Packets");
    int conns = (int)num(c, "Connections");
    char node[4400]; /* SQLite: this context's node; PostgreSQL: the node that made it */
    snprintf(node, sizeof node, "%s", str(c, "Node"));
    assert_true(node[0] != '\0');
    cJSON_Delete(r);

    /* Lists: completed has it, system does not (it is an ingest). */
    r = call_as(APC_ROLE_VIEWER, 0, "capture_list_completed", NULL);
    int found = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, rv(r))
    {
        assert_keys(it, CAPTURE_KEYS);
        found += num(it, "CaptureId") == id;
    }
    assert_int_equal(found, 1);
    cJSON_Delete(r);
    /* One node's captures (node=): ours has it, another node has none. */
    r = call(0, "capture_list_completed", "node", node, NULL);
    found = 0;
    cJSON_ArrayForEach(it, rv(r)) found += num(it, "CaptureId") == id;
    assert_int_equal(found, 1);
    cJSON_Delete(r);
    r = call(0, "capture_list_completed", "node", "no such node", NULL);
    assert_int_equal(cJSON_GetArraySize(rv(r)), 0);
    cJSON_Delete(r);
    r = call(0, "capture_list_system", NULL);
    cJSON_ArrayForEach(it, rv(r)) assert_int_not_equal(num(it, "CaptureId"), id);
    cJSON_Delete(r);

    /* capture_open: CAPTURE fields, then the packet range, interfaces, protocol counts. */
    r = call(0, "capture_open", "capture_id", ids, NULL);
    c = rv(r);
    assert_keys(c,
                CAPTURE_KEYS "FirstPacketId,LastPacketId,FirstTime,LastTime,Interfaces,Protocols,");
    assert_int_equal(num(c, "FirstPacketId"), 1);
    assert_int_equal(num(c, "LastPacketId"), packets);
    assert_true(num(c, "FirstTime") > 116444736000000000.0);
    assert_true(num(c, "LastTime") >= num(c, "FirstTime"));
    cJSON *ifs = cJSON_GetObjectItem(c, "Interfaces");
    /* tcp.pcapng declares two interfaces; every packet is on the second (lo). */
    assert_int_equal(cJSON_GetArraySize(ifs), 2);
    assert_keys(cJSON_GetArrayItem(ifs, 1), "Index,LinkType,SnapLen,Name,Description,Packets,");
    assert_int_equal(num(cJSON_GetArrayItem(ifs, 0), "Packets"), 0);
    assert_int_equal(num(cJSON_GetArrayItem(ifs, 1), "Packets"), packets);
    double proto_sum = 0;
    cJSON_ArrayForEach(it, cJSON_GetObjectItem(c, "Protocols"))
    {
        assert_keys(it, "Protocol,Packets,Bytes,");
        proto_sum += num(it, "Packets");
    }
    assert_int_equal(proto_sum, packets);
    cJSON_Delete(r);

    /* Paging: every packet exactly once, in order, whatever the page size. */
    assert_int_equal(read_all(ids, "5", 0), packets);
    assert_int_equal(read_all(ids, "1", 1), packets);
    assert_int_equal(read_all(ids, "1000", 0), packets);
    r = call(0, "capture_read", "capture_id", ids, "last_id", "1000000", NULL);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(rv(r), "Packets")), 0);
    assert_int_equal(num(rv(r), "More"), 0);
    cJSON_Delete(r);

    /* One packet, always with its bytes. */
    r = call(0, "capture_get_packet", "capture_id", ids, "packet_id", "3", NULL);
    c = rv(r);
    assert_keys(c, PACKET_KEYS "Data,");
    assert_int_equal(num(c, "PacketId"), 3);
    assert_int_equal(strlen(str(c, "Data")), 2 * (size_t)num(c, "CapturedLength"));
    assert_int_equal(num(c, "Protocol"), 6);
    assert_true(num(c, "Length") >= num(c, "CapturedLength"));
    cJSON_Delete(r);
    cJSON_Delete(call(100, "capture_get_packet", "capture_id", ids, "packet_id", "25", NULL));
    cJSON_Delete(call(100, "capture_get_packet", "capture_id", "999999", "packet_id", "1", NULL));

    /* Connections, and each connection's packets. */
    r = call(0, "capture_list_conns", "capture_id", ids, NULL);
    assert_int_equal(cJSON_GetArraySize(rv(r)), conns);
    assert_true(conns >= 1);
    int in_conns = 0;
    cJSON_ArrayForEach(it, rv(r))
    {
        assert_keys(it, CONN_KEYS);
        assert_int_equal(num(it, "CaptureId"), id);
        assert_int_equal(num(it, "Protocol"), 6);
        assert_true(strlen(str(it, "State")) > 0);
        char cid[32];
        snprintf(cid, sizeof cid, "%.0f", num(it, "ConnId"));
        cJSON *s = call(0, "capture_conn_stream", "capture_id", ids, "conn_id", cid, "flags", "1",
                        "count", "1000", NULL);
        int n = 0;
        const cJSON *p;
        cJSON_ArrayForEach(p, cJSON_GetObjectItem(rv(s), "Packets"))
        {
            assert_int_equal(num(p, "ConnId"), num(it, "ConnId"));
            assert_non_null(cJSON_GetObjectItem(p, "Data"));
            n++;
        }
        assert_int_equal(n, num(it, "PacketsOut") + num(it, "PacketsIn"));
        in_conns += n;
        cJSON_Delete(s);
    }
    assert_true(in_conns <= packets);
    cJSON_Delete(r);
    r = call(100, "capture_conn_stream", "capture_id", ids, "conn_id", "999", NULL);
    assert_non_null(strstr(msg(r), "capture_conn_stream: connection 999 not found in capture"));
    cJSON_Delete(r);
    /* Paging the connection list by last_id. */
    r = call(0, "capture_list_conns", "capture_id", ids, "last_id", "0", "count", "1", NULL);
    assert_int_equal(cJSON_GetArraySize(rv(r)), 1);
    cJSON_Delete(r);

    /* Processes: the shape of each (ptcpdump files carry process metadata). */
    r = call(0, "capture_get_processes", "capture_id", ids, NULL);
    assert_true(cJSON_IsArray(rv(r)));
    cJSON_ArrayForEach(it, rv(r)) assert_keys(it, PROCESS_KEYS);
    cJSON_Delete(r);

    /* IPs of the capture, then one of them by ip_query, in the capture and globally. */
    r = call(0, "capture_query_ip", "capture_id", ids, NULL);
    assert_true(cJSON_GetArraySize(rv(r)) >= 1); /* loopback: 127.0.0.1 only */
    char addr[64];
    snprintf(addr, sizeof addr, "%s", str(cJSON_GetArrayItem(rv(r), 0), "Address"));
    cJSON_ArrayForEach(it, rv(r))
    {
        assert_keys(it, IP_KEYS);
        assert_true(num(it, "Family") == 4 || num(it, "Family") == 6);
    }
    int nips = cJSON_GetArraySize(rv(r));
    cJSON_Delete(r);
    char last[32] = "0";
    int paged = 0;
    for (;;) {
        r = call(0, "capture_query_ip", "capture_id", ids, "last_id", last, "count", "1", NULL);
        int n = cJSON_GetArraySize(rv(r));
        if (n)
            snprintf(last, sizeof last, "%.0f", num(cJSON_GetArrayItem(rv(r), 0), "IpId"));
        cJSON_Delete(r);
        if (!n)
            break;
        paged += n;
        assert_true(paged <= nips);
    }
    assert_int_equal(paged, nips);
    r = call(0, "capture_query_ip", "capture_id", "0", NULL);
    assert_true(cJSON_GetArraySize(rv(r)) >= 1);
    cJSON_Delete(r);

    r = call(0, "ip_query", "capture_id", ids, "ip", addr, NULL);
    assert_keys(rv(r), IP_KEYS);
    assert_string_equal(str(rv(r), "Address"), addr);
    assert_true(num(rv(r), "Packets") > 0);
    cJSON_Delete(r);
    r = call(0, "ip_query", "ip", addr, NULL);
    assert_string_equal(str(rv(r), "Address"), addr);
    cJSON_Delete(r);
    cJSON_Delete(call(100, "ip_query", "ip", "203.0.113.254", NULL));

    /* User data and geolocation. */
    cJSON_Delete(call(0, "ip_set_data", "ip", addr, "data", "lab router", NULL));
    r = call(0, "ip_query", "ip", addr, NULL);
    assert_string_equal(str(rv(r), "UserData"), "lab router");
    cJSON_Delete(r);
    cJSON_Delete(call_as(APC_ROLE_VIEWER, 8, "ip_set_data", "ip", addr, "data", "x", NULL));
    cJSON_Delete(call(0, "ip_set_data", "ip", addr, NULL));
    r = call(0, "ip_query", "ip", addr, NULL);
    assert_string_equal(str(rv(r), "UserData"), "");
    cJSON_Delete(r);
    cJSON_Delete(call(0, "ip_set_geo", "ip", addr, "hostname", "h.example", "country", "NZ", "city",
                      "Dunedin", "lat", "-45.87", "lng", "170.5", NULL));
    r = call(0, "ip_query", "ip", addr, NULL);
    assert_string_equal(str(rv(r), "Country"), "NZ");
    assert_string_equal(str(rv(r), "City"), "Dunedin");
    assert_string_equal(str(rv(r), "HostName"), "h.example");
    assert_true(num(rv(r), "Lat") == -45.87);
    assert_true(num(rv(r), "Lng") == 170.5);
    assert_int_equal(num(rv(r), "HasGeo"), 1);
    cJSON_Delete(r);
    /* ip_set_data on an address never seen creates it. */
    cJSON_Delete(call(0, "ip_set_data", "ip", "2001:DB8::1", "data", "v6", NULL));
    r = call(0, "ip_query", "ip", "2001:db8::1", NULL);
    assert_string_equal(str(rv(r), "UserData"), "v6");
    assert_int_equal(num(rv(r), "Family"), 6);
    cJSON_Delete(r);

    /* Notes on the capture and on a packet; blank or missing clears. */
    cJSON_Delete(call(0, "capture_set_notes", "capture_id", ids, "notes", "first look", NULL));
    r = details(id);
    assert_string_equal(str(rv(r), "Notes"), "first look");
    cJSON_Delete(r);
    cJSON_Delete(call(0, "capture_set_notes", "capture_id", ids, "packet_id", "2", "notes",
                      "SYN-ACK here", NULL));
    r = call(0, "capture_get_packet", "capture_id", ids, "packet_id", "2", NULL);
    assert_string_equal(str(rv(r), "Notes"), "SYN-ACK here");
    cJSON_Delete(r);
    cJSON_Delete(call_as(APC_ROLE_VIEWER, 8, "capture_set_notes", "capture_id", ids, NULL));
    r = details(id);
    assert_string_equal(str(rv(r), "Notes"), "first look");
    cJSON_Delete(r);
    cJSON_Delete(call(0, "capture_set_notes", "capture_id", ids, "packet_id", "", NULL));
    r = details(id);
    assert_string_equal(str(rv(r), "Notes"), "");
    cJSON_Delete(r);
    cJSON_Delete(call(100, "capture_set_notes", "capture_id", "999999", "notes", "x", NULL));

    /* Delete: a viewer cannot; then it is gone and a second delete is not found. */
    cJSON_Delete(call_as(APC_ROLE_VIEWER, 8, "capture_delete", "capture_id", ids, NULL));
    cJSON_Delete(details(id));
    r = call(0, "capture_delete", "capture_id", ids, NULL);
    assert_int_equal(num(r, "DataType"), APC_DATA_TYPE_INT);
    cJSON_Delete(r);
    cJSON_Delete(call(100, "capture_get_details", "capture_id", ids, NULL));
    cJSON_Delete(call(100, "capture_delete", "capture_id", ids, NULL));
    cJSON_Delete(call(100, "capture_open", "capture_id", ids, NULL));
}

/* A larger file: default page size, connection paging by last_id. */
static void test_http_paging(void **state)
{
    (void)state;
    int64_t id = ingest("zeek/http_bro.org.pcap", NULL);
    char ids[32];
    snprintf(ids, sizeof ids, "%lld", (long long)id);
    cJSON *r = details(id);
    assert_int_equal(num(rv(r), "Packets"), 751); /* capinfos -c */
    assert_string_equal(str(rv(r), "Name"), "http_bro.org.pcap");
    int conns = (int)num(rv(r), "Connections");
    cJSON_Delete(r);
    assert_int_equal(read_all(ids, "100", 0), 751);
    assert_int_equal(read_all(ids, "333", 1), 751);

    char last[32] = "0";
    int seen = 0;
    double prev = 0;
    for (;;) {
        r = call(0, "capture_list_conns", "capture_id", ids, "last_id", last, "count", "7", NULL);
        int n = cJSON_GetArraySize(rv(r));
        const cJSON *it;
        cJSON_ArrayForEach(it, rv(r))
        {
            assert_true(num(it, "ConnId") > prev);
            prev = num(it, "ConnId");
        }
        cJSON_Delete(r);
        if (!n)
            break;
        seen += n;
        snprintf(last, sizeof last, "%.0f", prev);
    }
    assert_int_equal(seen, conns);
    assert_true(conns > 1);
}

/* capture_open and capture_delete refuse an active capture (an ingest still running). */
static void test_active_capture(void **state)
{
    (void)state;
    char *path = corpus("zeek/echo-connections.pcap");
    cJSON *r = call(0, "pcap_ingest_file", "path", path, NULL);
    free(path);
    int64_t id = (int64_t)rv(r)->valuedouble;
    cJSON_Delete(r);
    char ids[32];
    snprintf(ids, sizeof ids, "%lld", (long long)id);
    r = details(id);
    int active = strcmp(str(rv(r), "State"), "active") == 0;
    cJSON_Delete(r);
    if (active) {
        apc_session_t s = {.role = APC_ROLE_ADMIN};
        apc_params_t *p = NULL;
        apc_params_new(&p);
        apc_params_add(p, "capture_id", ids);
        char *json = NULL;
        int code = apc_op_call(ctx, &s, "capture_open", p, &json);
        /* It may have ended in between: then it opens. */
        if (code != 0) {
            assert_int_equal(code, 101);
            assert_non_null(strstr(json, "is active"));
        }
        apc_free(json);
        code = apc_op_call(ctx, &s, "capture_delete", p, &json);
        assert_true(code == 101 || code == 0);
        apc_free(json);
        apc_params_free(p);
    } else {
        fprintf(stderr, "note: ingest ended before capture_open could see it active\n");
    }
    apc_capture_wait(ctx, id, -1);
}

#define STATSCAPTUREQUERY_KEYS                                                                     \
    "Version,CaptureId,Key,Value,Name,Packets,Bytes,FirstTime,LastTime,StartTime,EndTime,"         \
    "BucketSeconds,Buckets,TopIps,TopPorts,TopProtocols,TopProcesses,SeriesComplete,"
#define STATSTOP_KEYS "Version,Id,Value,Name,Pid,Packets,Bytes,"

/* Statistics through the table: STATSCAPTUREQUERY / STATSQUERY fields, FILETIME ranges, the
 * reset point, and the numbers of tcp.pcapng (24 packets, capinfos -c). */
static void test_stats(void **state)
{
    (void)state;
    int64_t id = ingest("ptcpdump/tcp.pcapng", "stats test");
    char ids[32];
    snprintf(ids, sizeof ids, "%lld", (long long)id);
    cJSON *r = call_as(APC_ROLE_VIEWER, 0, "stats_by_id", "capture_id", ids, NULL);
    cJSON *q = rv(r);
    assert_keys(q, STATSCAPTUREQUERY_KEYS);
    assert_string_equal(str(q, "Key"), "capture");
    assert_int_equal(num(q, "Packets"), 24);
    assert_true(num(q, "BucketSeconds") >= 1);
    const cJSON *ips = cJSON_GetObjectItem(q, "TopIps");
    assert_true(cJSON_GetArraySize(ips) >= 1);
    assert_keys(cJSON_GetArrayItem(ips, 0), STATSTOP_KEYS);
    char ip[64];
    snprintf(ip, sizeof ip, "%s", str(cJSON_GetArrayItem(ips, 0), "Value"));
    double ip_packets = num(cJSON_GetArrayItem(ips, 0), "Packets");
    double first = num(q, "FirstTime"), last = num(q, "LastTime");
    cJSON_Delete(r);

    r = call(0, "stats_by_ip", "capture_id", ids, "ip", ip, NULL);
    assert_keys(rv(r), STATSCAPTUREQUERY_KEYS);
    assert_string_equal(str(rv(r), "Value"), ip);
    assert_int_equal(num(rv(r), "Packets"), ip_packets);
    cJSON_Delete(r);
    char s1[32], s2[32];
    snprintf(s1, sizeof s1, "%.0f", first);
    snprintf(s2, sizeof s2, "%.0f", last);
    r = call(0, "stats_by_date", "capture_id", ids, "start_dtg", s1, "end_dtg", s2, NULL);
    assert_string_equal(str(rv(r), "Key"), "date");
    assert_int_equal(num(rv(r), "Packets"), 24);
    cJSON_Delete(r);
    r = call(0, "stats_by_protocol", "capture_id", ids, "protocol", "6", NULL);
    assert_string_equal(str(rv(r), "Name"), "TCP");
    cJSON_Delete(r);
    r = call(0, "stats_by_port", "capture_id", "0", "port", "9", NULL);
    assert_int_equal(num(rv(r), "Packets"), 0);
    cJSON_Delete(r);
    expect_error(4, "stats_by_process: give process_id or pid", "stats_by_process", "capture_id",
                 ids, NULL);
    expect_error(100, "stats_by_id: capture 999999 not found", "stats_by_id", "capture_id",
                 "999999", NULL);

    /* Viewers may not reset; after a reset the totals start again from zero. */
    cJSON_Delete(call_as(APC_ROLE_VIEWER, 8, "stats_reset", NULL));
    cJSON_Delete(call(0, "stats_reset", NULL));
    r = call(0, "stats_totals", NULL);
    assert_keys(rv(r), "Version,Packets,Bytes,Captures,Connections,Ips,Processes,Drops,Since,"
                       "TopProtocols,TopPorts,TopIps,TopProcesses,");
    assert_int_equal(num(rv(r), "Packets"), 0);
    assert_true(num(rv(r), "Since") > 116444736000000000.0);
    cJSON_Delete(r);
    id = ingest("ptcpdump/tcp.pcapng", NULL);
    r = call(0, "stats_totals", NULL);
    assert_int_equal(num(rv(r), "Packets"), 24);
    assert_int_equal(num(rv(r), "Captures"), 1);
    cJSON_Delete(r);
}

int main(void)
{
    const struct CMUnitTest plain[] = {
        cmocka_unit_test(test_table_covers_spec),
        cmocka_unit_test(test_error_map),
        cmocka_unit_test(test_params_multimap),
    };
    const struct CMUnitTest with_ctx[] = {
        cmocka_unit_test_setup_teardown(test_unknown_and_unimplemented, setup_ctx, teardown_ctx),
        cmocka_unit_test_setup_teardown(test_validation, setup_ctx, teardown_ctx),
        cmocka_unit_test_setup_teardown(test_apppaccap, setup_ctx, teardown_ctx),
        cmocka_unit_test_setup_teardown(test_settings, setup_ctx, teardown_ctx),
        cmocka_unit_test_setup_teardown(test_ingest_errors, setup_ctx, teardown_ctx),
        cmocka_unit_test_setup_teardown(test_capture_lifecycle, setup_ctx, teardown_ctx),
        cmocka_unit_test_setup_teardown(test_http_paging, setup_ctx, teardown_ctx),
        cmocka_unit_test_setup_teardown(test_active_capture, setup_ctx, teardown_ctx),
        cmocka_unit_test_setup_teardown(test_stats, setup_ctx, teardown_ctx),
        cmocka_unit_test_setup_teardown(test_export_actions, setup_ctx, teardown_ctx),
    };
    int fails = cmocka_run_group_tests_name("ops", plain, NULL, NULL);
    fails += cmocka_run_group_tests_name("ops_ctx", with_ctx, NULL, NULL);
    return fails;
}
