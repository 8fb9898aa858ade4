/* SPDX-License-Identifier: MIT */
/*
 * Column lists that both backends read in the same order (store/sqlite/ and store/pg/), so
 * that a row reader of one matches the other's and a column added to a table is added once.
 * Only column names: each backend writes its statements (placeholders differ: ? and $1).
 */
#ifndef APC_STORE_SQL_COLS_H
#define APC_STORE_SQL_COLS_H

/* searches, as apc_search_meta_t */
#define APC__SEARCH_META_COLS                                                                      \
    "id, normalized, state, progress, scanned, matches, created, started, finished, error, "       \
    "capture_id, owner"

/* extract_streams, as apc_extract_stream_t */
#define APC__XSTREAM_COLS                                                                          \
    "id, capture_id, conn_id, direction, nth, protocol, name, mime, ctype, size, complete, "       \
    "reason, sha256, md5, time, first_packet, last_packet, pid, process_name, process_path"

/* extracted_files, as apc_extract_file_t */
#define APC__XFILE_COLS                                                                            \
    "id, capture_id, stream_id, path, name, size, mime, sha256, time, complete, pid, "             \
    "process_name, process_path"

/* connections, as apc__st_search_conn_t (prefix p: a table alias and a dot, or "") */
#define APC__SEARCH_CONN_COLS(p)                                                                   \
    p "id, " p "proto, " p "ip_ver, " p "src, " p "dst, " p "sport, " p "dport, " p                \
      "bytes_out + " p "bytes_in, " p "pkts_out + " p "pkts_in, " p "first_packet, " p             \
      "last_packet"

#endif
