/* SPDX-License-Identifier: MIT */
/*
 * Statistics answers (apc/stats.h) read from the aggregates the capture writer keeps
 * (stats/agg.h): totals from one row, the time series from at most a few thousand bucket rows
 * of the level that fits the range, tops from an index. docs/stats.md.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <apc/stats.h>

#include "core/ctx.h"
#include "core/error.h"
#include "stats/agg.h"
#include "stats/stats_int.h"
#include "store/stats.h"
#include "util/clock.h"

/* An answer has at most this many buckets (and about half as many at least). */
#define MAX_BUCKETS 200

APC_API const char *apc_stats_key_name(int key)
{
    static const char *const names[] = {"", "capture", "date", "ip", "port", "protocol", "process"};
    return key >= APC_STATS_KEY_CAPTURE && key <= APC_STATS_KEY_PROCESS ? names[key] : "unknown";
}

APC_API const char *apc_stats_protocol_name(int proto)
{
    switch (proto) {
    case -1:
        return "non-IP";
    case 1:
        return "ICMP";
    case 2:
        return "IGMP";
    case 4:
        return "IPIP";
    case 6:
        return "TCP";
    case 17:
        return "UDP";
    case 41:
        return "IPv6";
    case 47:
        return "GRE";
    case 50:
        return "ESP";
    case 51:
        return "AH";
    case 58:
        return "ICMPv6";
    case 132:
        return "SCTP";
    default:
        return "";
    }
}

APC_API void apc_stats_query_free(apc_stats_query_t *q)
{
    if (!q)
        return;
    free(q->value);
    free(q->name);
    free(q->buckets);
    apc__stats_tops_free(&q->ips);
    apc__stats_tops_free(&q->ports);
    apc__stats_tops_free(&q->protocols);
    apc__stats_tops_free(&q->processes);
    free(q);
}

APC_API void apc_stats_totals_free(apc_stats_totals_t *t)
{
    if (!t)
        return;
    apc__stats_tops_free(&t->protocols);
    apc__stats_tops_free(&t->ports);
    apc__stats_tops_free(&t->ips_top);
    apc__stats_tops_free(&t->processes_top);
    free(t);
}

static int64_t floor_to(int64_t t, int64_t w)
{
    int64_t q = t / w;
    if (t % w < 0)
        q--;
    return q * w;
}

/* The bucket width for a range: the smallest "round" width giving at most MAX_BUCKETS. */
static int64_t bucket_width(int64_t span_ns)
{
    static const int64_t nice_s[] = {1,   2,   5,    10,   15,   30,    60,    120,   300,
                                     600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400};
    const int64_t s = 1000000000LL;
    int64_t need = span_ns / (MAX_BUCKETS - 1) + 1;
    for (size_t i = 0; i < sizeof nice_s / sizeof nice_s[0]; i++)
        if (nice_s[i] * s >= need)
            return nice_s[i] * s;
    int64_t day = 86400 * s;
    return (need + day - 1) / day * day;
}

typedef struct qctx {
    apc__store_t *s;
    apc__st_stats_rd_t *rd;
    int64_t cap;
    int kind;
    int64_t key;
} qctx_t;

typedef struct series_arg {
    apc_stats_query_t *q;
    int64_t w, b0;
    size_t n;
} series_arg_t;

/* Adds a stored bucket to the answer's bucket that holds its start. */
static int add_bucket(int64_t t, uint64_t packets, uint64_t bytes, void *payload)
{
    series_arg_t *a = payload;
    int64_t i = (floor_to(t, a->w) - a->b0) / a->w;
    if (i < 0 || (size_t)i >= a->n)
        return 0;
    a->q->buckets[i].packets += packets;
    a->q->buckets[i].bytes += bytes;
    return 0;
}

/* Fills q's buckets over [start, end] from the coarsest stored level whose width divides the
 * bucket width, so at most about 60 rows are read per bucket. */
static int fill_series(qctx_t *c, apc_stats_query_t *q, int64_t start, int64_t end)
{
    int64_t w = bucket_width(end - start);
    /* Keys have no buckets finer than APC__STATS_KEY_LEVEL. */
    if (c->kind != APC__SK_ALL && w < apc__stats_level_ns[APC__STATS_KEY_LEVEL])
        w = apc__stats_level_ns[APC__STATS_KEY_LEVEL];
    int level = 0;
    for (int l = APC__STATS_LEVELS - 1; l > 0; l--)
        if (w % apc__stats_level_ns[l] == 0) {
            level = l;
            break;
        }
    int64_t lw = apc__stats_level_ns[level];
    int64_t b0 = floor_to(start, w);
    size_t n = (size_t)((floor_to(end, w) - b0) / w + 1);
    q->buckets = calloc(n, sizeof *q->buckets);
    if (!q->buckets)
        return apc__err(APC_ENOMEM, "out of memory");
    q->nbuckets = n;
    q->bucket_ns = w;
    q->start_time = b0;
    q->end_time = b0 + (int64_t)n * w - 1;
    for (size_t i = 0; i < n; i++)
        q->buckets[i].time = b0 + (int64_t)i * w;
    series_arg_t sa = {q, w, b0, n};
    return apc__st_stats_series(c->s, c->rd, c->cap, c->kind, c->key, level, floor_to(start, lw),
                                end, add_bucket, &sa);
}

