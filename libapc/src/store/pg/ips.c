/* SPDX-License-Identifier: MIT */
/* PostgreSQL backend: the IP table, overall (ips) and per capture (capture_ips). */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "decode/decode.h"
#include "store/pg/pg_int.h"

/* Columns: id, addr, family, host_name, country, city, lat, lng, user_data, first, last,
 * packets, bytes, connections. Per capture, counters and name/user data come from
 * capture_ips, falling back to the global row for names. */
#define GLOBAL_SELECT                                                                              \
    "SELECT i.id, i.addr, i.family, i.host_name, i.country, i.city, i.lat, i.lng, i.user_data, "   \
    "i.first_seen, i.last_seen, i.packets, i.bytes, i.connections FROM ips i "
#define CAPTURE_SELECT                                                                             \
    "SELECT i.id, i.addr, i.family, CASE WHEN c.host_name<>'' THEN c.host_name ELSE "              \
    "i.host_name END, i.country, i.city, i.lat, i.lng, CASE WHEN c.user_data<>'' THEN "            \
    "c.user_data ELSE i.user_data END, c.first_seen, c.last_seen, c.packets, c.bytes, "            \
    "c.connections FROM capture_ips c JOIN ips i ON i.id = c.ip_id "

static int row_to_ip(const PGresult *r, int i, apc_ip_t *ip)
{
    memset(ip, 0, sizeof *ip);
    ip->id = apc__pg_i64(r, i, 0);
    ip->family = (int)apc__pg_i64(r, i, 2);
    uint8_t a[16] = {0};
    apc__pg_bytes(r, i, 1, a, sizeof a);
    apc__addr_format(ip->address, sizeof ip->address, ip->family, a);
    ip->host_name = apc__pg_str(r, i, 3);
    ip->country = apc__pg_str(r, i, 4);
    ip->city = apc__pg_str(r, i, 5);
    ip->has_geo = !PQgetisnull(r, i, 6);
    ip->lat = ip->has_geo ? strtod(PQgetvalue(r, i, 6), NULL) : 0;
    ip->lng = PQgetisnull(r, i, 7) ? 0 : strtod(PQgetvalue(r, i, 7), NULL);
    ip->user_data = apc__pg_str(r, i, 8);
    ip->first_seen = apc__pg_i64(r, i, 9);
    ip->last_seen = apc__pg_i64(r, i, 10);
    ip->packets = (uint64_t)apc__pg_i64(r, i, 11);
    ip->bytes = (uint64_t)apc__pg_i64(r, i, 12);
    ip->connections = (uint64_t)apc__pg_i64(r, i, 13);
    if (!ip->host_name || !ip->country || !ip->city || !ip->user_data)
        return apc__err(APC_ENOMEM, "out of memory");
    return 0;
}

static int ip_row(const PGresult *r, int i, void *payload)
{
    apc_ip_page_t *pg = payload;
    pg->count = (size_t)i + 1; /* so apc_ip_page_free frees what this row holds */
    int rc = row_to_ip(r, i, &pg->ips[i]);
    pg->last_id = pg->ips[i].id;
    return rc;
}

static int ip_page(void *impl, int64_t capture_id, int64_t last_id, unsigned max, apc_ip_page_t *pg)
{
    return apc__pg_page(impl, "listing IPs",
                        capture_id ? CAPTURE_SELECT
                            "WHERE c.capture_id=$1 AND i.id>$2 ORDER BY i.id LIMIT $3"
                                   : GLOBAL_SELECT "WHERE $1=0 AND i.id>$2 ORDER BY i.id LIMIT $3",
                        capture_id, last_id, max, ip_row, pg, &pg->count, &pg->more);
}

static int ip_get(void *impl, int64_t capture_id, int ver, const uint8_t *addr, apc_ip_t *out)
{
    apc__pg_t *pg = impl;
    int r = capture_id ? apc__pg_capture_exists(pg, capture_id) : 0;
    if (r < 0)
        return r;
    PGresult *res = apc__pg_query(pg, "reading an IP",
                                  capture_id ? CAPTURE_SELECT "WHERE c.capture_id=$1 AND i.addr=$2"
                                             : GLOBAL_SELECT "WHERE $1=0 AND i.addr=$2",
                                  "ib", capture_id, addr, (size_t)(ver == 4 ? 4 : 16));
    if (!res)
        return APC_ESTORE;
    if (PQntuples(res) > 0)
        r = row_to_ip(res, 0, out) < 0 ? APC_ENOMEM : 1;
    PQclear(res);
    return r;
}

/* The address's rows (created when needed) get `sql_ips` ($1 the address, $2 the family,
 * then fmt's values from $3) and, for a capture, `sql_cap` ($1 the capture, $2 the address,
 * then the same values from $3): one transaction. */
typedef struct ip_write {
    const char *what, *sql_ips, *sql_cap;
    const char *fmt;
    const char *t1, *t2, *t3;
    double d1, d2;
} ip_write_t;

