/* SPDX-License-Identifier: MIT */
/*
 * Evaluation of a checked filter against one packet, three-valued (true, false, unknown) so
 * the planner can ask first with what the connection table knows (LV_CONN), then with the
 * index record (LV_REC), and read the packet bytes (LV_FULL) only when the answer is still
 * unknown. Field semantics follow Wireshark's: a comparison with an absent field is false;
 * `==` and the others are true when any occurrence matches; `!=` when every occurrence
 * differs.
 */

#include <string.h>

#include "search/fields.h"
#include "search/filter.h"

typedef struct fv {
    uint64_t num;
    const uint8_t *addr; /* IPv4 (4 bytes), IPv6 (16), MAC (6) */
    const uint8_t *s;    /* strings, bytes */
    size_t slen;
} fv_t;

#define MAXV 4

static int num1(fv_t *v, uint64_t x)
{
    v[0].num = x;
    return 1;
}

static int str1(fv_t *v, const char *s, size_t n)
{
    v[0].s = (const uint8_t *)s;
    v[0].slen = n;
    return 1;
}

/* Connection-level address or port fields. `which`: 0 both (multi-valued), 1 source,
 * 2 destination. At LV_FULL with the decoded packet at hand the packet says which end is the
 * source; before that the two ends are candidates of which the packet has one (*one_of). */
static int conn_pair(const apc__fpkt_t *p, int ports, int which, fv_t *v, int *one_of)
{
    const apc__fconn_t *c = p->conn;
    int alen = c->ip_ver == 4 ? 4 : 16;
    if (ports) {
        v[0].num = c->sport;
        v[1].num = c->dport;
    } else {
        v[0].addr = c->src;
        v[1].addr = c->dst;
    }
    if (which == 0)
        return 2;
    if (p->level == LV_FULL && p->d.ip_ver == c->ip_ver) {
        /* oriented by the packet's own source address */
        int fwd = memcmp(p->d.src, c->src, (size_t)alen) == 0;
        int pick = (which == 1) == fwd ? 0 : 1;
        v[0] = v[pick];
        return 1;
    }
    *one_of = 1;
    return 2;
}

/* IP-level fields answered from the connection when the packet has one; the decoded bytes
 * otherwise (and for non-first fragments' ports, which only the connection knows). */
static int ip_field(int id, apc__fpkt_t *p, fv_t *v, int *one_of)
{
    const apc__fconn_t *c = p->conn;
    int v4 = id == F_IP || id == F_IP_ADDR || id == F_IP_SRC || id == F_IP_DST || id == F_IP_PROTO;
    int v6 = id == F_IPV6 || id == F_IPV6_ADDR || id == F_IPV6_SRC || id == F_IPV6_DST;
    int tcp = id == F_TCP || id == F_TCP_PORT || id == F_TCP_SRCPORT || id == F_TCP_DSTPORT;
    int which =
        (id == F_IP_SRC || id == F_IPV6_SRC || id == F_TCP_SRCPORT || id == F_UDP_SRCPORT)   ? 1
        : (id == F_IP_DST || id == F_IPV6_DST || id == F_TCP_DSTPORT || id == F_UDP_DSTPORT) ? 2
                                                                                             : 0;
    int exists = id == F_IP || id == F_IPV6 || id == F_TCP || id == F_UDP;
    if (c && (p->level < LV_FULL || !p->d.has_l4 || v4 || v6)) {
        if (v4 || v6) {
            if (c->ip_ver != (v4 ? 4 : 6))
                return 0;
            if (exists)
                return num1(v, 1);
            if (id == F_IP_PROTO)
                return num1(v, (uint64_t)c->proto);
            return conn_pair(p, 0, which, v, one_of);
        }
        if (c->proto != (tcp ? 6 : 17))
            return 0;
        if (exists)
            return num1(v, 1);
        if (p->level == LV_FULL && p->d.has_l4) {
            /* fall through to the decoded ports below */
        } else {
            return conn_pair(p, 1, which, v, one_of);
        }
    }
    if (p->level < LV_FULL)
        return p->noconn && !c && !v4 && !v6 && !exists ? 0 : -1;
    const apc__pkt_t *d = &p->d;
    if (v4 || v6) {
        if (d->ip_ver != (v4 ? 4 : 6))
            return 0;
        if (exists)
            return num1(v, 1);
        if (id == F_IP_PROTO)
            return num1(v, d->ip_proto);
        v[0].addr = d->src;
        v[1].addr = d->dst;
        if (which == 2)
            v[0] = v[1];
        return which ? 1 : 2;
    }
    if (!d->ip_ver || d->ip_proto != (tcp ? 6 : 17) || (!d->has_l4 && !exists))
        return 0;
    if (exists)
        return num1(v, 1);
    v[0].num = d->sport;
    v[1].num = d->dport;
    if (which == 2)
        v[0] = v[1];
    return which ? 1 : 2;
}

