/* SPDX-License-Identifier: MIT */
/* Text for the fields of apc_op_info_t, shared by help and gen-docs so both say the same. */
#ifndef APCCTL_OPINFO_H
#define APCCTL_OPINFO_H

#include <stdbool.h>
#include <stddef.h>

#include <apc/apc.h>

/* Every action, sorted by name; free() the array (the entries are static). */
const apc_op_info_t **apcctl_ops_sorted(size_t *n);
/* "1..65535", "at least 1", "at most 256 bytes"...; false when the spec sets no limit. */
bool apcctl_param_range(const apc_param_spec_t *p, char *buf, size_t len);
/* "apcctl capture_read capture_id=INT [last_id=INT] ..." */
void apcctl_op_usage(const apc_op_info_t *op, char *buf, size_t len);

#endif
