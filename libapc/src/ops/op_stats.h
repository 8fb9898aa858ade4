/* SPDX-License-Identifier: MIT */
/* Statistics actions (op_stats.c) over apc/stats.h. */
#ifndef APC_OPS_OP_STATS_H
#define APC_OPS_OP_STATS_H

#include "ops/ops_internal.h"

int apc__op_stats_totals(apc__op_req_t *req, apc__op_res_t *res);
int apc__op_stats_reset(apc__op_req_t *req, apc__op_res_t *res);
int apc__op_stats_by_id(apc__op_req_t *req, apc__op_res_t *res);
int apc__op_stats_by_date(apc__op_req_t *req, apc__op_res_t *res);
int apc__op_stats_by_ip(apc__op_req_t *req, apc__op_res_t *res);
int apc__op_stats_by_port(apc__op_req_t *req, apc__op_res_t *res);
int apc__op_stats_by_protocol(apc__op_req_t *req, apc__op_res_t *res);
int apc__op_stats_by_process(apc__op_req_t *req, apc__op_res_t *res);

#endif
