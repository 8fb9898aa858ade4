/* SPDX-License-Identifier: MIT */
/*
 * Captures and the processes they hold, as domain modules store them: typed calls that
 * dispatch to the store's backend (store/backend.h has the records). The capture writer
 * (capture/capwriter.c) is their main user.
 */
#ifndef APC_STORE_CAPTURES_H
#define APC_STORE_CAPTURES_H

#include "store/backend.h"
#include "store/store.h"

int apc__captures_create(apc__store_t *s, const apc__st_capture_new_t *c, int64_t *out_id);
int apc__captures_add_iface(apc__store_t *s, int64_t capture_id, const apc__st_iface_t *i);
/* One writer commit, all or nothing; fails with the message set if the batch ran out of
 * memory while it was filled (b->oom). */
int apc__captures_commit(apc__store_t *s, const apc__cbatch_t *b);
int apc__captures_fail(apc__store_t *s, int64_t capture_id, const char *error, int64_t end_time);
int apc__captures_get(apc__store_t *s, int64_t id, apc_capture_t **out);
int apc__captures_list(apc__store_t *s, int which, apc_capture_list_t *l);
int apc__captures_remove(apc__store_t *s, int64_t id);
int apc__captures_set_notes(apc__store_t *s, int64_t capture_id, int64_t packet_id,
                            const char *notes);
int apc__captures_meta(apc__store_t *s, apc_capture_meta_t *m);
int apc__captures_set_drops(apc__store_t *s, int64_t capture_id, uint64_t kernel_drops,
                            uint64_t drops);

int apc__captures_set_options(apc__store_t *s, int64_t capture_id, const apc__st_capture_opts_t *o);
/* For readers of stored packets (backend.h says what each answers). */
int apc__captures_packets(apc__store_t *s, int64_t capture_id, uint64_t *packets);
/* 1 and the URL of the fleet node `name` in *url (free()), 0 when unknown or one node only. */
int apc__captures_node_url(apc__store_t *s, const char *name, char **url);
int apc__captures_ifaces(apc__store_t *s, int64_t capture_id, apc__st_iface_fn fn, void *payload);
int apc__captures_notes(apc__store_t *s, int64_t capture_id, int64_t first, int64_t last,
                        apc__st_note_fn fn, void *payload);

int apc__processes_add(apc__store_t *s, const apc__st_process_t *p, int64_t *out_id);
int apc__processes_update(apc__store_t *s, int64_t id, const apc__st_process_t *p);
int apc__processes_pid_of(apc__store_t *s, int64_t id, int64_t *pid);
int apc__processes_capture_page(apc__store_t *s, int64_t capture_id, int64_t last_id, unsigned max,
                                apc_process_page_t *pg);
/* lean: see apc__conns_ops_t.page */
int apc__conns_page(apc__store_t *s, int64_t capture_id, int64_t last_id, unsigned max, int lean,
                    apc_conn_page_t *pg);
int apc__processes_thread_add(apc__store_t *s, int64_t process_id, int64_t tid, const char *name);
int apc__processes_name_of(apc__store_t *s, int64_t id, char **name);
int apc__processes_export_meta(apc__store_t *s, int64_t id, apc__st_proc_meta_t *out);
/* Frees the strings of m (not m). */
void apc__st_proc_meta_clear(apc__st_proc_meta_t *m);
int apc__processes_thread_name(apc__store_t *s, int64_t process_id, int64_t tid, char **name);

#endif
