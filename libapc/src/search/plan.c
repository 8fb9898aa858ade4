/* SPDX-License-Identifier: MIT */
/*
 * The indexed part of the planner. The connections of a capture are found by address and port
 * in the connections table (captures stored with packet spans, see scan.c), or, for a capture
 * stored before, in the key index its first full scan built (search_conn_keys: address and
 * port -> connection).
 * From the filter tree we derive a necessary condition made of those keys: a connection can
 * only match `ip.addr == X && tcp.port == Y` if it has address X and TCP port Y. The
 * connections that pass are the candidates; every other connection is known false without
 * loading it, and the scan covers only the span of the candidates' packets.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "search/fields.h"
#include "search/plan.h"
#include "store/searches.h"
#include "util/array.h"

void apc__idset_free(apc__idset_t *s)
{
    free(s->ids);
    memset(s, 0, sizeof *s);
}

static int push(apc__idset_t *s, int64_t id)
{
    if (apc__grow((void **)&s->ids, &s->cap, s->n + 1, sizeof *s->ids) < 0)
        return apc__err(APC_ENOMEM, "out of memory");
    s->ids[s->n++] = id;
    return 0;
}

static int cmp_id(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static void sort_unique(apc__idset_t *s)
{
    if (!s->n)
        return;
    qsort(s->ids, s->n, sizeof s->ids[0], cmp_id);
    size_t k = 1;
    for (size_t i = 1; i < s->n; i++)
        if (s->ids[i] != s->ids[k - 1])
            s->ids[k++] = s->ids[i];
    s->n = k;
}

typedef struct planner {
    apc__store_t *store;
    int64_t capture_id;
    int direct; /* keys from the connections table itself (see apc__plan_candidates) */
} planner_t;

static int push_id(int64_t id, void *payload)
{
    return push(payload, id);
}

/* The connections table answers the keys by address or by protocol and port (the store uses
 * its indexes); search_conn_keys answers them as they are. */
static int lookup(planner_t *pl, const uint8_t *key, size_t len, apc__idset_t *out)
{
    if (!pl->direct)
        return apc__searches_ids_by_key(pl->store, pl->capture_id, key, len, push_id, out);
    if (key[0] == 'a')
        return apc__searches_ids_by_addr(pl->store, pl->capture_id, key + 1, len - 1, push_id, out);
    return apc__searches_ids_by_port(pl->store, pl->capture_id, key[1], (key[2] << 8) | key[3],
                                     push_id, out);
}

static int file_conns(const struct apc__fspans *fs, apc__idset_t *out)
{
    out->all = 0;
    for (size_t i = 0; i < fs->n; i++)
        if (push(out, fs->v[i].conn_id) < 0)
            return APC_ENOMEM;
    sort_unique(out);
    return 0;
}

/* Key lookups for one comparison; out->all when the field or value has no key. */
static int leaf(planner_t *pl, const apc__fnode_t *n, apc__idset_t *out)
{
    const apc__field_t *f = n->field;
    out->all = 1;
    if (n->kind == N_CMP && n->files) /* file.*, resolved: the connections of its files */
        return file_conns(n->files, out);
    if (n->kind != N_CMP || (n->op != OP_EQ && n->op != OP_IN))
        return 0;
    int addr = f->id == F_IP_ADDR || f->id == F_IP_SRC || f->id == F_IP_DST ||
               f->id == F_IPV6_ADDR || f->id == F_IPV6_SRC || f->id == F_IPV6_DST;
    int proto = (f->id == F_TCP_PORT || f->id == F_TCP_SRCPORT || f->id == F_TCP_DSTPORT)   ? 6
                : (f->id == F_UDP_PORT || f->id == F_UDP_SRCPORT || f->id == F_UDP_DSTPORT) ? 17
                                                                                            : 0;
    if (f->id == F_CONN_ID) {
        for (size_t i = 0; i < n->nvals; i++)
            if (n->vals[i].kind != V_NUM)
                return 0;
        out->all = 0;
        for (size_t i = 0; i < n->nvals; i++)
            if (push(out, (int64_t)n->vals[i].lo) < 0)
                return APC_ENOMEM;
        return 0;
    }
    if (!addr && !proto)
        return 0;
    int alen = f->type == FT_IPV4 ? 4 : 16;
    for (size_t i = 0; i < n->nvals; i++) {
        const apc__fval_t *v = &n->vals[i];
        if (addr ? v->kind != V_ADDR || v->prefix != alen * 8 : v->kind != V_NUM)
            return 0; /* networks and port ranges: no key */
    }
    out->all = 0;
    for (size_t i = 0; i < n->nvals; i++) {
        uint8_t key[17];
        size_t len;
        if (addr) {
            key[0] = 'a';
            memcpy(key + 1, n->vals[i].addr, (size_t)alen);
            len = 1 + (size_t)alen;
        } else {
            uint16_t port = htons((uint16_t)n->vals[i].lo);
            key[0] = 'p';
            key[1] = (uint8_t)proto;
            memcpy(key + 2, &port, 2);
            len = 4;
        }
        int r = lookup(pl, key, len, out);
        if (r < 0)
            return r;
    }
    sort_unique(out);
    return 0;
}

