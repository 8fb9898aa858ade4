/* SPDX-License-Identifier: MIT */
/* The IP table: addresses seen (overall and per capture), names from DNS, user data, geo. The
 * store keeps the rows (store/ips.h); this checks what callers pass. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include <apc/capture.h>

#include "core/ctx.h"
#include "core/error.h"
#include "intel/ips.h"
#include "store/ips.h"
#include "util/page.h"

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

APC_API int apc_ip_list(apc_ctx_t *ctx, int64_t capture_id, int64_t last_id, unsigned max,
                        apc_ip_page_t **out)
{
    if (!ctx || !out)
        return apc__err(APC_EINVAL, "NULL argument");
    *out = NULL;
    max = apc__page_size(max);
    apc_ip_page_t *pg = calloc(1, sizeof *pg);
    if (!pg || !(pg->ips = calloc(max, sizeof *pg->ips))) {
        free(pg);
        return apc__err(APC_ENOMEM, "out of memory");
    }
    pg->last_id = last_id;
    int r = apc__ips_page(ctx->store, capture_id, last_id, max, pg);
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
    apc_ip_t *res = calloc(1, sizeof *res);
    if (!res)
        return apc__err(APC_ENOMEM, "out of memory");
    int r = apc__ips_get(ctx->store, capture_id, fam, a, res);
    if (r == 0)
        r = capture_id ? apc__err(APC_ENOTFOUND, "IP %s not seen in capture %lld", ip,
                                  (long long)capture_id)
                       : apc__err(APC_ENOTFOUND, "IP %s not seen", ip);
    if (r < 0) {
        apc_ip_free(res);
        return r;
    }
    *out = res;
    return 0;
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
    return apc__ips_set_data(ctx->store, capture_id, fam, a, data ? data : "");
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
    apc__st_geo_t g = {hostname, country, city, lat, lng};
    return apc__ips_set_geo(ctx->store, capture_id, fam, a, &g);
}

int apc__ip_has_name(apc_ctx_t *ctx, int64_t capture_id, int ver, const uint8_t *addr)
{
    if (ver != 4 && ver != 6)
        return apc__err(APC_EINVAL, "IP version %d is not 4 or 6", ver);
    return apc__ips_has_name(ctx->store, capture_id, ver, addr);
}

int apc__ip_set_resolved(apc_ctx_t *ctx, int64_t capture_id, int ver, const uint8_t *addr,
                         const char *name)
{
    if (ver != 4 && ver != 6)
        return apc__err(APC_EINVAL, "IP version %d is not 4 or 6", ver);
    if (!name || !*name)
        return apc__err(APC_EINVAL, "empty host name");
    return apc__ips_set_resolved(ctx->store, capture_id, ver, addr, name);
}
