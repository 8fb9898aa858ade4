/* SPDX-License-Identifier: MIT */
/* Small filesystem helpers with checked errors. */
#ifndef APC_CORE_FSUTIL_H
#define APC_CORE_FSUTIL_H

#include <stddef.h>
#include <sys/types.h>

/* mkdir -p; returns 0 or -errno with a message naming the path. */
int apc__mkdir_p(const char *path, mode_t mode);
/* Removes a directory tree (no symlink following). Returns 0 or -errno. */
int apc__rm_rf(const char *path);
/* Writes all of buf to fd (retrying short writes and EINTR). Returns 0 or -errno. */
int apc__write_all(int fd, const void *buf, size_t len);
/* Disk usage in bytes of a file or a tree (st_blocks * 512). */
unsigned long long apc__du(const char *path);

#endif
