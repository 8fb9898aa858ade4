/* SPDX-License-Identifier: MIT */
/* What many unit tests share: a context opened on a fresh temporary data directory. */
#ifndef APC_TESTS_UNIT_TEST_CTX_H
#define APC_TESTS_UNIT_TEST_CTX_H

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include <apc/ctx.h>

#include "core/fsutil.h"

/* Makes dir (n bytes, the caller's) "/tmp/apc-<name>-XXXXXX" and opens *ctx on it, logging
 * errors only. 0, -1 when the directory cannot be made, or the open's error. */
static inline int apc_test_ctx_open(apc_ctx_t **ctx, char *dir, size_t n, const char *name)
{
    snprintf(dir, n, "/tmp/apc-%s-XXXXXX", name);
    if (!mkdtemp(dir))
        return -1;
    apc_ctx_options_t o;
    apc_ctx_options_init(&o, APC_CTX_OPTIONS_VERSION);
    o.data_dir = dir;
    o.log_level = APC_LOG_ERROR;
    return apc_ctx_open(ctx, &o);
}

/* Closes *ctx (then NULL) and removes dir with everything in it. */
static inline int apc_test_ctx_close(apc_ctx_t **ctx, const char *dir)
{
    apc_ctx_close(*ctx);
    *ctx = NULL;
    return apc__rm_rf(dir);
}

#endif
