/* SPDX-License-Identifier: MIT */
/*
 * The store's backend interface: what a metadata store (SQLite today, PostgreSQL next) must
 * implement, as one table of functions per entity. Domain modules never see it: they call the
 * typed functions of store/<entity>.h, which dispatch through the store's backend. Packet bytes
 * and the per-packet index are files (store/segment.h, store/index.h) whatever the backend.
 *
 * Every function takes the backend's own state (`impl`, given to apc__store_new_backend) and
 * plain C records; returns 0 (or what it documents) or a negative APC_E* with the message set.
 *
 * Adding an entity: declare its records and a `struct apc__<entity>_ops` here, add a pointer to
 * it in apc__store_backend_t, write the typed dispatch functions in store/<entity>.h + .c, and
 * implement the ops in store/sqlite/<entity>.c (its tables go in a schema part of
 * store/sqlite/schema.c). docs/architecture.md walks through it.
 */
#ifndef APC_STORE_BACKEND_H
#define APC_STORE_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include <apc/capture.h>
#include <apc/export.h>
#include <apc/extract.h>
#include <apc/trigger.h>
#include <apc/search.h>

#include "store/capture_batch.h"

/* A capture's row as created. */
typedef struct apc__st_capture_new {
    int type;                /* enum apc_capture_type */
    const char *name;        /* "" if none */
    const char *source_file; /* ingests: the absolute input path; "" otherwise */
    uint64_t total_bytes;    /* ingests: the input's size */
    int64_t start_time;      /* ns since the epoch */
} apc__st_capture_new_t;

/* An interface of a capture (its packets are counted by commits). */
typedef struct apc__st_iface {
    uint32_t idx, linktype, snaplen;
    uint64_t tsresol;
    const char *name, *description; /* "" if none */
} apc__st_iface_t;

/* A process whose packets a capture holds (from a file's packet comments, or the live table). */
typedef struct apc__st_process {
    int64_t pid, ppid;
    const char *name, *path, *cmdline, *user;
    const char *source;     /* "file" (a capture file's comments), "live" (the process table) */
    int64_t origin_capture; /* the capture it came from, 0 none */
    int64_t start_time, exit_time; /* ns since the epoch, 0 unknown */
    int running;
} apc__st_process_t;

/* A live capture's options (capture_start_*). */
typedef struct apc__st_capture_opts {
    const char *filter, *adapters; /* "" if none; adapters comma-separated */
    int64_t flags, pid, tid;
} apc__st_capture_opts_t;

typedef int (*apc__st_iface_fn)(const apc__st_iface_t *i, void *payload);
typedef int (*apc__st_note_fn)(int64_t packet_id, const char *notes, void *payload);

typedef struct apc__captures_ops {
    /* A new capture row, state active; *out_id its id. */
    int (*create)(void *impl, const apc__st_capture_new_t *c, int64_t *out_id);
    int (*add_iface)(void *impl, int64_t capture_id, const apc__st_iface_t *i);
    /* Applies one commit of a capture writer, all or nothing (capture_batch.h). */
    int (*commit)(void *impl, const apc__cbatch_t *b);
    /* Marks a capture failed with `error` at `end_time` (after its files were cut back). */
    int (*fail)(void *impl, int64_t capture_id, const char *error, int64_t end_time);
    /* 1 and a new capture in *out (apc_capture_free), 0 when there is no such capture. */
    int (*get)(void *impl, int64_t id, apc_capture_t **out);
    /* The captures selected by `which` (enum apc_capture_list_which), by id, appended to
     * l->items. */
    int (*list)(void *impl, int which, apc_capture_list_t *l);
    /* Deletes the capture's rows (its files are the caller's), and the processes that came
     * from its file, in one transaction. */
    int (*remove)(void *impl, int64_t id);
    /* Notes of the capture (packet_id 0) or of one packet; "" clears them. */
    int (*set_notes)(void *impl, int64_t capture_id, int64_t packet_id, const char *notes);
    /* capture meta: fills m's first/last time, interfaces and protocol counts for the capture
     * m->capture (already read). */
    int (*meta)(void *impl, apc_capture_meta_t *m);
    /* Live captures: the kernel's and our own drop counts, now. */
    int (*set_drops)(void *impl, int64_t capture_id, uint64_t kernel_drops, uint64_t drops);
    /* Records the options a live capture was started with. */
    int (*set_options)(void *impl, int64_t capture_id, const apc__st_capture_opts_t *o);
    /* Readers of stored packets: 1 and the packets committed so far in *packets, 0 when there
     * is no such capture. */
    int (*packets)(void *impl, int64_t capture_id, uint64_t *packets);
    /* The capture's interfaces in index order, through fn (the row is valid during the
     * call; a non-zero return stops and is returned). */
    int (*ifaces)(void *impl, int64_t capture_id, apc__st_iface_fn fn, void *payload);
    /* The packet notes of packets first..last, through fn, in packet order. */
    int (*notes)(void *impl, int64_t capture_id, int64_t first, int64_t last, apc__st_note_fn fn,
                 void *payload);
    /* A fleet's node: 1 and its URL ("" = none given; a new string in *url) for a node name, 0
     * when unknown. NULL in a backend of one node (SQLite). */
    int (*node_url)(void *impl, const char *name, char **url);
} apc__captures_ops_t;

