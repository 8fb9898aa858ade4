/* SPDX-License-Identifier: MIT */
/* Stored packets for libapc's own readers (issue 10): the extraction engine reads every packet
 * of a capture, and the public page's text fields (summary, process name, notes) cost it more
 * than the reassembly (vfprintf and three strdups per packet). */
#ifndef APC_CAPTURE_READ_LEAN_H
#define APC_CAPTURE_READ_LEAN_H

#include <apc/capture.h>

/* As apc_capture_read (conn_id 0) or apc_capture_read_conn (conn_id > 0) with APC_READ_BYTES,
 * but each packet's summary, process_name and notes are left NULL (not read); every other field
 * is filled as there. The caller owns *out: apc_packet_page_free. */
int apc__capture_read_lean(apc_ctx_t *ctx, int64_t capture_id, int64_t conn_id, int64_t last_id,
                           unsigned max, apc_packet_page_t **out);

#endif
