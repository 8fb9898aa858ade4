/* SPDX-License-Identifier: MIT */
/* The statistics aggregator of a capture writer (see agg.h). */
#include "stats/agg.h"

#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "util/prefault.h"

const int64_t apc__stats_level_ns[APC__STATS_LEVELS] = {1000000000LL, 60 * 1000000000LL,
                                                        3600 * 1000000000LL, 86400 * 1000000000LL};

#define LEVEL_TOTAL APC__STATS_LEVELS /* an entry holding a key's totals (t = 0) */

typedef struct ent {
    uint8_t used, kind, level, ver; /* ver: 4 or 6 for IP keys */
    uint8_t series;                 /* totals entries: the key's series rows are written */
    uint8_t addr[16];               /* IP keys */
    int64_t key;                    /* other keys */
    int64_t t;                      /* bucket start, ns */
    uint64_t packets, bytes;
    int64_t first, last;
} ent_t;

typedef struct held {
    int64_t t; /* minute bucket start */
    uint64_t packets, bytes;
} held_t;

typedef struct cum {
    ent_t k; /* kind, ver, addr, key; level/t unused */
    uint64_t packets;
    int series; /* rows are written directly */
    held_t *held;
    size_t nheld;
    int held_none; /* held back, with no series rows to hold (no_series) */
} cum_t;

struct apc__statsagg {
    int64_t capture_id;
    ent_t *slots;
    size_t cap, count;
    uint64_t new_conns;
    uint64_t packets; /* every packet of the capture so far */
    int oom;
    /* Keys across commits: how many packets each has had, and, until it has
     * APC__STATS_SERIES_MIN, its minute buckets held back (see hold_or_write). */
    struct cum *cum;
    size_t cum_cap, cum_count;
};

apc__statsagg_t *apc__statsagg_new(int64_t capture_id)
{
    apc__statsagg_t *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    a->capture_id = capture_id;
    a->cap = 1024;
    a->slots = calloc(a->cap, sizeof *a->slots);
    if (!a->slots) {
        free(a);
        return NULL;
    }
    return a;
}

void apc__statsagg_free(apc__statsagg_t *a)
{
    if (!a)
        return;
    free(a->slots);
    for (size_t i = 0; i < a->cum_cap; i++)
        free(a->cum[i].held);
    free(a->cum);
    free(a);
}

static uint64_t mix(uint64_t h)
{
    /* splitmix64 finalizer: cheap and spreads nearby times and ports over the table. */
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebULL;
    h ^= h >> 31;
    return h;
}

static uint64_t addr_hash(int ver, const uint8_t *addr)
{
    uint64_t a, b = 0;
    memcpy(&a, addr, 8);
    if (ver == 6)
        memcpy(&b, addr + 8, 8);
    else
        a &= 0xffffffffULL;
    return mix(a ^ mix(b + (uint64_t)ver));
}

static uint64_t ent_hash(const ent_t *e)
{
    uint64_t h = e->kind == APC__SK_IP ? addr_hash(e->ver, e->addr) : mix((uint64_t)e->key);
    return mix(h ^ ((uint64_t)e->t + ((uint64_t)e->kind << 56) + ((uint64_t)e->level << 48)));
}

static int ent_same(const ent_t *a, const ent_t *b)
{
    if (a->kind != b->kind || a->level != b->level || a->t != b->t)
        return 0;
    if (a->kind == APC__SK_IP)
        return a->ver == b->ver && memcmp(a->addr, b->addr, a->ver == 4 ? 4 : 16) == 0;
    return a->key == b->key;
}

static int grow(apc__statsagg_t *a)
{
    size_t ncap = a->cap * 2;
    ent_t *ns = apc__calloc_mapped(ncap, sizeof *ns);
    if (!ns)
        return -1;
    for (size_t i = 0; i < a->cap; i++) {
        if (!a->slots[i].used)
            continue;
        size_t j = ent_hash(&a->slots[i]) & (ncap - 1);
        while (ns[j].used)
            j = (j + 1) & (ncap - 1);
        ns[j] = a->slots[i];
    }
    free(a->slots);
    a->slots = ns;
    a->cap = ncap;
    return 0;
}

