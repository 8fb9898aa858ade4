/* SPDX-License-Identifier: MIT */
/*
 * Searches over stored packets with the display-filter style language of docs/filters.md.
 * A search is an asynchronous job: apc_search_start returns its id at once; its matches are
 * committed in batches and can be read with apc_search_read while it still runs.
 *
 * Ownership: objects returned through out-parameters belong to the caller and are freed with
 * the matching apc_*_free (NULL-safe). All functions are thread-safe and may block on the store.
 */
#ifndef APC_SEARCH_H
#define APC_SEARCH_H

#include "capture.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Result of checking a filter (SEARCHSYNTAX). */
typedef struct apc_search_syntax {
    int valid;
    char *error;         /* "" when valid: a message a person can act on */
    size_t error_offset; /* byte offset of the fault in the filter; 0 when valid */
    char *normalized;    /* the filter written canonically; "" when not valid */
} apc_search_syntax_t;

/* Checks `filter` (NUL-terminated). Returns 0 with *out filled whether or not the filter is
 * valid; < 0 only on allocation failure or a NULL argument. Does not block. */
APC_API int apc_search_verify(const char *filter, apc_search_syntax_t **out);
APC_API void apc_search_syntax_free(apc_search_syntax_t *s);

/* Search states: as COMMAND states. */
enum apc_search_state {
    APC_SEARCH_QUEUED = 0,
    APC_SEARCH_RUNNING = 1,
    APC_SEARCH_COMPLETED = 2,
    APC_SEARCH_FAILED = 3,
    APC_SEARCH_CANCELLED = 4,
};
APC_API const char *apc_search_state_name(int state); /* "queued", ... ; static */

#define APC_SEARCH_OPTIONS_VERSION 2
typedef struct apc_search_options {
    unsigned version;
    int64_t capture_id;    /* 0: every capture */
    apc_time_t start_time; /* 0: no lower bound (ns since the Unix epoch) */
    apc_time_t end_time;   /* 0: no upper bound; inclusive */
    /* Version 2: the account that starts the search (copied; NULL or "" = no account, as for
     * local callers). A viewer may cancel and delete only the searches it owns. */
    const char *owner;
} apc_search_options_t;
APC_API int apc_search_options_init(apc_search_options_t *o, unsigned version);

/* Checks the filter (APC_EINVAL / APC_ELIMIT with the checker's message when it is not
 * valid), records the search and queues it; *out_id receives its id. opts may be NULL. */
APC_API int apc_search_start(apc_ctx_t *ctx, const char *filter, const apc_search_options_t *opts,
                             int64_t *out_id);

/* Blocks until the search has ended (timeout_ms < 0: forever). 0, APC_EBUSY on timeout,
 * APC_ENOTFOUND for an unknown id. */
APC_API int apc_search_wait(apc_ctx_t *ctx, int64_t id, int timeout_ms);

typedef struct apc_search_meta {
    int64_t id;
    char *filter;     /* normalized */
    int state;        /* enum apc_search_state */
    int progress;     /* 0-100 */
    uint64_t scanned; /* packets looked at */
    uint64_t matches;
    apc_time_t created, start_time, end_time; /* end_time 0 while running */
    char *error;
    int64_t capture_id; /* 0 = every capture */
    char *owner;        /* account that started it; "" when none */
} apc_search_meta_t;

APC_API int apc_search_get(apc_ctx_t *ctx, int64_t id, apc_search_meta_t **out);
APC_API void apc_search_meta_free(apc_search_meta_t *m);

typedef struct apc_search_list {
    size_t count;
    apc_search_meta_t **items;
} apc_search_list_t;
APC_API int apc_search_list(apc_ctx_t *ctx, apc_search_list_t **out);
APC_API void apc_search_list_free(apc_search_list_t *l);

/* Asks a running search to stop (it ends "cancelled"); a search that has ended is left as
 * it is. APC_ENOTFOUND for an unknown id. */
APC_API int apc_search_cancel(apc_ctx_t *ctx, int64_t id);
/* Cancels (waiting for the job to stop) and deletes the search and its results. */
APC_API int apc_search_delete(apc_ctx_t *ctx, int64_t id);

/* A page of matches (SEARCHLIST): packets without bytes, in match order. */
typedef struct apc_search_page {
    int64_t search_id;
    int64_t last_id; /* pass back as last_id */
    int more;        /* nonzero: more matches are stored, or the search still runs */
    size_t count;
    apc_packet_t *packets;
} apc_search_page_t;

/* Matches after result `last_id` (0 = from the first), at most max (0 = 100, capped at
 * APC_PAGE_MAX). Matches of a capture deleted since are skipped. A match in a capture of
 * another node of a fleet (docs/fleet.md) carries its id and capture id only (its other
 * fields are in that node's index; the action search_read fills them from that node). */
APC_API int apc_search_read(apc_ctx_t *ctx, int64_t id, int64_t last_id, unsigned max,
                            apc_search_page_t **out);
APC_API void apc_search_page_free(apc_search_page_t *pg);

/* Starts exporting the matches of search `id` to one pcapng file, as a COMMAND of module export
 * (apc/export.h: path rules, export roots, process comments): its results in order, from every
 * capture they lie in (one IDB per capture and interface, named "capture <id>: <name>"). The
 * command and the file's record carry the search id (and the capture id when there is one
 * capture). APC_ENOTFOUND for an unknown search or one without matches, APC_EBUSY while it
 * runs. *out_uid: the command's uid (free with apc_free). */
APC_API int apc_search_export(apc_ctx_t *ctx, int64_t id, const char *path, int overwrite,
                              char **out_uid);

#ifdef __cplusplus
}
#endif

#endif
