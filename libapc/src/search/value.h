/* SPDX-License-Identifier: MIT */
/* Literals of the filter language: checked against a field's type, and written canonically. */
#ifndef APC_SEARCH_VALUE_H
#define APC_SEARCH_VALUE_H

#include <stdio.h>

#include "search/filter.h"

/* Parses one literal for field f under operator op. `quoted` with str/slen: a "..." string;
 * else `word`/wlen is the bare word. Fills v (v->s owned by the caller). Returns 0, or
 * APC_EINVAL / APC_ENOMEM with a message for a person written into msg. */
int apc__val_parse(const apc__field_t *f, int op, int quoted, const char *str, size_t slen,
                   const char *word, size_t wlen, apc__fval_t *v, char *msg, size_t msgn);

/* Appends the canonical text of v (as a literal of field f) to the stream. */
void apc__val_write(FILE *out, const apc__field_t *f, const apc__fval_t *v);

/* Parses an ISO 8601 UTC time ("2024-01-02T03:04:05.5Z", "2024-01-02 03:04:05", date only)
 * into nanoseconds since the Unix epoch. 0 or -1. */
int apc__time_parse(const char *s, size_t n, int64_t *ns);

#endif