/* Totals of the key: 1 if it has packets, 0 if none. */
static int key_totals(qctx_t *c, apc_stats_query_t *q)
{
    apc__st_stats_key_t k;
    int r = apc__st_stats_key(c->s, c->rd, c->cap, c->kind, c->key, &k);
    if (r > 0) {
        q->packets = k.packets;
        q->bytes = k.bytes;
        q->first_time = k.first_time;
        q->last_time = k.last_time;
    }
    return r;
}

typedef struct qspec {
    int qkey; /* enum apc_stats_key */
    int kind; /* APC__SK_* */
    int64_t key;
    const uint8_t *addr; /* IP keys */
    int alen;
    const char *value, *name;
    int ranged; /* stats_by_date */
    int64_t start, end;
} qspec_t;

static int run(apc__store_t *st, apc__st_stats_rd_t *rd, int64_t cap, const qspec_t *s,
               apc_stats_query_t **out)
{
    apc_stats_query_t *q = calloc(1, sizeof *q);
    if (!q)
        return apc__err(APC_ENOMEM, "out of memory");
    q->capture_id = cap;
    q->key = s->qkey;
    q->value = strdup(s->value);
    q->name = strdup(s->name ? s->name : "");
    qctx_t c = {st, rd, cap, s->kind, s->key};
    int r = (!q->value || !q->name) ? apc__err(APC_ENOMEM, "out of memory") : key_totals(&c, q);
    int have = r > 0;
    if (r > 0)
        r = 0;
    int series = !(s->kind == APC__SK_PORT && s->key >= APC__STATS_SERIES_PORT_MAX);
    if (r == 0 && s->ranged) {
        /* Buckets over the part of the range that holds packets; totals are their sum. */
        int64_t a = s->start, b = s->end;
        if (have && a < q->first_time)
            a = q->first_time;
        if (have && b > q->last_time)
            b = q->last_time;
        q->packets = q->bytes = 0;
        if (have && a <= b) {
            r = fill_series(&c, q, a, b);
            for (size_t i = 0; r == 0 && i < q->nbuckets; i++) {
                q->packets += q->buckets[i].packets;
                q->bytes += q->buckets[i].bytes;
            }
        } else {
            q->start_time = s->start;
            q->end_time = s->end;
        }
        q->series_complete = 1; /* totals are the buckets' sum */
    } else if (r == 0 && have && series) {
        r = fill_series(&c, q, q->first_time, q->last_time);
        uint64_t sum = 0;
        for (size_t i = 0; r == 0 && i < q->nbuckets; i++)
            sum += q->buckets[i].packets;
        q->series_complete = sum == q->packets;
    } else if (r == 0 && !have) {
        q->series_complete = 1; /* nothing to count */
    }
    if (r == 0) {
        if (s->kind == APC__SK_ALL) {
            r = apc__stats_tops_keys(st, rd, cap, APC__SK_IP, &q->ips);
            if (r == 0)
                r = apc__stats_tops_keys(st, rd, cap, APC__SK_PORT, &q->ports);
            if (r == 0)
                r = apc__stats_tops_keys(st, rd, cap, APC__SK_PROTO, &q->protocols);
            if (r == 0)
                r = apc__stats_tops_keys(st, rd, cap, APC__SK_PROCESS, &q->processes);
        } else if (have) {
            r = apc__stats_tops_conns(st, rd, cap, s->kind, s->key, s->addr, s->alen, q);
        }
    }
    if (r < 0) {
        apc_stats_query_free(q);
        return r;
    }
    *out = q;
    return 0;
}

typedef int (*prep_fn)(apc__store_t *st, apc__st_stats_rd_t *rd, int64_t cap, qspec_t *s,
                       void *arg);

typedef struct read_arg {
    apc__store_t *st;
    int64_t cap;
    qspec_t *s;
    apc_stats_query_t **out;
    prep_fn prep;
    void *arg;
} read_arg_t;

