/* SPDX-License-Identifier: MIT */
/*
 * Maps a new buffer's pages in one system call instead of one page fault per 4 KiB on first
 * touch. On a virtual machine each fault is a trap to the hypervisor: the 1 MiB windows of an
 * ingest (the file's, the segment's) cost 256 of them each, a few milliseconds of a short
 * ingest (docs/benchmarks.md, ingest). Only a hint: a kernel before Linux 5.14 answers EINVAL
 * and the pages are then mapped as they are touched, as before.
 */
#ifndef APC_UTIL_PREFAULT_H
#define APC_UTIL_PREFAULT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux 5.14 */
#endif

/* Maps the whole pages within [p, p + n) writable now; p is the caller's, unchanged. */
static inline void apc__prefault(void *p, size_t n)
{
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    uintptr_t a = ((uintptr_t)p + page - 1) & ~(page - 1), e = ((uintptr_t)p + n) & ~(page - 1);
    if (p && e > a)
        (void)madvise((void *)a, e - a, MADV_POPULATE_WRITE);
}

#endif
