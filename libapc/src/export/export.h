/* SPDX-License-Identifier: MIT */
/* Internal API of module export for other modules (search's apc_search_export). */
#ifndef APC_EXPORT_EXPORT_H
#define APC_EXPORT_EXPORT_H

#include <stdint.h>

#include <apc/ctx.h>

/*
 * Starts a command that writes the results of search `search_id` to one pcapng file, in the
 * search's result order: one section, one IDB per (capture, interface) pair named "capture
 * <id>: <name>", and the process comments and epb_processid_threadid of a capture export.
 * path/overwrite as apc_export_start (a generated name is search-<id>-<time>.pcapng). The
 * command and the file's record carry SearchId, and CaptureId when the results lie in one
 * capture. APC_ENOTFOUND for an unknown search or one without results (in captures that still
 * exist), APC_EBUSY while the search runs. *out_uid: the command's uid (free with apc_free).
 */
int apc__export_start_search(apc_ctx_t *ctx, int64_t search_id, const char *path, int overwrite,
                             char **out_uid);

#endif