static int read_query(apc__st_stats_rd_t *rd, void *payload)
{
    read_arg_t *a = payload;
    /* capture 0: every capture */
    int r = a->cap == 0 ? 0 : apc__st_stats_capture_exists(a->st, rd, a->cap);
    if (r == 0 && a->prep)
        r = a->prep(a->st, rd, a->cap, a->s, a->arg);
    if (r == 0)
        r = run(a->st, rd, a->cap, a->s, a->out);
    return r;
}

/* Checks the capture and runs the query in one read: the totals, buckets and tops agree with
 * each other. node: NULL or "" = every node (apc__stats_node checks the name). */
static int with_read(apc_ctx_t *ctx, int64_t cap, const char *node, qspec_t *s,
                     apc_stats_query_t **out, prep_fn prep, void *arg)
{
    *out = NULL;
    if (cap < 0)
        return apc__err(APC_EINVAL, "capture_id %lld is negative", (long long)cap);
    int r = apc__stats_node(ctx, &node);
    if (r < 0)
        return r;
    read_arg_t a = {ctx->store, cap, s, out, prep, arg};
    return apc__st_stats_read(ctx->store, node, read_query, &a);
}

static int by_capture(apc_ctx_t *ctx, const apc_stats_ask_t *k, apc_stats_query_t **out)
{
    char v[32];
    snprintf(v, sizeof v, "%lld", (long long)k->capture_id);
    qspec_t s = {.qkey = APC_STATS_KEY_CAPTURE, .kind = APC__SK_ALL, .value = v};
    return with_read(ctx, k->capture_id, k->node, &s, out, NULL, NULL);
}

static int by_date(apc_ctx_t *ctx, const apc_stats_ask_t *k, apc_stats_query_t **out)
{
    apc_time_t start = k->start, end = k->end ? k->end : apc__real_ns();
    if (end < start)
        return apc__err(APC_EINVAL, "end_dtg is before start_dtg");
    char v[32];
    snprintf(v, sizeof v, "%lld", (long long)k->capture_id);
    qspec_t s = {.qkey = APC_STATS_KEY_DATE,
                 .kind = APC__SK_ALL,
                 .value = v,
                 .ranged = 1,
                 .start = start,
                 .end = end};
    return with_read(ctx, k->capture_id, k->node, &s, out, NULL, NULL);
}

static int prep_ip(apc__store_t *st, apc__st_stats_rd_t *rd, int64_t cap, qspec_t *s, void *arg)
{
    (void)cap;
    char **host = arg;
    int r = apc__st_stats_ip_find(st, rd, s->addr, s->alen, &s->key, host);
    if (r == 0)
        return apc__err(APC_ENOTFOUND, "address %s was never seen", s->value);
    if (r > 0)
        s->name = *host;
    return r < 0 ? r : 0;
}

static int by_ip(apc_ctx_t *ctx, const apc_stats_ask_t *k, apc_stats_query_t **out)
{
    const char *ip = k->ip;
    uint8_t addr[16];
    int alen = 4;
    if (!ip || inet_pton(AF_INET, ip, addr) != 1) {
        alen = 16;
        if (!ip || inet_pton(AF_INET6, ip, addr) != 1)
            return apc__err(APC_EINVAL, "'%s' is not an IPv4 or IPv6 address", ip ? ip : "");
    }
    char text[INET6_ADDRSTRLEN];
    inet_ntop(alen == 4 ? AF_INET : AF_INET6, addr, text, sizeof text);
    qspec_t s = {
        .qkey = APC_STATS_KEY_IP, .kind = APC__SK_IP, .addr = addr, .alen = alen, .value = text};
    char *host = NULL;
    int r = with_read(ctx, k->capture_id, k->node, &s, out, prep_ip, &host);
    free(host);
    return r;
}

static int by_port(apc_ctx_t *ctx, const apc_stats_ask_t *k, apc_stats_query_t **out)
{
    int port = k->port;
    if (port < 0 || port > 65535)
        return apc__err(APC_EINVAL, "port %d out of range 0-65535", port);
    char v[16];
    snprintf(v, sizeof v, "%d", port);
    qspec_t s = {.qkey = APC_STATS_KEY_PORT, .kind = APC__SK_PORT, .key = port, .value = v};
    return with_read(ctx, k->capture_id, k->node, &s, out, NULL, NULL);
}

static int by_protocol(apc_ctx_t *ctx, const apc_stats_ask_t *k, apc_stats_query_t **out)
{
    int proto = k->proto;
    if (proto < -1 || proto > 255)
        return apc__err(APC_EINVAL, "protocol %d out of range -1-255", proto);
    char v[16];
    snprintf(v, sizeof v, "%d", proto);
    qspec_t s = {.qkey = APC_STATS_KEY_PROTOCOL,
                 .kind = APC__SK_PROTO,
                 .key = proto,
                 .value = v,
                 .name = apc_stats_protocol_name(proto)};
    return with_read(ctx, k->capture_id, k->node, &s, out, NULL, NULL);
}

