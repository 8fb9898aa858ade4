/* SPDX-License-Identifier: MIT */
/*
 * The directories the operator allows files to be written to (export roots) and read from
 * (ingest roots), and the two ways to stay inside one: a path checked after realpath(), and a
 * file created relative to an opened root that no symbolic link, "..", or a directory swapped
 * for a link can leave (openat2 RESOLVE_BENEATH, or openat with O_NOFOLLOW per component).
 */
#ifndef APC_CORE_ROOTS_H
#define APC_CORE_ROOTS_H

#include <apc/ctx.h>

/* The root of `roots` (absolute directories separated by ':') that holds `real` (a realpath),
 * as a new realpath string in *match (caller frees). 0 when one does, 1 when none does, < 0 on
 * allocation failure. Relative and missing roots are skipped. */
int apc__roots_find(const char *roots, const char *real, char **match);

/* The export roots in effect: the operator's, or <data>/exports. New string (caller frees). */
char *apc__roots_export(apc_ctx_t *ctx);

/* Opens directory `rel` (relative, "" for the root itself) beneath the directory `root`
 * (a realpath) without following any symbolic link: O_PATH|O_DIRECTORY descriptor, or -errno
 * (-EXDEV or -ELOOP when something on the way left the root or was a link). */
int apc__roots_open_dir(const char *root, const char *rel);

/* 0 when pcap_ingest_file may read the file opened as `real` (its path from the open
 * descriptor; `path` as the caller gave it, for messages): under ctx's ingest roots or
 * <data>/uploads when the operator set ingest roots. Else APC_EPERM with a message naming the
 * roots but nothing of the file's contents. */
int apc__roots_ingest_check(apc_ctx_t *ctx, const char *path, const char *real);

#endif
