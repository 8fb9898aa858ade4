/* SPDX-License-Identifier: MIT */
/* DNS part of the summary, in tcpdump's default (non -v) layout (print-domain.c): a query as
 * "ID+ [1au] A? name. (len)", a response as "ID*- an/ns/ar A addr, CNAME name. (len)". Answer
 * data is printed for A, AAAA, CNAME, NS and PTR; other types show their name only. */
#include <stdio.h>
#include <string.h>

#include "decode/dns_int.h"
#include "decode/summary_int.h"

static const char *type_name(unsigned t, char *tmp, size_t n)
{
    static const struct {
        unsigned t;
        const char *s;
    } tab[] = {{1, "A"},       {2, "NS"},     {5, "CNAME"}, {6, "SOA"},    {12, "PTR"},
               {13, "HINFO"},  {15, "MX"},    {16, "TXT"},  {28, "AAAA"},  {33, "SRV"},
               {35, "NAPTR"},  {41, "OPT"},   {43, "DS"},   {46, "RRSIG"}, {47, "NSEC"},
               {48, "DNSKEY"}, {50, "NSEC3"}, {52, "TLSA"}, {64, "SVCB"},  {65, "HTTPS"},
               {99, "SPF"},    {252, "AXFR"}, {255, "ANY"}, {257, "CAA"}};
    for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
        if (tab[i].t == t)
            return tab[i].s;
    snprintf(tmp, n, "Type%u", t);
    return tmp;
}

static const char *const opcodes[16] = {"",      " inv_q", " stat", " op3", " notify", " update",
                                        " op6",  " op7",   " op8",  " op9", " op10",   " op11",
                                        " op12", " op13",  " op14", " op15"};
static const char *const rcodes[16] = {"",         " FormErr", " ServFail", " NXDomain",
                                       " NotImp",  " Refused", " YXDomain", " YXRRSet",
                                       " NXRRSet", " NotAuth", " NotZone",  " Resp11",
                                       " Resp12",  " Resp13",  " Resp14",   " NoChange"};

/* Prints " TYPE data" of the record at *off; 0, or APC__DNS_TRUNC / APC__DNS_BAD. */
static int answer(apc__sb_t *s, const uint8_t *m, size_t n, size_t *off)
{
    apc__cur_t c = {m, n};
    size_t p;
    char tmp[APC__DNS_NAME_MAX], tn[16];
    int rc = apc__dns_name(m, n, *off, &p, NULL, 0);
    if (rc)
        return rc;
    if (!apc__need(&c, p, 10))
        return APC__DNS_TRUNC;
    unsigned type = apc__be16(&c, p), klass = apc__be16(&c, p + 2) & 0x7fff;
    size_t rd = p + 10, rdlen = apc__be16(&c, p + 8);
    apc__sb_printf(s, " %s", type_name(type, tn, sizeof(tn)));
    if (klass != 1 && type != 41)
        apc__sb_printf(s, " (Class %u)", klass);
    if (!apc__need(&c, rd, rdlen))
        return APC__DNS_TRUNC;
    if ((type == 1 && rdlen == 4) || (type == 28 && rdlen == 16)) {
        apc__addr_format(tmp, sizeof(tmp), type == 1 ? 4 : 6, m + rd);
        apc__sb_printf(s, " %s", tmp);
    } else if (type == 2 || type == 5 || type == 12) {
        rc = apc__dns_name(m, n, rd, NULL, tmp, sizeof(tmp));
        if (rc)
            return rc;
        apc__sb_printf(s, " %s%s", tmp, strcmp(tmp, ".") ? "." : "");
    }
    *off = rd + rdlen;
    return 0;
}

int apc__summary_dns(apc__sb_t *s, const uint8_t *m, size_t n, uint32_t len)
{
    apc__cur_t c = {m, n};
    if (!apc__need(&c, 0, 12))
        return 0;
    unsigned id = apc__be16(&c, 0), f1 = apc__u8(&c, 2), f2 = apc__u8(&c, 3);
    unsigned qd = apc__be16(&c, 4), an = apc__be16(&c, 6), ns = apc__be16(&c, 8),
             ar = apc__be16(&c, 10);
    size_t off = 12;
    char tmp[APC__DNS_NAME_MAX], tn[16];
    if (f1 & 0x80) {
        apc__sb_printf(s, "%u%s%s%s%s%s%s", id, opcodes[(f1 >> 3) & 15], rcodes[f2 & 15],
                       f1 & 0x04 ? "*" : "", f2 & 0x80 ? "" : "-", f1 & 0x02 ? "|" : "",
                       f2 & 0x20 ? "$" : "");
        if (qd != 1)
            apc__sb_printf(s, " [%uq]", qd);
        for (unsigned i = 0; i < qd; i++)
            if (apc__dns_skip_question(m, n, off, &off))
                goto trunc;
        apc__sb_printf(s, " %u/%u/%u", an, ns, ar);
        for (unsigned i = 0; i < an; i++) {
            if (i)
                apc__sb_puts(s, ",");
            if (answer(s, m, n, &off))
                goto trunc;
        }
    } else {
        apc__sb_printf(s, "%u%s%s%s", id, opcodes[(f1 >> 3) & 15], f1 & 0x01 ? "+" : "",
                       f2 & 0x10 ? "%" : "");
        if (an)
            apc__sb_printf(s, " [%ua]", an);
        if (qd != 1)
            apc__sb_printf(s, " [%uq]", qd);
        if (ns)
            apc__sb_printf(s, " [%un]", ns);
        if (ar)
            apc__sb_printf(s, " [%uau]", ar);
        for (unsigned i = 0; i < qd; i++) {
            size_t p;
            if (apc__dns_name(m, n, off, &p, tmp, sizeof(tmp)) || !apc__need(&c, p, 4))
                goto trunc;
            unsigned type = apc__be16(&c, p), klass = apc__be16(&c, p + 2) & 0x7fff;
            apc__sb_printf(s, " %s", type_name(type, tn, sizeof(tn)));
            if (klass != 1)
                apc__sb_printf(s, " (Class %u)", klass);
            apc__sb_printf(s, "? %s%s", tmp, strcmp(tmp, ".") ? "." : "");
            off = p + 4;
        }
    }
    apc__sb_printf(s, " (%u)", len);
    return 1;
trunc:
    apc__sb_puts(s, " [|domain]");
    return 1;
}
