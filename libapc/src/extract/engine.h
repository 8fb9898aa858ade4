/* SPDX-License-Identifier: MIT */
/*
 * The extraction engine's state (module extract only): the run, its connections and their
 * directions, the file being read in each, and what the store said about connections and
 * processes. detect.c owns the run, the files and HTTP; detect_ftp.c, detect_tftp.c and
 * detect_smb2.c (SMB2 and SMB1) follow their protocols and report files through
 * apc__xe_begin / _body / _end.
 */
#ifndef APC_EXTRACT_ENGINE_H
#define APC_EXTRACT_ENGINE_H

#include <magic.h>
#include <openssl/evp.h>
#include <stddef.h>
#include <stdint.h>

#include <apc/capture.h>

#include "extract/detect.h"
#include "extract/http.h"
#include "extract/sparse.h"
#include "extract/typecache.h"
#include "flow/reasm.h"

#define HEAD_MAX 4096 /* bytes libmagic looks at */
#define PROBE_MAX 16  /* bytes needed to tell an HTTP stream from anything else */

typedef struct engine engine_t;
typedef struct xconn xconn_t;

/* The file being read in one direction. */
typedef struct xfile {
    int open, carving;
    EVP_MD_CTX *sha, *md5;
    uint64_t size;
    size_t head_len;
    char *name, *ctype;
    int64_t first_packet, last_packet;
    apc_time_t time;
    uint32_t nth; /* its number among its direction's files (two can be open: mail's parts) */
    /* Last: a reset leaves it (only its first head_len bytes are ever read), which spares
     * three 4 KiB memsets per file. */
    uint8_t head[HEAD_MAX];
} xfile_t;

/* What a direction carries. LOST: its start was not captured; parsing may start at a later
 * segment that begins a message. */
enum {
    PROTO_UNDECIDED = 0,
    PROTO_HTTP_REQ = 1,
    PROTO_HTTP_RESP = 2,
    PROTO_FTP_CTL_C = 3, /* an FTP control connection's client side: commands */
    PROTO_FTP_CTL_S = 4, /* its server side: replies */
    PROTO_FTP_DATA = 5,  /* an FTP data connection: the bytes are the file */
    PROTO_TFTP = 6,      /* the direction of a TFTP transfer that sends the DATA blocks */
    PROTO_SMB2 = 7,      /* either direction of a connection to TCP port 445 or 139 (SMB) */
    PROTO_MAIL = 8,      /* either direction of an SMTP, POP3 or IMAP session (detect_mail.c) */
    PROTO_NONE = -1,
    PROTO_LOST = -2
};

typedef struct xdir {
    xconn_t *c;
    int idx; /* 0: initiator -> responder (APC_DIR_OUT), 1: back (APC_DIR_IN) */
    apc__reasm_t r;
    int proto;
    uint8_t probe[PROBE_MAX];
    size_t probe_len;
    apc__http_t *http;
    uint32_t nth;
    xfile_t f;
    char *resp_uri; /* responses: the URI of the request being answered */
    /* responses: a 206 whose body is a range of a joined file (detect_range.c): the key of
     * that file while the head is read, then its index + 1 in engine.rgs, the next offset
     * and the end of the range */
    char *range_key;
    uint64_t range_first, range_stop, range_total;
    size_t rg;
    char *line; /* FTP control: the line being read (FTP_LINE_MAX), NULL until needed */
    size_t line_len;
    struct smb2_dir *smb; /* SMB2: the message being read (detect_smb2.c), NULL until needed */
    struct xform *form;   /* HTTP: the multipart/form-data body being read (detect_form.c) */
} xdir_t;

#define FTP_LINE_MAX 1024 /* longer control lines are skipped: no reply or command needs more */
#define FTP_PORT 21       /* control connections are recognised by their server's port */

#define REQ_Q 64 /* requests awaiting their response (pipelining depth kept) */

struct xconn {
    engine_t *e;
    int64_t id;
    xdir_t d[2];
    int fin[2];
    struct {
        char *uri, *host;
        int is_head;
    } q[REQ_Q];
    unsigned q_first, q_len;
    int64_t xfer; /* FTP data: index + 1 of its transfer in engine.xfers, 0 none */
    /* TFTP: index + 1 of its request in engine.treqs (-1 carving, 0 not TFTP), the block
     * expected next, the block size, the direction sending DATA (-1 not seen yet), ended. */
    int64_t tftp;
    unsigned tftp_next, tftp_blksize;
    int tftp_sender, tftp_done;
    struct smb2_conn *smb; /* SMB2: requests awaiting answers, open files (detect_smb2.c) */
    struct xmail *mail;    /* mail: the session's parser and its parts (detect_mail.c), or NULL */
};

/* A TFTP read or write request (RFC 1350): the transfer follows from another server port to
 * the client's. */
