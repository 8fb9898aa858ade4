/* SPDX-License-Identifier: MIT */
/* The IP table: addresses seen (overall and per capture), names from DNS, user data, geo. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include <apc/capture.h>

#include "core/ctx.h"
#include "core/error.h"
#include "decode/decode.h"
#include "intel/ips.h"
#include "store/sql.h"
#include "store/store.h"

#define DEFAULT_PAGE 100

/* Text -> 4 or 16 address bytes. Returns the family (4/6) or APC_EINVAL. */
static int parse_ip(const char *ip, uint8_t *addr)
{
    if (!ip || !*ip)
        return apc__err(APC_EINVAL, "IP address is empty");
    if (inet_pton(AF_INET, ip, addr) == 1)
        return 4;
    if (inet_pton(AF_INET6, ip, addr) == 1)
        return 6;
    return apc__err(APC_EINVAL, "'%s' is not an IPv4 or IPv6 address", ip);
}

static void free_fields(apc_ip_t *ip)
{
    free(ip->host_name);
    free(ip->country);
    free(ip->city);
    free(ip->user_data);
}

APC_API void apc_ip_free(apc_ip_t *ip)
{
    if (!ip)
        return;
    free_fields(ip);
    free(ip);
}

APC_API void apc_ip_page_free(apc_ip_page_t *pg)
{
    if (!pg)
        return;
    for (size_t i = 0; i < pg->count; i++)
        free_fields(&pg->ips[i]);
    free(pg->ips);
    free(pg);
}

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

APC_API int apc_ip_list(apc_ctx_t *ctx, int64_t capture_id, int64_t last_id, unsigned max,
                        apc_ip_page_t **out)
{
    if (!ctx || !out)
        return apc__err(APC_EINVAL, "NULL argument");
    *out = NULL;
    if (max == 0)
        max = DEFAULT_PAGE;
    if (max > APC_PAGE_MAX)
        max = APC_PAGE_MAX;
    apc_ip_page_t *pg = calloc(1, sizeof *pg);
    if (!pg || !(pg->ips = calloc(max, sizeof *pg->ips))) {
        free(pg);
        return apc__err(APC_ENOMEM, "out of memory");
    }
    pg->last_id = last_id;
    sqlite3 *db = apc__db_get(ctx->store);
    if (!db) {
        apc_ip_page_free(pg);
        return APC_ESTORE;
    }
    int r = check_capture(db, capture_id);
    if (r == 0)
        r = apc__sql_page(
            db, "listing IPs",
            capture_id ? CAPTURE_SELECT "WHERE c.capture_id=?1 AND i.id>?2 ORDER BY i.id LIMIT ?3"
                       : GLOBAL_SELECT "WHERE ?1=0 AND i.id>?2 ORDER BY i.id LIMIT ?3",
            capture_id, last_id, max, ip_row, pg, &pg->count, &pg->more);
    apc__db_put(ctx->store, db);
    if (r < 0) {
        apc_ip_page_free(pg);
        return r;
    }
    *out = pg;
    return 0;
}

APC_API int apc_ip_get(apc_ctx_t *ctx, int64_t capture_id, const char *ip, apc_ip_t **out)
{
    if (!ctx || !out)
        return apc__err(APC_EINVAL, "NULL argument");
    *out = NULL;
    uint8_t a[16];
    int fam = parse_ip(ip, a);
    if (fam < 0)
        return fam;
    sqlite3 *db = apc__db_get(ctx->store);
    if (!db)
        return APC_ESTORE;
    int r = check_capture(db, capture_id);
    sqlite3_stmt *st = NULL;
    if (r == 0)
        r = apc__sql_prepare(db, "reading an IP",
                             capture_id ? CAPTURE_SELECT "WHERE c.capture_id=?1 AND i.addr=?2"
                                        : GLOBAL_SELECT "WHERE ?1=0 AND i.addr=?2",
                             &st);
    if (r == 0) {
        sqlite3_bind_int64(st, 1, capture_id);
        sqlite3_bind_blob(st, 2, a, fam == 4 ? 4 : 16, SQLITE_STATIC);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            apc_ip_t *res = calloc(1, sizeof *res);
            r = res ? row_to_ip(st, res) : apc__err(APC_ENOMEM, "out of memory");
            if (r < 0)
                apc_ip_free(res);
            else
                *out = res;
        } else if (rc == SQLITE_DONE) {
            r = capture_id ? apc__err(APC_ENOTFOUND, "IP %s not seen in capture %lld", ip,
                                      (long long)capture_id)
                           : apc__err(APC_ENOTFOUND, "IP %s not seen", ip);
        } else {
            r = apc__db_err(db, rc, "reading an IP");
        }
    }
    sqlite3_finalize(st);
    apc__db_put(ctx->store, db);
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

