/* SPDX-License-Identifier: MIT */
/* Per-capture IP address counters kept in memory while packets are stored, written to the
 * ips / capture_ips tables at each commit. */
#ifndef APC_CAPTURE_IPSTATS_H
#define APC_CAPTURE_IPSTATS_H

#include <stddef.h>
#include <stdint.h>

typedef struct apc__ipent {
    uint8_t addr[16];
    uint8_t ver; /* 4 or 6; 0 = empty slot */
    int64_t first_ns, last_ns;
    uint64_t packets, bytes, conns;
    uint64_t c_packets, c_bytes, c_conns; /* values at the last commit */
    char *host_name;                      /* from DNS answers, or NULL */
    int name_dirty;
    int64_t ip_id; /* row id in ips once written, else 0 */
} apc__ipent_t;

typedef struct apc__ipstats {
    apc__ipent_t *slots;
    size_t cap, count;
} apc__ipstats_t;

int apc__ipstats_init(apc__ipstats_t *s);
void apc__ipstats_free(apc__ipstats_t *s);
/* Finds or adds an address; NULL only when out of memory. */
apc__ipent_t *apc__ipstats_get(apc__ipstats_t *s, int ver, const uint8_t *addr);
/* Starts loading the slot apc__ipstats_get(s, ver, addr) looks at first (a cache hint for a
 * packet stored soon); changes nothing. */
void apc__ipstats_hint(const apc__ipstats_t *s, int ver, const uint8_t *addr);

#endif