typedef struct treq {
    char cli_ip[46], srv_ip[46];
    int cli_port;
    int op; /* APC__TFTP_RRQ or APC__TFTP_WRQ */
    char name[256];
    unsigned blksize; /* proposed; 0 none */
    int used;
} treq_t;

/* An FTP data connection a control connection announced (227, 229, PORT, EPRT) and what the
 * client asked of it next (RETR or a store command, with the file's name). */
typedef struct xfer {
    char ip[46]; /* the listening end */
    int port;
    int64_t ctl; /* the control connection's id */
    int kind;    /* enum apc__ftp_cmd; APC__FTP_OTHER until a command is seen */
    char name[256];
    uint64_t size; /* announced by the 150 reply, 0 unknown */
    int used;      /* a data connection was matched to it */
} xfer_t;

/* A file joined from the ranges of 206 responses (RFC 9110 14.4) for one representation:
 * same host, URI, validator and complete length, over any connections of the run. Reported
 * at the end of the run, as the first range's connection, direction and nth. */
typedef struct xrange {
    char *key, *name, *ctype;
    uint64_t total; /* UINT64_MAX when no range gave it */
    apc__sparse_t s;
    int64_t conn_id;
    int dir;
    uint32_t nth;
    int64_t first_packet, last_packet;
    apc_time_t time;
    const char *cut; /* why a range ended early, if one did */
} xrange_t;

/* What the connection list and the process list say about a connection. */
typedef struct conninfo {
    char src_ip[46], dst_ip[46];
    int src_port, dst_port;
    int64_t pid, process_id;
    char *process_name;
    int loaded; /* 0: an id below a loaded one whose row was not read (detect_load.c) */
} conninfo_t;

typedef struct procpath {
    int64_t process_id;
    char *path;
} procpath_t;

#define CLOSED ((xconn_t *)1) /* a connection already finished: later segments are ignored */

struct engine {
    const apc__xtrun_t *run;
    apc__reasm_pool_t pool;
    magic_t magic;           /* opened at the first file to type (most runs type none) */
    int magic_tried;         /* magic_open was tried: NULL magic then means no database */
    apc__typecache_t *types; /* libmagic's answers by head; NULL: no cache (out of memory) */
    conninfo_t *ci;          /* by connection id - 1 */
    size_t n_ci, cap_ci;
    procpath_t *pp;
    size_t n_pp, cap_pp;
    xconn_t **conns; /* by connection id - 1 */
    size_t n_conns;
    xfer_t *xfers; /* FTP transfers announced so far, in order */
    size_t n_xfers, cap_xfers;
    treq_t *treqs; /* TFTP requests seen so far, in order */
    size_t n_treqs, cap_treqs;
    /* what SMB holds (messages, writes awaiting answers, files): APC__EXTRACT_SMB_CAP */
    apc__sparse_pool_t smb_pool;
    xrange_t *rgs; /* files joined from 206 ranges (detect_range.c) */
    size_t n_rgs, cap_rgs;
    apc__sparse_pool_t range_pool; /* their bytes: APC__EXTRACT_RANGE_POOL */
    int64_t cur_packet;
    apc_time_t cur_time;
    int err;  /* first error of a callback: stops the run */
    int done; /* found() said it has what it wanted: the run stops without error */
};

/* Files: a direction's file begins (name and Content-Type may be NULL), takes bytes, ends
 * (reason NULL: complete). payload is the xdir_t. */
void apc__xe_begin(void *payload, const char *name, const char *ctype, int64_t length);
void apc__xe_body(void *payload, const uint8_t *data, size_t len);
void apc__xe_end(void *payload, const char *reason);
/* What apc__xe_end does, for any file: hashes finalized, the stream reported as found(), f
 * reset. protocol: its name in the stream row. */
void apc__xe_report(engine_t *e, int64_t conn_id, int direction, uint32_t nth, const char *protocol,
                    xfile_t *f, const char *reason);
/* The store's connections and processes (detect_load.c). load_conns: rows with id > last, new
 * or updated (only the run's own connections when it names them: apc__xtrun_t.conns), e->conns
 * grown to match; load_procs: every process again. */
int apc__xe_load_conns(engine_t *e, int64_t last);
int apc__xe_load_procs(engine_t *e);
/* A followed run (run->follow): loads the connections a page names that are not loaded yet. */
int apc__xe_follow_conns(engine_t *e, const apc_packet_page_t *pg);
/* A followed run has read every packet committed after `last`: waits (cancellable) for the next
 * commit or the capture's end (*ended 1; what the final commit made visible is still to read). */
int apc__xe_follow_wait(engine_t *e, int64_t last, int *ended);
/* A followed capture has ended: connections and processes loaded again, and run->reowned told,
 * before the last files are reported. */
