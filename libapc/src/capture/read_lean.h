/* SPDX-License-Identifier: MIT */
/* Stored packets for libapc's own readers (issue 10): the extraction engine reads every packet
 * of a capture, and the public page's text fields (summary, process name, notes) cost it more
 * than the reassembly (vfprintf and three strdups per packet). */
#ifndef APC_CAPTURE_READ_LEAN_H
#define APC_CAPTURE_READ_LEAN_H

#include <apc/capture.h>

/* Whether the reader leaves out the packets of connection conn_id (0: none) without reading
 * their bytes: 1 skip. sp is the caller's. */
typedef int (*apc__read_skip_fn)(void *sp, int64_t conn_id);

/* As apc_capture_read (conn_id 0) or apc_capture_read_conn (conn_id > 0) with APC_READ_BYTES,
 * but each packet's summary, process_name and notes are left NULL (not read); every other field
 * is filled as there. With `skip` (may be NULL), the packets it names are left out, and the
 * page's last_id is the last record looked at (a page may then hold no packet and have more).
 * The caller owns *out: apc__lean_page_free (not apc_packet_page_free: the packets' bytes are
 * in blocks of the page's own). */
int apc__capture_read_lean(apc_ctx_t *ctx, int64_t capture_id, int64_t conn_id, int64_t last_id,
                           unsigned max, apc__read_skip_fn skip, void *sp, apc_packet_page_t **out);

/* Frees a page of apc__capture_read_lean; NULL is fine. */
void apc__lean_page_free(apc_packet_page_t *pg);

/* As apc_capture_list_conns, but each connection's id, protocol, addresses, ports and owner
 * (pid, process_id, process_name) only: statistics 0 and host_name "" (its lookups were
 * most of a row's cost). For the extraction engine, which loads every connection of a capture
 * and then again at the end of a followed one. The caller owns *out: apc_conn_page_free. */
int apc__capture_list_conns_lean(apc_ctx_t *ctx, int64_t capture_id, int64_t last_id, unsigned max,
                                 apc_conn_page_t **out);

/* Packets ids[0..n) of one capture (ascending ids), as apc_capture_get_packet gives them but
 * without their bytes, read with one capture lookup, one index cursor and one notes query (a
 * search's page of matches: a lookup per match cost a PostgreSQL round trip each). Each id
 * found fills out[*got] (the caller's array of at least n, its fields then the caller's to free
 * with the page, or field by field); ids past the capture's end are skipped. APC_ENOTFOUND when
 * the capture does not exist; on any failure nothing is left in out. */
int apc__capture_get_many(apc_ctx_t *ctx, int64_t capture_id, const int64_t *ids, size_t n,
                          apc_packet_t *out, size_t *got);

#endif
