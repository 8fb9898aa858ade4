/* SPDX-License-Identifier: MIT */
/*
 * A pcapng writer for exports (draft-ietf-opsawg-pcapng): one Section Header Block, Interface
 * Description Blocks, Enhanced Packet Blocks with options. Output is buffered; every write is
 * checked and the first failure (disk full...) is kept and returned by every later call.
 */
#ifndef APC_EXPORT_PCAPNG_OUT_H
#define APC_EXPORT_PCAPNG_OUT_H

#include <stddef.h>
#include <stdint.h>

#include "store/pcapng_enc.h"

typedef struct apc__ngw apc__ngw_t;

/* Writes to fd (not closed by the writer). `what` names the file in error messages. */
int apc__ngw_open(apc__ngw_t **out, int fd, const char *what);
/* SHB with shb_userappl and, when not NULL/"", one opt_comment (draft 4.1). */
int apc__ngw_shb(apc__ngw_t *w, const char *comment, const char *userappl);
/* IDB (draft 4.2) with if_tsresol 9 (timestamps in ns), if_name / if_description if given. */
int apc__ngw_idb(apc__ngw_t *w, uint16_t linktype, uint32_t snaplen, const char *name,
                 const char *description);

/* A packet as an export writes it (comments are C strings: comment_lens stays NULL). */
typedef apc__ng_epb_t apc__ngpkt_t;

/* EPB (draft 4.3) with opt_comment, epb_flags and epb_processid_threadid (code 8). */
int apc__ngw_epb(apc__ngw_t *w, const apc__ngpkt_t *p);
/* A block as it is, already encoded and checked (an owning node's, fleet/ngcheck.h). */
int apc__ngw_raw(apc__ngw_t *w, const uint8_t *block, size_t len);
/* Writes what is buffered. */
int apc__ngw_flush(apc__ngw_t *w);
/* Bytes written so far (buffered included). */
uint64_t apc__ngw_bytes(const apc__ngw_t *w);
void apc__ngw_free(apc__ngw_t *w);

#endif