/* Adds packets/bytes seen from `first` to `last` to the entry like `k`. */
static void add(apc__statsagg_t *a, const ent_t *k, uint64_t packets, uint64_t bytes, int64_t first,
                int64_t last)
{
    if (a->count * 2 >= a->cap && grow(a) < 0) {
        a->oom = 1;
        return;
    }
    size_t j = ent_hash(k) & (a->cap - 1);
    while (a->slots[j].used && !ent_same(&a->slots[j], k))
        j = (j + 1) & (a->cap - 1);
    ent_t *e = &a->slots[j];
    if (!e->used) {
        *e = *k;
        e->used = 1;
        e->packets = e->bytes = 0;
        e->first = first;
        e->last = last;
        a->count++;
    }
    e->packets += packets;
    e->bytes += bytes;
    if (first < e->first)
        e->first = first;
    if (last > e->last)
        e->last = last;
}

static int64_t floor_to(int64_t t, int64_t w)
{
    int64_t q = t / w;
    if (t % w < 0)
        q--;
    return q * w;
}

static void count_key(apc__statsagg_t *a, ent_t *k, int64_t key, int64_t ts, uint32_t len)
{
    k->key = key;
    add(a, k, 1, len, ts, ts);
}

int64_t apc__statsagg_key_bucket(int64_t ts_ns)
{
    return floor_to(ts_ns, apc__stats_level_ns[APC__STATS_KEY_LEVEL]);
}

/* Counts under the ports (once when both are one port, as tshark's tcp.port == X does) and the
 * addresses (once when both ends are one address, like capture_ips) of k's bucket. */
static void count_ends(apc__statsagg_t *a, ent_t *k, int ports, uint16_t p1, uint16_t p2, int ver,
                       const uint8_t *a1, const uint8_t *a2, uint64_t packets, uint64_t bytes,
                       int64_t first, int64_t last)
{
    if (ports) {
        k->kind = APC__SK_PORT;
        k->key = p1;
        add(a, k, packets, bytes, first, last);
        if (p2 != p1) {
            k->key = p2;
            add(a, k, packets, bytes, first, last);
        }
    }
    int alen = ver == 4 ? 4 : 16;
    k->kind = APC__SK_IP;
    k->key = 0;
    k->ver = (uint8_t)ver;
    memcpy(k->addr, a1, (size_t)alen);
    add(a, k, packets, bytes, first, last);
    if (memcmp(a1, a2, (size_t)alen) != 0) {
        memcpy(k->addr, a2, (size_t)alen);
        add(a, k, packets, bytes, first, last);
    }
}

void apc__statsagg_packet(apc__statsagg_t *a, const apc__pkt_t *d, int64_t ts_ns, uint32_t wirelen,
                          int64_t process_id, int new_conn, int ends)
{
    ent_t k;
    memset(&k, 0, sizeof k);
    k.t = floor_to(ts_ns, apc__stats_level_ns[0]);
    k.kind = APC__SK_ALL;
    count_key(a, &k, 0, ts_ns, wirelen);
    /* Keys count in 1-minute buckets: per-second series per address or port would cost more
     * rows than the packets they describe (docs/stats.md, "Precision"). */
    k.level = APC__STATS_KEY_LEVEL;
    k.t = apc__statsagg_key_bucket(ts_ns);
    k.kind = APC__SK_PROTO;
    count_key(a, &k, d->ip_ver ? d->ip_proto : -1, ts_ns, wirelen);
    if (process_id > 0) {
        k.kind = APC__SK_PROCESS;
        count_key(a, &k, process_id, ts_ns, wirelen);
    }
    a->new_conns += new_conn ? 1 : 0;
    a->packets++;
    if (!d->ip_ver || !ends)
        return;
    count_ends(a, &k, d->has_l4 && (d->ip_proto == 6 || d->ip_proto == 17), d->sport, d->dport,
               d->ip_ver, d->src, d->dst, 1, wirelen, ts_ns, ts_ns);
}

