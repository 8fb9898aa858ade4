/* SPDX-License-Identifier: MIT */
/*
 * The extraction engine (module extract): reads a stored capture's packets in order (through
 * apc_capture_read), reassembles each TCP connection in both directions (flow/reasm.h), frames
 * HTTP/1.x in them (extract/http.h), follows FTP control connections to their data
 * connections (extract/ftp.h), SMB2 and SMB1 files through their reads and writes
 * (extract/smb2.h, smb1.h) and TFTP requests to their transfers (extract/tftp.h), and reports
 * every file found with its metadata, its SHA-256, MD5 and (when asked: want_type) its MIME type
 * (libmagic), and the process that owned the connection.
 *
 * Run over a whole capture it finds the files (detection); run over one connection with a
 * target (direction, nth) it also hands that file's bytes to a writer (carving). The two runs
 * see the same packets in the same order, so they find the same files.
 */
#ifndef APC_EXTRACT_DETECT_H
#define APC_EXTRACT_DETECT_H

#include <stddef.h>
#include <stdint.h>

#include <apc/extract.h>

/* Largest file hashed or written; past it the file ends partial ("file size cap"). */
#define APC__EXTRACT_MAX_FILE (1ull << 30)
/* Buffered out-of-order bytes: per direction and in total (flow/reasm.h caps). */
#define APC__EXTRACT_STREAM_CAP (8u << 20)
#define APC__EXTRACT_POOL_CAP (256u << 20)
/* What SMB holds in memory in one run: messages, WRITE data awaiting its answer, files. */
#define APC__EXTRACT_SMB_CAP (256u << 20)
/* Files joined from 206 ranges are held in memory: each up to 64 MiB, all up to 256 MiB. */
#define APC__EXTRACT_RANGE_FILE_CAP (64u << 20)
#define APC__EXTRACT_RANGE_POOL (256u << 20)

typedef struct apc__xtrun {
    apc_ctx_t *ctx;
    int64_t capture_id;
    int64_t only_conn; /* 0: every connection; else that one (carving) */
    /* Carving target: the nth file of direction `dir` of only_conn; its bytes go to write(). */
    int dir;
    uint32_t nth;
    int ftp_data; /* carving an FTP data connection's file: its bytes are the file */
    int tftp;     /* carving a TFTP transfer: its DATA blocks are the file */
    /* carving a file joined from 206 ranges (protocol "http-ranges"): only_conn is 0 (every
     * connection is read) and this is the connection of its first range (dir, nth its) */
    int64_t range_conn;
    int (*write)(void *payload, const uint8_t *data, size_t len);
    /* Called for each file found, in order of its end; x is valid during the call (id and
     * capture_id not set). A negative return stops the run with that error; a positive one
     * stops it at once as done (a caller that has what it wanted: the end of the capture then
     * reports nothing more). */
    int (*found)(void *payload, const apc_extract_stream_t *x);
    /* Called now and then with packets read so far (may be NULL); `now` 1: the run is about to
     * wait for the capture's next commit (a followed run), so the count is worth showing. */
    void (*progress)(void *payload, uint64_t packets, int now);
    /* The capture may still be being stored: the run reads what is committed, waits for more
     * (apc__ctx_wait: each commit wakes it) until the capture has ended, then ends as a run
     * over the stored capture would, with the same files. */
    int follow;
    /* A followed run only: the owners of connections can be learned after their files were
     * reported (a later packet names the process), so once the capture has ended this is
     * called to give each file reported so far the owner the store has at the end:
     * owner(eng, conn_id, ...) answers (strings valid during the call). May be NULL. */
    void (*reowned)(void *payload,
                    void (*owner)(const void *eng, int64_t conn_id, int64_t *pid, const char **name,
                                  const char **path),
                    const void *eng);
    /* Whether the file (connection, direction, nth) gets its MIME type from its content and
     * its SHA-256 and MD5 (1), or is reported untyped and unhashed, mime, sha256 and md5 ""
     * (0). NULL: none is. libmagic is the examination's dearest step (about 2 M instructions
     * per head) and the digests the next (a pass over every byte of every file), so the
     * examination types and hashes nothing and a file is typed and hashed when someone looks
     * at it (extract/typing.h). An empty file is always "application/x-empty" with the
     * digests of nothing: those need no look. */
    int (*want_type)(void *payload, int64_t conn_id, int direction, uint32_t nth);
    /* Only these connections' packets are read (sorted ids, n_conns of them); NULL: all. For
     * runs after files whose protocol lives in their own connection (not FTP data, TFTP or
     * 206 ranges, which follow other flows). */
    const int64_t *conns;
    size_t n_conns;
    /* With conns: packets up to this id are skipped unread, none of those connections having
     * one there (their first packet comes later); 0: from the start. */
    int64_t after_packet;
    void *payload;
    const volatile int *cancelled, *cancelled2; /* either may be NULL */
} apc__xtrun_t;

/* Runs the engine. Returns 0, APC_ECANCELED, or the error of a read, of found() or write(). */
int apc__extract_run(const apc__xtrun_t *run);

#endif
