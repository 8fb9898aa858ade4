/* SPDX-License-Identifier: MIT */
/*
 * Maps a new buffer's pages in one system call instead of one page fault per 4 KiB on first
 * touch. On a virtual machine each fault is a trap to the hypervisor: the 1 MiB windows of an
 * ingest (the file's, the segment's) cost 256 of them each, a few milliseconds of a short
 * ingest, and the tables that grow with a capture (connections, statistics keys, a commit's
 * rows) 17,000 faults of an ingest of 5,000 concurrent flows (docs/benchmarks.md, ingest). Only
 * a hint: a kernel before Linux 5.14 answers EINVAL and the pages are then mapped as they are
 * touched, as before.
 */
#ifndef APC_UTIL_PREFAULT_H
#define APC_UTIL_PREFAULT_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux 5.14 */
#endif

/* Below this a table's pages are few: touching them is cheaper than the system call. */
#define APC__PREFAULT_MIN (256u << 10)

/* Maps the whole pages within [p, p + n) writable now; p is the caller's, unchanged. */
static inline void apc__prefault(void *p, size_t n)
{
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    uintptr_t a = ((uintptr_t)p + page - 1) & ~(page - 1), e = ((uintptr_t)p + n) & ~(page - 1);
    if (p && e > a)
        (void)madvise((void *)a, e - a, MADV_POPULATE_WRITE);
}

/* calloc(n, size), a large one's pages mapped first (malloc, apc__prefault, memset: calloc
 * would touch them one fault at a time). Freed with free(). NULL on overflow or out of
 * memory. */
static inline void *apc__calloc_mapped(size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        return NULL;
    size_t bytes = n * size;
    if (bytes < APC__PREFAULT_MIN)
        return calloc(n, size);
    void *p = malloc(bytes);
    if (p) {
        apc__prefault(p, bytes);
        memset(p, 0, bytes);
    }
    return p;
}

#endif
