/* SPDX-License-Identifier: MIT */
/*
 * HTTP/1.x message framing for extraction (module `extract`, issue 10): reads one direction of
 * a reassembled TCP stream (flow/reasm.h) and reports the body of each message as a file.
 *
 * Phase 1: Content-Length, chunked (trailers skipped), responses delimited by the connection's
 * close; pipelined and kept-alive messages one after another; Content-Encoding gzip, x-gzip
 * and deflate decoded with zlib (the file is the decoded body; decoding stops at the file cap,
 * so a gzip bomb costs no more than the cap; other codings are stored as carried). Answers to
 * HEAD requests through the head() hook of the sink (the caller pairs requests and responses).
 * 206 responses are framed like any other; the caller joins their ranges (Content-Range
 * through the head() hook, apc__http_content_range). docs/extraction.md "HTTP".
 *
 * Limits: a head (start line and headers) of at most APC__HTTP_MAX_HEAD bytes, a chunk-size
 * line of at most 1024, a file of at most the max_file given (past it the file is cut and
 * marked partial, the message is still framed so the next one is found). A malformed head
 * stops the parsing of that direction (state failed); the file being read, if any, ends
 * partial with the reason. Nothing from the traffic is used as a path.
 */
#ifndef APC_EXTRACT_HTTP_H
#define APC_EXTRACT_HTTP_H

#include <stddef.h>
#include <stdint.h>

#define APC__HTTP_MAX_HEAD 16384

/* Headers of a message head the caller needs to pair and join messages (each "" when absent,
 * trimmed, control bytes dropped): a request's Host; a response's Content-Range and its
 * validators (RFC 9110 8.8: ETag, Last-Modified), which tell whether two ranges are of the
 * same representation. */
typedef struct apc__http_meta {
    char host[256];
    char content_range[128];
    char etag[128];
    char last_modified[64];
} apc__http_meta_t;

/* Events of one direction. Strings are valid only during the call. */
typedef struct apc__http_sink {
    /* A message with a non-empty body starts (called at its first body byte as carried).
     * name: the filename of Content-Disposition, else for a request its URI, else NULL
     * (metadata only); ctype: Content-Type or NULL; length: Content-Length, -1 when not given
     * or when the body is decoded. */
    void (*begin)(void *payload, const char *name, const char *ctype, int64_t length);
    void (*body)(void *payload, const uint8_t *data, size_t len);
    /* The body ends: reason NULL when complete, else why it is partial. */
    void (*end)(void *payload, const char *reason);
    /* Optional: every message head, before its body. A request gives its method and URI
     * (status 0); a response its status (method and uri NULL). For a response, returning 1
     * says it has no body whatever its headers (the answer to a HEAD request, RFC 9110 9.3.2:
     * only the caller pairing requests with responses knows). */
    int (*head)(void *payload, const char *method, const char *uri, int status,
                const apc__http_meta_t *meta);
    void *payload;
} apc__http_sink_t;

typedef struct apc__http apc__http_t;

/* New parser of requests (is_request 1) or responses (0); max_file 0 means no cap. NULL on
 * out of memory. */
apc__http_t *apc__http_new(int is_request, uint64_t max_file, const apc__http_sink_t *sink);
/* In-order bytes of the stream. */
void apc__http_feed(apc__http_t *h, const uint8_t *data, size_t len);
/* len bytes of the stream are missing: a file being read ends partial ("gap in the capture"),
 * and parsing of this direction stops (a message boundary cannot be found again reliably). */
void apc__http_gap(apc__http_t *h, uint64_t len);
/* End of the stream: a body delimited by the close ends complete, one cut short ends partial. */
void apc__http_close(apc__http_t *h);
/* 1 once parsing stopped on malformed input or a gap; the reason then (static string). */
const char *apc__http_failed(const apc__http_t *h);
/* A Content-Range value (RFC 9110 14.4): "bytes first-last/complete-length", or with an
 * asterisk for the complete length when unknown (total then UINT64_MAX). 0 with first <= last
 * (and last < total when known), else -1 (an unsatisfied range, other units, malformed). */
int apc__http_content_range(const char *v, uint64_t *first, uint64_t *last, uint64_t *total);
/* NULL-safe; does not call the sink. */
void apc__http_free(apc__http_t *h);

#endif
