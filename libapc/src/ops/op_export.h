/* SPDX-License-Identifier: MIT */
/* Handlers of the export area: exports, export files, commands, flush. */
#ifndef APC_OPS_OP_EXPORT_H
#define APC_OPS_OP_EXPORT_H

#include "ops/ops_internal.h"

int apc__op_capture_export(apc__op_req_t *req, apc__op_res_t *res);
int apc__op_export_list(apc__op_req_t *req, apc__op_res_t *res);
int apc__op_export_delete(apc__op_req_t *req, apc__op_res_t *res);
int apc__op_command_list(apc__op_req_t *req, apc__op_res_t *res);
int apc__op_command_query(apc__op_req_t *req, apc__op_res_t *res);
int apc__op_command_delete(apc__op_req_t *req, apc__op_res_t *res);
int apc__op_apc_flush(apc__op_req_t *req, apc__op_res_t *res);

#endif
