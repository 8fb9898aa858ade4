/* SPDX-License-Identifier: MIT */
/* Handlers of the search actions (op_search.c). */
#ifndef APC_OPS_OP_SEARCH_H
#define APC_OPS_OP_SEARCH_H

#include "ops/ops_internal.h"

int apc__op_search_cancel(apc__op_req_t *req, apc__op_res_t *res);
int apc__op_search_delete(apc__op_req_t *req, apc__op_res_t *res);
int apc__op_search_export(apc__op_req_t *req, apc__op_res_t *res);
int apc__op_search_list(apc__op_req_t *req, apc__op_res_t *res);
int apc__op_search_open(apc__op_req_t *req, apc__op_res_t *res);
int apc__op_search_read(apc__op_req_t *req, apc__op_res_t *res);
int apc__op_search_start(apc__op_req_t *req, apc__op_res_t *res);
/* op_scan.c */
int apc__op_search_scan(apc__op_req_t *req, apc__op_res_t *res);
int apc__op_search_verify_filter(apc__op_req_t *req, apc__op_res_t *res);

#endif
