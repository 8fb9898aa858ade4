/* SPDX-License-Identifier: MIT */
/* Records read, copied and decoded ahead of the one being stored (see readahead.h). */
#include "capture/readahead.h"

#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "flow/flow.h"

void apc__ahead_init(apc__ahead_t *a, apc__reader_t *r, apc__capw_t *w)
{
    memset(a, 0, sizeof *a);
    a->r = r;
    a->w = w;
}

/* Reads the next record into slot s (a copy: the reader's pointers last one call). */
static int fill(apc__ahead_t *a, apc__ahead_slot_t *s)
{
    int rc = apc__reader_next(a->r, &s->rec);
    if (rc <= 0)
        return rc;
    size_t clen = s->rec.comment ? s->rec.comment_len + 1 : 0;
    size_t need = (size_t)s->rec.caplen + clen;
    if (need > s->cap) {
        uint8_t *b = realloc(s->buf, need);
        if (!b)
            return apc__err(APC_ENOMEM, "out of memory reading ahead (%zu bytes)", need);
        s->buf = b;
        s->cap = need;
    }
    if (s->rec.caplen)
        memcpy(s->buf, s->rec.data, s->rec.caplen);
    s->rec.data = s->buf;
    if (clen) {
        memcpy(s->buf + s->rec.caplen, s->rec.comment, clen);
        s->rec.comment = (const char *)s->buf + s->rec.caplen;
    }
    apc__decode(&s->d, s->rec.data, s->rec.caplen, s->rec.wirelen, s->rec.linktype);
    apc__flow_lookup_of(&s->d, &s->flow);
    if (a->w)
        apc__capw_hint(a->w, &s->d, s->flow.hash, 0);
    return 1;
}

int apc__ahead_next(apc__ahead_t *a, apc__ahead_slot_t **out)
{
    while (a->n < APC__AHEAD && a->end == 0) {
        int rc = fill(a, &a->s[(a->head + a->n) % APC__AHEAD]);
        if (rc > 0) {
            a->n++;
            continue;
        }
        a->end = rc == 0 ? 1 : rc;
        if (rc < 0) {
            apc__err_copy(a->err, sizeof a->err);
            a->err_off = apc__reader_offset(a->r);
        }
    }
    if (a->n == 0) {
        if (a->end < 0)
            apc__err(a->end, "%s", a->err); /* the thread's message again, for the caller */
        return a->end < 0 ? a->end : 0;
    }
    if (a->w &&
        a->n > 1) /* its bucket was asked for a packet ago: now the connection it points to */
        apc__capw_hint(a->w, &a->s[(a->head + 1) % APC__AHEAD].d,
                       a->s[(a->head + 1) % APC__AHEAD].flow.hash, 1);
    *out = &a->s[a->head];
    a->head = (a->head + 1) % APC__AHEAD;
    a->n--;
    return 1;
}

uint64_t apc__ahead_offset(const apc__ahead_t *a)
{
    if (a->n)
        return a->s[a->head].rec.offset;
    return a->end < 0 ? a->err_off : apc__reader_offset(a->r);
}

void apc__ahead_free(apc__ahead_t *a)
{
    for (size_t i = 0; i < APC__AHEAD; i++)
        free(a->s[i].buf);
    memset(a, 0, sizeof *a);
}
