/* SPDX-License-Identifier: MIT */
/* Top lists of the statistics answers: from per-key totals, or from the connections of a key. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "stats/agg.h"
#include "stats/stats_int.h"
#include "store/stats.h"

/* The store reads kinds by number (store/backend.h): ours must be the same. */
_Static_assert(APC__SK_ALL == APC__ST_SK_ALL && APC__SK_IP == APC__ST_SK_IP &&
                   APC__SK_PORT == APC__ST_SK_PORT && APC__SK_PROTO == APC__ST_SK_PROTO &&
                   APC__SK_PROCESS == APC__ST_SK_PROCESS,
               "the store's kinds of statistics keys");

void apc__stats_tops_free(apc_stats_tops_t *t)
{
    for (size_t i = 0; i < t->count; i++) {
        free(t->items[i].value);
        free(t->items[i].name);
    }
    free(t->items);
    t->items = NULL;
    t->count = 0;
}

static char *dup_or_empty(const char *s)
{
    return strdup(s ? s : "");
}

typedef struct tops_arg {
    int kind; /* of the list */
    apc_stats_tops_t *out;
} tops_arg_t;

/* One row into the list. The value is the address text for addresses, else the id as text;
 * for protocols the name is ours. */
static int add_top(const apc__st_stats_top_t *row, void *payload)
{
    tops_arg_t *a = payload;
    apc_stats_tops_t *out = a->out;
    apc_stats_top_t *e = &out->items[out->count];
    char buf[64];
    e->id = row->id;
    e->packets = row->packets;
    e->bytes = row->bytes;
    if (a->kind == APC__SK_IP && row->addr && (row->alen == 4 || row->alen == 16))
        inet_ntop(row->alen == 4 ? AF_INET : AF_INET6, row->addr, buf, sizeof buf);
    else
        snprintf(buf, sizeof buf, "%lld", (long long)e->id);
    const char *name = a->kind == APC__SK_PROTO ? apc_stats_protocol_name((int)e->id) : row->name;
    e->pid = a->kind == APC__SK_PROCESS ? row->pid : 0;
    e->value = strdup(buf);
    e->name = dup_or_empty(name);
    out->count++;
    if (!e->value || !e->name)
        return apc__err(APC_ENOMEM, "out of memory");
    return 0;
}

static int tops_alloc(apc_stats_tops_t *out)
{
    out->items = calloc(APC__STATS_TOP_N, sizeof *out->items);
    return out->items ? 0 : apc__err(APC_ENOMEM, "out of memory");
}

int apc__stats_tops_keys(apc__store_t *s, apc__st_stats_rd_t *rd, int64_t capture_id, int kind,
                         apc_stats_tops_t *out)
{
    memset(out, 0, sizeof *out);
    tops_arg_t a = {kind, out};
    int r = tops_alloc(out);
    if (r == 0)
        r = apc__st_stats_top_keys(s, rd, capture_id, kind, APC__STATS_TOP_N, add_top, &a);
    return r;
}

/* Rows of every list go to the list their row says. */
typedef struct conns_arg {
    apc_stats_query_t *q;
} conns_arg_t;

static int add_conn_top(const apc__st_stats_top_t *row, void *payload)
{
    apc_stats_query_t *q = ((conns_arg_t *)payload)->q;
    apc_stats_tops_t *out = row->list == APC__SK_IP      ? &q->ips
                            : row->list == APC__SK_PORT  ? &q->ports
                            : row->list == APC__SK_PROTO ? &q->protocols
                                                         : &q->processes;
    if (out->count >= APC__STATS_TOP_N) /* a backend's bug, never a write past the end */
        return apc__err(APC_ESTORE, "a top list of more than %d entries", APC__STATS_TOP_N);
    tops_arg_t a = {row->list, out};
    return add_top(row, &a);
}

int apc__stats_tops_conns(apc__store_t *s, apc__st_stats_rd_t *rd, int64_t capture_id, int kind,
                          int64_t key, const uint8_t *addr, int alen, apc_stats_query_t *q)
{
    apc__st_stats_under_t u = {kind, key, addr, alen};
    /* The other ends for an IP; both ends otherwise; never the key's own kind but for IPs. */
    unsigned lists = 1u << APC__SK_IP;
    if (kind != APC__SK_PORT)
        lists |= 1u << APC__SK_PORT;
    if (kind != APC__SK_PROTO)
        lists |= 1u << APC__SK_PROTO;
    if (kind != APC__SK_PROCESS)
        lists |= 1u << APC__SK_PROCESS;
    apc_stats_tops_t *all[] = {&q->ips, &q->ports, &q->protocols, &q->processes};
    int r = 0;
    for (size_t i = 0; r == 0 && i < sizeof all / sizeof all[0]; i++)
        r = tops_alloc(all[i]);
    conns_arg_t a = {q};
    if (r == 0)
        r = apc__st_stats_top_conns(s, rd, capture_id, &u, lists, APC__STATS_TOP_N, add_conn_top,
                                    &a);
    return r;
}
