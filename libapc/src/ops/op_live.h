/* SPDX-License-Identifier: MIT */
/* Live capture, adapter and process actions (op_live.c). */
#ifndef APC_OPS_OP_LIVE_H
#define APC_OPS_OP_LIVE_H

#include "ops/ops_internal.h"

int apc__op_adapter_list(apc__op_req_t *req, apc__op_res_t *res);
int apc__op_monitor_start(apc__op_req_t *req, apc__op_res_t *res);
int apc__op_monitor_stop(apc__op_req_t *req, apc__op_res_t *res);
int apc__op_capture_start_system(apc__op_req_t *req, apc__op_res_t *res);
int apc__op_capture_start_process(apc__op_req_t *req, apc__op_res_t *res);
int apc__op_capture_stop_system(apc__op_req_t *req, apc__op_res_t *res);
int apc__op_capture_stop_process(apc__op_req_t *req, apc__op_res_t *res);
int apc__op_capture_stop_all(apc__op_req_t *req, apc__op_res_t *res);
int apc__op_capture_list_active(apc__op_req_t *req, apc__op_res_t *res);
int apc__op_capture_stream(apc__op_req_t *req, apc__op_res_t *res);
int apc__op_capture_thread_stream(apc__op_req_t *req, apc__op_res_t *res);
int apc__op_process_list_capture(apc__op_req_t *req, apc__op_res_t *res);
int apc__op_process_list_running(apc__op_req_t *req, apc__op_res_t *res);
int apc__op_process_list_threads(apc__op_req_t *req, apc__op_res_t *res);
/* Appends AttributionBackend and AttributionReason (for APPPACCAP and live CAPTUREs). */
int apc__json_add_attribution(cJSON *o, apc_ctx_t *ctx);

#endif