/* A process as an export describes it (ptcpdump's comments): its executable and command line,
 * and its parent's as we know it (the newest process row with the parent's pid). */
typedef struct apc__st_proc_meta {
    char *cmd, *args, *parent_cmd, *parent_args;
    int64_t pid, ppid;
} apc__st_proc_meta_t;

typedef struct apc__processes_ops {
    /* A new process row; *out_id its id. A thread name may follow (thread_add). */
    int (*add)(void *impl, const apc__st_process_t *p, int64_t *out_id);
    /* Replaces what may change of process `id`: name, path, cmdline, user, exit_time, running. */
    int (*update)(void *impl, int64_t id, const apc__st_process_t *p);
    /* The pid of process `id` into *pid; APC_ENOTFOUND when there is no such row. */
    int (*pid_of)(void *impl, int64_t id, int64_t *pid);
    /* One page of the processes of capture_id with id > last_id, into pg (pg->procs has room
     * for max; sets count, more, last_id). APC_ENOTFOUND when there is no such capture. */
    int (*capture_page)(void *impl, int64_t capture_id, int64_t last_id, unsigned max,
                        apc_process_page_t *pg);
    /* Records a thread of a process (once; repeats are ignored). name may be "". */
    int (*thread_add)(void *impl, int64_t process_id, int64_t tid, const char *name);
    /* 1 and a new string (free()) of process id's name in *name, 0 when there is no such row. */
    int (*name_of)(void *impl, int64_t id, char **name);
    /* 1 and what an export writes of process id in *out (new strings, NULL-free: "" if none),
     * 0 when there is no such row. */
    int (*export_meta)(void *impl, int64_t id, apc__st_proc_meta_t *out);
    /* 1 and a new string of the thread's name in *name, 0 when it was not recorded. */
    int (*thread_name)(void *impl, int64_t process_id, int64_t tid, char **name);
} apc__processes_ops_t;

typedef struct apc__conns_ops {
    /* One page of the connections of capture_id with id > last_id, into pg (pg->conns has room
     * for max; sets count, more, last_id). APC_ENOTFOUND when there is no such capture. lean:
     * each row's id, protocol, addresses, ports and owner (pid, process_id, process_name) only,
     * the rest 0 and host_name "" (the address's host name costs two lookups a row). */
    int (*page)(void *impl, int64_t capture_id, int64_t last_id, unsigned max, int lean,
                apc_conn_page_t *pg);
} apc__conns_ops_t;

/* Geolocation of an address (apc_ip_set_geo): NULL text fields keep what is stored. */
typedef struct apc__st_geo {
    const char *hostname, *country, *city;
    double lat, lng;
} apc__st_geo_t;

/* The IP table: `ver` 4 or 6, `addr` 4 or 16 bytes; capture_id 0 = over all captures. Writes
 * create the address's rows when needed, and each is one transaction. APC_ENOTFOUND for an
 * unknown capture (where one is named). */
typedef struct apc__ips_ops {
    /* One page of addresses with id > last_id into pg (room for max; count, more, last_id). */
    int (*page)(void *impl, int64_t capture_id, int64_t last_id, unsigned max, apc_ip_page_t *pg);
    /* The address's row into *out (strings owned by out): 1, or 0 when it was not seen. */
    int (*get)(void *impl, int64_t capture_id, int ver, const uint8_t *addr, apc_ip_t *out);
    int (*set_data)(void *impl, int64_t capture_id, int ver, const uint8_t *addr, const char *data);
    int (*set_geo)(void *impl, int64_t capture_id, int ver, const uint8_t *addr,
                   const apc__st_geo_t *g);
    /* 1 when a name is known (overall or in the capture), 0 when not. */
    int (*has_name)(void *impl, int64_t capture_id, int ver, const uint8_t *addr);
    /* A reverse lookup's name, stored only where no name is known yet. */
    int (*set_resolved)(void *impl, int64_t capture_id, int ver, const uint8_t *addr,
                        const char *name);
} apc__ips_ops_t;