int apc__xe_follow_end(engine_t *e);
/* The owner of a connection as loaded: pid, name, executable ("" when unknown). */
void apc__xe_owner(const engine_t *e, int64_t conn_id, int64_t *pid, const char **name,
                   const char **path);
/* Starts f, the nth file of the connection's direction (name, Content-Type; hashes when the
 * run types it); 0 or -1 (the run's error set). */
int apc__xe_file_start(engine_t *e, xfile_t *f, int64_t conn_id, int direction, uint32_t nth,
                       const char *name, const char *ctype);
/* Hashes (when started so) and counts bytes of f, keeping its first HEAD_MAX bytes for libmagic. */
void apc__xe_file_feed(xfile_t *f, const uint8_t *data, size_t len);
/* Records the run's first error (it stops the run). */
void apc__xe_set_err(engine_t *e, int r);
/* A new connection state for connection id (1-based, in range), stored in e->conns; NULL when
 * out of memory. */
xconn_t *apc__xe_conn_new(engine_t *e, int64_t id);
/* The direction of packet p within its connection: 0 from the initiator, 1 back. */
int apc__xe_dir_of(const engine_t *e, const apc_packet_t *p);

/* 206 ranges (detect_range.c). On a response head: the key of the file its range belongs to
 * (NULL: not a usable 206) into d. On its body's start: 1 when d's body is a range (it then
 * goes to range_body/range_end instead of a file of its own). At the end of the run every
 * joined file is reported; then their memory is freed. */
void apc__xe_range_head(xdir_t *d, const char *host, int status, const apc__http_meta_t *m);
int apc__xe_range_begin(xdir_t *d, const char *name, const char *ctype);
void apc__xe_range_body(xdir_t *d, const uint8_t *data, size_t len);
void apc__xe_range_end(xdir_t *d, const char *reason);
void apc__xe_range_report(engine_t *e);
void apc__xe_range_free(engine_t *e);

/* TFTP (detect_tftp.c): one UDP datagram of the capture. 0, or a negative APC_E*. */
int apc__xe_tftp(engine_t *e, const apc_packet_t *p);

/* FTP (detect_ftp.c). The transfer a new connection is the data connection of (index + 1 in
 * e->xfers, 0 none); control bytes of a direction; data bytes; the end of a data direction
 * (`why`: what ended it when it did not close itself). */
int64_t apc__xe_ftp_match(engine_t *e, const conninfo_t *ci);
void apc__xe_ftp_ctl(xdir_t *d, const uint8_t *data, size_t len);
void apc__xe_ftp_data(xdir_t *d, const uint8_t *data, size_t len);
void apc__xe_ftp_end(xdir_t *d, const char *why);

/* SMB (detect_smb2.c): bytes of a direction of a connection to port 445 or 139; a hole; the
 * end of the connection (files still open are reported, `why` as for FTP); its memory freed. */
void apc__xe_smb2_data(xdir_t *d, const uint8_t *data, size_t len);
void apc__xe_smb2_gap(xdir_t *d);
void apc__xe_smb2_end(xconn_t *c, const char *why);
void apc__xe_smb2_free(xconn_t *c);

/* Mail (detect_mail.c): a new connection to an SMTP, submission, POP3 or IMAP port gets a parser
 * (1; 0 not mail); bytes and holes of a direction; the end of the connection (messages still
 * open end partial, `why` as for FTP; the parser is freed). */
int apc__xe_mail_classify(xconn_t *c, const conninfo_t *ci);
void apc__xe_mail_data(xdir_t *d, const uint8_t *data, size_t len);
void apc__xe_mail_gap(xdir_t *d);
void apc__xe_mail_end(xconn_t *c, const char *why);
void apc__xe_mail_free(xconn_t *c);
/* HTTP uploads (detect_form.c): a body of type multipart/form-data (ctype: its Content-Type,
 * anything else is left alone) is also read part by part; its bytes as they come; its end
 * (reason as the body's: NULL complete), which frees the parser; free without reporting. */
void apc__xe_form_begin(xdir_t *d, const char *ctype);
void apc__xe_form_body(xdir_t *d, const uint8_t *data, size_t len);
void apc__xe_form_end(xdir_t *d, const char *reason);
void apc__xe_form_free(xdir_t *d);
/* A second file of a direction, beside d->f (a message's MIME parts): begun with d's next
 * nth, which it returns (0: not begun, the run's error set); fed; reported. */
uint32_t apc__xe_file_begin_in(xdir_t *d, xfile_t *f, const char *name, const char *ctype);
void apc__xe_file_body(engine_t *e, xfile_t *f, const uint8_t *data, size_t len);
/* Frees a file's state without reporting it (a run that stopped). */
void apc__xe_file_drop(xfile_t *f);

#endif
