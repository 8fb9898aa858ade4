/* SPDX-License-Identifier: MIT */
/*
 * The file.* fields: a packet matches when it carried a detected file whose attribute
 * matches, that is when it belongs to the file's connection, goes in the file's direction and
 * lies within the file's packet span. The files come from the capture's extraction results
 * (module extract, via the store): each file comparison is resolved once per capture into the
 * spans of the files that satisfy it, so a packet costs a lookup by connection id, never a
 * query. A capture whose files were never detected is an error naming it, not "no match".
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "search/fields.h"
#include "search/plan.h"
#include "util/array.h"

int apc__files_is_field(const apc__field_t *f)
{
    return f && f->id >= F_FILE_NAME && f->id <= F_FILE_SIZE;
}

void apc__files_free(struct apc__fspans *fs)
{
    if (fs) {
        free(fs->v);
        free(fs);
    }
}

static int in_span(const apc__fspan_t *x, int64_t packet_id)
{
    return !x->first || ((uint64_t)packet_id >= x->first && (uint64_t)packet_id <= x->last);
}

int apc__files_eval(const apc__fnode_t *n, const apc__fpkt_t *p)
{
    const struct apc__fspans *fs = n->files;
    const apc__fconn_t *c = p->conn;
    if (!fs || !c)
        return TV_FALSE;
    int dir = APC_DIR_UNKNOWN;
    if (p->level == LV_FULL) {
        /* APC_DIR_OUT is what the connection's initiator (its source) sent */
        size_t alen = c->ip_ver == 4 ? 4 : 16;
        int fwd = p->d.ip_ver == c->ip_ver && memcmp(p->d.src, c->src, alen) == 0 &&
                  (!p->d.has_l4 || p->d.sport == c->sport);
        dir = fwd ? APC_DIR_OUT : APC_DIR_IN;
    }
    int any = 0;
    for (size_t i = apc__lower_bound_i64(fs->v, fs->n, sizeof *fs->v,
                                         offsetof(apc__fspan_t, conn_id), c->id);
         i < fs->n && fs->v[i].conn_id == c->id; i++) {
        const apc__fspan_t *x = &fs->v[i];
        if (p->level >= LV_REC && !in_span(x, p->packet_id))
            continue;
        if (p->level < LV_FULL)
            any = 1; /* the direction needs the packet's addresses */
        else if (x->direction == dir)
            return TV_TRUE;
    }
    return any ? TV_UNKNOWN : TV_FALSE;
}
