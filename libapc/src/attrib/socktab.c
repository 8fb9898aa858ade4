/* SPDX-License-Identifier: MIT */
/* Socket table (see socktab.h): open addressing, tombstone-free rebuild on expiry. */
#include "attrib/socktab.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <apc/capture.h>

typedef struct ent {
    apc__sockkey_t k;
    int used;
    int64_t pid, tid, seen_ns;
} ent_t;

struct apc__socktab {
    pthread_rwlock_t lock;
    ent_t *e;
    size_t cap, n;
};

static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
static const uint8_t zero16[16];

static void norm_addr(uint8_t *ver, uint8_t *a)
{
    if (*ver == 6 && memcmp(a, v4mapped, 12) == 0) {
        memmove(a, a + 12, 4);
        memset(a + 4, 0, 12);
        *ver = 4;
    } else if (*ver == 4) {
        memset(a + 4, 0, 12);
    }
}

static uint64_t hash_key(const apc__sockkey_t *k)
{
    const uint8_t *p = (const uint8_t *)k;
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < sizeof *k; i++) {
        h ^= p[i];
        h *= 1099511628211ULL;
    }
    return h;
}

apc__socktab_t *apc__socktab_new(void)
{
    apc__socktab_t *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->cap = 4096;
    t->e = calloc(t->cap, sizeof *t->e);
    if (!t->e) {
        free(t);
        return NULL;
    }
    pthread_rwlock_init(&t->lock, NULL);
    return t;
}

void apc__socktab_free(apc__socktab_t *t)
{
    if (!t)
        return;
    pthread_rwlock_destroy(&t->lock);
    free(t->e);
    free(t);
}

static ent_t *slot(ent_t *e, size_t cap, const apc__sockkey_t *k)
{
    for (size_t i = hash_key(k) & (cap - 1);; i = (i + 1) & (cap - 1))
        if (!e[i].used || memcmp(&e[i].k, k, sizeof *k) == 0)
            return &e[i];
}

static int grow(apc__socktab_t *t, size_t ncap)
{
    ent_t *ne = calloc(ncap, sizeof *ne);
    if (!ne)
        return -1;
    for (size_t i = 0; i < t->cap; i++)
        if (t->e[i].used)
            *slot(ne, ncap, &t->e[i].k) = t->e[i];
    free(t->e);
    t->e = ne;
    t->cap = ncap;
    return 0;
}

void apc__socktab_put(apc__socktab_t *t, const apc__sockkey_t *key, int64_t pid, int64_t tid,
                      int64_t now_ns)
{
    apc__sockkey_t k;
    memset(&k, 0, sizeof k); /* the key is hashed as bytes: no stray padding */
    k.proto = key->proto;
    k.ver = key->ver;
    k.lport = key->lport;
    k.rport = key->rport;
    memcpy(k.laddr, key->laddr, 16);
    memcpy(k.raddr, key->raddr, 16);
    uint8_t rv = k.ver;
    norm_addr(&k.ver, k.laddr);
    norm_addr(&rv, k.raddr);
    if (memcmp(k.laddr, zero16, 16) == 0)
        k.ver = 0;
    pthread_rwlock_wrlock(&t->lock);
    if ((t->n + 1) * 4 > t->cap * 3 && grow(t, t->cap * 2) < 0) {
        pthread_rwlock_unlock(&t->lock);
        return;
    }
    ent_t *e = slot(t->e, t->cap, &k);
    if (!e->used) {
        e->used = 1;
        e->k = k;
        t->n++;
    }
    /* A pid seen owning the socket stays its owner until the socket is seen elsewhere. */
    e->pid = pid;
    if (tid)
        e->tid = tid;
    e->seen_ns = now_ns;
    pthread_rwlock_unlock(&t->lock);
}

static const ent_t *get(apc__socktab_t *t, int proto, int ver, const uint8_t *l, uint16_t lp,
                        const uint8_t *r, uint16_t rp)
{
    apc__sockkey_t k;
    memset(&k, 0, sizeof k);
    k.proto = (uint8_t)proto;
    k.ver = (uint8_t)ver;
    k.lport = lp;
    k.rport = rp;
    if (l)
        memcpy(k.laddr, l, ver == 4 ? 4 : 16);
    else
        k.ver = 0;
    if (r)
        memcpy(k.raddr, r, ver == 4 ? 4 : 16);
    const ent_t *e = slot(t->e, t->cap, &k);
    return e->used ? e : NULL;
}

int apc__socktab_find(apc__socktab_t *t, int proto, int ver, const uint8_t *src, uint16_t sport,
                      const uint8_t *dst, uint16_t dport, int64_t *pid, int64_t *tid, int *out_dir)
{
    pthread_rwlock_rdlock(&t->lock);
    const ent_t *e = NULL;
    int dir = 0;
    /* Connected: local = source (we sent it) or local = destination (we receive it). */
    if ((e = get(t, proto, ver, src, sport, dst, dport)))
        dir = APC_DIR_OUT;
    else if ((e = get(t, proto, ver, dst, dport, src, sport)))
        dir = APC_DIR_IN;
    /* Bound only: a listener (its accepted sockets are connected entries once sock_diag saw
     * them), an unconnected UDP socket. The destination end first: that is who receives. */
    else if ((e = get(t, proto, ver, dst, dport, NULL, 0)) ||
             (e = get(t, proto, ver, NULL, dport, NULL, 0)))
        dir = APC_DIR_IN;
    else if ((e = get(t, proto, ver, src, sport, NULL, 0)) ||
             (e = get(t, proto, ver, NULL, sport, NULL, 0)))
        dir = APC_DIR_OUT;
    if (e) {
        *pid = e->pid;
        *tid = e->tid;
        *out_dir = dir;
    }
    pthread_rwlock_unlock(&t->lock);
    return e != NULL;
}

void apc__socktab_expire(apc__socktab_t *t, int64_t older_than_ns)
{
    pthread_rwlock_wrlock(&t->lock);
    size_t live = 0;
    for (size_t i = 0; i < t->cap; i++)
        live += t->e[i].used && t->e[i].seen_ns >= older_than_ns;
    if (live < t->n) {
        ent_t *ne = calloc(t->cap, sizeof *ne);
        if (ne) {
            for (size_t i = 0; i < t->cap; i++)
                if (t->e[i].used && t->e[i].seen_ns >= older_than_ns)
                    *slot(ne, t->cap, &t->e[i].k) = t->e[i];
            free(t->e);
            t->e = ne;
            t->n = live;
        }
    }
    pthread_rwlock_unlock(&t->lock);
}

size_t apc__socktab_count(apc__socktab_t *t)
{
    pthread_rwlock_rdlock(&t->lock);
    size_t n = t->n;
    pthread_rwlock_unlock(&t->lock);
    return n;
}
