/* SPDX-License-Identifier: MIT */
/*
 * Exports, commands and flush (module `export`).
 *
 * An export writes a capture's packets to a pcapng file with the process metadata of every
 * attributed packet (packet comments in ptcpdump's style and epb_processid_threadid). It runs
 * as a COMMAND: an asynchronous job with a uid, a state, progress 0-100 and cancellation.
 * Commands are kept in the store, so their outcome can be read after they end.
 *
 * Ownership: objects returned through out-parameters belong to the caller and are freed with
 * the matching apc_*_free (NULL-safe); strings (a command uid) with apc_free. All functions are
 * thread-safe and may block on the store. docs/export.md describes the file and the rules.
 */
#ifndef APC_EXPORT_H
#define APC_EXPORT_H

#include "ctx.h"

#ifdef __cplusplus
extern "C" {
#endif

enum apc_command_state {
    APC_CMD_QUEUED = 1,
    APC_CMD_RUNNING = 2,
    APC_CMD_COMPLETED = 3,
    APC_CMD_FAILED = 4,
    APC_CMD_CANCELLED = 5,
};

/* "queued", "running", "completed", "failed", "cancelled"; static, never NULL. */
APC_API const char *apc_command_state_name(int state);

typedef struct apc_command {
    char *uid;                             /* CommandUid */
    char *type;                            /* "export" (later: "search export", "extraction") */
    int state;                             /* enum apc_command_state */
    int progress;                          /* 0-100 */
    apc_time_t created, started, finished; /* 0 until it happens */
    char *result;       /* completed export: the path of the file written; "" otherwise */
    char *error;        /* failed: why; "" otherwise */
    int64_t capture_id; /* what it works on: a capture, or a search (0 when not one) */
    int64_t search_id;
    uint64_t packets; /* packets written so far */
} apc_command_t;

APC_API void apc_command_free(apc_command_t *c);

typedef struct apc_command_list {
    size_t count;
    apc_command_t **items; /* newest first */
} apc_command_list_t;

APC_API void apc_command_list_free(apc_command_list_t *l);

/*
 * Starts exporting capture `capture_id` to a pcapng file and returns the new command's uid in
 * *out_uid (free with apc_free). Does not block on the export itself.
 *  - path: NULL or "" writes <data>/exports/capture-<id>-<time>.pcapng; an existing directory
 *    writes a generated name inside it; anything else is the file to write. Either way the
 *    file must lie inside one of the export roots (setting "export_roots": directories separated
 *    by ':', default <data>/exports): APC_EPERM otherwise.
 *  - filter: a search filter (docs/filters.md); NULL or "" exports every packet. A filter that
 *    is not valid is APC_EINVAL ("bad filter: <the checker's message> (at offset N)").
 *  - overwrite: 0 refuses an existing file with APC_EEXISTS, 1 replaces it when the export ends.
 * Checks made before the command exists (capture found, path allowed) fail the call; what goes
 * wrong later (disk full) ends the command "failed" with the partial file removed.
 */
APC_API int apc_export_start(apc_ctx_t *ctx, int64_t capture_id, const char *path,
                             const char *filter, int overwrite, char **out_uid);

/* One command by uid. APC_ENOTFOUND if none. */
APC_API int apc_command_get(apc_ctx_t *ctx, const char *uid, apc_command_t **out);
/* Every command kept, newest first. */
APC_API int apc_command_list(apc_ctx_t *ctx, apc_command_list_t **out);
/* Asks a queued or running command to stop (it ends "cancelled"). 0 also when it had already
 * ended; APC_ENOTFOUND for an unknown uid. Does not wait. */
APC_API int apc_command_cancel(apc_ctx_t *ctx, const char *uid);
/* Blocks until the command has ended (timeout_ms < 0: forever). 0 when it ended (whatever its
 * state), APC_EBUSY on timeout. */
APC_API int apc_command_wait(apc_ctx_t *ctx, const char *uid, int timeout_ms);
/* Deletes a command's record; a running one is cancelled and waited for first. The file an
 * export wrote stays (export_delete removes it). */
APC_API int apc_command_delete(apc_ctx_t *ctx, const char *uid);

typedef struct apc_export_file {
    char *name;         /* the file name for a file in <data>/exports, else its absolute path */
    uint64_t size;      /* bytes */
    apc_time_t created; /* file modification time */
    int64_t capture_id; /* the capture or search it came from; 0 when unknown */
    int64_t search_id;
    char *command_uid; /* command that wrote it; "" when unknown */
    char *path;        /* absolute path (a realpath) */
    char *root;        /* the export root that holds it (a realpath) */
} apc_export_file_t;

typedef struct apc_export_list {
    size_t count;
    apc_export_file_t *files; /* by name */
} apc_export_list_t;

/* The exports of every export root (the operator's export_roots, or <data>/exports): the
 * regular files at the top of each root (names starting with '.' are work in progress), and
 * the exports this library recorded deeper inside a root that are still there. Files of
 * <data>/exports are named by their file name, the others by their absolute path. */
APC_API int apc_export_list(apc_ctx_t *ctx, apc_export_list_t **out);
APC_API void apc_export_list_free(apc_export_list_t *l);
/* Deletes export `name` (a Name of apc_export_list: a file name in <data>/exports or an
 * absolute path), or, when name is NULL or "", every export of <data>/exports and every export
 * this library recorded in another root (files it did not write there are left alone).
 * A relative name with '/', ".", ".." is APC_EINVAL; a name export_list does not show is
 * APC_ENOTFOUND. *out_deleted (may be NULL) receives the number of files deleted. */
APC_API int apc_export_delete(apc_ctx_t *ctx, const char *name, uint64_t *out_deleted);

/* apc_flush flags: one bit per kind of saved data (spec/wire.md). */
#define APC_FLUSH_CAPTURES 0x001    /* captures with their packets, segments, index, notes */
#define APC_FLUSH_CONNECTIONS 0x002 /* connection records of every capture */
#define APC_FLUSH_IPS 0x004         /* IP addresses (overall and per capture) */
#define APC_FLUSH_PROCESSES 0x008   /* processes and threads */
#define APC_FLUSH_STATISTICS 0x010  /* statistics counters */
#define APC_FLUSH_SEARCHES 0x020    /* searches and their results */
#define APC_FLUSH_COMMANDS 0x040    /* records of commands that have ended */
#define APC_FLUSH_EXPORTS 0x080     /* files in <data>/exports */
#define APC_FLUSH_EXTRACTED 0x100   /* extracted files */
#define APC_FLUSH_ALL 0x1ff

/* Deletes saved data of the kinds in `flags` and compacts the store. APC_EBUSY while a capture
 * is active, a command is running or a search is queued or running; APC_EINVAL for 0 or
 * unknown bits. Settings, accounts, triggers and actions are never flushed. */
APC_API int apc_flush(apc_ctx_t *ctx, uint32_t flags);

#ifdef __cplusplus
}
#endif

#endif