static int tcp_flag_bit(int id)
{
    switch (id) {
    case F_TCP_FIN:
        return 0x01;
    case F_TCP_SYN:
        return 0x02;
    case F_TCP_RST:
        return 0x04;
    case F_TCP_PSH:
        return 0x08;
    case F_TCP_ACK:
        return 0x10;
    case F_TCP_URG:
        return 0x20;
    case F_TCP_ECE:
        return 0x40;
    default:
        return 0x80;
    }
}

/* Fields of the packet bytes (LV_FULL). */
static int byte_field(int id, apc__fpkt_t *p, fv_t *v)
{
    const apc__pkt_t *d = &p->d;
    int is_tcp = d->ip_ver && d->ip_proto == 6 && d->has_l4;
    switch (id) {
    case F_FRAME:
        v[0].s = p->data;
        v[0].slen = p->caplen;
        return 1;
    case F_FRAME_LEN:
        return num1(v, p->wirelen);
    case F_FRAME_CAP_LEN:
        return num1(v, p->caplen);
    case F_ETH:
        return d->has_eth ? num1(v, 1) : 0;
    case F_ETH_ADDR:
        if (!d->has_eth)
            return 0;
        v[0].addr = d->eth_src;
        v[1].addr = d->eth_dst;
        return 2;
    case F_ETH_SRC:
    case F_ETH_DST:
        if (!d->has_eth)
            return 0;
        v[0].addr = id == F_ETH_SRC ? d->eth_src : d->eth_dst;
        return 1;
    case F_ETH_TYPE:
        return d->has_eth && d->ethertype ? num1(v, d->ethertype) : 0;
    case F_VLAN:
        return d->vlan_count ? num1(v, 1) : 0;
    case F_VLAN_ID: {
        int n = d->vlan_count < MAXV ? d->vlan_count : MAXV;
        for (int i = 0; i < n; i++)
            v[i].num = d->vlan_id[i];
        return n;
    }
    case F_IP_TTL:
        return d->ip_ver == 4 ? num1(v, d->ttl) : 0;
    case F_IP_LEN:
        return d->ip_ver == 4 ? num1(v, d->ip_total_len) : 0;
    case F_IP_ID:
        return d->ip_ver == 4 ? num1(v, d->ip_id) : 0;
    case F_IPV6_NXT:
        return d->ip_ver == 6 ? num1(v, d->ip_proto) : 0;
    case F_IPV6_HLIM:
        return d->ip_ver == 6 ? num1(v, d->ttl) : 0;
    case F_TCP_LEN:
        return is_tcp ? num1(v, d->payload_len) : 0;
    case F_TCP_FLAGS:
        return is_tcp ? num1(v, d->tcp_flags) : 0;
    case F_TCP_FIN:
    case F_TCP_SYN:
    case F_TCP_RST:
    case F_TCP_PSH:
    case F_TCP_ACK:
    case F_TCP_URG:
    case F_TCP_ECE:
    case F_TCP_CWR:
        return is_tcp ? num1(v, (d->tcp_flags & tcp_flag_bit(id)) != 0) : 0;
    case F_ICMP:
    case F_ICMP_TYPE:
    case F_ICMP_CODE:
        if (d->ip_ver != 4 || d->ip_proto != 1 || !d->has_l4)
            return 0;
        return num1(v, id == F_ICMP ? 1 : id == F_ICMP_TYPE ? d->icmp_type : d->icmp_code);
    case F_ICMPV6:
    case F_ICMPV6_TYPE:
    case F_ICMPV6_CODE:
        if (d->ip_ver != 6 || d->ip_proto != 58 || !d->has_l4)
            return 0;
        return num1(v, id == F_ICMPV6 ? 1 : id == F_ICMPV6_TYPE ? d->icmp_type : d->icmp_code);
    case F_ARP:
        return d->ethertype == 0x0806 ? num1(v, 1) : 0;
    case F_THREAD_TID:
        return p->has_pid_tid ? num1(v, p->tid) : 0;
    default:
        break;
    }
    apc__app_parse(&p->app, d, p->data, p->caplen);
    const apc__fapp_t *a = &p->app;
    switch (id) {
    case F_DNS:
        return a->dns_kind == APC__DNS ? num1(v, 1) : 0;
    case F_MDNS:
        return a->dns_kind == APC__MDNS ? num1(v, 1) : 0;
    case F_LLMNR:
        return a->dns_kind == APC__LLMNR ? num1(v, 1) : 0;
    case F_DNS_QRY_NAME:
        return a->has_dns ? str1(v, a->dns_name, a->dns_len) : 0;
    case F_HTTP:
        return a->has_http_req || a->has_http_resp ? num1(v, 1) : 0;
    case F_HTTP_HOST:
        return a->has_host ? str1(v, a->http_host, a->host_len) : 0;
    case F_HTTP_METHOD:
        return a->has_http_req ? str1(v, a->http_method, a->method_len) : 0;
    case F_HTTP_URI:
        return a->has_http_req ? str1(v, a->http_uri, a->uri_len) : 0;
    case F_TLS:
        return a->has_tls ? num1(v, 1) : 0;
    case F_TLS_SNI:
        /* A QUIC connection's ClientHello counts in its first packet only, as tshark reads
         * it: tshark derives the Initial keys from the connection's first DCID, so a later
         * Initial (after Retry or Version Negotiation) is a resend it does not decrypt. */
        if (a->has_sni && a->sni_quic && p->conn && p->conn->first_id &&
            (uint64_t)p->packet_id != p->conn->first_id)
            return 0;
        return a->has_sni ? str1(v, a->sni, a->sni_len) : 0;
    default:
        return 0;
    }
}

