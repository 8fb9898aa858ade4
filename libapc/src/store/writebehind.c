/* SPDX-License-Identifier: MIT */
/* Write-behind for the packet segments: see writebehind.h for why. */
#include "store/writebehind.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

void apc__wb_init(apc__wb_t *wb)
{
    *wb = (apc__wb_t){
        .after = APC__WB_AFTER,
        .chunk = APC__WB_CHUNK,
        .keep = APC__WB_KEEP,
        .retry = APC__WB_RETRY,
        .ahead = APC__WB_AHEAD,
        .src_fd = -1,
        .next_fd = -1,
        .fd = -1,
    };
    pthread_mutex_init(&wb->mu, NULL);
    pthread_cond_init(&wb->cv, NULL);
}

typedef struct apc__wb_pos pos_t;

/* One pass over file `fd`, now `size` bytes long: the write-back of what was not started yet,
 * once it is at least a chunk, and the release of what is `keep` behind; with `ahead`, the
 * blocks of the next `ahead` bytes are allocated first. */
static void pass(const apc__wb_t *wb, int fd, pos_t *p, uint64_t size, int ahead)
{
    if (size < p->started + wb->chunk)
        return;
    if (ahead && p->alloc < size + wb->ahead) {
        /* Blocks the writer's pages land on without the file system allocating them: left
         * to write-back, ext4 allocates while holding the inode's i_data_sem, which the
         * writer's next write then waits for (1.06 s of a 10,000,000-packet ingest asleep in
         * down_write from ext4_da_get_block_prep; docs/benchmarks.md, "Growth"). KEEP_SIZE:
         * the file's length stays what was written; what lies past it is given back when the
         * writer is done with the file (give_back). */
        uint64_t from = p->alloc > size ? p->alloc : size;
        uint64_t to = size + 2 * wb->ahead;
        if (fallocate(fd, FALLOC_FL_KEEP_SIZE, (off_t)from, (off_t)(to - from)) == 0)
            p->alloc = to;
    }
    (void)sync_file_range(fd, (off_t)p->started, (off_t)(size - p->started), SYNC_FILE_RANGE_WRITE);
    p->started = size;
    if (size < wb->keep || size - wb->keep <= p->dropped)
        return;
    /* Again from `retry` before the last pass's end: pages still under write-back then were
     * not dropped, and by now their write has had the time of that many more bytes. */
    uint64_t from = p->dropped > wb->retry ? p->dropped - wb->retry : 0;
    uint64_t upto = size - wb->keep;
    (void)posix_fadvise(fd, (off_t)from, (off_t)(upto - from), POSIX_FADV_DONTNEED);
    p->dropped = upto;
}

/* The blocks allocated past the end of a file the writer is done with, `size` bytes long,
 * go back to the file system (on ext4, truncating to the same length frees them). Only to the
 * same length: should `size` ever not be the file's, nothing is cut and the blocks stay. */
static void give_back(int fd, const pos_t *p, uint64_t size)
{
    struct stat st;
    if (p->alloc > size && fstat(fd, &st) == 0 && (uint64_t)st.st_size == size)
        (void)ftruncate(fd, (off_t)size);
}

/* With the lock held: whether the thread has something to do. */
static int has_work(const apc__wb_t *wb)
{
    return wb->next_fd >= 0 || (wb->fd >= 0 && wb->size >= wb->at.started + wb->chunk);
}

static void *run(void *arg)
{
    apc__wb_t *wb = arg;
    pthread_mutex_lock(&wb->mu);
    for (;;) {
        if (wb->next_fd >= 0) {
            if (wb->fd >= 0) {
                give_back(wb->fd, &wb->at, wb->prev_size);
                close(wb->fd);
            }
            wb->fd = wb->next_fd;
            wb->next_fd = -1;
            wb->at = (pos_t){wb->next_at, wb->next_at, 0};
        }
        if (has_work(wb)) {
            /* The calls may sleep (the block layer's throttling): not under the lock, which
             * the writer takes on every write. */
            uint64_t size = wb->size;
            pos_t at = wb->at;
            pthread_mutex_unlock(&wb->mu);
            pass(wb, wb->fd, &at, size, wb->ahead > 0);
            pthread_mutex_lock(&wb->mu);
            wb->at = at;
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
        close(wb->next_fd); /* never worked on: nothing allocated ahead */
    else
        wb->prev_size = wb->size; /* the length of the file the thread works on */
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
        wb->at = (pos_t){at, at, 0};
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
        pass(wb, wb->fd, &wb->at, size, 0); /* the writer closes its files itself: no
                                             * allocation ahead to give back */
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
        /* The length of the file the thread works on: the last one reported, or the one
         * before if the thread has not taken the last file yet (it takes a new file with the
         * next report). */
        uint64_t size = wb->next_fd >= 0 ? wb->prev_size : wb->size;
        /* What is left stays with the kernel: no waiting for a last pass. */
        if (wb->next_fd >= 0)
            close(wb->next_fd);
        wb->next_fd = -1;
        wb->size = 0;
        pthread_cond_broadcast(&wb->cv);
        pthread_mutex_unlock(&wb->mu);
        pthread_join(wb->thread, NULL);
        if (wb->fd >= 0) {
            give_back(wb->fd, &wb->at, size);
            close(wb->fd);
        }
    }
    wb->fd = -1;
    wb->mode = 0;
    pthread_cond_destroy(&wb->cv);
    pthread_mutex_destroy(&wb->mu);
}