/* A new command (queued). */
typedef struct apc__st_command {
    const char *uid, *type; /* type: "export", ... */
    int state;              /* enum apc_command_state */
    int64_t created;
    int64_t capture_id, search_id;
    const char *path, *filter; /* NULL = "" */
} apc__st_command_t;

/* A command's end. progress < 0 keeps the stored progress. */
typedef struct apc__st_command_end {
    const char *uid;
    int state;
    int64_t finished;
    uint64_t packets;
    int progress;
    const char *result, *error; /* NULL = "" */
} apc__st_command_end_t;

typedef struct apc__commands_ops {
    int (*add)(void *impl, const apc__st_command_t *c);
    int (*remove)(void *impl, const char *uid);
    int (*running)(void *impl, const char *uid, int state, int64_t started);
    int (*progress)(void *impl, const char *uid, int progress, uint64_t packets);
    int (*finish)(void *impl, const apc__st_command_end_t *e);
    /* Ends a command still queued or running in the store (its process ended): 1 if it was,
     * 0 if it had ended already. */
    int (*interrupted)(void *impl, const char *uid, int state, int64_t finished, const char *error);
    /* 1 and a new command in *out (the caller frees it with apc_command_free), 0 if none. */
    int (*get)(void *impl, const char *uid, apc_command_t **out);
    /* Every command, newest first, appended to l->items (l->count). */
    int (*list)(void *impl, apc_command_list_t *l);
} apc__commands_ops_t;

/* Statistics (tables of store/sqlite/schema_stats.c, filled by captures' commits). The kinds of
 * keys as stored; stats/agg.h's APC__SK_* are the same numbers (checked in stats/top.c), and
 * APC__ST_STAT_KIND_CONNS (capture_batch.h) the store-wide count of connections. */
#define APC__ST_SK_ALL 0     /* all packets, key 0 */
#define APC__ST_SK_IP 1      /* key = the address's row id */
#define APC__ST_SK_PORT 2    /* TCP/UDP port */
#define APC__ST_SK_PROTO 3   /* IP protocol, -1 = not IP */
#define APC__ST_SK_PROCESS 4 /* key = the process's row id */

/* A key's totals. */
typedef struct apc__st_stats_key {
    uint64_t packets, bytes;
    int64_t first_time, last_time; /* ns since the epoch */
} apc__st_stats_key_t;

/* Everything counted since the last reset (store-wide keys), and the captures started since. */
typedef struct apc__st_stats_totals {
    int64_t since; /* the last reset, 0 never */
    uint64_t packets, bytes, connections, ips, processes, captures, drops;
} apc__st_stats_totals_t;

/* A row of a top list, valid during the callback only. `addr` (alen bytes) is the address of
 * IP lists (NULL if none), `name` the host or process name (NULL if none), `pid` a process's.
 * `list`: the kind (APC__ST_SK_*) of the list the row is in (top_conns; 0 in top_keys). */
typedef struct apc__st_stats_top {
    int list;
    int64_t id;
    uint64_t packets, bytes;
    const uint8_t *addr;
    int alen;
    const char *name;
    int64_t pid;
} apc__st_stats_top_t;

/* One key whose connections a top list reads: kind APC__ST_SK_IP by address (addr, alen),
 * the other kinds by `key`. */
typedef struct apc__st_stats_under {
    int kind;
    int64_t key;
    const uint8_t *addr;
    int alen;
} apc__st_stats_under_t;

/* A read of the statistics: the backend's own state for one read transaction, so totals,
 * buckets and tops read in it agree with each other. */
typedef struct apc__st_stats_rd apc__st_stats_rd_t;
typedef int (*apc__st_stats_read_fn)(apc__st_stats_rd_t *rd, void *payload);
/* Row callbacks return 0, or < 0 to stop with that error. */
typedef int (*apc__st_stats_bucket_fn)(int64_t t, uint64_t packets, uint64_t bytes, void *payload);
typedef int (*apc__st_stats_top_fn)(const apc__st_stats_top_t *row, void *payload);

/* For the backends' top_conns (store/stats.c): appends to sql (which holds the CTE m) one subquery
 * per list of `lists`, body(kind, list) each, in one UNION ALL sorted by list, packets (most
 * first), id. The caller's buffer must be large enough (the texts are the backends' constants). */
