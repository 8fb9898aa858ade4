/* SPDX-License-Identifier: MIT */
/*
 * A JSON text writer for the objects sent by the page (module ops only). Packet pages are
 * the largest replies by far: written as text here and handed to cJSON as one raw node, a page
 * costs one growing buffer instead of a tree of three allocations per field. The text is
 * byte for byte what cJSON_PrintUnformatted writes for the same tree (same escapes, integers
 * in full), so a reply reads the same whichever path built it.
 */
#ifndef APC_OPS_JSONW_H
#define APC_OPS_JSONW_H

#include <stddef.h>
#include <stdint.h>

typedef struct apc__jw {
    char *buf; /* NUL-terminated when len > 0; owned by the writer until apc__jw_take */
    size_t len;
    size_t cap;
    int oom; /* an append failed: the text is incomplete */
} apc__jw_t;

/* Appends n bytes as they are. */
void apc__jw_raw(apc__jw_t *w, const char *s, size_t n);
/* Opens '{' or '[' (after a comma when a value precedes it), or closes '}' or ']'. */
void apc__jw_open(apc__jw_t *w, char c);
void apc__jw_close(apc__jw_t *w, char c);
/* "name": with the comma an object needs before every field but its first. */
void apc__jw_key(apc__jw_t *w, const char *name);
/* Values: a string (NULL -> ""; invalid UTF-8 becomes U+FFFD, RFC 8259 section 8.1), an
 * integer in full, bytes as lowercase hex text. */
void apc__jw_str(apc__jw_t *w, const char *s);
void apc__jw_i64(apc__jw_t *w, int64_t v);
void apc__jw_hex(apc__jw_t *w, const uint8_t *d, size_t n);
/* The text (caller frees with free()), or NULL when an append ran out of memory; the writer
 * is left empty either way. */
char *apc__jw_take(apc__jw_t *w);
void apc__jw_free(apc__jw_t *w);

/* Length of a well-formed UTF-8 sequence at s (RFC 3629), or 0. */
size_t apc__utf8_seq(const unsigned char *s, size_t n);

#endif
