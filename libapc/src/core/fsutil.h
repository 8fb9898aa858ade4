/* SPDX-License-Identifier: MIT */
/* Small filesystem helpers with checked errors. */
#ifndef APC_CORE_FSUTIL_H
#define APC_CORE_FSUTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* mkdir -p; returns 0 or -errno with a message naming the path. */
int apc__mkdir_p(const char *path, mode_t mode);
/* Removes a directory tree (no symlink following). Returns 0 or -errno. */
int apc__rm_rf(const char *path);
/* Writes all of buf to fd (retrying short writes and EINTR). Returns 0 or -errno. */
int apc__write_all(int fd, const void *buf, size_t len);
/* Reads up to n bytes at off (fewer only at the end of the file), retrying short reads and
 * EINTR. Returns the count, or -errno. */
ssize_t apc__pread_upto(int fd, void *buf, size_t n, uint64_t off);
/* Writes all of buf at off (retrying short writes and EINTR). Returns 0 or -errno. */
int apc__pwrite_all(int fd, const void *buf, size_t n, uint64_t off);
/* Disk usage in bytes of a file or a tree (st_blocks * 512). */
unsigned long long apc__du(const char *path);

#endif
