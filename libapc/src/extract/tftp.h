/* SPDX-License-Identifier: MIT */
/*
 * TFTP packets (module extract): RFC 1350 (RRQ, WRQ, DATA, ACK, ERROR), RFC 2347 (options,
 * OACK), RFC 2348 (blksize). A pure function of one datagram's payload: no state.
 */
#ifndef APC_EXTRACT_TFTP_H
#define APC_EXTRACT_TFTP_H

#include <stddef.h>
#include <stdint.h>

enum apc__tftp_op {
    APC__TFTP_RRQ = 1,
    APC__TFTP_WRQ = 2,
    APC__TFTP_DATA = 3,
    APC__TFTP_ACK = 4,
    APC__TFTP_ERROR = 5,
    APC__TFTP_OACK = 6,
};

#define APC__TFTP_PORT 69
#define APC__TFTP_BLKSIZE 512 /* RFC 1350's block size, when no option changes it */

typedef struct apc__tftp {
    int op;              /* enum apc__tftp_op */
    unsigned block;      /* DATA, ACK */
    const uint8_t *data; /* DATA: the block's bytes (inside the parsed buffer) */
    size_t len;
    char name[256];   /* RRQ, WRQ: the file name (cut to fit) */
    unsigned blksize; /* RRQ, WRQ, OACK: the blksize option, 0 when absent or invalid */
    char msg[128];    /* ERROR: the message (cut to fit) */
} apc__tftp_t;

/* Parses p[0..n). 0 with *out filled, or -1 when it is not a well-formed TFTP packet (an RRQ or
 * WRQ needs its name and one of the modes netascii, octet, mail, each NUL-terminated). */
int apc__tftp_parse(const uint8_t *p, size_t n, apc__tftp_t *out);

#endif
