/* SPDX-License-Identifier: MIT */
/*
 * Typed API over stored captures: ingest, list, read packets, connections, processes, IPs,
 * notes, settings. Every list is read by pages with a `last_id` cursor: pass 0 first, then the
 * page's last_id, until `more` is 0.
 *
 * Ownership: every object or page returned through an out-parameter belongs to the caller and
 * is freed with the matching apc_*_free (NULL-safe). Strings inside it are owned by it.
 * All functions are thread-safe and may block on the store.
 */
#ifndef APC_CAPTURE_H
#define APC_CAPTURE_H

#include "ctx.h"

#ifdef __cplusplus
extern "C" {
#endif

enum apc_capture_type {
    APC_CAPTURE_SYSTEM = 1,
    APC_CAPTURE_PROCESS = 2,
    APC_CAPTURE_INGEST = 3,
};

enum apc_capture_state {
    APC_STATE_ACTIVE = 1,
    APC_STATE_COMPLETED = 2,
    APC_STATE_INTERRUPTED = 3,
    APC_STATE_FAILED = 4,
};

/* "system"/"process"/"ingest" and "active"/"completed"/... ; static, never NULL. */
APC_API const char *apc_capture_type_name(int type);
APC_API const char *apc_capture_state_name(int state);

typedef struct apc_capture {
    int64_t id;
    int type;  /* enum apc_capture_type */
    int state; /* enum apc_capture_state */
    char *name;
    char *notes;
    char *filter;
    uint32_t flags;
    char *adapters; /* comma-separated adapter names; "" = all */
    int64_t pid, tid;
    apc_time_t start_time, end_time; /* end_time 0 while active */
    uint64_t packets, bytes;         /* bytes on the wire (original lengths) */
    uint64_t kernel_drops, drops;
    uint64_t connections;
    char *error;           /* "" unless failed or stopped early by a defect */
    char *source_file;     /* ingests: the file's path; "" otherwise */
    uint64_t error_offset; /* ingests stopped by a defect: file offset of the defect */
    uint64_t progress_bytes, total_bytes; /* ingests: bytes read of the file so far / size */
    /* The node that owns the capture's packet bytes (its name, docs/fleet.md): with the
     * PostgreSQL store, the node that made it; with SQLite, this context's node. Added at the
     * end: only the library allocates this struct. */
    char *node;
} apc_capture_t;

APC_API void apc_capture_free(apc_capture_t *c);

/* One capture by id. APC_ENOTFOUND if none. */
APC_API int apc_capture_get(apc_ctx_t *ctx, int64_t id, apc_capture_t **out);

enum apc_capture_list_which {
    APC_LIST_ALL = 0,
    APC_LIST_ACTIVE = 1,
    APC_LIST_COMPLETED = 2,        /* every capture that is not active */
    APC_LIST_SYSTEM_COMPLETED = 3, /* not active, type system */
};

typedef struct apc_capture_list {
    size_t count;
    apc_capture_t **items;
} apc_capture_list_t;

APC_API int apc_capture_list(apc_ctx_t *ctx, int which, apc_capture_list_t **out);
APC_API void apc_capture_list_free(apc_capture_list_t *l);

typedef struct apc_capture_iface {
    uint32_t index;
    uint32_t linktype; /* LINKTYPE_* */
    uint32_t snaplen;
    char *name, *description; /* "" when unknown */
    uint64_t packets;
} apc_capture_iface_t;

typedef struct apc_proto_count {
    int protocol; /* IP protocol number; -1 for packets that are not IP */
    uint64_t packets, bytes;
} apc_proto_count_t;

/* What a reader of a capture needs besides the CAPTURE record. */
typedef struct apc_capture_meta {
    apc_capture_t *capture;
    int64_t first_packet_id, last_packet_id; /* 0, 0 when empty */
    apc_time_t first_time, last_time;        /* earliest and latest packet time */
    size_t n_ifaces;
    apc_capture_iface_t *ifaces;
    size_t n_protocols; /* by packets, most first */
    apc_proto_count_t *protocols;
} apc_capture_meta_t;

APC_API int apc_capture_meta(apc_ctx_t *ctx, int64_t id, apc_capture_meta_t **out);
APC_API void apc_capture_meta_free(apc_capture_meta_t *m);

#define APC_INGEST_OPTIONS_VERSION 1
typedef struct apc_ingest_options {
    unsigned version;
    const char *name; /* capture name; NULL = the file's base name */
    /* Called from the job thread with progress; may be NULL. */
    void (*progress_cb)(int64_t capture_id, uint64_t done_bytes, uint64_t total_bytes,
                        uint64_t packets, void *payload);
    void *payload;
} apc_ingest_options_t;

APC_API int apc_ingest_options_init(apc_ingest_options_t *o, unsigned version);

/*
 * Starts ingesting a pcap or pcapng file as a new capture of type ingest and returns its id at
 * once in *out_id; the capture is "active" until the job ends "completed" or "failed". The path
 * is opened once (symlinks followed, O_NONBLOCK so a FIFO cannot block) and only that descriptor
 * is read from then on. Refused before this returns: a missing file (APC_ENOTFOUND), an
 * unreadable one (-EACCES), anything but a regular file (APC_EINVAL "not a regular file: a
 * FIFO", a directory, a device...), an unknown magic (APC_EFORMAT; the message never shows the
 * file's bytes). A file that shrinks while read ends the capture "failed".
 */
APC_API int apc_ingest_file(apc_ctx_t *ctx, const char *path, const apc_ingest_options_t *opts,
                            int64_t *out_id);

/* Blocks until capture `id` is no longer active (or timeout_ms passes; <0 = forever).
 * Returns 0 when it ended, APC_EBUSY on timeout. */
APC_API int apc_capture_wait(apc_ctx_t *ctx, int64_t id, int timeout_ms);

/* Deletes a capture that is not active: its packets, segments, index, connections. */
APC_API int apc_capture_delete(apc_ctx_t *ctx, int64_t id);

/* Sets (or with NULL/"" clears) notes on the capture (packet_id 0) or one packet. */
APC_API int apc_capture_set_notes(apc_ctx_t *ctx, int64_t capture_id, int64_t packet_id,
                                  const char *notes);

enum apc_direction { APC_DIR_UNKNOWN = 0, APC_DIR_IN = 1, APC_DIR_OUT = 2 };
enum apc_attribution {
    APC_ATTR_NONE = 0,
    APC_ATTR_EXACT = 1,
    APC_ATTR_SOCKET = 2,
    APC_ATTR_TUPLE = 3,
    APC_ATTR_FILE = 4,
};
APC_API const char *apc_direction_name(int dir);    /* "in"/"out"/"unknown" */
APC_API const char *apc_attribution_name(int attr); /* "exact"/.../"none" */

typedef struct apc_packet {
    int64_t id; /* 1-based, per capture, in capture order */
    int64_t capture_id;
    apc_time_t time;
    uint32_t length;              /* on the wire */
    uint32_t caplen;              /* stored */
    uint32_t iface;               /* interface index within the capture */
    int direction;                /* enum apc_direction */
    uint32_t linktype;            /* LINKTYPE_* */
    int protocol;                 /* IP protocol number, -1 when not IP */
    char src_ip[46], dst_ip[46];  /* "" when not IP */
    int src_port, dst_port;       /* -1 when none */
    int tcp_flags;                /* -1 when not TCP */
    int64_t conn_id;              /* connection id within the capture, 0 when none */
    int64_t pid, tid, process_id; /* 0 when unknown */
    char *process_name;           /* "" when unknown */
    int attribution;              /* enum apc_attribution */
    char *summary;                /* one line, tcpdump style */
    char *notes;                  /* "" when none */
    uint8_t *data;                /* packet bytes when asked for, else NULL */
} apc_packet_t;

typedef struct apc_packet_page {
    int64_t capture_id;
    int64_t last_id; /* pass back as last_id */
    int more;        /* nonzero: further packets exist now */
    size_t count;
    apc_packet_t *packets;
} apc_packet_page_t;

#define APC_READ_BYTES 0x1 /* flags: include packet bytes */
#define APC_PAGE_MAX 1000  /* largest page any list returns */

/* Packets of a capture with id > last_id, at most max (0 = default 100, capped at
 * APC_PAGE_MAX), in order. Works on active captures too (committed packets only). */
APC_API int apc_capture_read(apc_ctx_t *ctx, int64_t capture_id, int64_t last_id, unsigned max,
                             unsigned flags, apc_packet_page_t **out);
/* Same, restricted to one connection. */
APC_API int apc_capture_read_conn(apc_ctx_t *ctx, int64_t capture_id, int64_t conn_id,
                                  int64_t last_id, unsigned max, unsigned flags,
                                  apc_packet_page_t **out);
/* One packet, with bytes. */
APC_API int apc_capture_get_packet(apc_ctx_t *ctx, int64_t capture_id, int64_t packet_id,
                                   apc_packet_t **out);
APC_API void apc_packet_free(apc_packet_t *p);
APC_API void apc_packet_page_free(apc_packet_page_t *pg);

enum apc_tcp_state {
    APC_TCP_NONE = 0, /* not TCP */
    APC_TCP_SYN_SENT = 1,
    APC_TCP_SYN_RECV = 2,
    APC_TCP_ESTABLISHED = 3,
    APC_TCP_FIN_WAIT = 4,
    APC_TCP_CLOSED = 5,
    APC_TCP_RESET = 6,
    APC_TCP_MIDSTREAM = 7, /* first packet seen was not a SYN */
};
APC_API const char *apc_tcp_state_name(int state);

typedef struct apc_conn {
    int64_t id; /* 1-based within its capture, in order of first packet */
    int64_t capture_id;
    int protocol;                /* IP protocol number */
    char src_ip[46], dst_ip[46]; /* initiator, responder */
    int src_port, dst_port;
    apc_time_t first_time, last_time;
    uint64_t packets_out, bytes_out; /* initiator -> responder */
    uint64_t packets_in, bytes_in;   /* responder -> initiator */
    int state;                       /* enum apc_tcp_state */
    int64_t pid, process_id;
    char *process_name;
    char *host_name; /* name seen for the responder in DNS, "" if none */
} apc_conn_t;

typedef struct apc_conn_page {
    int64_t last_id;
    int more;
    size_t count;
    apc_conn_t *conns;
} apc_conn_page_t;

APC_API int apc_capture_list_conns(apc_ctx_t *ctx, int64_t capture_id, int64_t last_id,
                                   unsigned max, apc_conn_page_t **out);
APC_API void apc_conn_page_free(apc_conn_page_t *pg);

typedef struct apc_process {
    int64_t process_id; /* ours, stable */
    int64_t pid, ppid;
    char *name, *path, *cmdline, *user;
    apc_time_t start_time, exit_time; /* 0 when unknown / running */
    int running;
    uint64_t packets, bytes; /* within the capture asked for, or overall */
} apc_process_t;

typedef struct apc_process_page {
    int64_t last_id;
    int more;
    size_t count;
    apc_process_t *procs;
} apc_process_page_t;

APC_API int apc_capture_get_processes(apc_ctx_t *ctx, int64_t capture_id, int64_t last_id,
                                      unsigned max, apc_process_page_t **out);
APC_API void apc_process_page_free(apc_process_page_t *pg);

typedef struct apc_ip {
    int64_t id;
    char address[46];
    int family; /* 4 or 6 */
    char *host_name, *country, *city, *user_data;
    double lat, lng;
    int has_geo;
    apc_time_t first_seen, last_seen;
    uint64_t packets, bytes, connections;
} apc_ip_t;

typedef struct apc_ip_page {
    int64_t last_id;
    int more;
    size_t count;
    apc_ip_t *ips;
} apc_ip_page_t;

/* IPs seen in one capture (capture_id > 0) or overall (0). */
APC_API int apc_ip_list(apc_ctx_t *ctx, int64_t capture_id, int64_t last_id, unsigned max,
                        apc_ip_page_t **out);
/* One IP (text form) overall or within a capture. APC_ENOTFOUND if never seen nor set. */
APC_API int apc_ip_get(apc_ctx_t *ctx, int64_t capture_id, const char *ip, apc_ip_t **out);
/* User data for an IP (NULL/"" clears). Creates the IP's row if needed. */
APC_API int apc_ip_set_data(apc_ctx_t *ctx, int64_t capture_id, const char *ip, const char *data);
/* Geolocation for an IP from an outside source. Strings may be NULL (left unchanged). */
APC_API int apc_ip_set_geo(apc_ctx_t *ctx, int64_t capture_id, const char *ip, const char *hostname,
                           const char *country, const char *city, double lat, double lng);
APC_API void apc_ip_free(apc_ip_t *ip);
APC_API void apc_ip_page_free(apc_ip_page_t *pg);

/* Settings: string key -> string value. */
typedef struct apc_settings {
    size_t count;
    char **keys;
    char **values;
} apc_settings_t;

APC_API int apc_settings_get_all(apc_ctx_t *ctx, apc_settings_t **out);
/* *out_value belongs to the caller (apc_free). APC_ENOTFOUND if the key is not set. */
APC_API int apc_settings_get(apc_ctx_t *ctx, const char *key, char **out_value);
APC_API int apc_settings_set(apc_ctx_t *ctx, const char *key, const char *value);
APC_API int apc_settings_clear(apc_ctx_t *ctx);
APC_API void apc_settings_free(apc_settings_t *s);

#ifdef __cplusplus
}
#endif
#endif
