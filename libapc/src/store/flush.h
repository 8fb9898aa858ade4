/* SPDX-License-Identifier: MIT */
/* Deleting saved data by kind (apc_flush, module export): typed calls to the store's backend
 * (apc__flush_ops_t in store/backend.h). */
#ifndef APC_STORE_FLUSH_H
#define APC_STORE_FLUSH_H

#include "store/backend.h"
#include "store/store.h"

/* 1 and the lowest active capture's id in *id, 0 when no capture is active. */
int apc__flush_active_capture(apc__store_t *s, int64_t *id);
/* Deletes the rows of the APC_FLUSH_* kinds in flags in one transaction. */
int apc__flush_rows(apc__store_t *s, uint32_t flags);
/* Returns freed space to the file system; best effort (< 0 with the message when not). */
int apc__flush_compact(apc__store_t *s);

#endif
