/* SPDX-License-Identifier: MIT */
/* Write-behind for the packet segments: see writebehind.h for why. */
#include "store/writebehind.h"

#include <fcntl.h>

void apc__wb_init(apc__wb_t *wb)
{
    *wb = (apc__wb_t){
        .after = APC__WB_AFTER,
        .chunk = APC__WB_CHUNK,
        .keep = APC__WB_KEEP,
        .retry = APC__WB_RETRY,
    };
}

void apc__wb_file(apc__wb_t *wb, uint64_t at)
{
    wb->started = at;
    wb->dropped = at;
}

void apc__wb_wrote(apc__wb_t *wb, int fd, uint64_t size, uint64_t n)
{
    wb->written += n;
    if (wb->written < wb->after || size < wb->started + wb->chunk)
        return;
    (void)sync_file_range(fd, (off_t)wb->started, (off_t)(size - wb->started),
                          SYNC_FILE_RANGE_WRITE);
    wb->started = size;
    if (size < wb->keep || size - wb->keep <= wb->dropped)
        return;
    /* Again from `retry` before the last pass's end: pages still under write-back then were
     * not dropped, and by now their write has had the time of that many more bytes. */
    uint64_t from = wb->dropped > wb->retry ? wb->dropped - wb->retry : 0;
    uint64_t upto = size - wb->keep;
    (void)posix_fadvise(fd, (off_t)from, (off_t)(upto - from), POSIX_FADV_DONTNEED);
    wb->dropped = upto;
}
