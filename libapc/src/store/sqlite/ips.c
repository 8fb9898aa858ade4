/* SPDX-License-Identifier: MIT */
/* SQLite backend: the IP table, overall (ips) and per capture (capture_ips). */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "decode/decode.h"
#include "store/sql.h"
#include "store/sqlite/sqlite_int.h"

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

static int row_to_ip(sqlite3_stmt *st, apc_ip_t *ip)
{
    memset(ip, 0, sizeof *ip);
    ip->id = sqlite3_column_int64(st, 0);
    ip->family = sqlite3_column_int(st, 2);
    uint8_t a[16] = {0};
    const void *b = sqlite3_column_blob(st, 1);
    int n = sqlite3_column_bytes(st, 1);
    if (b && n > 0)
        memcpy(a, b, n > 16 ? 16 : (size_t)n);
    apc__addr_format(ip->address, sizeof ip->address, ip->family, a);
    ip->host_name = apc__sql_text(st, 3);
    ip->country = apc__sql_text(st, 4);
    ip->city = apc__sql_text(st, 5);
    ip->has_geo = sqlite3_column_type(st, 6) != SQLITE_NULL;
    ip->lat = sqlite3_column_double(st, 6);
    ip->lng = sqlite3_column_double(st, 7);
    ip->user_data = apc__sql_text(st, 8);
    ip->first_seen = sqlite3_column_int64(st, 9);
    ip->last_seen = sqlite3_column_int64(st, 10);
    ip->packets = (uint64_t)sqlite3_column_int64(st, 11);
    ip->bytes = (uint64_t)sqlite3_column_int64(st, 12);
    ip->connections = (uint64_t)sqlite3_column_int64(st, 13);
    if (!ip->host_name || !ip->country || !ip->city || !ip->user_data)
        return apc__err(APC_ENOMEM, "out of memory");
    return 0;
}

static int check_capture(sqlite3 *db, int64_t capture_id)
{
    return capture_id == 0 ? 0 : apc__sql_capture_exists(db, capture_id);
}

static int ip_row(sqlite3_stmt *st, size_t i, void *payload)
{
    apc_ip_page_t *pg = payload;
    pg->count = i + 1; /* so apc_ip_page_free frees what this row holds */
    int r = row_to_ip(st, &pg->ips[i]);
    pg->last_id = pg->ips[i].id;
    return r;
}

static int ip_page(void *impl, int64_t capture_id, int64_t last_id, unsigned max, apc_ip_page_t *pg)
{
    return apc__sqlite_capture_page(
        impl, "listing IPs",
        capture_id ? CAPTURE_SELECT "WHERE c.capture_id=?1 AND i.id>?2 ORDER BY i.id LIMIT ?3"
                   : GLOBAL_SELECT "WHERE ?1=0 AND i.id>?2 ORDER BY i.id LIMIT ?3",
        capture_id, last_id, max, ip_row, pg, &pg->count, &pg->more);
}

static int ip_get(void *impl, int64_t capture_id, int ver, const uint8_t *addr, apc_ip_t *out)
{
    apc__store_t *s = impl;
    apc__sqlc_t *c = apc__sqlc_get(s);
    if (!c)
        return APC_ESTORE;
    sqlite3 *db = apc__sqlc_db(c);
    int r = check_capture(db, capture_id);
    sqlite3_stmt *st = NULL;
    if (r == 0 && !(st = apc__sqlc_stmt(c, "reading an IP",
                                        capture_id ? CAPTURE_SELECT "WHERE c.capture_id=?1 AND "
                                                                    "i.addr=?2"
                                                   : GLOBAL_SELECT "WHERE ?1=0 AND i.addr=?2")))
        r = APC_ESTORE;
    if (r == 0) {
        sqlite3_bind_int64(st, 1, capture_id);
        sqlite3_bind_blob(st, 2, addr, ver == 4 ? 4 : 16, SQLITE_STATIC);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
            r = row_to_ip(st, out) < 0 ? APC_ENOMEM : 1;
        else if (rc == SQLITE_DONE)
            r = 0;
        else
            r = apc__db_err(db, rc, "reading an IP");
        sqlite3_reset(st);
    }
    apc__sqlc_put(s, c);
    return r;
}

/* The global row's id for an address, created if needed; and the capture's row too. */
static int ensure_rows(sqlite3 *db, int64_t capture_id, int fam, const uint8_t *a, int64_t *id)
{
    sqlite3_stmt *st;
    int r = apc__sql_prepare(db, "recording an IP",
                             "INSERT INTO ips(addr, family) VALUES(?,?) ON CONFLICT(addr) DO "
                             "UPDATE SET family=excluded.family RETURNING id",
                             &st);
    if (r < 0)
        return r;
    sqlite3_bind_blob(st, 1, a, fam == 4 ? 4 : 16, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, fam);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *id = sqlite3_column_int64(st, 0);
    else
        r = apc__db_err(db, rc, "recording an IP");
    sqlite3_finalize(st);
    if (r == 0 && capture_id)
        r = apc__sql_exec(db, "recording an IP",
                          "INSERT OR IGNORE INTO capture_ips(capture_id, ip_id) VALUES(?,?)", "ii",
                          capture_id, *id);
    return r;
}

