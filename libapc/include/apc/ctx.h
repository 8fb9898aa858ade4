/* SPDX-License-Identifier: MIT */
/*
 * The library context: one data directory, its store, its job pool.
 */
#ifndef APC_CTX_H
#define APC_CTX_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct apc_ctx apc_ctx_t;

enum apc_log_level {
    APC_LOG_ERROR = 0,
    APC_LOG_WARN = 1,
    APC_LOG_INFO = 2,
    APC_LOG_DEBUG = 3,
};

/*
 * Logging hook. Called from any library thread, possibly concurrently; `msg` is valid only
 * during the call. `payload` is the caller's, passed back untouched.
 */
typedef void (*apc_log_cb)(int level, const char *msg, void *payload);

#define APC_CTX_OPTIONS_VERSION 6

typedef struct apc_ctx_options {
    unsigned version;     /* APC_CTX_OPTIONS_VERSION */
    const char *data_dir; /* created if missing; NULL means "./apc-data". A relative path is
                           * resolved once, at open, against the working directory then */
    apc_log_cb log_cb;    /* NULL: messages at or below log_level go to stderr */
    void *log_payload;
    int log_level; /* enum apc_log_level; default APC_LOG_WARN */
    unsigned jobs; /* worker threads for long jobs; 0 = default (2) */
    int read_only; /* nonzero: open the store read-only, start no jobs */
    /* Version 2. Where files may be written and read, set by the operator (apcd's config file
     * or command line), never through the API (settings_set refuses these keys; settings_get
     * reads them). Each is a list of absolute directories separated by ':' (copied).
     * export_roots: NULL = <data>/exports. ingest_roots: NULL = anywhere the process can
     * read (a local caller is the operator); when set, pcap_ingest_file reads only files under
     * one of them, and under <data>/uploads (apcd's uploads). docs/security.md. */
    const char *export_roots;
    const char *ingest_roots;
    /* Version 3. Directories (absolute, ':'-separated, copied) under which EXECUTE actions of
     * triggers may name their program (docs/triggers.md); NULL or "" = none: every EXECUTE
     * action is refused. Set by the operator (apcd --execute-roots or config key
     * execute_roots); settings_get reads it, nothing in the API changes it. */
    const char *execute_roots;
    /* Version 3. The account EXECUTE actions run as (a user name, copied; its primary group
     * and supplementary groups too): NULL or "" = the process's own user. Switching needs
     * root. Set by the operator like execute_roots (apcd --execute-user, execute_user). */
    const char *execute_user;
    /* Version 4. Where the metadata lives (copied): NULL or "" = the embedded SQLite store
     * (<data_dir>/apc.db); a PostgreSQL connection string starting with "postgresql://" or
     * "postgres://" (libpq's URI form, e.g. postgresql://apc@db.example/apc) = that database,
     * shared by the nodes of a fleet (docs/fleet.md). Packet bytes stay in data_dir either
     * way. Set by the operator (apcd --store, config key store). */
    const char *store;
    /* Version 5. This node's identity in a fleet (copied; docs/fleet.md). node_name: NULL or
     * "" = "<host name>:<data directory>"; it names the node in the PostgreSQL table nodes
     * and in each CAPTURE's Node (with SQLite, the one implicit node). node_url: where other
     * nodes reach this node's apcd (e.g. http://10.0.0.2:8080), recorded in table nodes;
     * NULL or "" = none. Set by the operator (apcd --node-name/--node-url, config keys
     * node_name/node_url). */
    const char *node_name;
    const char *node_url;
    /* Version 5. A file holding the fleet's shared secret (its first line, at least 16 bytes;
     * read at open, never the secret itself here so that it stays off command lines). With it
     * this node reads the packets of other nodes' captures from their apcd, and accepts their
     * requests ("X-Apc-Token: node:SECRET", a viewer); NULL or "" = neither. docs/fleet.md. */
    const char *node_secret_file;
    /* Version 6. Mutual TLS between the nodes of a fleet (copied paths of PEM files; all
     * three or none; docs/fleet.md): node_tls_ca, the fleet's certificate authority, which
     * the other nodes' certificates must chain to; node_tls_cert and node_tls_key, this
     * node's certificate and key, presented when it reads another node's packets. With them
     * set, requests to other nodes go over https only, each peer's certificate checked
     * against node_tls_ca (its name against the host of its URL), and the shared secret is
     * still sent. Files that cannot be read: apc_ctx_open fails naming the file. */
    const char *node_tls_ca;
    const char *node_tls_cert;
    const char *node_tls_key;
} apc_ctx_options_t;

/* Fills `opts` with defaults. Returns APC_EINVAL if `version` is unknown. */
APC_API int apc_ctx_options_init(apc_ctx_options_t *opts, unsigned version);

/*
 * Opens (creating if needed) the data directory and its store, repairs what a crash left
 * (torn segment tails, captures left active become "interrupted"), starts the job pool.
 * On success *out belongs to the caller, closed with apc_ctx_close(). Blocks. Thread-safe.
 */
APC_API int apc_ctx_open(apc_ctx_t **out, const apc_ctx_options_t *opts);

/*
 * Interrupts every wait on ctx: calls blocked waiting for a capture, a search or a command to
 * end (apc_capture_wait, apc_search_wait, apc_command_wait, and actions called with wait=1)
 * return APC_ECANCELED now, and later waits return it at once. Jobs keep running until
 * apc_ctx_close cancels them. For a process about to close the context from another thread
 * than its callers (apcd on SIGTERM): the calls in flight end, so the close does not race
 * them. Irreversible; thread-safe; NULL-safe.
 */
APC_API void apc_ctx_interrupt(apc_ctx_t *ctx);

/*
 * Cancels running jobs, waits for them, closes the store and frees the context. NULL-safe.
 * No other call on ctx may run concurrently or afterwards.
 */
APC_API void apc_ctx_close(apc_ctx_t *ctx);

/* The data directory in use, absolute (resolved at open; as given for a read-only context on a
 * directory that could not be resolved). Owned by ctx. */
APC_API const char *apc_ctx_data_dir(const apc_ctx_t *ctx);

#ifdef __cplusplus
}
#endif
#endif