void apc__statsagg_ends(apc__statsagg_t *a, const apc__stats_ends_t *e)
{
    ent_t k;
    memset(&k, 0, sizeof k);
    k.level = APC__STATS_KEY_LEVEL;
    k.t = e->t;
    count_ends(a, &k, 1, e->port1, e->port2, e->ip_ver, e->addr1, e->addr2, e->packets, e->bytes,
               e->first, e->last);
}

/* --- commit ----------------------------------------------------------------------------- */

_Static_assert(LEVEL_TOTAL == APC__ST_STAT_TOTAL, "a totals entry is the batch's totals row");
_Static_assert(APC__SK_CONNS == APC__ST_STAT_KIND_CONNS, "the batch's kind of new connections");

/* Rows go to the writer's commit batch; the store applies them with the rest of the commit. */
typedef struct writer {
    apc__statsagg_t *a;
    apc__cbatch_t *b;
} writer_t;

/* Keys with totals and no series rows at all: ephemeral ports (APC__STATS_SERIES_PORT_MAX). */
static int no_series(const ent_t *e)
{
    return e->kind == APC__SK_PORT && e->key >= APC__STATS_SERIES_PORT_MAX;
}

static int write_ent(writer_t *w, const ent_t *e)
{
    if (e->level != LEVEL_TOTAL && no_series(e))
        return 0;
    apc__st_stat_t row = {
        .kind = e->kind,
        .level = e->level,
        .ver = e->kind == APC__SK_IP ? e->ver : 0,
        .key = e->key,
        .t = e->t,
        .packets = e->packets,
        .bytes = e->bytes,
        .first = e->first,
        .last = e->last,
    };
    if (row.ver)
        memcpy(row.addr, e->addr, 16);
    if (apc__cbatch_stat(w->b, &row) < 0)
        return apc__err(APC_ENOMEM, "out of memory while storing statistics");
    return 0;
}

static uint64_t key_hash(const ent_t *e)
{
    return e->kind == APC__SK_IP ? addr_hash(e->ver, e->addr) ^ 0x5bd1e995ULL
                                 : mix((uint64_t)e->key ^ ((uint64_t)e->kind << 56));
}

static int key_same(const ent_t *a, const ent_t *b)
{
    if (a->kind != b->kind)
        return 0;
    if (a->kind == APC__SK_IP)
        return a->ver == b->ver && memcmp(a->addr, b->addr, a->ver == 4 ? 4 : 16) == 0;
    return a->key == b->key;
}

/* The key's entry across commits, created if needed; NULL when out of memory. */
static cum_t *cum_get(apc__statsagg_t *a, const ent_t *k)
{
    if ((a->cum_count + 1) * 2 > a->cum_cap) {
        size_t ncap = a->cum_cap ? a->cum_cap * 2 : 1024;
        cum_t *nc = apc__calloc_mapped(ncap, sizeof *nc);
        if (!nc)
            return NULL;
        for (size_t i = 0; i < a->cum_cap; i++) {
            if (!a->cum[i].k.used)
                continue;
            size_t j = key_hash(&a->cum[i].k) & (ncap - 1);
            while (nc[j].k.used)
                j = (j + 1) & (ncap - 1);
            nc[j] = a->cum[i];
        }
        free(a->cum);
        a->cum = nc;
        a->cum_cap = ncap;
    }
    size_t j = key_hash(k) & (a->cum_cap - 1);
    for (; a->cum[j].k.used; j = (j + 1) & (a->cum_cap - 1))
        if (key_same(&a->cum[j].k, k))
            return &a->cum[j];
    cum_t *c = &a->cum[j];
    memset(c, 0, sizeof *c);
    c->k = *k;
    c->k.used = 1;
    a->cum_count++;
    return c;
}

