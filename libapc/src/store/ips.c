/* SPDX-License-Identifier: MIT */
/* Dispatch of the IP table calls to the store's backend (see ips.h). */
#include "store/ips.h"

#include "store/store_int.h"

int apc__ips_page(apc__store_t *s, int64_t capture_id, int64_t last_id, unsigned max,
                  apc_ip_page_t *pg)
{
    return s->be->ips->page(s->impl, capture_id, last_id, max, pg);
}

int apc__ips_get(apc__store_t *s, int64_t capture_id, int ver, const uint8_t *addr, apc_ip_t *out)
{
    return s->be->ips->get(s->impl, capture_id, ver, addr, out);
}

int apc__ips_set_data(apc__store_t *s, int64_t capture_id, int ver, const uint8_t *addr,
                      const char *data)
{
    return s->be->ips->set_data(s->impl, capture_id, ver, addr, data);
}

int apc__ips_set_geo(apc__store_t *s, int64_t capture_id, int ver, const uint8_t *addr,
                     const apc__st_geo_t *g)
{
    return s->be->ips->set_geo(s->impl, capture_id, ver, addr, g);
}

int apc__ips_has_name(apc__store_t *s, int64_t capture_id, int ver, const uint8_t *addr)
{
    return s->be->ips->has_name(s->impl, capture_id, ver, addr);
}

int apc__ips_set_resolved(apc__store_t *s, int64_t capture_id, int ver, const uint8_t *addr,
                          const char *name)
{
    return s->be->ips->set_resolved(s->impl, capture_id, ver, addr, name);
}
