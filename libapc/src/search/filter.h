/* SPDX-License-Identifier: MIT */
/*
 * The search filter language (module `search`, docs/filters.md): a display-filter style
 * expression is lexed and parsed into a checked tree (parse.c), written back canonically
 * (normalize.c) and evaluated against a packet whose facts are loaded lazily (eval.c): first
 * what the connection table knows, then the index record, then the packet bytes. Evaluation
 * is three-valued so the planner can skip a connection, or answer a packet from its index
 * record, when the bytes cannot change the answer.
 */
#ifndef APC_SEARCH_FILTER_H
#define APC_SEARCH_FILTER_H

#include <stddef.h>
#include <stdint.h>

#include "decode/decode.h"

/* Limits: a filter over one is an error, never a hang (DESIGN.md section 9). */
#define APC_FLT_MAX_LEN 8192   /* bytes of filter text */
#define APC_FLT_MAX_DEPTH 64   /* nesting of parentheses and negations */
#define APC_FLT_MAX_NODES 1024 /* comparisons and operators */
#define APC_FLT_MAX_SET 1024   /* values in one `in {...}` */

/* Field value types. */
enum apc__ft {
    FT_UINT = 1, /* numbers */
    FT_BOOL,     /* 0/1, true/false */
    FT_IPV4,     /* with CIDR */
    FT_IPV6,
    FT_MAC,
    FT_STRING,
    FT_TIME,  /* nanoseconds since the Unix epoch */
    FT_BYTES, /* `frame`: contains / matches only */
    FT_PROTO, /* a protocol name: present or not */
};

/* Where a field's value comes from: what the planner must load to answer it. */
enum apc__fsrc {
    FS_CONN = 1, /* the connection table (and the packet bytes for packets without one) */
    FS_REC,      /* the index record (time, capture, packet number, process) */
    FS_BYTES,    /* the packet bytes */
};

typedef struct apc__field {
    const char *name;
    int type;     /* enum apc__ft */
    int id;       /* enum apc__fid (fields.c) */
    int src;      /* enum apc__fsrc */
    uint64_t max; /* FT_UINT: largest value */
    const char *desc;
} apc__field_t;

const apc__field_t *apc__flt_field(const char *name, size_t len);
/* The known field nearest to `name` (edit distance <= 2, or a unique prefix), or NULL. */
const apc__field_t *apc__flt_suggest(const char *name, size_t len);
/* All fields, for docs and tests. */
const apc__field_t *apc__flt_fields(size_t *count);

enum apc__fop { OP_EQ = 1, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE, OP_IN, OP_CONTAINS, OP_MATCHES };
enum apc__nkind { N_AND = 1, N_OR, N_NOT, N_CMP, N_EXISTS, N_BPF };

enum apc__vkind { V_NUM = 1, V_RANGE, V_ADDR, V_MAC, V_STR };

typedef struct apc__fval {
    int kind;         /* enum apc__vkind */
    uint64_t lo, hi;  /* V_NUM (lo), V_RANGE; FT_TIME in ns */
    uint8_t addr[16]; /* V_ADDR (prefix bits in `prefix`), V_MAC (6 bytes) */
    int prefix;
    char *s; /* V_STR bytes (not NUL-terminated inside; NUL added) */
    size_t slen;
} apc__fval_t;

struct apc__bpfcache;
struct apc__fspans;

typedef struct apc__fnode {
    int kind; /* enum apc__nkind */
    struct apc__fnode *a, *b;
    const apc__field_t *field;
    int op;
    apc__fval_t *vals;
    size_t nvals;
    void *re;                  /* OP_MATCHES: compiled pattern (re.c) */
    char *text;                /* N_BPF: the pcap-filter expression */
    struct apc__bpfcache *bpf; /* compiled per link type, on first use */
    struct apc__fspans *files; /* file.*: the matching files of the capture scanned (files.c) */
    size_t pos;                /* offset in the filter text */
} apc__fnode_t;

typedef struct apc__filter {
    apc__fnode_t *root; /* NULL for an empty filter: everything matches */
    int needs;          /* highest enum apc__fsrc any field needs */
    char *normalized;
} apc__filter_t;

/* Parses and checks `text`. On error returns APC_EINVAL (or APC_ELIMIT / APC_ENOMEM), sets
 * the thread-local message and stores the byte offset of the fault in *err_off. */
int apc__flt_compile(const char *text, size_t len, apc__filter_t **out, size_t *err_off);
void apc__flt_free(apc__filter_t *f);
/* Writes the canonical text of the tree (parse.c calls it; NULL on allocation failure). */
char *apc__flt_normalize(const apc__fnode_t *root);

/* --- evaluation ------------------------------------------------------------------------- */

/* What is known of a connection (from the connections table). */
typedef struct apc__fconn {
    int64_t id;
    int proto, ip_ver;
    uint8_t src[16], dst[16];
    uint16_t sport, dport;
    uint64_t bytes, packets;
    int verdict; /* cached connection-level answer: -2 not computed, else enum apc__tv */
    uint64_t first_id, last_id; /* span of its packets (0, 0 unknown), from the span index */
} apc__fconn_t;