/* Writes the series rows of a held minute bucket at every level above it. */
static int write_held(writer_t *w, const cum_t *c, const held_t *h)
{
    for (int l = APC__STATS_KEY_LEVEL; l < LEVEL_TOTAL; l++) {
        ent_t e = c->k;
        e.level = (uint8_t)l;
        e.t = floor_to(h->t, apc__stats_level_ns[l]);
        e.packets = h->packets;
        e.bytes = h->bytes;
        int r = write_ent(w, &e);
        if (r < 0)
            return r;
    }
    return 0;
}

/*
 * Series rows of a key are held back in memory until the key carries a share of the capture:
 * at least APC__STATS_SERIES_MIN packets and 1/APC__STATS_SERIES_SHARE of all packets so far;
 * then the held buckets and everything after are written. A scan that touches thousands of
 * ports or addresses a few times each so keeps exact totals for all of them but writes series
 * rows only for the keys that matter (apc__statsagg_finish adds the largest of the rest).
 * Returns 1 when this commit's series rows of the key are to be written, 0 when they are held.
 */
static int count_total(writer_t *w, const ent_t *total)
{
    cum_t *c = cum_get(w->a, total);
    if (!c)
        return apc__err(APC_ENOMEM, "out of memory while storing statistics");
    c->packets += total->packets;
    uint64_t share = w->a->packets / APC__STATS_SERIES_SHARE;
    if (!c->series && c->packets >= APC__STATS_SERIES_MIN && c->packets >= share) {
        for (size_t i = 0; i < c->nheld; i++) {
            int r = write_held(w, c, &c->held[i]);
            if (r < 0)
                return r;
        }
        free(c->held);
        c->held = NULL;
        c->nheld = 0;
        c->series = 1;
    }
    return c->series;
}

/* Keeps a minute bucket of a key whose series is held back. */
static int hold(apc__statsagg_t *a, const ent_t *e)
{
    cum_t *c = cum_get(a, e);
    if (!c)
        return apc__err(APC_ENOMEM, "out of memory while storing statistics");
    if (no_series(e)) {
        /* Nothing of it would be written: it only competes for apc__statsagg_finish's list. */
        c->held_none = 1;
        return 0;
    }
    size_t j;
    for (j = 0; j < c->nheld && c->held[j].t != e->t; j++)
        ;
    if (j == c->nheld) {
        held_t *nh = realloc(c->held, (c->nheld + 1) * sizeof *nh);
        if (!nh)
            return apc__err(APC_ENOMEM, "out of memory while storing statistics");
        c->held = nh;
        c->held[c->nheld++] = (held_t){e->t, 0, 0};
    }
    c->held[j].packets += e->packets;
    c->held[j].bytes += e->bytes;
    return 0;
}

/* The level a kind is counted at per packet: seconds for all packets, minutes for keys. */
static int base_level(int kind)
{
    return kind == APC__SK_ALL ? 0 : APC__STATS_KEY_LEVEL;
}

/* Whether the key of series entry e writes its rows in this commit (set on its totals). */
static int series_of(const apc__statsagg_t *a, const ent_t *e)
{
    ent_t k = *e;
    k.level = LEVEL_TOTAL;
    k.t = 0;
    size_t j = ent_hash(&k) & (a->cap - 1);
    for (; a->slots[j].used; j = (j + 1) & (a->cap - 1))
        if (ent_same(&a->slots[j], &k))
            return a->slots[j].series;
    return 0;
}

