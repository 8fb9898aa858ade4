/* SPDX-License-Identifier: MIT */
/* libFuzzer target of module decode: the first byte picks a link type (some unknown), the rest
 * is the packet. Decodes it, prints its summary, and reads DNS answers from its payload (and from
 * the whole input, which reaches the DNS parser without any link framing). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decode/decode.h"

static void on_answer(const char *name, int ip_ver, const uint8_t *addr, void *payload)
{
    size_t *n = payload;
    *n += strlen(name) + (size_t)ip_ver + addr[0];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint32_t types[] = {APC_LINKTYPE_ETHERNET,
                                     APC_LINKTYPE_LINUX_SLL,
                                     APC_LINKTYPE_LINUX_SLL2,
                                     APC_LINKTYPE_RAW,
                                     APC_DLT_RAW_12,
                                     APC_DLT_RAW_14,
                                     APC_LINKTYPE_IPV4,
                                     APC_LINKTYPE_IPV6,
                                     APC_LINKTYPE_NULL,
                                     APC_LINKTYPE_LOOP,
                                     105 /* 802.11: unknown to us */,
                                     147 /* user */};
    if (size < 1)
        return 0;
    uint32_t lt = types[data[0] % (sizeof(types) / sizeof(types[0]))];
    size_t len = size - 1;
    /* An exact-size copy so that ASan flags any read past caplen. */
    uint8_t *pkt = malloc(len ? len : 1);
    if (!pkt)
        return 0;
    memcpy(pkt, data + 1, len);
    /* The second byte, when there is one, shortens the wire length or lengthens it. */
    uint32_t wirelen = (uint32_t)len + (len ? (uint32_t)(data[1] & 0x0f) * 100 : 0);

    apc__pkt_t p;
    apc__decode(&p, pkt, (uint32_t)len, wirelen, lt);
    if (p.payload_off > len || p.payload_caplen > len - p.payload_off)
        abort(); /* the payload the decoder reports must lie inside the packet */
    if (p.l3_off > len || p.l4_off > len)
        abort();
    char line[512];
    size_t n = apc__decode_summary(line, sizeof(line), &p, pkt, (uint32_t)len, wirelen);
    if (n != strlen(line))
        abort();
    char tiny[8];
    apc__decode_summary(tiny, sizeof(tiny), &p, pkt, (uint32_t)len, wirelen);

    size_t acc = 0;
    if (p.payload_caplen)
        apc__dns_answers(pkt + p.payload_off, p.payload_caplen, on_answer, &acc);
    apc__dns_answers(pkt, len, on_answer, &acc);
    free(pkt);
    return 0;
}
