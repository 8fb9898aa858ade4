/* SPDX-License-Identifier: MIT */
/*
 * First start: with no account at all, create "admin" with a random password and leave it in
 * <data>/initial-admin-password (0600, created without following a symlink) for the person
 * who installed the server; apcd prints it once.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include <apc/ops.h>

#include "auth/auth_internal.h"
#include "core/ctx.h"
#include "core/error.h"
#include "core/fsutil.h"
#include "store/accounts.h"

APC_API int apc_auth_bootstrap(apc_ctx_t *ctx, char **password)
{
    if (!ctx || !password)
        return apc__err(APC_EINVAL, "NULL argument");
    *password = NULL;
    int64_t n = 0;
    int rc = apc__accounts_count(ctx->store, &n);
    if (rc < 0)
        return rc;
    if (n > 0)
        return 0;

    /* 18 random bytes = 24 characters of an alphabet without look-alikes' trouble: base64url. */
    uint8_t raw[18];
    char pw[32];
    if ((rc = apc__auth_random(raw, sizeof raw)) < 0)
        return rc;
    sodium_bin2base64(pw, sizeof pw, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof raw);

    char *path = apc__ctx_path(ctx, "initial-admin-password");
    if (!path)
        return apc__err(APC_ENOMEM, "out of memory");
    (void)unlink(path); /* a stale file from an earlier first start */
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        rc = apc__err_errno(errno, "creating %s", path);
        free(path);
        return rc;
    }
    char line[40];
    size_t len = strlen(pw);
    memcpy(line, pw, len);
    line[len] = '\n';
    rc = apc__write_all(fd, line, len + 1);
    if (close(fd) < 0 && rc == 0)
        rc = apc__err_errno(errno, "writing %s", path);
    if (rc == 0)
        rc = apc_user_add(ctx, "admin", pw, APC_ROLE_ADMIN);
    if (rc < 0)
        (void)unlink(path);
    free(path);
    if (rc == 0 && !(*password = strdup(pw)))
        rc = apc__err(APC_ENOMEM, "out of memory");
    sodium_memzero(pw, sizeof pw);
    return rc;
}