void apc__st_stats_tops_union(char *sql, size_t cap, unsigned lists, int kind,
                              const char *(*body)(int kind, int list));

/* capture_id 0 reads the store-wide tables (since the last reset), else that capture's. */
typedef struct apc__stats_ops {
    /* Runs fn(rd, payload) inside one read transaction and returns what it returns (or the
     * error of starting the read). node: NULL = every node; else a node's name (checked by the
     * caller: this node's, or one the store registers), and every read in rd covers only that
     * node's captures (a backend of one node has nothing else). */
    int (*read)(void *impl, const char *node, apc__st_stats_read_fn fn, void *payload);
    /* APC_ENOTFOUND ("capture N not found") unless the capture exists (and is the node's, when
     * the read is of one node). */
    int (*capture_exists)(void *impl, apc__st_stats_rd_t *rd, int64_t capture_id);
    /* 1 and the key's totals in *out, 0 when it has none. */
    int (*key)(void *impl, apc__st_stats_rd_t *rd, int64_t capture_id, int kind, int64_t key,
               apc__st_stats_key_t *out);
    /* The buckets of `level` (0..3: 1 s, 1 min, 1 h, 1 day) of the key starting in [from, to],
     * in no particular order, through fn. */
    int (*series)(void *impl, apc__st_stats_rd_t *rd, int64_t capture_id, int kind, int64_t key,
                  int level, int64_t from, int64_t to, apc__st_stats_bucket_fn fn, void *payload);
    /* The n keys of `kind` with most packets, most first, through fn. */
    int (*top_keys)(void *impl, apc__st_stats_rd_t *rd, int64_t capture_id, int kind, unsigned n,
                    apc__st_stats_top_fn fn, void *payload);
    /* For each list kind whose bit (1 << kind) is in `lists`, the n entries (IP: the other
     * ends for an IP key, both ends otherwise; PORT: the responders' TCP/UDP ports; PROTO;
     * PROCESS) with most packets among the connections under u, through fn: list by list in
     * kind order, most packets first, row->list saying which. One statement reads the
     * connections once for every list (a busy address has thousands). */
    int (*top_conns)(void *impl, apc__st_stats_rd_t *rd, int64_t capture_id,
                     const apc__st_stats_under_t *u, unsigned lists, unsigned n,
                     apc__st_stats_top_fn fn, void *payload);
    /* 1 with the address's row id and a new string of its host name ("" if none) in *host, 0
     * when the address was never seen. */
    int (*ip_find)(void *impl, apc__st_stats_rd_t *rd, const uint8_t *addr, int alen, int64_t *id,
                   char **host);
    /* 1 with the newest process of that pid that has packets counted (in the capture) in *id,
     * 0 when there is none. */
    int (*process_find)(void *impl, apc__st_stats_rd_t *rd, int64_t capture_id, int64_t pid,
                        int64_t *id);
    /* 1 with a new string of process id's name in *name, 0 when there is no such process. */
    int (*process_name)(void *impl, apc__st_stats_rd_t *rd, int64_t id, char **name);
    int (*totals)(void *impl, apc__st_stats_rd_t *rd, apc__st_stats_totals_t *t);
    /* Empties the store-wide tables and records `since` as the last reset, in one
     * transaction. */
    int (*reset)(void *impl, int64_t since);
} apc__stats_ops_t;

/* An export file as recorded when written (export_list shows where a file came from). */
typedef struct apc__st_export_file {
    const char *path;        /* absolute */
    int64_t capture_id;      /* 0 none */
    int64_t search_id;       /* 0 none */
    const char *command_uid; /* "" none */
    int64_t created;         /* ns since the epoch */
    uint64_t packets;
} apc__st_export_file_t;

/* Where a recorded export came from: command_uid is a new string (free()). */
typedef struct apc__st_export_origin {
    int64_t capture_id, search_id;
    char *command_uid;
} apc__st_export_origin_t;

typedef int (*apc__st_path_fn)(const char *path, void *payload);

typedef struct apc__exports_ops {
    /* Records (or replaces the record of) an export file. */
    int (*record)(void *impl, const apc__st_export_file_t *f);
    /* 1 and the record of `path` in *out, 0 when the path was never recorded. */
    int (*origin)(void *impl, const char *path, apc__st_export_origin_t *out);
    /* Every recorded path through fn (valid during the call; a non-zero return stops and is
     * returned). */
    int (*paths)(void *impl, apc__st_path_fn fn, void *payload);
    /* Forgets the record of `path` (the file is the caller's). */
    int (*forget)(void *impl, const char *path);
} apc__exports_ops_t;

