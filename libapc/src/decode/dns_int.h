/* SPDX-License-Identifier: MIT */
/* DNS name reading shared by dns.c and the summary (module decode only). */
#ifndef APC_DECODE_DNS_INT_H
#define APC_DECODE_DNS_INT_H

#include <stddef.h>
#include <stdint.h>

#define APC__DNS_TRUNC (-2) /* the name runs past the end of the message */
#define APC__DNS_BAD (-1)   /* bad label type, forward pointer, too many hops, too long */
/* Text of a name: 255 wire octets, each escaped as \DDD at worst. */
#define APC__DNS_NAME_MAX 1024

/* Reads the (possibly compressed) name at off. *next (if not NULL) gets the offset after the
 * name in place; out (if not NULL) the lowercase dotted text without the final dot ("." for
 * the root), truncated to outsz. Returns 0, APC__DNS_TRUNC or APC__DNS_BAD. */
int apc__dns_name(const uint8_t *msg, size_t len, size_t off, size_t *next, char *out,
                  size_t outsz);

/* Skips a question entry (name, type, class) at off. Same returns. */
int apc__dns_skip_question(const uint8_t *msg, size_t len, size_t off, size_t *next);

#endif
