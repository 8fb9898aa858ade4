/* SPDX-License-Identifier: MIT */
/*
 * The exact JSON reader shared by apcd (request bodies) and apcctl (replies): RFC 8259 text
 * into a cJSON tree in which every number keeps its exact text as a cJSON_Raw node. cJSON
 * stores numbers as doubles, so 64-bit ids and FILETIMEs (~1.3e17) lose digits above 2^53.
 */
#ifndef APC_COMMON_JSONX_H
#define APC_COMMON_JSONX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

/* Parses `len` bytes of text (need not be NUL-terminated) into a new tree (cJSON_Delete), or
 * NULL when it is not one valid JSON value or nests deeper than 256. */
cJSON *apc_jsonx_parse_len(const char *text, size_t len);
/* The same for a NUL-terminated text (NULL: NULL). */
cJSON *apc_jsonx_parse(const char *text);
/* The integer in v (a Raw number of this reader, or a cJSON number that is a whole double)
 * into *out; false when v is not an integer that fits in 64 bits. */
bool apc_jsonx_int(const cJSON *v, int64_t *out);
/* Whether the text of a Raw number is an integer literal (-?digits, no fraction or
 * exponent). */
bool apc_jsonx_is_integer_text(const char *s);

#endif