/* Deleting saved data by kind (apc_flush): the kinds are the APC_FLUSH_* flags of
 * apc/export.h. */
typedef struct apc__flush_ops {
    /* 1 and the lowest id of an active capture in *id, 0 when none is active. */
    int (*active_capture)(void *impl, int64_t *id);
    /* Deletes the rows of every kind in flags, all or nothing. Only the rows: the files under
     * the data directory are the caller's. */
    int (*rows)(void *impl, uint32_t flags);
    /* Gives freed space back to the file system; best effort: 0, or < 0 with the message set
     * when it could not (nothing is lost either way). */
    int (*compact)(void *impl);
} apc__flush_ops_t;
/* Accounts and sessions (tables of store/sqlite/schema_auth.c). Module auth keeps the logic
 * (hashing, roles, expiry, the login limit, messages); these only read and write rows. */

/* An account. Input of add (hash set), a row of list (hash NULL); strings are the caller's in
 * add, valid during the callback in list. */
typedef struct apc__st_user {
    const char *name;
    const char *hash; /* argon2id, libsodium's crypto_pwhash_str format */
    int64_t role;     /* enum apc_role */
    int64_t created;  /* ns since the epoch */
} apc__st_user_t;

/* A new session (strings the caller's). */
typedef struct apc__st_session {
    const char *token_hash; /* hex BLAKE2b-256 of the token: the token itself is never stored */
    const char *user;
    int64_t role;
    int64_t created, last_used, expires; /* ns since the epoch */
} apc__st_session_t;

/* A session as a check reads it, with the idle setting read in the same statement. */
typedef struct apc__st_session_seen {
    int role;
    int64_t last_used, expires; /* expires 0: a row from before expiries were recorded */
    int64_t idle;               /* setting session_idle_seconds as an integer; 0 when unset */
} apc__st_session_seen_t;

/* Returns 0, or < 0 to stop the list with that error. */
typedef int (*apc__st_user_fn)(const apc__st_user_t *u, void *payload);

typedef struct apc__accounts_ops {
    /* The number of accounts into *n. */
    int (*count)(void *impl, int64_t *n);
    /* 1 when the account was added, 0 when the name is taken (nothing written): the check and
     * the write are one call. */
    int (*add)(void *impl, const apc__st_user_t *u);
    /* 1 when the account was deleted and its sessions ended, 0 when there is no such account. */
    int (*remove)(void *impl, const char *name);
    /* 1 when the account's hash was replaced and its sessions ended, 0 when there is no such
     * account. */
    int (*set_hash)(void *impl, const char *name, const char *hash);
    /* 1 with a new string (the caller frees it) of the account's hash in *hash and its role in
     * *role, 0 (*hash NULL) when there is no such account. */
    int (*credentials)(void *impl, const char *name, char **hash, int64_t *role);
    /* Every account in name order, through fn. */
    int (*list)(void *impl, apc__st_user_fn fn, void *payload);
    /* 1 and setting `key` read as an integer (SQL CAST: "" and text are 0) in *value, 0 when
     * it is not set. Auth's limits (login_max_failures, session_idle_seconds) read this way,
     * not through apc_settings_get, which answers a missing key with an error message. */
    int (*setting_int)(void *impl, const char *key, int64_t *value);
    /* Deletes the sessions last used before purge_before, then records s. */
    int (*session_open)(void *impl, int64_t purge_before, const apc__st_session_t *s);
    /* 1 and the session of token_hash in *out, 0 when there is none. user NULL: the account
     * name is not read; else *user gets a new string of it (the caller frees it). */
    int (*session_get)(void *impl, const char *token_hash, apc__st_session_seen_t *out,
                       char **user);
    /* Records a use of the session at last_used, now expiring at `expires`. */
    int (*session_touch)(void *impl, const char *token_hash, int64_t last_used, int64_t expires);
    /* 1 when the session was deleted, 0 when there was none. */
    int (*session_end)(void *impl, const char *token_hash);
} apc__accounts_ops_t;
/* Searches (tables of store/sqlite/schema_search.c; module search decides what they mean).
 * States are enum apc_search_state. */

/* A search as recorded when it is started. Strings are the caller's. */
typedef struct apc__st_search_new {
    const char *filter, *normalized, *owner; /* owner "" if none */
    int64_t capture_id;                      /* 0 = every capture, else checked to exist */
    int64_t time_from, time_to, created;
} apc__st_search_new_t;

