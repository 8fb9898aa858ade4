/* SPDX-License-Identifier: MIT */
/* capture meta: a capture with its packet range, interfaces and protocol counts (the store
 * reads them). */
#include <stdlib.h>
#include <string.h>

#include <apc/capture.h>

#include "core/ctx.h"
#include "core/error.h"
#include "store/captures.h"

APC_API void apc_capture_meta_free(apc_capture_meta_t *m)
{
    if (!m)
        return;
    apc_capture_free(m->capture);
    for (size_t i = 0; i < m->n_ifaces; i++) {
        free(m->ifaces[i].name);
        free(m->ifaces[i].description);
    }
    free(m->ifaces);
    free(m->protocols);
    free(m);
}

APC_API int apc_capture_meta(apc_ctx_t *ctx, int64_t id, apc_capture_meta_t **out)
{
    if (!ctx || !out)
        return apc__err(APC_EINVAL, "NULL argument");
    *out = NULL;
    apc_capture_meta_t *m = calloc(1, sizeof *m);
    if (!m)
        return apc__err(APC_ENOMEM, "out of memory");
    int r = apc_capture_get(ctx, id, &m->capture);
    if (r < 0) {
        free(m);
        return r;
    }
    r = apc__captures_meta(ctx->store, m);
    if (r < 0) {
        apc_capture_meta_free(m);
        return r;
    }
    /* Packet ids are dense: 1 .. packets. */
    if (m->capture->packets) {
        m->first_packet_id = 1;
        m->last_packet_id = (int64_t)m->capture->packets;
    } else {
        m->first_time = m->last_time = 0;
    }
    *out = m;
    return 0;
}