int apc__statsagg_commit(apc__statsagg_t *a, apc__cbatch_t *b)
{
    if (a->oom)
        return apc__err(APC_ENOMEM, "out of memory while counting statistics");
    if (a->count == 0 && a->new_conns == 0)
        return 0;
    /* Roll the 1-second buckets up to the coarser levels and the key totals. Copy them out
     * first: adding to the table may grow (move) it. */
    size_t n = 0;
    ent_t *base = malloc((a->count ? a->count : 1) * sizeof *base);
    if (!base)
        return apc__err(APC_ENOMEM, "out of memory while storing statistics");
    for (size_t i = 0; i < a->cap; i++)
        if (a->slots[i].used && a->slots[i].level == base_level(a->slots[i].kind))
            base[n++] = a->slots[i];
    for (size_t i = 0; i < n; i++) {
        ent_t k = base[i];
        /* A key without series rows needs only its totals (write_ent drops the rest). */
        for (int l = no_series(&k) ? LEVEL_TOTAL : base_level(k.kind) + 1; l <= LEVEL_TOTAL; l++) {
            k.level = (uint8_t)l;
            k.t = l == LEVEL_TOTAL ? 0 : floor_to(base[i].t, apc__stats_level_ns[l]);
            add(a, &k, base[i].packets, base[i].bytes, base[i].first, base[i].last);
        }
    }
    free(base);
    if (a->oom)
        return apc__err(APC_ENOMEM, "out of memory while storing statistics");
    writer_t w = {.a = a, .b = b};
    int r = 0;
    /* Totals first; they decide which keys' series rows are written now (count_total). */
    for (size_t i = 0; r == 0 && i < a->cap; i++) {
        ent_t *e = &a->slots[i];
        if (!e->used || e->level != LEVEL_TOTAL)
            continue;
        r = write_ent(&w, e);
        if (r == 0 && e->kind != APC__SK_ALL) {
            r = count_total(&w, e);
            e->series = r == 1;
            r = r < 0 ? r : 0;
        }
    }
    for (size_t i = 0; r == 0 && i < a->cap; i++) {
        const ent_t *e = &a->slots[i];
        if (!e->used || e->level == LEVEL_TOTAL)
            continue;
        if (e->kind == APC__SK_ALL || series_of(a, e))
            r = write_ent(&w, e);
        else if (e->level == APC__STATS_KEY_LEVEL)
            r = hold(a, e); /* coarser levels are rolled up from held minutes when written */
    }
    if (r == 0)
        b->new_conns += a->new_conns;
    if (r < 0)
        return r;
    memset(a->slots, 0, a->cap * sizeof *a->slots);
    a->count = 0;
    a->new_conns = 0;
    return 0;
}

static int cmp_cum_desc(const void *x, const void *y)
{
    const cum_t *a = *(const cum_t *const *)x, *b = *(const cum_t *const *)y;
    return a->packets < b->packets ? 1 : a->packets > b->packets ? -1 : 0;
}

int apc__statsagg_finish(apc__statsagg_t *a, apc__cbatch_t *b)
{
    size_t n = 0;
    for (size_t i = 0; i < a->cum_cap; i++)
        n += a->cum[i].k.used && !a->cum[i].series && (a->cum[i].nheld || a->cum[i].held_none);
    if (n == 0)
        return 0;
    cum_t **list = malloc(n * sizeof *list);
    if (!list)
        return apc__err(APC_ENOMEM, "out of memory while storing statistics");
    n = 0;
    for (size_t i = 0; i < a->cum_cap; i++)
        if (a->cum[i].k.used && !a->cum[i].series && (a->cum[i].nheld || a->cum[i].held_none))
            list[n++] = &a->cum[i];
    if (n > APC__STATS_HELD_MAX) {
        qsort(list, n, sizeof *list, cmp_cum_desc);
        n = APC__STATS_HELD_MAX;
    }
    writer_t w = {.a = a, .b = b};
    int r = 0;
    for (size_t i = 0; r == 0 && i < n; i++)
        for (size_t j = 0; r == 0 && j < list[i]->nheld; j++)
            r = write_held(&w, list[i], &list[i]->held[j]);
    free(list);
    return r;
}
