/* SPDX-License-Identifier: MIT */
/* Filesystem helpers: every call checked, errors name the path. */
#include "core/fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <pthread.h>
#include <unistd.h>

#include "core/error.h"

int apc__mkdir_p(const char *path, mode_t mode)
{
    char buf[4096];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof buf)
        return apc__err(APC_EINVAL, "bad directory path '%s'", path);
    memcpy(buf, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] != '/' && buf[i] != '\0')
            continue;
        char c = buf[i];
        buf[i] = '\0';
        if (mkdir(buf, mode) != 0 && errno != EEXIST)
            return apc__err_errno(errno, "cannot create directory '%s'", buf);
        buf[i] = c;
    }
    struct stat st;
    if (stat(path, &st) != 0)
        return apc__err_errno(errno, "cannot stat '%s'", path);
    if (!S_ISDIR(st.st_mode))
        return apc__err(-ENOTDIR, "'%s' exists and is not a directory", path);
    return 0;
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    int r = (flag == FTW_DP) ? rmdir(p) : unlink(p);
    return r != 0 && errno != ENOENT ? -1 : 0;
}

int apc__rm_rf(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return errno == ENOENT ? 0 : apc__err_errno(errno, "cannot stat '%s'", path);
    if (nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS) != 0)
        return apc__err_errno(errno, "cannot remove '%s'", path);
    return 0;
}

int apc__write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (w == 0)
            return -EIO;
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

ssize_t apc__pread_upto(int fd, void *buf, size_t n, uint64_t off)
{
    size_t got = 0;
    while (got < n) {
        ssize_t k = pread(fd, (char *)buf + got, n - got, (off_t)(off + got));
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return -errno;
        if (k == 0)
            break;
        got += (size_t)k;
    }
    return (ssize_t)got;
}

int apc__pwrite_all(int fd, const void *buf, size_t n, uint64_t off)
{
    const char *p = buf;
    while (n > 0) {
        ssize_t k = pwrite(fd, p, n, (off_t)off);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return -errno;
        if (k == 0)
            return -EIO;
        p += k;
        n -= (size_t)k;
        off += (uint64_t)k;
    }
    return 0;
}

static unsigned long long du_total;
static int du_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)p;
    (void)flag;
    (void)ftw;
    du_total += (unsigned long long)st->st_blocks * 512ULL;
    return 0;
}

unsigned long long apc__du(const char *path)
{
    /* nftw has no payload argument; callers are rare (reports, benchmarks), so a lock-free
     * static is acceptable only under this mutex. */
    static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    pthread_mutex_lock(&mu);
    du_total = 0;
    nftw(path, du_one, 16, FTW_PHYS);
    unsigned long long r = du_total;
    pthread_mutex_unlock(&mu);
    return r;
}