static int ip_write(apc__pg_t *pg, int64_t capture_id, int check, int ver, const uint8_t *addr,
                    const ip_write_t *w)
{
    size_t alen = ver == 4 ? 4 : 16;
    int r = check && capture_id ? apc__pg_capture_exists(pg, capture_id) : 0;
    if (r < 0)
        return r;
    if ((r = apc__pg_begin(pg, w->what)) < 0)
        return r;
    if (apc__pg_exec(pg, w->what,
                     "INSERT INTO ips(addr, family) VALUES($1,$2) ON CONFLICT(addr) DO "
                     "UPDATE SET family=excluded.family",
                     "bi", addr, alen, (int64_t)ver) < 0)
        r = APC_ESTORE;
    if (r == 0 && capture_id &&
        apc__pg_exec(pg, w->what,
                     "INSERT INTO capture_ips(node, capture_id, ip_id) SELECT c.node, c.id, i.id "
                     "FROM captures c, ips i WHERE c.id=$1 AND i.addr=$2 ON CONFLICT DO NOTHING",
                     "ib", capture_id, addr, alen) < 0)
        r = APC_ESTORE;
    /* Every variant binds the same parameter list; fmt says which are used. */
    if (r == 0 && !strcmp(w->fmt, "t") &&
        (apc__pg_exec(pg, w->what, w->sql_ips, "bt", addr, alen, w->t1) < 0 ||
         (capture_id &&
          apc__pg_exec(pg, w->what, w->sql_cap, "ibt", capture_id, addr, alen, w->t1) < 0)))
        r = APC_ESTORE;
    if (r == 0 && !strcmp(w->fmt, "tttdd") &&
        (apc__pg_exec(pg, w->what, w->sql_ips, "btttdd", addr, alen, w->t1, w->t2, w->t3, w->d1,
                      w->d2) < 0 ||
         (capture_id && w->t1 &&
          apc__pg_exec(pg, w->what, w->sql_cap, "ibt", capture_id, addr, alen, w->t1) < 0)))
        r = APC_ESTORE;
    return apc__pg_end(pg, w->what, r);
}

static int ip_set_data(void *impl, int64_t capture_id, int ver, const uint8_t *addr,
                       const char *data)
{
    ip_write_t w = {"saving IP data", "UPDATE ips SET user_data=$2 WHERE addr=$1",
                    "UPDATE capture_ips SET user_data=$3 WHERE capture_id=$1 AND "
                    "ip_id=(SELECT id FROM ips WHERE addr=$2)",
                    "t", data};
    return ip_write(impl, capture_id, 1, ver, addr, &w);
}

static int ip_set_geo(void *impl, int64_t capture_id, int ver, const uint8_t *addr,
                      const apc__st_geo_t *g)
{
    ip_write_t w = {"saving IP geolocation",
                    "UPDATE ips SET host_name=coalesce($2, host_name), "
                    "country=coalesce($3, country), city=coalesce($4, city), lat=$5, lng=$6 "
                    "WHERE addr=$1",
                    "UPDATE capture_ips SET host_name=$3 WHERE capture_id=$1 AND "
                    "ip_id=(SELECT id FROM ips WHERE addr=$2)",
                    "tttdd",
                    g->hostname,
                    g->country,
                    g->city,
                    g->lat,
                    g->lng};
    return ip_write(impl, capture_id, 1, ver, addr, &w);
}

static int ip_set_resolved(void *impl, int64_t capture_id, int ver, const uint8_t *addr,
                           const char *name)
{
    ip_write_t w = {"saving a resolved name",
                    "UPDATE ips SET host_name=$2 WHERE addr=$1 AND host_name=''",
                    "UPDATE capture_ips SET host_name=$3 WHERE capture_id=$1 AND "
                    "ip_id=(SELECT id FROM ips WHERE addr=$2) AND host_name=''",
                    "t", name};
    return ip_write(impl, capture_id, 0, ver, addr, &w);
}

static int ip_has_name(void *impl, int64_t capture_id, int ver, const uint8_t *addr)
{
    int64_t n = 0;
    int r = apc__pg_int(impl, "reading an IP name", &n,
                        "SELECT (SELECT count(*) FROM ips WHERE addr=$1 AND host_name<>'') + "
                        "(SELECT count(*) FROM capture_ips c JOIN ips i ON i.id=c.ip_id "
                        "WHERE c.capture_id=$2 AND i.addr=$1 AND c.host_name<>'')",
                        "bi", addr, (size_t)(ver == 4 ? 4 : 16), capture_id);
    return r < 0 ? r : n > 0;
}

const apc__ips_ops_t apc__pg_ips_ops = {
    .page = ip_page,
    .get = ip_get,
    .set_data = ip_set_data,
    .set_geo = ip_set_geo,
    .has_name = ip_has_name,
    .set_resolved = ip_set_resolved,
};