/* Runs `write` on both rows of the address in one transaction. */
typedef int (*ip_write_fn)(sqlite3 *db, int64_t capture_id, int64_t id, const void *arg);

static int ip_write(apc__store_t *s, int64_t capture_id, int check, int ver, const uint8_t *addr,
                    ip_write_fn write, const void *arg, const char *what)
{
    apc__sqlc_t *c = apc__sqlc_get(s);
    if (!c)
        return APC_ESTORE;
    sqlite3 *db = apc__sqlc_db(c);
    int64_t id = 0;
    int r = check ? check_capture(db, capture_id) : 0;
    if (r == 0)
        r = apc__sql_begin(db);
    if (r == 0)
        r = ensure_rows(db, capture_id, ver, addr, &id);
    if (r == 0)
        r = write(db, capture_id, id, arg);
    r = r == 0 ? apc__sql_commit(db, what) : (apc__sql_rollback(db), r);
    apc__sqlc_put(s, c);
    return r;
}

static int write_data(sqlite3 *db, int64_t capture_id, int64_t id, const void *arg)
{
    const char *data = arg;
    int r = apc__sql_exec(db, "saving IP data", "UPDATE ips SET user_data=? WHERE id=?", "ti", data,
                          id);
    if (r == 0 && capture_id)
        r = apc__sql_exec(db, "saving IP data",
                          "UPDATE capture_ips SET user_data=? WHERE capture_id=? AND ip_id=?",
                          "tii", data, capture_id, id);
    return r;
}

static int ip_set_data(void *impl, int64_t capture_id, int ver, const uint8_t *addr,
                       const char *data)
{
    return ip_write(impl, capture_id, 1, ver, addr, write_data, data, "saving IP data");
}

static int write_geo(sqlite3 *db, int64_t capture_id, int64_t id, const void *arg)
{
    const apc__st_geo_t *g = arg;
    int r = apc__sql_exec(db, "saving IP geolocation",
                          "UPDATE ips SET host_name=coalesce(?, host_name), "
                          "country=coalesce(?, country), city=coalesce(?, city), lat=?, lng=? "
                          "WHERE id=?",
                          "tttddi", g->hostname, g->country, g->city, g->lat, g->lng, id);
    if (r == 0 && capture_id && g->hostname)
        r = apc__sql_exec(db, "saving IP geolocation",
                          "UPDATE capture_ips SET host_name=? WHERE capture_id=? AND ip_id=?",
                          "tii", g->hostname, capture_id, id);
    return r;
}

static int ip_set_geo(void *impl, int64_t capture_id, int ver, const uint8_t *addr,
                      const apc__st_geo_t *g)
{
    return ip_write(impl, capture_id, 1, ver, addr, write_geo, g, "saving IP geolocation");
}

static int write_resolved(sqlite3 *db, int64_t capture_id, int64_t id, const void *arg)
{
    const char *name = arg;
    int r = apc__sql_exec(db, "saving a resolved name",
                          "UPDATE ips SET host_name=? WHERE id=? AND host_name=''", "ti", name, id);
    if (r == 0 && capture_id)
        r = apc__sql_exec(db, "saving a resolved name",
                          "UPDATE capture_ips SET host_name=? WHERE capture_id=? AND ip_id=? "
                          "AND host_name=''",
                          "tii", name, capture_id, id);
    return r;
}

static int ip_set_resolved(void *impl, int64_t capture_id, int ver, const uint8_t *addr,
                           const char *name)
{
    return ip_write(impl, capture_id, 0, ver, addr, write_resolved, name, "saving a resolved name");
}

static int ip_has_name(void *impl, int64_t capture_id, int ver, const uint8_t *addr)
{
    apc__store_t *s = impl;
    apc__sqlc_t *c = apc__sqlc_get(s);
    if (!c)
        return APC_ESTORE;
    sqlite3_stmt *st =
        apc__sqlc_stmt(c, "reading an IP name",
                       "SELECT (SELECT count(*) FROM ips WHERE addr=?1 AND host_name<>'') + "
                       "(SELECT count(*) FROM capture_ips c JOIN ips i ON i.id=c.ip_id "
                       "WHERE c.capture_id=?2 AND i.addr=?1 AND c.host_name<>'')");
    int r = APC_ESTORE;
    if (st) {
        sqlite3_bind_blob(st, 1, addr, ver == 4 ? 4 : 16, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, capture_id);
        int rc = sqlite3_step(st);
        r = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) > 0
                             : apc__db_err(apc__sqlc_db(c), rc, "reading an IP name");
        sqlite3_reset(st);
    }
    apc__sqlc_put(s, c);
    return r;
}

const apc__ips_ops_t apc__sqlite_ips_ops = {
    .page = ip_page,
    .get = ip_get,
    .set_data = ip_set_data,
    .set_geo = ip_set_geo,
    .has_name = ip_has_name,
    .set_resolved = ip_set_resolved,
};
