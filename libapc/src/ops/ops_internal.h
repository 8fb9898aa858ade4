/* SPDX-License-Identifier: MIT */
/*
 * Internals of module ops: the table entry (public info + handler), validated arguments, the
 * reply a handler fills, and the JSON encoders of the wire objects (spec/wire.md).
 */
#ifndef APC_OPS_INTERNAL_H
#define APC_OPS_INTERNAL_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include <apc/capture.h>
#include <apc/export.h>
#include <apc/ops.h>

/* One validated argument, parallel to the action's parameter specs. */
typedef struct apc__op_arg {
    int present; /* given by the caller, or filled from the spec's default */
    int64_t i;   /* INT */
    double f;    /* FLOAT */
    char *s;     /* STRING, IP (canonical text); owned by the request */
    char **list; /* LIST items; owned by the request */
    size_t nlist;
} apc__op_arg_t;

typedef struct apc__op_req {
    apc_ctx_t *ctx;
    const apc_session_t *session;
    const apc_op_info_t *info;
    apc__op_arg_t *args; /* info->params order */
} apc__op_req_t;

typedef struct apc__op_res {
    int data_type; /* enum apc_data_type */
    cJSON *value;  /* ReturnValue; owned by the result until encoded */
} apc__op_res_t;

/* The timeout for a wait=1 call: the session's wait limit, or -1 (forever) without one. */
int apc__op_wait_ms(const apc__op_req_t *req);
/* What a wait ending in `rc` means for the answer: a timeout (APC_EBUSY, the session's wait
 * limit passed) is not an error, the caller gets the state as it is; anything else stays. */
int apc__op_waited(int rc);

/* A handler: 0 with res filled, or a negative APC_E* with the message set (apc__err). */
typedef int (*apc__op_fn)(apc__op_req_t *req, apc__op_res_t *res);

/* A table entry. `info` is first so a pointer to it is a pointer to the entry. */
typedef struct apc__op_def {
    apc_op_info_t info;
    apc__op_fn fn; /* NULL when not implemented */
} apc__op_def_t;

/* Entry of a wire name, or NULL (table.c). */
const apc__op_def_t *apc__ops_def(const char *name);
/* Closest wire name within a small edit distance of `name`, or NULL (table.c). */
const char *apc__ops_suggest(const char *name);

/* params.c: raw access for validation. */
size_t apc__params_count(const apc_params_t *p);
/* i-th pair in insertion order; *len is the stored value's length (it may hold a NUL). */
void apc__params_nth(const apc_params_t *p, size_t i, const char **name, const char **value,
                     size_t *len);

/* validate.c: fills req->args from params according to info->params; APC_EINVAL with the
 * wire message ("missing parameter 'capture_id'") on the first bad one. */
int apc__ops_validate(apc__op_req_t *req, const apc_params_t *params);
void apc__ops_args_free(const apc_op_info_t *info, apc__op_arg_t *args);

/* Typed access to validated arguments by name (a name not in the spec aborts in debug). */
const apc__op_arg_t *apc__arg(const apc__op_req_t *req, const char *name);
int64_t apc__arg_int(const apc__op_req_t *req, const char *name);
double apc__arg_float(const apc__op_req_t *req, const char *name);
/* NULL when absent. */
const char *apc__arg_str(const apc__op_req_t *req, const char *name);

/* Reply helpers: set res and return 0, or APC_ENOMEM when value is NULL. */
int apc__res_json(apc__op_res_t *res, cJSON *value);
int apc__res_int(apc__op_res_t *res, int64_t v);
int apc__res_str(apc__op_res_t *res, const char *s);

/* encode.c: JSON helpers. 64-bit integers are written as raw number text so they keep every
 * digit (cJSON holds numbers as double, which rounds FILETIMEs). */
cJSON *apc__json_i64(int64_t v);
int apc__json_add_i64(cJSON *o, const char *name, int64_t v);
int apc__json_add_u64(cJSON *o, const char *name, uint64_t v);
/* A time as UTC FILETIME; 0 ("unknown") stays 0. */
int apc__json_add_time(cJSON *o, const char *name, apc_time_t t);
/* A string (NULL -> ""), with invalid UTF-8 replaced by U+FFFD so the reply stays JSON. */
int apc__json_add_str(cJSON *o, const char *name, const char *s);
int apc__json_add_double(cJSON *o, const char *name, double v);

/* Appends item to the array arr and returns arr. When item is NULL (an encoder ran out of
 * memory) or cannot be added, frees arr (and item) and returns NULL, so a list is built with
 * `for (...; arr && i < n; i++) arr = apc__json_push(arr, encode(&items[i]));`. */
cJSON *apc__json_push(cJSON *arr, cJSON *item);