/* How a search ends (the row's final state, counters and error text; "" none). */
typedef struct apc__st_search_end {
    int state;
    int64_t finished;
    int progress;
    uint64_t scanned;
    const char *error;
} apc__st_search_end_t;

/* One stored result; results are in `id` order. */
typedef struct apc__st_search_hit {
    int64_t id;
    int64_t capture_id, packet_id;
} apc__st_search_hit_t;

/* What readers of a search's results need of its row. normalized is a new string the caller
 * frees. */
typedef struct apc__st_search_row {
    char *normalized;
    int64_t capture_id;
    int state;
    int64_t time_from, time_to; /* its time bounds, ns since the epoch, inclusive; 0 open */
} apc__st_search_row_t;

/* A capture as a scan starts it: its committed packets, state (enum apc_capture_state),
 * whether its writer recorded packet spans, and then the span of packets without a
 * connection (0, 0: none). */
typedef struct apc__st_search_capture {
    uint64_t packets;
    int64_t state;
    int packet_spans;
    uint64_t nc_first, nc_last;
} apc__st_search_capture_t;

/* A connection row as a scan judges it. src and dst point into the row (src_len, dst_len
 * bytes) and are valid during the callback only. first/last_packet are 0 in captures stored
 * before packet spans. */
typedef struct apc__st_search_conn {
    int64_t id;
    int proto, ip_ver;
    const uint8_t *src, *dst;
    int src_len, dst_len;
    int sport, dport;
    uint64_t bytes, packets; /* both ways */
    uint64_t first_packet, last_packet;
} apc__st_search_conn_t;

/* A row of the span index a full scan builds: conn_id 0 is the packets without a connection. */
typedef struct apc__st_search_span {
    int64_t conn_id;
    uint64_t first_id, last_id;
} apc__st_search_span_t;

/* A row of the connection key index (search_conn_keys): the key bytes are the planner's. */
typedef struct apc__st_search_key {
    uint8_t key[17];
    uint8_t len;
    int64_t conn_id;
} apc__st_search_key_t;

/* A process as the filter sees it; the strings are new ("" if none) and the caller's. */
typedef struct apc__st_search_proc {
    int64_t pid, ppid;
    char *name, *path, *cmdline, *user;
} apc__st_search_proc_t;

/* Row callbacks: 0 goes on, non-zero stops and is returned. Pointers are valid during the
 * call only. */
typedef int (*apc__st_id_fn)(int64_t id, void *payload);
typedef int (*apc__st_search_scope_fn)(int64_t capture_id, uint64_t packets, void *payload);
typedef int (*apc__st_search_link_fn)(int64_t idx, uint32_t linktype, void *payload);
typedef int (*apc__st_search_conn_fn)(const apc__st_search_conn_t *c, void *payload);
typedef int (*apc__st_search_span_fn)(int64_t conn_id, uint64_t first_id, uint64_t last_id,
                                      void *payload);
typedef int (*apc__st_search_notes_fn)(int64_t capture_id, const char *notes, void *payload);

