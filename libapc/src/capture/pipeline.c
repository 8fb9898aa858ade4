/* SPDX-License-Identifier: MIT */
/* The one path of every packet into a capture (see pipeline.h). */
#include "capture/pipeline.h"

int apc__pipe_packet(apc__capw_t *w, const apc__pipe_pkt_t *in, apc__pipe_attr_fn attr, void *state)
{
    apc__pkt_t d;
    apc__decode(&d, in->data, in->caplen, in->wirelen, in->linktype);
    return apc__pipe_decoded(w, in, &d, attr, state);
}

int apc__pipe_decoded(apc__capw_t *w, const apc__pipe_pkt_t *in, const apc__pkt_t *dp,
                      apc__pipe_attr_fn attr, void *state)
{
    apc__cappkt_t p = {
        .iface = in->iface,
        .ts_ns = in->ts_ns,
        .caplen = in->caplen,
        .wirelen = in->wirelen,
        .data = in->data,
        .direction = in->direction ? in->direction : dp->direction,
        .comment = in->comment,
        .comment_len = in->comment_len,
        .flow = in->flow,
    };
    int keep = attr ? attr(state, w, in, dp, &p) : 1;
    if (keep <= 0)
        return keep;
    int rc = apc__capw_add(w, &p, dp);
    return rc < 0 ? rc : 1;
}