/* Wire objects; NULL on allocation failure. */
cJSON *apc__json_capture(const apc_capture_t *c);
/* Adds the CAPTURE fields to an existing object (for CAPTUREMETA). 0 or APC_ENOMEM. */
int apc__json_capture_fields(cJSON *o, const apc_capture_t *c);
/* PACKET, and an array of n of them, as raw JSON text nodes (jsonw.h). */
cJSON *apc__json_packet(const apc_packet_t *p, int with_data);
cJSON *apc__json_packets(const apc_packet_t *ps, size_t n, int with_data);
cJSON *apc__json_packet_page(const apc_packet_page_t *pg, int with_data);
cJSON *apc__json_conn(const apc_conn_t *c);
cJSON *apc__json_process(const apc_process_t *p);
cJSON *apc__json_ip(const apc_ip_t *ip);
/* COMMAND (docs/api.md): capture_export, search_export, command_* answer it (op_export.c). */
cJSON *apc__json_command(const apc_command_t *c);

/* build_info.c (generated): build time in seconds since the Unix epoch. */
extern const int64_t apc__ops_build_time;

/* Handlers, by area. */
int apc__op_apppaccap(apc__op_req_t *req, apc__op_res_t *res);
int apc__op_pcap_ingest_file(apc__op_req_t *req, apc__op_res_t *res);
int apc__op_capture_list_completed(apc__op_req_t *req, apc__op_res_t *res);
int apc__op_capture_list_system(apc__op_req_t *req, apc__op_res_t *res);
int apc__op_capture_open(apc__op_req_t *req, apc__op_res_t *res);
int apc__op_capture_get_details(apc__op_req_t *req, apc__op_res_t *res);
int apc__op_capture_set_notes(apc__op_req_t *req, apc__op_res_t *res);
int apc__op_capture_delete(apc__op_req_t *req, apc__op_res_t *res);
int apc__op_capture_read(apc__op_req_t *req, apc__op_res_t *res);
int apc__op_capture_get_packet(apc__op_req_t *req, apc__op_res_t *res);
int apc__op_capture_conn_stream(apc__op_req_t *req, apc__op_res_t *res);
int apc__op_capture_list_conns(apc__op_req_t *req, apc__op_res_t *res);
int apc__op_capture_get_processes(apc__op_req_t *req, apc__op_res_t *res);
int apc__op_capture_query_ip(apc__op_req_t *req, apc__op_res_t *res);
int apc__op_ip_query(apc__op_req_t *req, apc__op_res_t *res);
int apc__op_ip_set_data(apc__op_req_t *req, apc__op_res_t *res);
int apc__op_ip_set_geo(apc__op_req_t *req, apc__op_res_t *res);
int apc__op_settings_get_all(apc__op_req_t *req, apc__op_res_t *res);
int apc__op_settings_get_by_key(apc__op_req_t *req, apc__op_res_t *res);
int apc__op_settings_set(apc__op_req_t *req, apc__op_res_t *res);
int apc__op_settings_clear(apc__op_req_t *req, apc__op_res_t *res);

/* op_trigger.c */
/* op_extract.c */
int apc__op_extract_enable(apc__op_req_t *req, apc__op_res_t *res);
int apc__op_extract_disable(apc__op_req_t *req, apc__op_res_t *res);
int apc__op_extract_query(apc__op_req_t *req, apc__op_res_t *res);
int apc__op_extract_file_write(apc__op_req_t *req, apc__op_res_t *res);
int apc__op_extract_file_list(apc__op_req_t *req, apc__op_res_t *res);
int apc__op_extract_file_delete(apc__op_req_t *req, apc__op_res_t *res);
int apc__op_trigger_add(apc__op_req_t *req, apc__op_res_t *res);
int apc__op_trigger_mod(apc__op_req_t *req, apc__op_res_t *res);
int apc__op_trigger_remove(apc__op_req_t *req, apc__op_res_t *res);
int apc__op_trigger_list(apc__op_req_t *req, apc__op_res_t *res);
int apc__op_trigger_get_actions(apc__op_req_t *req, apc__op_res_t *res);
int apc__op_trigger_set_action(apc__op_req_t *req, apc__op_res_t *res);
int apc__op_trigger_clear_actions(apc__op_req_t *req, apc__op_res_t *res);
int apc__op_action_add(apc__op_req_t *req, apc__op_res_t *res);
int apc__op_action_mod(apc__op_req_t *req, apc__op_res_t *res);
int apc__op_action_remove(apc__op_req_t *req, apc__op_res_t *res);
int apc__op_action_list(apc__op_req_t *req, apc__op_res_t *res);
int apc__op_action_set_trigger(apc__op_req_t *req, apc__op_res_t *res);
int apc__op_action_clear_triggers(apc__op_req_t *req, apc__op_res_t *res);

#endif
