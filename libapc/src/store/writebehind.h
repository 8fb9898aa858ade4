/* SPDX-License-Identifier: MIT */
/*
 * Write-behind for the packet segments (issue 15, growth): a segment is written once, front to
 * back, and its bytes are read again only by readers that follow close behind the writer (the
 * extraction engine, a search of what was just stored) or much later (an export, a search of
 * old packets), when the page cache will have lost them anyway. Left to the kernel, gigabytes
 * of them pile up dirty in the page cache: every new page is a fresh allocation (on a virtual
 * machine, memory the hypervisor may have to back first), write-back comes late and in bulk,
 * and the writer pays for both (docs/benchmarks.md, "Growth": the kernel's copy into the page
 * cache 6% of a 1 M-packet ingest's samples, 42% of a 10 M one's).
 *
 * So the write-back of each chunk starts as soon as it is complete (sync_file_range(2)
 * SYNC_FILE_RANGE_WRITE, which does not wait for the write itself), and the pages far enough
 * behind the writer are let go (posix_fadvise(2) POSIX_FADV_DONTNEED, which drops only clean
 * pages: one still being written stays, and is tried again on the passes that follow). The pages
 * it frees are the ones the next chunks reuse. Both calls are hints: an error (a file system
 * without them) changes nothing but the cache, and is ignored.
 *
 * Both run on a thread of the writer's own, never on the writer: starting write-back submits
 * the I/O in the caller, and the block layer's write-back throttling (wbt) puts a submitter to
 * sleep while the disk's queue is full. On the writer that was 1.35 s of a 10,000,000-packet
 * ingest's 10.8 s spent asleep in rq_qos_wait (`perf sched timehist`, docs/benchmarks.md,
 * "Growth"); a live capture's writer would stall the same way. The writer only tells the thread
 * how far it got (a lock held for a few stores); a disk slower than the traffic throttles it
 * where the kernel would anyway, through the dirty-page limits.
 *
 * It begins only once a writer has written APC__WB_AFTER bytes. Before that the kernel would
 * not write anything back yet (its background threshold is a tenth of the memory by default;
 * otherwise after 30 s), and a short capture or ingest is often over by then: its bytes are
 * best left in the cache, where a reader finds them and no disk write competes with the
 * writer (on this project's 2-vCPU VM, write-back beside a 1,000,000-packet ingest of 689 MB
 * made it 0.75 s -> 0.86-1.41 s; docs/benchmarks.md, "Growth").
 */
#ifndef APC_STORE_WRITEBEHIND_H
#define APC_STORE_WRITEBEHIND_H

#include <pthread.h>
#include <stdint.h>

/* The defaults of apc__wb_init. Nothing is done until a writer has written this many bytes
 * (over all its files), ... */
#define APC__WB_AFTER (1ull << 30)
/* ... write-back starts each time this many bytes were written since the last start, ... */
#define APC__WB_CHUNK (8ull << 20)
/* ... the pages of the last this many bytes stay in the page cache for the readers that
 * follow (the file extraction reads what each commit made visible, every 200 ms: at 64 MiB a
 * followed ingest of 2,000,000 packets read 271 MiB back from the disk, at 256 MiB 34), ... */
#define APC__WB_KEEP (256ull << 20)
/* ... and pages released once are released again until they are this far behind the last
 * release: a page still being written is not dropped, and on a slow disk its write may take a
 * while. */
#define APC__WB_RETRY (512ull << 20)
/* ... and the blocks of at least the next this many bytes are allocated ahead of the writer
 * (fallocate(2) FALLOC_FL_KEEP_SIZE, by up to twice as many at a time; 0 = none), given back
 * past the end when the writer is done with the file. */
#define APC__WB_AHEAD (128ull << 20)

/* One writer's state. The settings may be changed between apc__wb_init and the first write. */
typedef struct apc__wb {
    uint64_t after, chunk, keep, retry, ahead; /* the settings above (tests set smaller ones) */
    /* The writer's side. */
    uint64_t written; /* bytes the writer wrote, over all its files */
    int src_fd;       /* the writer's descriptor of its current file (-1: none yet) */
    uint64_t src_at;  /* and where that file started being written by this writer */
    int mode;         /* 0 = not begun, 1 = on the thread, 2 = in the writer (no thread) */
    /* Shared with the thread, under mu. */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t thread;
    int quit;
    int next_fd;        /* a new file for the thread (its own descriptor, a dup), or -1 */
    uint64_t next_at;   /* and where its write-back begins */
    uint64_t size;      /* bytes in the current file, as last reported */
    uint64_t prev_size; /* and in the file before, when the thread has yet to take next_fd */
    int idle;           /* the thread waits with nothing to do (apc__wb_settle) */
    /* The file being worked on: the thread's (or the writer's, mode 2). */
    int fd; /* the thread's own descriptor (mode 1), or the writer's (mode 2) */
    struct apc__wb_pos {
        uint64_t started; /* write-back started for [0, started) */
        uint64_t dropped; /* pages released for [0, dropped) (a range may be retried) */
        uint64_t alloc;   /* blocks allocated ahead up to here (0: none; mode 1 only) */
    } at;
} apc__wb_t;

/* A writer's state with the default settings, before its first file. Release it with
 * apc__wb_fini. */
void apc__wb_init(apc__wb_t *wb);

/* The writer moves to file `fd` (borrowed: the writer keeps it, and may close it once it has
 * reported the next file or called apc__wb_fini), whose first `at` bytes were written before
 * (0 for a new file). The writer writes no more to the file before: its length is the last
 * one reported, and the thread cuts what it allocated past that length (ftruncate(2) to it).
 * A file written again later (reopened after a restart) is a new writer's. */
void apc__wb_file(apc__wb_t *wb, int fd, uint64_t at);

/* Called after the writer appended `n` bytes to its current file, now `size` bytes long. Once
 * `after` bytes were written (over all the writer's files), the write-back thread starts; from
 * then on it keeps `ahead` allocated, starts the write-back of each `chunk` written and
 * releases the pages more than `keep` behind `size`. Never waits for the disk. If the thread
 * cannot be started, the write-back and the releases are done here, in the writer (which may
 * then sleep in the block layer's throttling), and nothing is allocated ahead. */
void apc__wb_wrote(apc__wb_t *wb, uint64_t size, uint64_t n);

/* Waits until the thread has done what was reported so far (for the tests: the calls it makes
 * are asynchronous hints otherwise). Returns at once when no thread runs. */
void apc__wb_settle(apc__wb_t *wb);

/* Stops the thread (what it has not done yet is left to the kernel), gives back what was
 * allocated past the current file's last reported length (as apc__wb_file), and releases
 * everything. */
void apc__wb_fini(apc__wb_t *wb);

#endif