typedef struct apc__searches_ops {
    /* A new search row, queued; APC_ENOTFOUND when n->capture_id names no capture. */
    int (*create)(void *impl, const apc__st_search_new_t *n, int64_t *out_id);
    /* 1 when search id exists, 0 when not. */
    int (*exists)(void *impl, int64_t id);
    /* 1 and a new apc_search_meta_t in *out (apc_search_meta_free), 0 when there is none. */
    int (*get)(void *impl, int64_t id, apc_search_meta_t **out);
    /* Every search by id, appended to l->items (l->count). */
    int (*list)(void *impl, apc_search_list_t *l);
    /* Marks search id failed with `error` if its row is still queued or running; 1 when the
     * row says failed afterwards, 0 when it does not (it ended meanwhile, or is gone). */
    int (*fail_stale)(void *impl, int64_t id, const char *error);
    /* Deletes the search and its results in one transaction. */
    int (*remove)(void *impl, int64_t id);
    /* The captures a search covers, by id, with their packet counts: capture_id 0 = all,
     * time bounds (ns, 0 = unbounded) leave out captures wholly outside. */
    int (*scope)(void *impl, int64_t capture_id, int64_t time_from, int64_t time_to,
                 apc__st_search_scope_fn fn, void *payload);
    /* The job starts: state, start time and the packets in scope. */
    int (*started)(void *impl, int64_t id, int state, int64_t started, uint64_t total);
    /* Appends n results (pairs: capture_id, packet_id) numbered first+1.. and records the
     * counters, in one transaction. */
    int (*add_results)(void *impl, int64_t id, uint64_t first, const int64_t *pairs, size_t n,
                       uint64_t scanned, uint64_t matches, int progress);
    int (*finish)(void *impl, int64_t id, const apc__st_search_end_t *e);
    /* A page of results with id > last_id: up to max into hits (*n), *more when a further one
     * exists, then the search's state in *state. 1, or 0 when there is no such search. */
    int (*result_page)(void *impl, int64_t id, int64_t last_id, unsigned max,
                       apc__st_search_hit_t *hits, size_t *n, int *more, int *state);
    /* 1 and the row in *out, 0 when there is no such search. */
    int (*row)(void *impl, int64_t id, apc__st_search_row_t *out);
    /* The captures that still exist among the results, ordered by their first result, as a
     * new array (*captures, the caller frees; NULL when none), and how many results they hold. */
    int (*result_captures)(void *impl, int64_t id, int64_t **captures, size_t *n,
                           uint64_t *results);
    /* Up to max results after last_id in captures that still exist, in order; how many. */
    long (*hits)(void *impl, int64_t id, int64_t last_id, apc__st_search_hit_t *out, size_t max);
    /* The notes of captures ids[0..n) ("" for none), through fn, skipping ids not found. */
    int (*capture_notes)(void *impl, const int64_t *ids, size_t n, apc__st_search_notes_fn fn,
                         void *payload);

    /* What one capture's scan reads (store/sqlite/search_scan.c). 1 and *out, 0 when there is
     * no such capture. */
    int (*capture)(void *impl, int64_t capture_id, apc__st_search_capture_t *out);
    /* The capture's interfaces' link types, in index order. */
    int (*linktypes)(void *impl, int64_t capture_id, apc__st_search_link_fn fn, void *payload);
    /* The highest connection id of the capture, 0 when none. */
    int (*conn_max)(void *impl, int64_t capture_id, int64_t *max);
    /* Every connection of the capture (ids == NULL), or those of ids[0..n) that exist. */
    int (*conns)(void *impl, int64_t capture_id, const int64_t *ids, size_t n,
                 apc__st_search_conn_fn fn, void *payload);
    /* 1 and the packets the stored span index covers in *covered, 0 when none is stored. */
    int (*spans_covered)(void *impl, int64_t capture_id, int64_t *covered);
    /* The stored spans (conn_id >= 0) of every connection (ids == NULL) or of ids[0..n). */
    int (*spans)(void *impl, int64_t capture_id, const int64_t *ids, size_t n,
                 apc__st_search_span_fn fn, void *payload);
    /* Replaces the capture's span and key index with spans and keys (in the order given: keys
     * sorted append to the B-tree) and marks it covering `packets`, in one transaction. */
    int (*save_index)(void *impl, int64_t capture_id, const apc__st_search_span_t *spans,
                      size_t n_spans, const apc__st_search_key_t *keys, size_t n_keys,
                      uint64_t packets);
    /* 1 and process id in *out, 0 when there is no such row. */
    int (*process)(void *impl, int64_t id, apc__st_search_proc_t *out);
    /* The connection ids under one key of the key index; by address (either end); by
     * protocol and port (either end). Through fn, in no order, repeats possible. */
    int (*ids_by_key)(void *impl, int64_t capture_id, const uint8_t *key, size_t len,
                      apc__st_id_fn fn, void *payload);
    int (*ids_by_addr)(void *impl, int64_t capture_id, const uint8_t *addr, size_t len,
                       apc__st_id_fn fn, void *payload);
    int (*ids_by_port)(void *impl, int64_t capture_id, int proto, int port, apc__st_id_fn fn,
                       void *payload);
} apc__searches_ops_t;

/* Triggers and actions (store/triggers.h says what each call does). */
typedef struct apc__triggers_ops {
    int (*trigger_add)(void *impl, const apc_trigger_t *t, int64_t *out_id);
    int (*trigger_mod)(void *impl, int64_t id, const char *filter, uint32_t flags);
    int (*trigger_remove)(void *impl, int64_t id);
    int (*trigger_list)(void *impl, int64_t id, apc_trigger_list_t *l);
    int (*trigger_fired)(void *impl, int64_t id, apc_time_t when, int64_t capture_id, int64_t pid,
                         const char *program, const char *error);
    int (*trigger_of_capture)(void *impl, int64_t capture_id, int64_t *out);
    int (*trigger_link)(void *impl, int64_t trigger_id, int64_t action_id);
    int (*trigger_unlink_all)(void *impl, int64_t trigger_id);
    int (*action_add)(void *impl, const apc_action_t *a, int64_t trigger_id, int64_t *out_id);
    int (*action_mod)(void *impl, int64_t id, const char *name, const char *path,
                      const char *params);
    int (*action_remove)(void *impl, int64_t id);
    int (*action_system)(void *impl, int64_t id);
    int (*action_list)(void *impl, int mode, int64_t id, apc_action_list_t *l);
    int (*action_ran)(void *impl, const apc_action_t *a);
} apc__triggers_ops_t;

