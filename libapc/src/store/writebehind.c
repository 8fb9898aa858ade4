/* SPDX-License-Identifier: MIT */
/* Write-behind for the packet segments: see writebehind.h for why. */
#include "store/writebehind.h"

#include <fcntl.h>
#include <unistd.h>

void apc__wb_init(apc__wb_t *wb)
{
    *wb = (apc__wb_t){
        .after = APC__WB_AFTER,
        .chunk = APC__WB_CHUNK,
        .keep = APC__WB_KEEP,
        .retry = APC__WB_RETRY,
        .src_fd = -1,
        .next_fd = -1,
        .fd = -1,
    };
    pthread_mutex_init(&wb->mu, NULL);
    pthread_cond_init(&wb->cv, NULL);
}

/* One pass over file `fd`, now `size` bytes long: the write-back of what was not started yet
 * (from *started), once it is at least a chunk, and the release of what is `keep` behind. The
 * settings are read only; started and dropped are the caller's copies. */
static void pass(const apc__wb_t *wb, int fd, uint64_t *started, uint64_t *dropped, uint64_t size)
{
    if (size < *started + wb->chunk)
        return;
    (void)sync_file_range(fd, (off_t)*started, (off_t)(size - *started), SYNC_FILE_RANGE_WRITE);
    *started = size;
    if (size < wb->keep || size - wb->keep <= *dropped)
        return;
    /* Again from `retry` before the last pass's end: pages still under write-back then were
     * not dropped, and by now their write has had the time of that many more bytes. */
    uint64_t from = *dropped > wb->retry ? *dropped - wb->retry : 0;
    uint64_t upto = size - wb->keep;
    (void)posix_fadvise(fd, (off_t)from, (off_t)(upto - from), POSIX_FADV_DONTNEED);
    *dropped = upto;
}

/* With the lock held: whether the thread has something to do. */
static int has_work(const apc__wb_t *wb)
{
    return wb->next_fd >= 0 || (wb->fd >= 0 && wb->size >= wb->started + wb->chunk);
}

static void *run(void *arg)
{
    apc__wb_t *wb = arg;
    pthread_mutex_lock(&wb->mu);
    for (;;) {
        if (wb->next_fd >= 0) {
            if (wb->fd >= 0)
                close(wb->fd);
            wb->fd = wb->next_fd;
            wb->next_fd = -1;
            wb->started = wb->dropped = wb->next_at;
        }
        if (has_work(wb)) {
            /* The calls may sleep (the block layer's throttling): not under the lock, which
             * the writer takes on every write. */
            uint64_t size = wb->size, started = wb->started, dropped = wb->dropped;
            pthread_mutex_unlock(&wb->mu);
            pass(wb, wb->fd, &started, &dropped, size);
            pthread_mutex_lock(&wb->mu);
            wb->started = started;
            wb->dropped = dropped;
            continue;
        }
        if (wb->quit)
            break;
        wb->idle = 1;
        pthread_cond_broadcast(&wb->cv);
        pthread_cond_wait(&wb->cv, &wb->mu);
        wb->idle = 0;
    }
    pthread_mutex_unlock(&wb->mu);
    return NULL;
}

/* With the lock held (or before the thread starts): the thread's own descriptor of the
 * writer's current file, for it to take next. A failed dup leaves the file to the kernel. */
static void hand_file(apc__wb_t *wb)
{
    if (wb->next_fd >= 0)
        close(wb->next_fd);
    wb->next_fd = wb->src_fd >= 0 ? fcntl(wb->src_fd, F_DUPFD_CLOEXEC, 0) : -1;
    wb->next_at = wb->src_at;
    wb->size = wb->src_at;
}

void apc__wb_file(apc__wb_t *wb, int fd, uint64_t at)
{
    wb->src_fd = fd;
    wb->src_at = at;
    if (wb->mode == 1) {
        pthread_mutex_lock(&wb->mu);
        hand_file(wb);
        pthread_mutex_unlock(&wb->mu);
    } else {
        wb->fd = fd;
        wb->started = wb->dropped = at;
    }
}

/* Starts the thread on the current file; in the writer if it cannot be started. */
static void begin(apc__wb_t *wb)
{
    hand_file(wb);
    wb->fd = -1;
    if (pthread_create(&wb->thread, NULL, run, wb) == 0) {
        wb->mode = 1;
        return;
    }
    if (wb->next_fd >= 0)
        close(wb->next_fd);
    wb->next_fd = -1;
    wb->fd = wb->src_fd;
    wb->mode = 2;
}

void apc__wb_wrote(apc__wb_t *wb, uint64_t size, uint64_t n)
{
    wb->written += n;
    if (wb->written < wb->after)
        return;
    if (wb->mode == 0)
        begin(wb);
    if (wb->mode == 2) {
        pass(wb, wb->fd, &wb->started, &wb->dropped, size);
        return;
    }
    pthread_mutex_lock(&wb->mu);
    wb->size = size;
    if (wb->idle && has_work(wb))
        pthread_cond_broadcast(&wb->cv);
    pthread_mutex_unlock(&wb->mu);
}

void apc__wb_settle(apc__wb_t *wb)
{
    if (wb->mode != 1)
        return;
    pthread_mutex_lock(&wb->mu);
    while (!wb->idle || has_work(wb))
        pthread_cond_wait(&wb->cv, &wb->mu);
    pthread_mutex_unlock(&wb->mu);
}

void apc__wb_fini(apc__wb_t *wb)
{
    if (wb->mode == 1) {
        pthread_mutex_lock(&wb->mu);
        wb->quit = 1;
        /* What is left stays with the kernel: no waiting for a last pass. */
        if (wb->next_fd >= 0)
            close(wb->next_fd);
        wb->next_fd = -1;
        wb->size = 0;
        pthread_cond_broadcast(&wb->cv);
        pthread_mutex_unlock(&wb->mu);
        pthread_join(wb->thread, NULL);
        if (wb->fd >= 0)
            close(wb->fd);
    }
    wb->fd = -1;
    wb->mode = 0;
    pthread_cond_destroy(&wb->cv);
    pthread_mutex_destroy(&wb->mu);
}
