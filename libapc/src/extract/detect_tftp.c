/* SPDX-License-Identifier: MIT */
/* TFTP in the extraction engine (extract/engine.h): a read or write request to port 69 names
 * the file; the transfer runs between another server port and the client's port (RFC 1350
 * section 4), DATA blocks numbered from 1, the last one shorter than the block size (512, or
 * what an OACK agreed: RFC 2347, RFC 2348). Packets are parsed by extract/tftp.c. */
#include <stdio.h>
#include <string.h>

#include "core/error.h"
#include "decode/decode.h"
#include "extract/engine.h"
#include "extract/tftp.h"
#include "util/array.h"

static int add_request(engine_t *e, const apc_packet_t *p, const apc__tftp_t *t)
{
    if (apc__grow((void **)&e->treqs, &e->cap_treqs, e->n_treqs + 1, sizeof *e->treqs) < 0)
        return apc__err(APC_ENOMEM, "out of memory");
    treq_t *q = &e->treqs[e->n_treqs++];
    memset(q, 0, sizeof *q);
    snprintf(q->cli_ip, sizeof q->cli_ip, "%s", p->src_ip);
    snprintf(q->srv_ip, sizeof q->srv_ip, "%s", p->dst_ip);
    q->cli_port = p->src_port;
    q->op = t->op;
    memcpy(q->name, t->name, sizeof q->name);
    q->blksize = t->blksize;
    return 0;
}

/* The request a new UDP connection is the transfer of: one end the client's address and port,
 * the other the server's address (any port but 69). Newest first; each request has one. */
static int64_t request_of(engine_t *e, const conninfo_t *ci)
{
    for (size_t i = e->n_treqs; i-- > 0;) {
        treq_t *q = &e->treqs[i];
        if (q->used)
            continue;
        int fwd = !strcmp(ci->src_ip, q->cli_ip) && ci->src_port == q->cli_port &&
                  !strcmp(ci->dst_ip, q->srv_ip) && ci->dst_port != APC__TFTP_PORT;
        int back = !strcmp(ci->dst_ip, q->cli_ip) && ci->dst_port == q->cli_port &&
                   !strcmp(ci->src_ip, q->srv_ip) && ci->src_port != APC__TFTP_PORT;
        if (fwd || back) {
            q->used = 1;
            return (int64_t)i + 1;
        }
    }
    return 0;
}

static void end(xconn_t *c, const char *reason)
{
    if (c->tftp_sender >= 0 && c->d[c->tftp_sender].f.open)
        apc__xe_end(&c->d[c->tftp_sender], reason);
    c->tftp_done = 1;
}

static void data_block(xconn_t *c, int idx, const apc__tftp_t *t)
{
    engine_t *e = c->e;
    if (c->tftp_sender < 0)
        c->tftp_sender = idx;
    if (idx != c->tftp_sender)
        return;
    xdir_t *d = &c->d[idx];
    unsigned want = c->tftp_next & 0xffff;
    /* past block 65535 senders go on at 0 or at 1 */
    if (t->block != want && !(want == 0 && t->block == 1)) {
        if (((t->block - want) & 0xffff) >= 0x8000)
            return; /* an older block again: a retransmission */
        end(c, "gap in the capture");
        return;
    }
    if (!d->f.open) {
        const treq_t *q = c->tftp > 0 ? &e->treqs[c->tftp - 1] : NULL;
        d->proto = PROTO_TFTP;
        apc__xe_begin(d, q ? q->name : "", "", -1);
        if (!d->f.open) {
            c->tftp_done = 1;
            return;
        }
    }
    uint64_t room = APC__EXTRACT_MAX_FILE - d->f.size;
    apc__xe_body(d, t->data, t->len < room ? t->len : (size_t)room);
    c->tftp_next = t->block + 1;
    if (t->len >= room)
        end(c, "file size cap");
    else if (t->len < c->tftp_blksize)
        end(c, NULL);
}

int apc__xe_tftp(engine_t *e, const apc_packet_t *p)
{
    const apc__xtrun_t *run = e->run;
    apc__pkt_t pk;
    apc__decode(&pk, p->data, p->caplen, p->length, p->linktype);
    if (!pk.has_l4 || pk.ip_proto != 17 || pk.payload_off > p->caplen)
        return 0;
    size_t len = pk.payload_caplen;
    if (pk.payload_off + len > p->caplen)
        len = p->caplen - pk.payload_off;
    apc__tftp_t t;
    if (apc__tftp_parse(p->data + pk.payload_off, len, &t) < 0)
        return 0;
    if ((t.op == APC__TFTP_RRQ || t.op == APC__TFTP_WRQ) && p->dst_port == APC__TFTP_PORT)
        return run->only_conn ? 0 : add_request(e, p, &t);
    int64_t id = p->conn_id;
    if (id <= 0 || (size_t)(id - 1) >= e->n_conns || e->conns[id - 1] == CLOSED)
        return 0;
    if (run->only_conn && id != run->only_conn)
        return 0;
    xconn_t *c = e->conns[id - 1];
    if (!c) {
        /* only the transfers of requests seen (or the one being carved) get a state */
        int64_t q = run->tftp ? -1 : request_of(e, &e->ci[id - 1]);
        if (q == 0)
            return 0;
        if (!(c = apc__xe_conn_new(e, id)))
            return apc__err(APC_ENOMEM, "out of memory");
        c->tftp = q;
        c->tftp_next = 1;
        c->tftp_blksize = APC__TFTP_BLKSIZE;
        c->tftp_sender = -1;
    }
    if (!c->tftp || c->tftp_done)
        return 0;
    int idx = apc__xe_dir_of(e, p);
    if (t.op == APC__TFTP_OACK && t.blksize) {
        c->tftp_blksize = t.blksize;
    } else if (t.op == APC__TFTP_DATA) {
        data_block(c, idx, &t);
    } else if (t.op == APC__TFTP_ERROR) {
        char why[160];
        snprintf(why, sizeof why, "transfer aborted: %s", t.msg);
        end(c, why);
    }
    return e->err;
}
