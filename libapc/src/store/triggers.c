/* SPDX-License-Identifier: MIT */
/* Dispatch of the triggers calls to the store's backend (see triggers.h). */
#include "store/triggers.h"

#include <stdlib.h>

#include "store/store_int.h"

int apc__st_trigger_add(apc__store_t *s, const apc_trigger_t *t, int64_t *out_id)
{
    return s->be->triggers->trigger_add(s->impl, t, out_id);
}

int apc__st_trigger_mod(apc__store_t *s, int64_t id, const char *filter, uint32_t flags)
{
    return s->be->triggers->trigger_mod(s->impl, id, filter, flags);
}

int apc__st_trigger_remove(apc__store_t *s, int64_t id)
{
    return s->be->triggers->trigger_remove(s->impl, id);
}

int apc__st_trigger_list(apc__store_t *s, int64_t id, apc_trigger_list_t *l)
{
    return s->be->triggers->trigger_list(s->impl, id, l);
}

int apc__st_trigger_fired(apc__store_t *s, int64_t id, apc_time_t when, int64_t capture_id,
                          int64_t pid, const char *program, const char *error)
{
    return s->be->triggers->trigger_fired(s->impl, id, when, capture_id, pid, program, error);
}

int apc__st_trigger_of_capture(apc__store_t *s, int64_t capture_id, int64_t *out)
{
    return s->be->triggers->trigger_of_capture(s->impl, capture_id, out);
}

int apc__st_trigger_link(apc__store_t *s, int64_t trigger_id, int64_t action_id)
{
    return s->be->triggers->trigger_link(s->impl, trigger_id, action_id);
}

int apc__st_trigger_unlink_all(apc__store_t *s, int64_t trigger_id)
{
    return s->be->triggers->trigger_unlink_all(s->impl, trigger_id);
}

int apc__st_action_add(apc__store_t *s, const apc_action_t *a, int64_t trigger_id, int64_t *out_id)
{
    return s->be->triggers->action_add(s->impl, a, trigger_id, out_id);
}

int apc__st_action_mod(apc__store_t *s, int64_t id, const char *name, const char *path,
                       const char *params)
{
    return s->be->triggers->action_mod(s->impl, id, name, path, params);
}

int apc__st_action_remove(apc__store_t *s, int64_t id)
{
    return s->be->triggers->action_remove(s->impl, id);
}

int apc__st_action_system(apc__store_t *s, int64_t id)
{
    return s->be->triggers->action_system(s->impl, id);
}

int apc__st_action_list(apc__store_t *s, int mode, int64_t id, apc_action_list_t *l)
{
    return s->be->triggers->action_list(s->impl, mode, id, l);
}

int apc__st_action_ran(apc__store_t *s, const apc_action_t *a)
{
    return s->be->triggers->action_ran(s->impl, a);
}
