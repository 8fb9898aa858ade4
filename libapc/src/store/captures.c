/* SPDX-License-Identifier: MIT */
/* Dispatch of the capture and process calls to the store's backend (see captures.h). */
#include "store/captures.h"

#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "store/store_int.h"

int apc__captures_create(apc__store_t *s, const apc__st_capture_new_t *c, int64_t *out_id)
{
    return s->be->captures->create(s->impl, c, out_id);
}

int apc__captures_add_iface(apc__store_t *s, int64_t capture_id, const apc__st_iface_t *i)
{
    return s->be->captures->add_iface(s->impl, capture_id, i);
}

int apc__captures_commit(apc__store_t *s, const apc__cbatch_t *b)
{
    if (b->oom)
        return apc__err(APC_ENOMEM, "capture %lld: out of memory while preparing a commit",
                        (long long)b->capture_id);
    return s->be->captures->commit(s->impl, b);
}

int apc__captures_fail(apc__store_t *s, int64_t capture_id, const char *error, int64_t end_time)
{
    return s->be->captures->fail(s->impl, capture_id, error, end_time);
}

int apc__captures_get(apc__store_t *s, int64_t id, apc_capture_t **out)
{
    return s->be->captures->get(s->impl, id, out);
}

int apc__captures_list(apc__store_t *s, int which, apc_capture_list_t *l)
{
    return s->be->captures->list(s->impl, which, l);
}

int apc__captures_remove(apc__store_t *s, int64_t id)
{
    return s->be->captures->remove(s->impl, id);
}

int apc__captures_set_notes(apc__store_t *s, int64_t capture_id, int64_t packet_id,
                            const char *notes)
{
    return s->be->captures->set_notes(s->impl, capture_id, packet_id, notes);
}

int apc__captures_meta(apc__store_t *s, apc_capture_meta_t *m)
{
    return s->be->captures->meta(s->impl, m);
}

int apc__captures_set_drops(apc__store_t *s, int64_t capture_id, uint64_t kernel_drops,
                            uint64_t drops)
{
    return s->be->captures->set_drops(s->impl, capture_id, kernel_drops, drops);
}

int apc__processes_add(apc__store_t *s, const apc__st_process_t *p, int64_t *out_id)
{
    return s->be->processes->add(s->impl, p, out_id);
}

int apc__processes_update(apc__store_t *s, int64_t id, const apc__st_process_t *p)
{
    return s->be->processes->update(s->impl, id, p);
}

int apc__processes_pid_of(apc__store_t *s, int64_t id, int64_t *pid)
{
    return s->be->processes->pid_of(s->impl, id, pid);
}

int apc__processes_capture_page(apc__store_t *s, int64_t capture_id, int64_t last_id, unsigned max,
                                apc_process_page_t *pg)
{
    return s->be->processes->capture_page(s->impl, capture_id, last_id, max, pg);
}

int apc__conns_page(apc__store_t *s, int64_t capture_id, int64_t last_id, unsigned max, int lean,
                    apc_conn_page_t *pg)
{
    return s->be->conns->page(s->impl, capture_id, last_id, max, lean, pg);
}

int apc__processes_thread_add(apc__store_t *s, int64_t process_id, int64_t tid, const char *name)
{
    return s->be->processes->thread_add(s->impl, process_id, tid, name);
}

int apc__captures_set_options(apc__store_t *s, int64_t capture_id, const apc__st_capture_opts_t *o)
{
    return s->be->captures->set_options(s->impl, capture_id, o);
}

int apc__captures_packets(apc__store_t *s, int64_t capture_id, uint64_t *packets)
{
    return s->be->captures->packets(s->impl, capture_id, packets);
}

int apc__captures_node_url(apc__store_t *s, const char *name, char **url)
{
    *url = NULL;
    return s->be->captures->node_url ? s->be->captures->node_url(s->impl, name, url) : 0;
}

int apc__captures_ifaces(apc__store_t *s, int64_t capture_id, apc__st_iface_fn fn, void *payload)
{
    return s->be->captures->ifaces(s->impl, capture_id, fn, payload);
}

int apc__captures_notes(apc__store_t *s, int64_t capture_id, int64_t first, int64_t last,
                        apc__st_note_fn fn, void *payload)
{
    return s->be->captures->notes(s->impl, capture_id, first, last, fn, payload);
}

int apc__processes_name_of(apc__store_t *s, int64_t id, char **name)
{
    return s->be->processes->name_of(s->impl, id, name);
}

int apc__processes_export_meta(apc__store_t *s, int64_t id, apc__st_proc_meta_t *out)
{
    return s->be->processes->export_meta(s->impl, id, out);
}

void apc__st_proc_meta_clear(apc__st_proc_meta_t *m)
{
    free(m->cmd);
    free(m->args);
    free(m->parent_cmd);
    free(m->parent_args);
    memset(m, 0, sizeof *m);
}

int apc__processes_thread_name(apc__store_t *s, int64_t process_id, int64_t tid, char **name)
{
    return s->be->processes->thread_name(s->impl, process_id, tid, name);
}