/* The values of field f in packet p: a count (0 = absent) or -1 when p->level does not tell. */
static int values(const apc__field_t *f, apc__fpkt_t *p, fv_t *v, int *one_of)
{
    *one_of = 0;
    const apc__fconn_t *c = p->conn;
    switch (f->id) {
    case F_CONN_ID:
        return c ? num1(v, (uint64_t)c->id) : 0;
    case F_CONN_BYTES:
        return c ? num1(v, c->bytes) : 0;
    case F_CONN_PACKETS:
        return c ? num1(v, c->packets) : 0;
    default:
        break;
    }
    if (f->src == FS_CONN)
        return ip_field(f->id, p, v, one_of);
    if (p->level < LV_REC)
        return -1;
    const apc__fproc_t *pr = p->proc;
    switch (f->id) {
    case F_FRAME_TIME:
        return num1(v, (uint64_t)p->ts_ns);
    case F_FRAME_TIME_EPOCH: {
        int64_t s = p->ts_ns / 1000000000LL;
        return s >= 0 ? num1(v, (uint64_t)s) : 0;
    }
    case F_FRAME_NUMBER:
        return num1(v, (uint64_t)p->packet_id);
    case F_CAPTURE_ID:
        return num1(v, (uint64_t)p->capture_id);
    case F_PROC_ID:
        return pr ? num1(v, (uint64_t)pr->id) : 0;
    case F_PROC_PID:
        return pr ? num1(v, (uint64_t)pr->pid) : 0;
    case F_PROC_PPID:
        return pr && pr->ppid ? num1(v, (uint64_t)pr->ppid) : 0;
    case F_PROC_NAME:
        return pr ? str1(v, pr->name, strlen(pr->name)) : 0;
    case F_PROC_PATH:
        return pr && pr->path[0] ? str1(v, pr->path, strlen(pr->path)) : 0;
    case F_PROC_CMDLINE:
        return pr && pr->cmdline[0] ? str1(v, pr->cmdline, strlen(pr->cmdline)) : 0;
    case F_PROC_USER:
        return pr && pr->user[0] ? str1(v, pr->user, strlen(pr->user)) : 0;
    default:
        break;
    }
    if (p->level < LV_FULL)
        return -1;
    return byte_field(f->id, p, v);
}

static int addr_match(const uint8_t *a, const uint8_t *net, int prefix)
{
    int full = prefix / 8, rest = prefix % 8;
    if (memcmp(a, net, (size_t)full) != 0)
        return 0;
    if (!rest)
        return 1;
    uint8_t mask = (uint8_t)(0xff00u >> rest);
    return (a[full] & mask) == (net[full] & mask);
}

/* Does one value equal literal l (or fall in its range / network)? */
static int equal(const apc__fnode_t *n, const fv_t *x, const apc__fval_t *l)
{
    switch (l->kind) {
    case V_NUM:
        return x->num == l->lo;
    case V_RANGE:
        return x->num >= l->lo && x->num <= l->hi;
    case V_ADDR:
        return addr_match(x->addr, l->addr, l->prefix);
    case V_MAC:
        return memcmp(x->addr, l->addr, 6) == 0;
    case V_STR:
        return x->slen == l->slen && memcmp(x->s, l->s, l->slen) == 0;
    }
    (void)n;
    return 0;
}