/* What is known of a process (from the processes table). */
typedef struct apc__fproc {
    int64_t id, pid, ppid;
    char *name, *path, *cmdline, *user;
} apc__fproc_t;

enum apc__tv { TV_FALSE = 0, TV_TRUE = 1, TV_UNKNOWN = 2 };

/* Levels of knowledge about a packet. */
enum apc__flevel { LV_CONN = 1, LV_REC = 2, LV_FULL = 3 };

enum apc__dns_kind { APC__DNS_NONE = 0, APC__DNS = 1, APC__MDNS = 2, APC__LLMNR = 3 };

/* Application-layer facts parsed on demand from the packet bytes (applayer.c). */
typedef struct apc__fapp {
    int done;
    int has_dns, has_http_req, has_http_resp, has_tls, has_sni;
    /* Which DNS dialect a message is, from its port as tshark decides (APC__DNS_*): the
     * protocol terms dns, mdns and llmnr; dns.qry.name reads the question of all three. */
    int dns_kind;
    char dns_name[256];
    size_t dns_len;
    char http_method[16], http_host[256], http_uri[2048];
    size_t method_len, host_len, uri_len;
    int has_host;
    char sni[256];
    size_t sni_len;
    int sni_quic; /* the name came from a QUIC client Initial */
} apc__fapp_t;

typedef struct apc__fpkt {
    int level;
    const apc__fconn_t *conn; /* NULL: packet without connection */
    int noconn; /* below LV_FULL: known to belong to no connection, so it has no transport
                 * ports (flow.h: not IP, a lone non-first fragment, a cut transport header) */
    /* LV_REC */
    int64_t capture_id, packet_id, ts_ns;
    const apc__fproc_t *proc; /* NULL: no process */
    /* LV_FULL */
    const uint8_t *data;
    uint32_t caplen, wirelen, linktype;
    int has_pid_tid;
    uint32_t pid, tid;
    apc__pkt_t d;
    apc__fapp_t app;
} apc__fpkt_t;

/* Three-valued answer of the filter for what p->level makes known. At LV_FULL the answer is
 * never TV_UNKNOWN. A NULL root is TV_TRUE. */
int apc__flt_eval(const apc__filter_t *f, apc__fpkt_t *p);

/* Application-layer parsers (applayer.c), each bounds-checked. */
void apc__app_parse(apc__fapp_t *app, const apc__pkt_t *d, const uint8_t *data, uint32_t caplen);
/* DNS question name (RFC 1035 section 4.1.2) of msg into out (dotted, as written, at most
 * n-1 bytes). Returns its length or -1. */
int apc__dns_qname(const uint8_t *msg, size_t len, char *out, size_t n);
/* First line and Host header of an HTTP/1.x request (RFC 9112 section 3, RFC 9110 section 7.2). */
int apc__http_request(const uint8_t *p, size_t len, apc__fapp_t *app);
/* server_name of a TLS ClientHello (RFC 8446 section 4.1.2, RFC 6066 section 3): in a
 * handshake record (apc__tls_sni) or a handshake message (apc__tls_hello_sni, as QUIC's CRYPTO
 * frames carry it). Its length, or -1 (none, or one with a control byte). */
int apc__tls_sni(const uint8_t *p, size_t len, char *out, size_t n);
int apc__tls_hello_sni(const uint8_t *p, size_t len, char *out, size_t n);

/* Whether one value (num for numbers, s/slen for strings) satisfies comparison n (eval.c):
 * how files.c judges a detected file's attributes. */
int apc__flt_match_value(const apc__fnode_t *n, uint64_t num, const char *s, size_t slen);

/* files.c: the file.* comparisons. A file field's node answers from n->files, the files of
 * the capture being scanned that satisfy it, resolved once per capture. */
int apc__files_is_field(const apc__field_t *f);
/* The node's answer for packet p (three-valued, as apc__flt_eval). */
int apc__files_eval(const apc__fnode_t *n, const apc__fpkt_t *p);
void apc__files_free(struct apc__fspans *fs);

/* re.c: PCRE2 patterns, case-insensitive like Wireshark's `matches`, with match limits so a
 * pathological pattern fails the match instead of running away. */
void *apc__re_compile(const char *pat, size_t len, size_t *err_off);
int apc__re_match(void *re, const uint8_t *s, size_t n);
void apc__re_free(void *re);

/* bpf.c: runs a pcap-filter expression on one packet; compiles per link type on first use.
 * Returns 1 match, 0 no match. */
int apc__bpf_match(apc__fnode_t *n, uint32_t linktype, const uint8_t *data, uint32_t caplen,
                   uint32_t wirelen);
/* Checks that `expr` compiles (for Ethernet); 0 or APC_EINVAL with libpcap's message. */
int apc__bpf_check(const char *expr);
void apc__bpf_free(struct apc__bpfcache *c);

#endif
