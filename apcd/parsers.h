/* SPDX-License-Identifier: MIT */
/*
 * Parsers of request bodies (spec/wire.md "Requests"): untrusted bytes in, apc_params_t out.
 * They know nothing of HTTP connections, so they are fuzzed alone (tests/fuzz/fuzz_*.c).
 */
#ifndef APCD_PARSERS_H
#define APCD_PARSERS_H

#include <stddef.h>
#include <stdint.h>

#include <apc/ops.h>

typedef struct apcd_limits {
    size_t max_body;      /* bytes of a form or JSON body (and of the fields of a multipart) */
    size_t max_params;    /* parameters in one request */
    size_t max_param_len; /* bytes of one name or value */
    uint64_t max_upload;  /* bytes of one uploaded file */
} apcd_limits_t;

/* Results: 0, or one of these with a message in err. */
enum {
    APCD_PARSE_FORMAT = -1, /* malformed: HTTP 400 */
    APCD_PARSE_LIMIT = -2,  /* over a limit: HTTP 413 */
    APCD_PARSE_NOMEM = -3,
    APCD_PARSE_REFUSED = -4, /* a callback refused (its own message) */
};

/* The length of a parameter name without jQuery's array suffix: "adapter[]" (what
 * $.param sends for an array) names the list parameter "adapter", repeated once per item. */
size_t apcd_param_name_len(const char *name, size_t len);

/* application/x-www-form-urlencoded (WHATWG URL standard, "application/x-www-form-urlencoded
 * parsing"; also the query string). Adds every pair to out. */
int apcd_form_parse(const char *buf, size_t len, const apcd_limits_t *lim, apc_params_t *out,
                    size_t *count, char *err, size_t errlen);

/* application/json: one object (RFC 8259) whose members become parameters: strings as they
 * are, numbers as written, true/false as 1/0, null skipped, arrays as repeated keys. */
int apcd_json_parse(const char *buf, size_t len, const apcd_limits_t *lim, apc_params_t *out,
                    char *err, size_t errlen);

/* multipart/form-data (RFC 7578 over RFC 2046 section 5.1), fed in pieces of any size. Fields
 * without a filename go to `on_field`; a part with a filename is streamed through on_file_*
 * and never kept whole. A callback returning nonzero stops the parse (APCD_PARSE_REFUSED). */
typedef struct apcd_mp_cb {
    int (*on_field)(void *u, const char *name, const char *value, size_t len);
    int (*on_file_begin)(void *u, const char *name, const char *filename);
    int (*on_file_data)(void *u, const char *data, size_t len);
    int (*on_file_end)(void *u);
} apcd_mp_cb_t;

typedef struct apcd_mp apcd_mp_t;

/* The boundary from a Content-Type value ("multipart/form-data; boundary=..."), into out
 * (at most 70 bytes + NUL per RFC 2046). 0 or APCD_PARSE_FORMAT. */
int apcd_mp_boundary(const char *ctype, size_t len, char out[72]);
apcd_mp_t *apcd_mp_new(const char *boundary, const apcd_limits_t *lim, const apcd_mp_cb_t *cb,
                       void *u);
/* Feeds the next bytes. 0 or an APCD_PARSE_* code (sticky) with the message in apcd_mp_error. */
int apcd_mp_feed(apcd_mp_t *m, const char *data, size_t len);
/* After the last byte: APCD_PARSE_FORMAT unless the closing boundary was seen. */
int apcd_mp_finish(apcd_mp_t *m);
const char *apcd_mp_error(const apcd_mp_t *m);
void apcd_mp_free(apcd_mp_t *m);

/* Percent-decoding of one form component in place ('+' is a space when plus). Returns the new
 * length, or -1 on a malformed escape. */
long apcd_pct_decode(char *s, size_t len, int plus);

/* Downloads (apcd/range.c). The Range header value r (NUL-terminated) of a file of `size`
 * bytes: 1 with [*from, *from + *len) set for one satisfiable range ("bytes=A-B", "bytes=A-",
 * "bytes=-N"), 0 to send the whole file (no range, several, or not understood), -1 when the
 * range lies past the end (416). */
int apcd_range_parse(const char *r, unsigned long long size, unsigned long long *from,
                     unsigned long long *len);
/* The Content-Disposition of an attachment named `name` (its first APCD_NAME_MAX bytes) into
 * out: `attachment; filename="<ASCII, other bytes as _>"; filename*=UTF-8''<percent-encoded>`
 * (RFC 6266). n = APCD_DISPOSITION_MAX always fits. */
#define APCD_NAME_MAX 200
#define APCD_DISPOSITION_MAX (60 + 4 * APCD_NAME_MAX)
void apcd_disposition(const char *name, char *out, size_t n);
#endif
