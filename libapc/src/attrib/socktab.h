/* SPDX-License-Identifier: MIT */
/*
 * Socket table: 5-tuple -> owner (pid, tid), filled from sock_diag and the eBPF events, used
 * to attribute packets whose socket is not known otherwise. Entries outlive their sockets for
 * a while (packets are attributed shortly after capture, when a short-lived socket may already
 * be closed). Thread-safe (rwlock).
 */
#ifndef APC_ATTRIB_SOCKTAB_H
#define APC_ATTRIB_SOCKTAB_H

#include <stddef.h>
#include <stdint.h>

typedef struct apc__socktab apc__socktab_t;

typedef struct apc__sockkey {
    uint8_t proto; /* 6, 17 */
    uint8_t ver;   /* 4 or 6; 0 = any address (wildcard bind) */
    uint16_t lport, rport;
    uint8_t laddr[16], raddr[16]; /* v4 in the first 4 bytes; zero = wildcard */
} apc__sockkey_t;

apc__socktab_t *apc__socktab_new(void);
void apc__socktab_free(apc__socktab_t *t);

/* Normalizes (v4-mapped v6 -> v4, :: and 0.0.0.0 -> wildcard) and records the owner. */
void apc__socktab_put(apc__socktab_t *t, const apc__sockkey_t *k, int64_t pid, int64_t tid,
                      int64_t now_ns);
/* Owner of a packet from (src, sport) to (dst, dport): 1 with *out_dir = APC_DIR_OUT when the
 * source is the local end, APC_DIR_IN when the destination is, 0 when unknown. Connected
 * sockets first, then bound (listening, unconnected UDP) ones. */
int apc__socktab_find(apc__socktab_t *t, int proto, int ver, const uint8_t *src, uint16_t sport,
                      const uint8_t *dst, uint16_t dport, int64_t *pid, int64_t *tid, int *out_dir);
/* Forgets entries not refreshed since before `older_than_ns`. */
void apc__socktab_expire(apc__socktab_t *t, int64_t older_than_ns);
size_t apc__socktab_count(apc__socktab_t *t);

#endif
