/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target of the search filter language: lexer, parser, checker and normalizer on
 * arbitrary bytes, then the normalized text must compile again to the same text, and the
 * filter is evaluated at every level against a packet decoded from the same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "search/filter.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apc__filter_t *f = NULL;
    size_t off = 0;
    if (apc__flt_compile((const char *)data, size, &f, &off) < 0) {
        if (off > size)
            abort(); /* an error offset is always inside the filter */
        return 0;
    }
    apc__filter_t *g = NULL;
    if (apc__flt_compile(f->normalized, strlen(f->normalized), &g, &off) < 0 ||
        strcmp(f->normalized, g->normalized) != 0)
        abort(); /* the canonical text is a valid filter with the same canonical text */
    apc__flt_free(g);
    apc__fproc_t proc = {.id = 1, .pid = 2, .name = "a", .path = "", .cmdline = "", .user = ""};
    apc__fpkt_t p;
    memset(&p, 0, sizeof p);
    apc__decode(&p.d, data, (uint32_t)size, (uint32_t)size, 1);
    /* The connection is what the store would file this packet under: the flow module keys it
     * on the same decode, so its IP version, protocol, addresses and ports are the packet's.
     * (A fixed IPv4 connection paired with bytes that decode to IPv6 is a pair the store never
     * holds, and the evaluator rightly answers "unknown" for its orientation.) */
    apc__fconn_t conn = {.id = 1, .ip_ver = p.d.ip_ver, .proto = p.d.ip_proto};
    if (p.d.ip_ver) {
        size_t alen = p.d.ip_ver == 4 ? 4 : 16;
        memcpy(conn.src, p.d.src, alen);
        memcpy(conn.dst, p.d.dst, alen);
        if (p.d.has_l4) {
            conn.sport = p.d.sport;
            conn.dport = p.d.dport;
        }
        p.conn = &conn;
    } else {
        p.noconn = 1;
    }
    for (int level = LV_CONN; level <= LV_FULL; level++) {
        p.level = level;
        p.proc = &proc;
        p.data = data;
        p.caplen = p.wirelen = (uint32_t)size;
        p.linktype = 1;
        p.app.done = 0;
        int v = apc__flt_eval(f, &p);
        if (level == LV_FULL && v == TV_UNKNOWN)
            abort(); /* with every fact at hand the answer is known */
    }
    apc__flt_free(f);
    return 0;
}