typedef struct proc_arg {
    int64_t pid;
    char *name;
    char value[32];
} proc_arg_t;

static int prep_process(apc__store_t *st, apc__st_stats_rd_t *rd, int64_t cap, qspec_t *s,
                        void *arg)
{
    proc_arg_t *pa = arg;
    int r;
    if (s->key == 0) {
        /* The newest process with that pid that has packets under the capture asked for. */
        r = apc__st_stats_process_find(st, rd, cap, pa->pid, &s->key);
        if (r == 0)
            return apc__err(APC_ENOTFOUND, "no process with pid %lld has packets in %s",
                            (long long)pa->pid, cap ? "this capture" : "the statistics");
        if (r < 0)
            return r;
    }
    r = apc__st_stats_process_name(st, rd, s->key, &pa->name);
    if (r == 0)
        return apc__err(APC_ENOTFOUND, "process %lld not found", (long long)s->key);
    if (r < 0)
        return r;
    snprintf(pa->value, sizeof pa->value, "%lld", (long long)s->key);
    s->value = pa->value;
    s->name = pa->name;
    return 0;
}

static int by_process(apc_ctx_t *ctx, const apc_stats_ask_t *k, apc_stats_query_t **out)
{
    if (k->process_id <= 0 && k->pid <= 0)
        return apc__err(APC_EINVAL, "give process_id or pid");
    proc_arg_t pa = {.pid = k->pid};
    qspec_t s = {
        .qkey = APC_STATS_KEY_PROCESS, .kind = APC__SK_PROCESS, .key = k->process_id, .value = ""};
    int r = with_read(ctx, k->capture_id, k->node, &s, out, prep_process, &pa);
    free(pa.name);
    return r;
}

APC_API int apc_stats_ask(apc_ctx_t *ctx, const apc_stats_ask_t *k, apc_stats_query_t **out)
{
    *out = NULL;
    switch (k->key) {
    case APC_STATS_KEY_CAPTURE:
        return by_capture(ctx, k, out);
    case APC_STATS_KEY_DATE:
        return by_date(ctx, k, out);
    case APC_STATS_KEY_IP:
        return by_ip(ctx, k, out);
    case APC_STATS_KEY_PORT:
        return by_port(ctx, k, out);
    case APC_STATS_KEY_PROTOCOL:
        return by_protocol(ctx, k, out);
    case APC_STATS_KEY_PROCESS:
        return by_process(ctx, k, out);
    default:
        return apc__err(APC_EINVAL, "unknown statistics key %d", k->key);
    }
}

APC_API int apc_stats_by_capture(apc_ctx_t *ctx, int64_t capture_id, apc_stats_query_t **out)
{
    apc_stats_ask_t k = {.key = APC_STATS_KEY_CAPTURE, .capture_id = capture_id};
    return apc_stats_ask(ctx, &k, out);
}

APC_API int apc_stats_by_date(apc_ctx_t *ctx, int64_t capture_id, apc_time_t start, apc_time_t end,
                              apc_stats_query_t **out)
{
    apc_stats_ask_t k = {
        .key = APC_STATS_KEY_DATE, .capture_id = capture_id, .start = start, .end = end};
    return apc_stats_ask(ctx, &k, out);
}

APC_API int apc_stats_by_ip(apc_ctx_t *ctx, int64_t capture_id, const char *ip,
                            apc_stats_query_t **out)
{
    apc_stats_ask_t k = {.key = APC_STATS_KEY_IP, .capture_id = capture_id, .ip = ip};
    return apc_stats_ask(ctx, &k, out);
}

APC_API int apc_stats_by_port(apc_ctx_t *ctx, int64_t capture_id, int port, apc_stats_query_t **out)
{
    apc_stats_ask_t k = {.key = APC_STATS_KEY_PORT, .capture_id = capture_id, .port = port};
    return apc_stats_ask(ctx, &k, out);
}

APC_API int apc_stats_by_protocol(apc_ctx_t *ctx, int64_t capture_id, int proto,
                                  apc_stats_query_t **out)
{
    apc_stats_ask_t k = {.key = APC_STATS_KEY_PROTOCOL, .capture_id = capture_id, .proto = proto};
    return apc_stats_ask(ctx, &k, out);
}

APC_API int apc_stats_by_process(apc_ctx_t *ctx, int64_t capture_id, int64_t process_id,
                                 int64_t pid, apc_stats_query_t **out)
{
    apc_stats_ask_t k = {.key = APC_STATS_KEY_PROCESS,
                         .capture_id = capture_id,
                         .process_id = process_id,
                         .pid = pid};
    return apc_stats_ask(ctx, &k, out);
}