/* One detected file as the search's file.* fields need it (store/extracts.h). */
typedef struct apc__st_xspan {
    int64_t conn_id;
    int direction;                     /* enum apc_direction */
    int64_t first_packet, last_packet; /* 0, 0: not stored */
    uint64_t size;
    const char *name, *mime, *sha256; /* valid during the callback only */
} apc__st_xspan_t;
typedef int (*apc__st_xspan_fn)(const apc__st_xspan_t *x, void *payload);

/* What the first look at a detected file learns (store/extracts.h). */
typedef struct apc__st_xtyped {
    int64_t id;               /* the stream's */
    const char *mime;         /* never "" */
    const char *sha256, *md5; /* lowercase hex */
} apc__st_xtyped_t;

/* What module extract keeps (store/extracts.h says what each call does). */
typedef struct apc__extracts_ops {
    int (*extract_enabled)(void *impl, int *on);
    int (*extract_set_enabled)(void *impl, int on);
    int (*extract_run)(void *impl, int64_t capture_id, int *state, char **uid, char **error);
    int (*extract_run_begin)(void *impl, int64_t capture_id, const char *uid, char **busy_uid);
    int (*extract_run_end)(void *impl, int64_t capture_id, const apc_extract_stream_t *v, size_t n,
                           const char *error);
    int (*extract_runs_reset)(void *impl);
    int (*extract_streams)(void *impl, int64_t capture_id, int64_t last_id, unsigned max,
                           apc_extract_page_t *pg);
    int (*extract_stream)(void *impl, int64_t capture_id, int64_t id, apc_extract_stream_t *out);
    int (*extract_file_add)(void *impl, apc_extract_file_t *f);
    int (*extract_files)(void *impl, int64_t capture_id, int64_t file_id,
                         apc_extract_file_list_t *l);
    int (*extract_file_remove)(void *impl, int64_t id);
    int (*extract_spans)(void *impl, int64_t capture_id, apc__st_xspan_fn fn, void *payload);
    int (*extract_set_types)(void *impl, int64_t capture_id, const apc__st_xtyped_t *v, size_t n);
} apc__extracts_ops_t;

/* User settings, a string -> string table (apc_settings_*). */
typedef int (*apc__st_setting_fn)(const char *key, const char *value, void *payload);
typedef struct apc__settings_ops {
    /* 1 and a new string (free()) in *value, 0 when the key is not set. */
    int (*get)(void *impl, const char *key, char **value);
    int (*set)(void *impl, const char *key, const char *value);
    int (*clear)(void *impl);
    /* Every setting by key through fn (valid during the call; non-zero stops, returned). */
    int (*list)(void *impl, apc__st_setting_fn fn, void *payload);
} apc__settings_ops_t;

typedef struct apc__store_backend {
    const char *name; /* "sqlite", "postgresql" */
    /* Frees the backend's state (impl) when the store closes; NULL when the store owns it. */
    void (*close)(void *impl);
    const apc__captures_ops_t *captures;
    const apc__processes_ops_t *processes;
    const apc__conns_ops_t *conns;
    const apc__ips_ops_t *ips;
    const apc__commands_ops_t *commands;
    const apc__stats_ops_t *stats;
    const apc__exports_ops_t *exports;
    const apc__flush_ops_t *flush;
    const apc__accounts_ops_t *accounts;
    const apc__searches_ops_t *searches;
    const apc__triggers_ops_t *triggers;
    const apc__extracts_ops_t *extracts;
    const apc__settings_ops_t *settings;
} apc__store_backend_t;

/* The SQLite backend (store/sqlite/); its impl is the apc__store_t itself. */
extern const apc__store_backend_t apc__sqlite_backend;
/* The PostgreSQL backend (store/pg/); its impl is an apc__pg_t (store/pg/pg_int.h). */
extern const apc__store_backend_t apc__pg_backend;

#endif