static void intersect(apc__idset_t *a, const apc__idset_t *b)
{
    size_t i = 0, j = 0, k = 0;
    while (i < a->n && j < b->n) {
        if (a->ids[i] < b->ids[j])
            i++;
        else if (a->ids[i] > b->ids[j])
            j++;
        else {
            a->ids[k++] = a->ids[i];
            i++;
            j++;
        }
    }
    a->n = k;
}

static int unite(apc__idset_t *a, const apc__idset_t *b)
{
    for (size_t i = 0; i < b->n; i++)
        if (push(a, b->ids[i]) < 0)
            return APC_ENOMEM;
    sort_unique(a);
    return 0;
}

static int node(planner_t *pl, const apc__fnode_t *n, apc__idset_t *out)
{
    memset(out, 0, sizeof *out);
    if (n->kind != N_AND && n->kind != N_OR)
        return n->kind == N_CMP ? leaf(pl, n, out) : (out->all = 1, 0);
    apc__idset_t b;
    int r = node(pl, n->a, out);
    if (r == 0)
        r = node(pl, n->b, &b);
    else
        memset(&b, 0, sizeof b);
    if (r == 0) {
        if (n->kind == N_AND) {
            if (out->all) {
                apc__idset_free(out);
                *out = b;
                memset(&b, 0, sizeof b);
            } else if (!b.all) {
                intersect(out, &b);
            }
        } else if (out->all || b.all) {
            apc__idset_free(out);
            out->all = 1;
        } else {
            r = unite(out, &b);
        }
    }
    apc__idset_free(&b);
    return r;
}

int apc__plan_candidates(apc__store_t *store, int64_t capture_id, int direct,
                         const apc__fnode_t *root, apc__idset_t *out)
{
    planner_t pl = {store, capture_id, direct};
    memset(out, 0, sizeof *out);
    if (!root) {
        out->all = 1;
        return 0;
    }
    int r = node(&pl, root, out);
    if (r < 0)
        apc__idset_free(out);
    return r;
}

/* Rows are stored in key order, which keeps the B-tree appending instead of splitting pages
 * at random (several times faster for a large capture). */
static int cmp_row(const void *a, const void *b)
{
    const apc__st_search_key_t *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->key, y->key, n);
    if (c)
        return c;
    if (x->len != y->len)
        return x->len < y->len ? -1 : 1;
    return x->conn_id < y->conn_id ? -1 : x->conn_id > y->conn_id;
}

static void add_row(apc__st_search_key_t *rows, size_t *n, const uint8_t *key, size_t len,
                    int64_t conn_id)
{
    memcpy(rows[*n].key, key, len);
    rows[*n].len = (uint8_t)len;
    rows[*n].conn_id = conn_id;
    (*n)++;
}

int apc__plan_conn_keys(const apc__fconn_t *conns, size_t n, apc__st_search_key_t **out,
                        size_t *n_out)
{
    *out = NULL;
    *n_out = 0;
    apc__st_search_key_t *rows = malloc((n ? n : 1) * 4 * sizeof *rows);
    if (!rows)
        return apc__err(APC_ENOMEM, "out of memory for %zu connection keys", n * 4);
    size_t nr = 0;
    for (size_t i = 1; i < n; i++) {
        const apc__fconn_t *c = &conns[i];
        if (!c->id)
            continue;
        uint8_t key[17];
        size_t alen = c->ip_ver == 4 ? 4 : 16;
        key[0] = 'a';
        memcpy(key + 1, c->src, alen);
        add_row(rows, &nr, key, 1 + alen, c->id);
        memcpy(key + 1, c->dst, alen);
        add_row(rows, &nr, key, 1 + alen, c->id);
        if (c->proto == 6 || c->proto == 17) {
            uint16_t ports[2] = {htons(c->sport), htons(c->dport)};
            key[0] = 'p';
            key[1] = (uint8_t)c->proto;
            for (int k = 0; k < 2; k++) {
                memcpy(key + 2, &ports[k], 2);
                add_row(rows, &nr, key, 4, c->id);
            }
        }
    }
    qsort(rows, nr, sizeof *rows, cmp_row);
    *out = rows;
    *n_out = nr;
    return 0;
}