static int order(const apc__fnode_t *n, const fv_t *x, const apc__fval_t *l)
{
    int c;
    if (n->field->type == FT_TIME) {
        int64_t a = (int64_t)x->num, b = (int64_t)l->lo;
        c = a < b ? -1 : a > b;
    } else {
        c = x->num < l->lo ? -1 : x->num > l->lo;
    }
    switch (n->op) {
    case OP_LT:
        return c < 0;
    case OP_LE:
        return c <= 0;
    case OP_GT:
        return c > 0;
    default:
        return c >= 0;
    }
}

/* One occurrence against the node's operator (any-semantics operators). */
static int match_one(const apc__fnode_t *n, const fv_t *x)
{
    switch (n->op) {
    case OP_EQ:
        return equal(n, x, &n->vals[0]);
    case OP_IN:
        for (size_t i = 0; i < n->nvals; i++)
            if (equal(n, x, &n->vals[i]))
                return 1;
        return 0;
    case OP_CONTAINS:
        return n->vals[0].slen == 0 ||
               (x->slen >= n->vals[0].slen &&
                memmem(x->s, x->slen, n->vals[0].s, n->vals[0].slen) != NULL);
    case OP_MATCHES:
        return apc__re_match(n->re, x->s, x->slen);
    default:
        return order(n, x, &n->vals[0]);
    }
}

static int compare_set(const apc__fnode_t *n, const fv_t *v, int count)
{
    if (count == 0)
        return TV_FALSE;
    if (n->op == OP_NE) {
        for (int i = 0; i < count; i++)
            if (equal(n, &v[i], &n->vals[0]))
                return TV_FALSE;
        return TV_TRUE;
    }
    for (int i = 0; i < count; i++)
        if (match_one(n, &v[i]))
            return TV_TRUE;
    return TV_FALSE;
}

int apc__flt_match_value(const apc__fnode_t *n, uint64_t num, const char *s, size_t slen)
{
    fv_t v = {.num = num, .s = (const uint8_t *)s, .slen = slen};
    return compare_set(n, &v, 1) == TV_TRUE;
}

static int eval_node(apc__fnode_t *n, apc__fpkt_t *p)
{
    fv_t v[MAXV];
    int one_of, count, r, r2;
    switch (n->kind) {
    case N_AND:
        r = eval_node(n->a, p);
        if (r == TV_FALSE)
            return TV_FALSE;
        r2 = eval_node(n->b, p);
        if (r2 == TV_FALSE)
            return TV_FALSE;
        return r == TV_TRUE && r2 == TV_TRUE ? TV_TRUE : TV_UNKNOWN;
    case N_OR:
        r = eval_node(n->a, p);
        if (r == TV_TRUE)
            return TV_TRUE;
        r2 = eval_node(n->b, p);
        if (r2 == TV_TRUE)
            return TV_TRUE;
        return r == TV_FALSE && r2 == TV_FALSE ? TV_FALSE : TV_UNKNOWN;
    case N_NOT:
        r = eval_node(n->a, p);
        return r == TV_UNKNOWN ? TV_UNKNOWN : !r;
    case N_BPF:
        if (p->level < LV_FULL)
            return TV_UNKNOWN;
        return apc__bpf_match(n, p->linktype, p->data, p->caplen, p->wirelen) ? TV_TRUE : TV_FALSE;
    case N_EXISTS:
        if (apc__files_is_field(n->field))
            return apc__files_eval(n, p);
        count = values(n->field, p, v, &one_of);
        return count < 0 ? TV_UNKNOWN : count > 0;
    default:
        if (apc__files_is_field(n->field))
            return apc__files_eval(n, p);
        count = values(n->field, p, v, &one_of);
        if (count < 0)
            return TV_UNKNOWN;
        if (!one_of)
            return compare_set(n, v, count);
        /* the packet holds exactly one of the candidates: known only if all agree */
        r = compare_set(n, &v[0], 1);
        for (int i = 1; i < count; i++)
            if (compare_set(n, &v[i], 1) != r)
                return TV_UNKNOWN;
        return r;
    }
}

int apc__flt_eval(const apc__filter_t *f, apc__fpkt_t *p)
{
    if (!f || !f->root)
        return TV_TRUE;
    return eval_node(f->root, p);
}
