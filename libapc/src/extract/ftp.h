/* SPDX-License-Identifier: MIT */
/*
 * FTP control lines (module extract): what a control connection says about the data
 * connections that carry files. RFC 959 (PORT, PASV, RETR, STOR, STOU, APPE, reply 150),
 * RFC 2428 (EPRT, EPSV). Pure functions of one line: no state, no allocation.
 */
#ifndef APC_EXTRACT_FTP_H
#define APC_EXTRACT_FTP_H

#include <stddef.h>
#include <stdint.h>

/* What a client's command line asks for. */
enum apc__ftp_cmd {
    APC__FTP_OTHER = 0,
    APC__FTP_RETR,  /* a file from the server: the data comes back */
    APC__FTP_STORE, /* STOR, STOU, APPE: a file to the server */
    APC__FTP_LIST,  /* LIST, NLST, MLSD: a listing, not a file */
    APC__FTP_PORT,  /* PORT or EPRT: the server will connect to addr:port */
};

/* A data connection's listening end: `ip` is text ("" = the control connection's own peer, as
 * EPSV says), `port` 1..65535. */
typedef struct apc__ftp_addr {
    char ip[46];
    int port;
} apc__ftp_addr_t;

/* A client line (without CR LF, n bytes, not NUL-terminated). Fills `arg` (NUL-terminated,
 * truncated to argn - 1) with the file name of RETR and the store commands, and `a` for PORT
 * and EPRT (which answer APC__FTP_OTHER when their address does not parse). */
int apc__ftp_command(const char *line, size_t n, char *arg, size_t argn, apc__ftp_addr_t *a);

/* A server line: 1 and `a` filled for a 227 (PASV) or 229 (EPSV) reply that parses; 2 and
 * *size for a 150 reply that announces "(N bytes)"; 0 otherwise. */
int apc__ftp_reply(const char *line, size_t n, apc__ftp_addr_t *a, uint64_t *size);

#endif
