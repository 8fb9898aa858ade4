/* SPDX-License-Identifier: MIT */
/*
 * How apcctl reaches the action table: in-process (transport_local.c) or through apcd over
 * HTTP (transport_http.c, a later milestone). Everything above this interface is the same for
 * both, so the HTTP one is a drop-in.
 */
#ifndef APCCTL_TRANSPORT_H
#define APCCTL_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>

/* Ordered name=value pairs; a repeated name is a list. The transport encodes them its way. */
typedef struct apcctl_kv {
    char *name;
    char *value;
} apcctl_kv_t;

typedef struct apcctl_args {
    size_t count, cap;
    apcctl_kv_t *items;
} apcctl_args_t;

/* Returns 0 or -1 (out of memory). Copies both strings. */
int apcctl_args_add(apcctl_args_t *a, const char *name, const char *value);
/* First value of `name`, or NULL. */
const char *apcctl_args_get(const apcctl_args_t *a, const char *name);
void apcctl_args_free(apcctl_args_t *a);

typedef struct apcctl_transport apcctl_transport_t;
struct apcctl_transport {
    const char *name;
    /* True when work the server starts (ingest jobs) outlives this process: false in-process,
     * where closing the context cancels running jobs. */
    bool detached_jobs;
    /* Runs `action`; on 0, *out_json is the RESPONSE text (malloc'd, caller frees). On -1,
     * err holds why no RESPONSE was obtained. */
    int (*call)(apcctl_transport_t *t, const char *action, const apcctl_args_t *args,
                char **out_json, char *err, size_t errlen);
    /* Waits up to ms for the job that action `poll` reads (capture_get_details, command_query
     * or search_open) with id `id` to end, returning when it ends: 0 it ended, APC_EBUSY the time
     * passed, other < 0 the job cannot be waited on this way. NULL: the caller sleeps instead
     * (HTTP: the next poll is the only news). */
    int (*wait)(apcctl_transport_t *t, const char *poll, const char *id, int ms);
    void (*close)(apcctl_transport_t *t);
};

/* Opens the data directory in-process, as the local admin; store NULL or "" = its SQLite
 * store, else a PostgreSQL URL for the metadata (apc_ctx_options_t.store). */
int apcctl_transport_local_open(apcctl_transport_t **out, const char *data_dir, const char *store,
                                char *err, size_t errlen);
/* Talks to apcd at `url` (http://HOST[:PORT][/PREFIX]) as `user` (NULL: $APC_USER, else
 * admin); logs in on the first call (transport_http.c). */
int apcctl_transport_http_open(apcctl_transport_t **out, const char *url, const char *user,
                               char *err, size_t errlen);

#endif
