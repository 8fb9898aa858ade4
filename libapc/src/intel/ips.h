/* SPDX-License-Identifier: MIT */
/* Internal access to the IP table for the reverse-lookup resolver (intel/resolver.h). */
#ifndef APC_INTEL_IPS_H
#define APC_INTEL_IPS_H

#include <stdint.h>

#include <apc/ctx.h>

/* 1 when the address has a name already (in ips, or in capture_ips of `capture_id`), 0 when
 * not or not seen yet, < 0 on a store error. `ver` 4 or 6, `addr` 4 or 16 bytes. */
int apc__ip_has_name(apc_ctx_t *ctx, int64_t capture_id, int ver, const uint8_t *addr);

/* Stores a name found by a reverse lookup in ips.host_name and in capture_ips.host_name of
 * `capture_id`, each only where no name is known yet (names from DNS answers win: the capture
 * writer overwrites with those). Creates the rows when the writer has not committed the
 * address yet. */
int apc__ip_set_resolved(apc_ctx_t *ctx, int64_t capture_id, int ver, const uint8_t *addr,
                         const char *name);

#endif
