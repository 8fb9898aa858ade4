/* SPDX-License-Identifier: MIT */
/*
 * TCP connection state as seen by a passive observer (RFC 9293 section 3.5 handshake and
 * close, simplified to what both directions of a capture show), and the port-reuse rule that
 * Wireshark's tcp.stream uses: a SYN (without ACK) whose sequence number differs from the base
 * sequence number already recorded for its sender starts a new connection.
 */
#include <apc/capture.h>

#include "flow/flow_int.h"

int apc__flow_tcp_receiver_initiates(const apc__pkt_t *p)
{
    /* First packet a SYN-ACK: the SYN was missed, its receiver sent it. */
    return p->has_l4 && (p->tcp_flags & (APC__TH_SYN | APC__TH_ACK)) == (APC__TH_SYN | APC__TH_ACK);
}

int apc__flow_tcp_initial_state(const apc__pkt_t *p)
{
    uint8_t f = p->tcp_flags & (APC__TH_SYN | APC__TH_ACK);
    if (f == APC__TH_SYN)
        return APC_TCP_SYN_SENT;
    if (f == (APC__TH_SYN | APC__TH_ACK))
        return APC_TCP_SYN_RECV;
    return APC_TCP_MIDSTREAM;
}

int apc__flow_tcp_is_new_syn(const apc__flow_node_t *n, const apc__pkt_t *p, int dir)
{
    if ((p->tcp_flags & (APC__TH_SYN | APC__TH_ACK)) != APC__TH_SYN)
        return 0;
    if (n->base_set[dir])
        return p->tcp_seq != n->base_seq[dir]; /* same ISN: a retransmitted SYN */
    /* The sender never spoke on this tuple; only an ended connection gives way. */
    return n->c.tcp_state == APC_TCP_CLOSED || n->c.tcp_state == APC_TCP_RESET;
}

void apc__flow_tcp_update(apc__flow_node_t *n, const apc__pkt_t *p, int dir)
{
    uint8_t f = p->tcp_flags;
    int other = !dir;

    /* Base sequence numbers as Wireshark records them: a SYN's own number, else seq - 1; the
     * other side's from the first ACK it receives (ack - 1). */
    if (!n->base_set[dir]) {
        n->base_seq[dir] = (f & APC__TH_SYN) ? p->tcp_seq : p->tcp_seq - 1;
        n->base_set[dir] = 1;
    }
    if (!n->base_set[other] && (f & APC__TH_ACK)) {
        n->base_seq[other] = p->tcp_ack - 1;
        n->base_set[other] = 1;
    }

    int st = n->c.tcp_state;
    if (st == APC_TCP_CLOSED || st == APC_TCP_RESET)
        return; /* the first way it ended is the one we keep */
    if (f & APC__TH_RST) {
        n->c.tcp_state = APC_TCP_RESET;
        return;
    }
    if (f & APC__TH_FIN)
        n->fin_seen[dir] = 1;
    if (n->fin_seen[0] && n->fin_seen[1]) {
        n->c.tcp_state = APC_TCP_CLOSED;
        return;
    }
    if (n->fin_seen[0] || n->fin_seen[1]) {
        n->c.tcp_state = APC_TCP_FIN_WAIT;
        return;
    }
    int syn = (f & APC__TH_SYN) != 0, ack = (f & APC__TH_ACK) != 0;
    switch (st) {
    case APC_TCP_SYN_SENT:
        if (syn && ack && dir == 1)
            n->c.tcp_state = APC_TCP_SYN_RECV;
        else if (!syn && ack)
            n->c.tcp_state = APC_TCP_ESTABLISHED; /* SYN-ACK not captured */
        break;
    case APC_TCP_SYN_RECV:
        if (!syn && ack)
            n->c.tcp_state = APC_TCP_ESTABLISHED;
        break;
    default:
        break;
    }
}
