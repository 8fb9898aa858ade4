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
 * So the writer starts the write-back of each chunk as soon as it is complete
 * (sync_file_range(2) SYNC_FILE_RANGE_WRITE: asynchronous, it does not wait for the disk) and
 * lets go of the pages that are far enough behind it (posix_fadvise(2) POSIX_FADV_DONTNEED,
 * which drops only clean pages: one still being written stays, and is tried again on the
 * passes that follow). The pages it frees are the ones the next chunks reuse. Nothing here waits
 * for the disk: a live capture's writer keeps absorbing bursts, and a disk slower than the traffic
 * throttles it where the kernel would anyway. Both calls are hints: an error (a file system
 * without them) changes nothing but the cache, and is ignored.
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

/* One writer's state. */
typedef struct apc__wb {
    uint64_t after, chunk, keep, retry; /* the settings above (a test sets smaller ones) */
    uint64_t written;                   /* bytes the writer wrote, over all its files */
    uint64_t started; /* in the current file, write-back started for [0, started) */
    uint64_t dropped; /* and pages released for [0, dropped) (a range may be retried) */
} apc__wb_t;

/* A writer's state with the default settings, before its first file. */
void apc__wb_init(apc__wb_t *wb);

/* The writer moves to a file whose first `at` bytes are already written (0 for a new one). */
void apc__wb_file(apc__wb_t *wb, uint64_t at);

/* Called after the writer appended `n` bytes to its file `fd`, now `size` bytes long: once
 * `after` bytes were written, starts the write-back of what was not started yet when it is at
 * least `chunk`, and releases the pages more than `keep` behind `size`. */
void apc__wb_wrote(apc__wb_t *wb, int fd, uint64_t size, uint64_t n);

#endif
