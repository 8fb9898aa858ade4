/* SPDX-License-Identifier: MIT */
/* apcd: the HTTP face of libapc (docs/apcd.md). Shared state of its files. */
#ifndef APCD_H
#define APCD_H

#include <stdint.h>
#include <uv.h>

#include <apc/apc.h>

#include "parsers.h"

typedef struct apcd_config {
    char *data_dir;
    char *address;
    int port;
    int no_auth;
    char *tls_cert, *tls_key;
    int log_level;          /* enum apc_log_level */
    char *log_file;         /* NULL: stderr */
    char *user;             /* NULL: stay who started apcd; else become this user (privdrop.c) */
    char *execute_user;     /* NULL: EXECUTE actions run as apcd's user */
    char *store;            /* NULL: SQLite in the data directory; else a PostgreSQL URL */
    char *node_name;        /* NULL: "<host>:<data dir>" (the library's default) */
    char *node_url;         /* NULL: none; where other nodes reach this apcd */
    char *node_secret_file; /* NULL: none; the fleet's shared secret (docs/fleet.md) */
    /* Mutual TLS between nodes (docs/fleet.md): a second listener on node_port (0 = none)
     * that asks every client for a certificate of the fleet's CA, node_tls_ca; this node's own
     * certificate and key (served there, and presented to other nodes). With it, the node
     * secret is accepted on that port only. */
    int node_port;
    char *node_tls_ca, *node_tls_cert, *node_tls_key;
    char *execute_roots;  /* ':'-separated; NULL: EXECUTE actions of triggers are refused */
    char *export_roots;   /* ':'-separated; NULL: <data>/exports (the library's default) */
    char *ingest_roots;   /* ':'-separated; NULL: <data>/ingest; "/" reads anywhere */
    int64_t session_idle; /* seconds; 0 = leave the setting alone */
    apcd_limits_t lim;
    unsigned workers; /* libuv thread pool size */
    /* Seconds a client may take to send a request head (and a TLS handshake); and the longest
     * pause within a streamed upload's body. A client slower than that is disconnected. */
    int header_timeout;
    int upload_idle_timeout;
    int max_wait; /* seconds a wait=1 call may hold a worker thread; 0 = no limit */
    /* /healthz answers 503 when every worker is busy and none has finished a request for this
     * many seconds; 0 = max_wait + 60 (600 when max_wait is 0). */
    int stuck_seconds;
    /* Connections open at once (each costs memory before it says who it is); a new one past
     * it is answered 503 and closed. */
    unsigned long max_connections;
} apcd_config_t;

void apcd_config_defaults(apcd_config_t *c);
/* Reads `key = value` lines; 0 or -1 with a message in err naming the file and line. */
int apcd_config_load(apcd_config_t *c, const char *path, char *err, size_t errlen);
/* Sets one setting by name (the same names as the file and the long flags). */
int apcd_config_set(apcd_config_t *c, const char *key, const char *value, char *err, size_t errlen);
void apcd_config_free(apcd_config_t *c);

/* Started as root: gives data_dir (and all in it) to `user`, then becomes that user keeping only
 * the capabilities live capture uses (privdrop.c, docs/security.md). Already that user: 0, no
 * change. -1 with the reason in err (an unknown user, root, a failed step). */
int apcd_drop_privileges(const char *user, const char *data_dir, int port, char *err, size_t n);

typedef struct apcd {
    apcd_config_t cfg;
    apc_ctx_t *ctx;
    uv_loop_t *loop;
    /* Accepted Host values: "addr:port" and "localhost:port", the same with node_port. */
    char host_ok[4][300];
    int loopback;
    int stopping;
} apcd_t;

extern apcd_t apcd;

/* log.c-like helpers in main.c. */
void apcd_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void apcd_log_reopen(void);

/* http.c */
int apcd_http_start(void);
void apcd_http_stop(void);

/* paths.c: defaults that differ between the build tree and an installed apcd. */
int apcd_in_build_tree(void);
void apcd_default_themes(char *out, size_t n);
const char *apcd_default_data_dir(void); /* static */

/* static.c */
int apcd_themes_install(const char *src_dir);

/* metrics.c (all thread-safe) */
void apcd_metrics_request(const char *action, int code, double seconds);
/* Appends the Prometheus text to a malloc'd string. */
char *apcd_metrics_text(void);

/* accesslog.c: a line per action call, and an audit line when the action changes state
 * (not a read-only action); peer, user and action may be NULL. Thread-safe. */
void apcd_access_log(const char *peer, const char *user, const char *action, int code,
                     double seconds);
void apcd_audit_log(const char *peer, const char *user, const char *action,
                    const apc_params_t *params, int code);
int apcd_action_changes_state(const char *action);

/* ajax.c: checks Origin/Host; NULL when accepted, else the reason. */
const char *apcd_check_origin(const char *host, size_t hlen, const char *origin, size_t olen);

#endif
