/* SPDX-License-Identifier: MIT */
/* Text building for apc__decode_summary (module decode only). */
#ifndef APC_DECODE_SUMMARY_INT_H
#define APC_DECODE_SUMMARY_INT_H

#include <stddef.h>
#include <stdint.h>

#include "decode/bytes.h"
#include "decode/decode.h"

/* Appends to a fixed buffer; text that does not fit is dropped, `len` keeps counting. */
typedef struct apc__sb {
    char *buf;
    size_t n;
    size_t len;
} apc__sb_t;

void apc__sb_printf(apc__sb_t *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void apc__sb_puts(apc__sb_t *s, const char *str);

/* "Flags [S.], seq ..., length N" for a decoded TCP header (tcpdump print-tcp.c layout). */
void apc__summary_tcp(apc__sb_t *s, const apc__pkt_t *p, const apc__cur_t *c);

/* tcpdump's default DNS line for the UDP payload; returns 0 when the payload does not look
 * like DNS (the caller then writes "UDP, length N"). */
int apc__summary_dns(apc__sb_t *s, const uint8_t *msg, size_t caplen, uint32_t len);

#endif
