/* SPDX-License-Identifier: MIT */
/* Dispatch of the flush calls to the store's backend (see flush.h). */
#include "store/flush.h"

#include "store/store_int.h"

int apc__flush_active_capture(apc__store_t *s, int64_t *id)
{
    return s->be->flush->active_capture(s->impl, id);
}

int apc__flush_rows(apc__store_t *s, uint32_t flags)
{
    return s->be->flush->rows(s->impl, flags);
}

int apc__flush_compact(apc__store_t *s)
{
    return s->be->flush->compact(s->impl);
}
