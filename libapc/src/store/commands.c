/* SPDX-License-Identifier: MIT */
/* Dispatch of the command calls to the store's backend (see commands.h). */
#include "store/commands.h"

#include "store/store_int.h"

int apc__commands_add(apc__store_t *s, const apc__st_command_t *c)
{
    return s->be->commands->add(s->impl, c);
}

int apc__commands_remove(apc__store_t *s, const char *uid)
{
    return s->be->commands->remove(s->impl, uid);
}

int apc__commands_running(apc__store_t *s, const char *uid, int state, int64_t started)
{
    return s->be->commands->running(s->impl, uid, state, started);
}

int apc__commands_progress(apc__store_t *s, const char *uid, int progress, uint64_t packets)
{
    return s->be->commands->progress(s->impl, uid, progress, packets);
}

int apc__commands_finish(apc__store_t *s, const apc__st_command_end_t *e)
{
    return s->be->commands->finish(s->impl, e);
}

int apc__commands_interrupted(apc__store_t *s, const char *uid, int state, int64_t finished,
                              const char *error)
{
    return s->be->commands->interrupted(s->impl, uid, state, finished, error);
}

int apc__commands_get(apc__store_t *s, const char *uid, apc_command_t **out)
{
    return s->be->commands->get(s->impl, uid, out);
}

int apc__commands_list(apc__store_t *s, apc_command_list_t *l)
{
    return s->be->commands->list(s->impl, l);
}
