/* SPDX-License-Identifier: MIT */
/* What module extract keeps (tables of store/sqlite/schema_extract.c): the global switch, the
 * examination state of each capture, the streams (files found) and the files written. Records
 * are the public apc_extract_* ones. Every call returns 0 or a negative APC_E* with the message
 * set. Thread-safe (pooled connections). */
#ifndef APC_STORE_EXTRACTS_H
#define APC_STORE_EXTRACTS_H

#include <apc/extract.h>

#include "store/backend.h"
#include "store/store.h"

int apc__st_extract_enabled(apc__store_t *s, int *on);
int apc__st_extract_set_enabled(apc__store_t *s, int on);

enum { APC__XRUN_NONE = 0, APC__XRUN_DETECTING = 1, APC__XRUN_DONE = 2, APC__XRUN_FAILED = 3 };
/* The examination state of a capture; *uid (the command, when DETECTING) and *error (FAILED)
 * are new strings the caller frees, either may be NULL. APC_ENOTFOUND for an unknown capture. */
int apc__st_extract_run(apc__store_t *s, int64_t capture_id, int *state, char **uid, char **error);
/* Marks a capture DETECTING by command uid, unless it already is: then *busy_uid (caller's)
 * is that command's uid and nothing changes. Atomic, so two queries start one command. */
int apc__st_extract_run_begin(apc__store_t *s, int64_t capture_id, const char *uid,
                              char **busy_uid);
/* Ends an examination: FAILED with the error (the streams of an earlier run are kept), or,
 * error NULL, DONE with these streams replacing the capture's earlier ones, in one
 * transaction. */
int apc__st_extract_run_end(apc__store_t *s, int64_t capture_id, const apc_extract_stream_t *v,
                            size_t n, const char *error);
/* Examinations left DETECTING by a process that died: back to NONE (done at open). */
int apc__st_extract_runs_reset(apc__store_t *s);

/* Streams with id > last_id, at most max, into pg (items, count, last_id, more). */
int apc__st_extract_streams(apc__store_t *s, int64_t capture_id, int64_t last_id, unsigned max,
                            apc_extract_page_t *pg);
/* One stream into *out (fields owned by *out; apc__st_extract_stream_clear). */
int apc__st_extract_stream(apc__store_t *s, int64_t capture_id, int64_t id,
                           apc_extract_stream_t *out);
void apc__st_extract_stream_clear(apc_extract_stream_t *x);

/* Stores what the first look at each of v[0..n) learned (its type and digests), streams of
 * capture_id, in one transaction. A stream already typed keeps its row (two looks at one file
 * agree anyway). Streams are stored untyped and unhashed (mime, sha256, md5 "") by the
 * examination and typed and hashed when first looked at (extract/typing.h). */
int apc__st_extract_set_types(apc__store_t *s, int64_t capture_id, const apc__st_xtyped_t *v,
                              size_t n);

/* Records a written file: f->id is set. */
int apc__st_extract_file_add(apc__store_t *s, apc_extract_file_t *f);
/* Files of capture_id (0 = all), or the one file_id when nonzero; APC_ENOTFOUND when file_id
 * names no file of that capture. */
int apc__st_extract_files(apc__store_t *s, int64_t capture_id, int64_t file_id,
                          apc_extract_file_list_t *l);
int apc__st_extract_file_remove(apc__store_t *s, int64_t id);
/* Calls fn for each file detected in capture_id (its connection, direction, packet span and
 * the attributes the search's file.* fields compare), in one read: the search resolves its
 * file fields once per capture, never per packet. A negative return of fn stops with it. */
int apc__st_extract_spans(apc__store_t *s, int64_t capture_id, apc__st_xspan_fn fn, void *payload);

#endif
