/* SPDX-License-Identifier: MIT */
/*
 * bpf("...") runs a pcap-filter(7) expression on the stored packet bytes: libpcap compiles it
 * for the packet's link type (pcap_open_dead + pcap_compile) and pcap_offline_filter runs it,
 * exactly as tcpdump would on the same file. Compiled programs are kept per link type.
 */
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "search/filter.h"

#define SNAPLEN 262144
#define MAX_LINKTYPES 8

struct apc__bpfcache {
    size_t n;
    struct {
        uint32_t linktype;
        int ok; /* 0: does not compile for this link type (never matches) */
        struct bpf_program prog;
    } e[MAX_LINKTYPES];
};

static int compile(const char *expr, uint32_t linktype, struct bpf_program *prog, char *err,
                   size_t errn)
{
    pcap_t *p =
        pcap_open_dead_with_tstamp_precision((int)linktype, SNAPLEN, PCAP_TSTAMP_PRECISION_MICRO);
    if (!p) {
        snprintf(err, errn, "libpcap cannot open a handle for link type %u", linktype);
        return -1;
    }
    int rc = pcap_compile(p, prog, expr, 1, PCAP_NETMASK_UNKNOWN);
    if (rc < 0)
        snprintf(err, errn, "%s", pcap_geterr(p));
    pcap_close(p);
    return rc;
}

int apc__bpf_check(const char *expr)
{
    struct bpf_program prog;
    char err[PCAP_ERRBUF_SIZE + 64];
    if (compile(expr, DLT_EN10MB, &prog, err, sizeof err) < 0)
        return apc__err(APC_EINVAL, "bad pcap-filter expression: %s", err);
    pcap_freecode(&prog);
    return 0;
}

int apc__bpf_match(apc__fnode_t *n, uint32_t linktype, const uint8_t *data, uint32_t caplen,
                   uint32_t wirelen)
{
    struct apc__bpfcache *c = n->bpf;
    if (!c) {
        c = n->bpf = calloc(1, sizeof *c);
        if (!c)
            return 0;
    }
    size_t i;
    for (i = 0; i < c->n; i++)
        if (c->e[i].linktype == linktype)
            break;
    if (i == c->n) {
        if (c->n == MAX_LINKTYPES) {
            /* more link types than slots: recompile into the last slot */
            i = MAX_LINKTYPES - 1;
            if (c->e[i].ok)
                pcap_freecode(&c->e[i].prog);
        } else {
            c->n++;
        }
        char err[PCAP_ERRBUF_SIZE + 64];
        c->e[i].linktype = linktype;
        c->e[i].ok = compile(n->text, linktype, &c->e[i].prog, err, sizeof err) == 0;
    }
    if (!c->e[i].ok)
        return 0;
    struct pcap_pkthdr h = {0};
    h.caplen = caplen;
    h.len = wirelen;
    return pcap_offline_filter(&c->e[i].prog, &h, data) != 0;
}

void apc__bpf_free(struct apc__bpfcache *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++)
        if (c->e[i].ok)
            pcap_freecode(&c->e[i].prog);
    free(c);
}