APC_API int apc_ip_set_data(apc_ctx_t *ctx, int64_t capture_id, const char *ip, const char *data)
{
    if (!ctx)
        return apc__err(APC_EINVAL, "NULL context");
    uint8_t a[16];
    int fam = parse_ip(ip, a);
    if (fam < 0)
        return fam;
    if (data && strlen(data) > 65536)
        return apc__err(APC_ELIMIT, "IP user data is longer than 65536 bytes");
    sqlite3 *db = apc__db_get(ctx->store);
    if (!db)
        return APC_ESTORE;
    int64_t id = 0;
    int r = check_capture(db, capture_id);
    if (r == 0)
        r = apc__sql_begin(db);
    if (r == 0)
        r = ensure_rows(db, capture_id, fam, a, &id);
    if (r == 0)
        r = apc__sql_exec(db, "saving IP data", "UPDATE ips SET user_data=? WHERE id=?", "ti",
                          data ? data : "", id);
    if (r == 0 && capture_id)
        r = apc__sql_exec(db, "saving IP data",
                          "UPDATE capture_ips SET user_data=? WHERE capture_id=? AND ip_id=?",
                          "tii", data ? data : "", capture_id, id);
    r = r == 0 ? apc__sql_commit(db, "saving IP data") : (apc__sql_rollback(db), r);
    apc__db_put(ctx->store, db);
    return r;
}

APC_API int apc_ip_set_geo(apc_ctx_t *ctx, int64_t capture_id, const char *ip, const char *hostname,
                           const char *country, const char *city, double lat, double lng)
{
    if (!ctx)
        return apc__err(APC_EINVAL, "NULL context");
    uint8_t a[16];
    int fam = parse_ip(ip, a);
    if (fam < 0)
        return fam;
    if (!(lat >= -90.0 && lat <= 90.0) || !(lng >= -180.0 && lng <= 180.0))
        return apc__err(APC_EINVAL, "latitude %g / longitude %g out of range", lat, lng);
    sqlite3 *db = apc__db_get(ctx->store);
    if (!db)
        return APC_ESTORE;
    int64_t id = 0;
    int r = check_capture(db, capture_id);
    if (r == 0)
        r = apc__sql_begin(db);
    if (r == 0)
        r = ensure_rows(db, capture_id, fam, a, &id);
    if (r == 0)
        r = apc__sql_exec(db, "saving IP geolocation",
                          "UPDATE ips SET host_name=coalesce(?, host_name), "
                          "country=coalesce(?, country), city=coalesce(?, city), lat=?, lng=? "
                          "WHERE id=?",
                          "tttddi", hostname, country, city, lat, lng, id);
    if (r == 0 && capture_id && hostname)
        r = apc__sql_exec(db, "saving IP geolocation",
                          "UPDATE capture_ips SET host_name=? WHERE capture_id=? AND ip_id=?",
                          "tii", hostname, capture_id, id);
    r = r == 0 ? apc__sql_commit(db, "saving IP geolocation") : (apc__sql_rollback(db), r);
    apc__db_put(ctx->store, db);
    return r;
}

int apc__ip_has_name(apc_ctx_t *ctx, int64_t capture_id, int ver, const uint8_t *addr)
{
    if (ver != 4 && ver != 6)
        return apc__err(APC_EINVAL, "IP version %d is not 4 or 6", ver);
    sqlite3 *db = apc__db_get(ctx->store);
    if (!db)
        return APC_ESTORE;
    sqlite3_stmt *st = NULL;
    int r = apc__sql_prepare(db, "reading an IP name",
                             "SELECT (SELECT count(*) FROM ips WHERE addr=?1 AND host_name<>'') + "
                             "(SELECT count(*) FROM capture_ips c JOIN ips i ON i.id=c.ip_id "
                             "WHERE c.capture_id=?2 AND i.addr=?1 AND c.host_name<>'')",
                             &st);
    if (r == 0) {
        sqlite3_bind_blob(st, 1, addr, ver == 4 ? 4 : 16, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, capture_id);
        int rc = sqlite3_step(st);
        r = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) > 0
                             : apc__db_err(db, rc, "reading an IP name");
    }
    sqlite3_finalize(st);
    apc__db_put(ctx->store, db);
    return r;
}

int apc__ip_set_resolved(apc_ctx_t *ctx, int64_t capture_id, int ver, const uint8_t *addr,
                         const char *name)
{
    if (ver != 4 && ver != 6)
        return apc__err(APC_EINVAL, "IP version %d is not 4 or 6", ver);
    if (!name || !*name)
        return apc__err(APC_EINVAL, "empty host name");
    sqlite3 *db = apc__db_get(ctx->store);
    if (!db)
        return APC_ESTORE;
    int64_t id = 0;
    int r = apc__sql_begin(db);
    if (r == 0)
        r = ensure_rows(db, capture_id, ver, addr, &id);
    if (r == 0)
        r = apc__sql_exec(db, "saving a resolved name",
                          "UPDATE ips SET host_name=? WHERE id=? AND host_name=''", "ti", name, id);
    if (r == 0 && capture_id)
        r = apc__sql_exec(db, "saving a resolved name",
                          "UPDATE capture_ips SET host_name=? WHERE capture_id=? AND ip_id=? "
                          "AND host_name=''",
                          "tii", name, capture_id, id);
    r = r == 0 ? apc__sql_commit(db, "saving a resolved name") : (apc__sql_rollback(db), r);
    apc__db_put(ctx->store, db);
    return r;
}
