/* SPDX-License-Identifier: MIT */
/*
 * File extraction (module extract, docs/extraction.md): the files carried in a capture's TCP
 * streams, found by reassembling each connection and framing its application protocol, each
 * linked to the process that owned the connection.
 *
 * Detection runs over a stored capture as a command (apc_command_*: progress, cancel) and
 * records each file found as a *stream* (its metadata, SHA-256 and MD5, but not its bytes).
 * Writing a stream replays its connection from the stored packets and writes the file under
 * <data>/extracted/<capture id>/; the written file is listed until it is deleted.
 *
 * Protocols today: HTTP/1.x bodies of requests and responses (Content-Length, chunked,
 * gzip/deflate decoded). Every function is thread-safe and may block on the store. Errors are
 * negative APC_E* codes with apc_last_error_message() set.
 */
#ifndef APC_EXTRACT_H
#define APC_EXTRACT_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"
#include "ctx.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One file seen in a capture. Strings are owned by the record ("" when unknown). */
typedef struct apc_extract_stream {
    int64_t id; /* 1-based within its capture, in order of the file's first byte */
    int64_t capture_id;
    int64_t conn_id; /* connection within the capture */
    int direction;   /* APC_DIR_OUT: sent by the connection's initiator; APC_DIR_IN: received */
    uint32_t nth;    /* its place among the files of that connection and direction, from 1 */
    char *protocol;  /* "http", "http-ranges" (joined 206 ranges), "ftp-data", "tftp", "smb" */
    char *name;      /* as seen (Content-Disposition filename or the URI); metadata only */
    char *mime;      /* from the content (libmagic), e.g. "image/png"; computed (and stored)
                        the first time a page returns the file, not by the examination */
    char *ctype;     /* Content-Type as carried */
    uint64_t size;   /* bytes of the file as extracted (decoded when it was gzip/deflate) */
    int complete;    /* 1: every byte was captured; 0: partial, see reason */
    char *reason;    /* why partial: "gap in the capture", "file size cap", ... */
    char sha256[65]; /* lowercase hex of the file's bytes */
    char md5[33];
    apc_time_t time;                   /* time of the packet carrying its first byte */
    int64_t first_packet, last_packet; /* packet ids carrying its first and last byte */
    int64_t pid;                       /* owner of the connection's socket; 0 when unknown */
    char *process_name;
    char *process_path;
} apc_extract_stream_t;

typedef struct apc_extract_page {
    int64_t capture_id;
    int64_t last_id;   /* pass back as last_id */
    int more;          /* nonzero: further streams exist */
    int state;         /* APC_EXTRACT_DONE, or APC_EXTRACT_DETECTING (items empty, see command) */
    char *command_uid; /* the detection command when state is DETECTING, else "" */
    size_t count;
    apc_extract_stream_t *items;
} apc_extract_page_t;

enum apc_extract_state { APC_EXTRACT_DONE = 0, APC_EXTRACT_DETECTING = 1 };

/* A file written to disk by apc_extract_file_write. */
typedef struct apc_extract_file {
    int64_t id; /* unique in the store, never reused */
    int64_t capture_id, stream_id;
    char *path; /* absolute path of the written file */
    char *name; /* the name as seen in the traffic */
    uint64_t size;
    char *mime;
    char sha256[65];
    apc_time_t time; /* when it was written */
    int complete;
    int64_t pid;
    char *process_name;
    char *process_path;
} apc_extract_file_t;

typedef struct apc_extract_file_list {
    size_t count;
    apc_extract_file_t *items; /* by id */
} apc_extract_file_list_t;

APC_API void apc_extract_page_free(apc_extract_page_t *pg);
APC_API void apc_extract_file_free(apc_extract_file_t *f);
APC_API void apc_extract_file_list_free(apc_extract_file_list_t *l);

/* Turns detection on (1) or off (0); persisted. On, every ingest and capture that starts is
 * examined as it is stored (the examination follows its commits and ends after it), and one
 * that ends unexamined is examined then. */
APC_API int apc_extract_set_enabled(apc_ctx_t *ctx, int on);
/* 1 when on, 0 when off, or < 0 on error. */
APC_API int apc_extract_enabled(apc_ctx_t *ctx);

/* The streams of capture `capture_id` with id > last_id, at most max (0 = 100, capped at
 * APC_PAGE_MAX). A capture not yet examined is examined now: a detection command starts (or
 * the running one is found) and the page comes back with state APC_EXTRACT_DETECTING and its
 * uid; wait for the command (apc_command_wait) and ask again. A capture still being captured
 * answers the same way when its examination follows it (extraction was on when it started),
 * and is refused (APC_EBUSY) otherwise. Streams the examination left untyped are typed before
 * the page is answered (one replay of their connections from the stored packets, stopping once
 * it has seen them all). *out is the caller's (apc_extract_page_free). */
APC_API int apc_extract_query(apc_ctx_t *ctx, int64_t capture_id, int64_t last_id, unsigned max,
                              apc_extract_page_t **out);
/* Writes stream `stream_id` of the capture to <data>/extracted/<capture_id>/ and records it;
 * the new file's record in *out (caller's, apc_extract_file_free). The bytes written are
 * checked against the SHA-256 recorded at detection (APC_EIO on a mismatch: the stored packets
 * changed; nothing is kept then). A stream still untyped is typed on the way. */
APC_API int apc_extract_file_write(apc_ctx_t *ctx, int64_t capture_id, int64_t stream_id,
                                   apc_extract_file_t **out);
/* Files written from capture_id (0 = every capture), by id. */
APC_API int apc_extract_file_list(apc_ctx_t *ctx, int64_t capture_id,
                                  apc_extract_file_list_t **out);
/* Deletes file `file_id` of the capture, or all of its files when file_id is 0, from disk and
 * from the list; the number deleted in *out_count (may be NULL). */
APC_API int apc_extract_file_delete(apc_ctx_t *ctx, int64_t capture_id, int64_t file_id,
                                    size_t *out_count);

#ifdef __cplusplus
}
#endif

#endif
