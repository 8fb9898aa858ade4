/* SPDX-License-Identifier: MIT */
/*
 * Mail messages in SMTP, POP3 and IMAP sessions (module extract): one parser per connection, fed
 * the bytes of both directions, reports each message it sees (begin with a name taken from
 * the Subject header, bytes, end). Pure: no engine state, so it can be fuzzed alone.
 */
#ifndef APC_EXTRACT_MAIL_H
#define APC_EXTRACT_MAIL_H

#include <stddef.h>
#include <stdint.h>

#define APC__SMTP_PORT 25
#define APC__SUBMISSION_PORT 587
#define APC__POP3_PORT 110
#define APC__IMAP_PORT 143

enum apc__mail_kind { APC__MAIL_SMTP = 1, APC__MAIL_POP3 = 2, APC__MAIL_IMAP = 3 };

/* What the parser reports; dir: 0 or 1 as fed. name is borrowed for the call. body is never
 * called with len 0. reason NULL: the message is complete. */
typedef struct apc__mail_sink {
    void (*begin)(void *u, int dir, const char *name);
    void (*body)(void *u, int dir, const uint8_t *data, size_t len);
    void (*end)(void *u, int dir, const char *reason);
    void *u;
} apc__mail_sink_t;

typedef struct apc__mail apc__mail_t;

/* A parser of a `kind` session whose client sends direction `client` (0 or 1), messages at
 * most `cap` bytes (longer ones are cut and reported partial). Owned by the caller: free with
 * apc__mail_free. NULL when out of memory. */
apc__mail_t *apc__mail_new(int kind, int client, uint64_t cap, const apc__mail_sink_t *sink);
/* Bytes of direction dir, in order. */
void apc__mail_feed(apc__mail_t *m, int dir, const uint8_t *data, size_t len);
/* A hole in direction dir: a message under way ends partial; parsing resumes at a line. */
void apc__mail_gap(apc__mail_t *m, int dir);
/* The end of the session: messages still open end partial with `why` (NULL: a default). */
void apc__mail_close(apc__mail_t *m, const char *why);
void apc__mail_free(apc__mail_t *m);

#endif
