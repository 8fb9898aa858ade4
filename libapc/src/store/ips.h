/* SPDX-License-Identifier: MIT */
/* The IP table as module intel stores it: typed calls to the store's backend (records in
 * store/backend.h). `ver` is 4 or 6 and `addr` 4 or 16 bytes; capture_id 0 means the table over
 * all captures. */
#ifndef APC_STORE_IPS_H
#define APC_STORE_IPS_H

#include "store/backend.h"
#include "store/store.h"

int apc__ips_page(apc__store_t *s, int64_t capture_id, int64_t last_id, unsigned max,
                  apc_ip_page_t *pg);
/* 1 and the row in *out, or 0 when the address was not seen (in that capture). */
int apc__ips_get(apc__store_t *s, int64_t capture_id, int ver, const uint8_t *addr, apc_ip_t *out);
int apc__ips_set_data(apc__store_t *s, int64_t capture_id, int ver, const uint8_t *addr,
                      const char *data);
int apc__ips_set_geo(apc__store_t *s, int64_t capture_id, int ver, const uint8_t *addr,
                     const apc__st_geo_t *g);
int apc__ips_has_name(apc__store_t *s, int64_t capture_id, int ver, const uint8_t *addr);
int apc__ips_set_resolved(apc__store_t *s, int64_t capture_id, int ver, const uint8_t *addr,
                          const char *name);

#endif
