/* SPDX-License-Identifier: MIT */
/*
 * MIME parts of a mail message (module extract): a streaming parser fed a message's bytes
 * (RFC 5322 header section, then the body) that finds its multipart structure (RFC 2046:
 * boundaries, nested multiparts up to a depth cap) and reports each leaf part that is a file
 * (it has a file name, RFC 2183 / RFC 2231, or a type other than text and message), decoded from
 * its Content-Transfer-Encoding (RFC 2045: base64, quoted-printable, 7bit, 8bit, binary). Pure: no
 * engine state, so it can be fuzzed alone.
 */
#ifndef APC_EXTRACT_MIME_H
#define APC_EXTRACT_MIME_H

#include <stddef.h>
#include <stdint.h>

/* What the parser reports. name and ctype are borrowed for the call ("" when none). body is
 * never called with len 0. reason NULL: the part is complete. */
typedef struct apc__mime_sink {
    void (*begin)(void *u, const char *name, const char *ctype);
    void (*body)(void *u, const uint8_t *data, size_t len);
    void (*end)(void *u, const char *reason);
    void *u;
} apc__mime_sink_t;

typedef struct apc__mime apc__mime_t;

#define APC__MIME_DEPTH 8  /* nested multiparts followed; deeper ones are not looked into */
#define APC__MIME_FILES 64 /* files reported per message; later parts are skipped */

/* A parser of one message whose parts are at most `cap` bytes decoded (longer ones end
 * partial). Owned by the caller: free with apc__mime_free. NULL when out of memory. */
apc__mime_t *apc__mime_new(uint64_t cap, const apc__mime_sink_t *sink);
/* The same for a multipart/form-data body (RFC 7578, an HTTP upload): a part's `name`
 * parameter is its form field's name, not a file name, so a part is a file when it has a
 * filename (4.2) or a type other than text. Its header section is the body's: feed
 * "Content-Type: <the request's Content-Type>\r\n\r\n" first. */
apc__mime_t *apc__mime_new_form(uint64_t cap, const apc__mime_sink_t *sink);
/* The message's bytes, in order. */
void apc__mime_feed(apc__mime_t *m, const uint8_t *data, size_t len);
/* The end of the message: a part still open ends, complete when the message ended cleanly
 * (why NULL) and its boundary closed it, else partial with the reason. */
void apc__mime_close(apc__mime_t *m, const char *why);
void apc__mime_free(apc__mime_t *m);

#endif
