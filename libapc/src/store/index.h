/* SPDX-License-Identifier: MIT */
/*
 * The per-packet index of a capture: captures/<id>/index.apx, a 16-byte header then one
 * fixed 24-byte record per packet in capture order, so packet id N (1-based) is record N-1 and
 * lookups are one pread. Records hold what readers need without touching the packet bytes:
 * time, where the bytes are, the connection, the process and the attribution confidence.
 */
#ifndef APC_STORE_INDEX_H
#define APC_STORE_INDEX_H

#include <stddef.h>
#include <stdint.h>

typedef struct apc__idxrec {
    int64_t ts_ns;
    uint64_t loc;     /* segment location, see store/segment.h */
    uint32_t conn_id; /* 0 = none */
    uint32_t proc;    /* process id (low 29 bits) | attribution (high 3 bits) */
} apc__idxrec_t;

#define APC_IDX_HDR 16
#define APC_IDX_PROC(proc_id, attr) (((uint32_t)(attr) << 29) | ((uint32_t)(proc_id)&0x1fffffffU))
#define APC_IDX_PROC_ID(p) ((p)&0x1fffffffU)
#define APC_IDX_ATTR(p) ((int)((p) >> 29))

typedef struct apc__idxw apc__idxw_t;

/* Opens for appending after the first `committed` records (anything after is cut). */
int apc__idxw_open(apc__idxw_t **out, const char *dir, uint64_t committed);
int apc__idxw_append(apc__idxw_t *w, const apc__idxrec_t *rec);
int apc__idxw_flush(apc__idxw_t *w);
void apc__idxw_close(apc__idxw_t *w);

/* Reads up to n records starting at record `first` (0-based). Returns the number read
 * (fewer at the end of the file) or < 0. */
long apc__idx_read(const char *dir, uint64_t first, size_t n, apc__idxrec_t *out);
/* Cuts the index to `records` records (crash repair, delete). */
int apc__idx_truncate(const char *dir, uint64_t records);
void apc__idx_path(char *buf, size_t n, const char *dir);

#endif
