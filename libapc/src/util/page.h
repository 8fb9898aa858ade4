/* SPDX-License-Identifier: MIT */
/* The size of a page every list answers with (one rule for every paged call). */
#ifndef APC_UTIL_PAGE_H
#define APC_UTIL_PAGE_H

#include <apc/capture.h> /* APC_PAGE_MAX */

/* What a list call given 0 returns: "0 = default 100" in every public comment. */
#define APC__PAGE_DEFAULT 100u

/* `max` as a page size: 0 is the default, anything above APC_PAGE_MAX is APC_PAGE_MAX. */
static inline unsigned apc__page_size(unsigned max)
{
    return max == 0 ? APC__PAGE_DEFAULT : max > APC_PAGE_MAX ? APC_PAGE_MAX : max;
}

#endif
