/* SPDX-License-Identifier: MIT */
/* A direct-mapped cache of MIME types keyed by exact head bytes (see typecache.h). The hash only
 * picks the slot: a hit also compares every byte, so a type is never taken from another head. */
#include <stdlib.h>
#include <string.h>

#include "extract/typecache.h"

typedef struct slot {
    uint64_t hash;
    size_t len;
    uint8_t *head; /* NULL: the slot is empty */
    char *type;
} slot_t;

struct apc__typecache {
    slot_t slots[TYPECACHE_SLOTS];
};

/* FNV-1a, 64 bits: cheap next to libmagic, and enough to spread heads over the slots. */
static uint64_t hash_of(const uint8_t *p, size_t len)
{
    uint64_t h = 14695981039346656037ULL;
    for (size_t i = 0; i < len; i++)
        h = (h ^ p[i]) * 1099511628211ULL;
    return h;
}

static slot_t *slot_of(const apc__typecache_t *tc, uint64_t h)
{
    return (slot_t *)&tc->slots[h % TYPECACHE_SLOTS];
}

apc__typecache_t *apc__typecache_new(void)
{
    return calloc(1, sizeof(apc__typecache_t));
}

static void slot_clear(slot_t *s)
{
    free(s->head);
    free(s->type);
    memset(s, 0, sizeof *s);
}

void apc__typecache_free(apc__typecache_t *tc)
{
    if (!tc)
        return;
    for (size_t i = 0; i < TYPECACHE_SLOTS; i++)
        slot_clear(&tc->slots[i]);
    free(tc);
}

const char *apc__typecache_get(const apc__typecache_t *tc, const uint8_t *head, size_t len)
{
    uint64_t h = hash_of(head, len);
    const slot_t *s = slot_of(tc, h);
    if (s->head && s->hash == h && s->len == len && memcmp(s->head, head, len) == 0)
        return s->type;
    return NULL;
}

const char *apc__typecache_put(apc__typecache_t *tc, const uint8_t *head, size_t len,
                               const char *type)
{
    uint64_t h = hash_of(head, len);
    slot_t *s = slot_of(tc, h);
    uint8_t *copy = malloc(len ? len : 1);
    char *t = strdup(type);
    if (!copy || !t) {
        free(copy);
        free(t);
        return NULL;
    }
    memcpy(copy, head, len);
    slot_clear(s);
    *s = (slot_t){.hash = h, .len = len, .head = copy, .type = t};
    return t;
}
