/* SPDX-License-Identifier: MIT */
/* Handlers of login/logout, the web theme listings and uploads (op_auth.c). */
#ifndef APC_OPS_OP_AUTH_H
#define APC_OPS_OP_AUTH_H

#include "ops/ops_internal.h"

int apc__op_login(apc__op_req_t *req, apc__op_res_t *res);
int apc__op_logout(apc__op_req_t *req, apc__op_res_t *res);
int apc__op_server_folders(apc__op_req_t *req, apc__op_res_t *res);
int apc__op_server_pages(apc__op_req_t *req, apc__op_res_t *res);
int apc__op_pcap_ingest_post(apc__op_req_t *req, apc__op_res_t *res);

#endif
