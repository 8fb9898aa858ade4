/* SPDX-License-Identifier: MIT */
/*
 * Lazy typing and hashing of the files found (issue 10): the examination stores each stream
 * untyped and unhashed (mime, sha256 and md5 "", or "application/x-empty" and the digests of
 * nothing for an empty file) because libmagic is its dearest step (about 2 M instructions per
 * 4 KiB head: nearly all of its time) and SHA-256 plus MD5 of every byte the next (a quarter of
 * what was left). A file is typed and hashed when someone looks at it: a listing page, a write
 * (files.c, during its own replay), a search on file.mime or file.sha256. The file is replayed
 * from the stored packets by the same engine run that writes files (extract/detect.h), the run
 * stopping once every file asked for has been seen; type and digests are then stored, so each
 * file is looked at once.
 */
#ifndef APC_EXTRACT_TYPING_H
#define APC_EXTRACT_TYPING_H

#include <stddef.h>
#include <stdint.h>

#include <apc/extract.h>

/* Types and hashes the untyped streams among v[0..n) (rows of capture_id as the store returned
 * them): their mime and digests are replaced by what was found and stored (not stored by a
 * read-only context: the answer is typed all the same). APC_EIO when the stored packets no longer
 * hold one of them. With ahead > 0 (and a context that can store), the untyped streams among the
 * next `ahead` after id `after` are typed and stored in the same replay: a listing that pages on
 * then finds them typed, one replay for many pages instead of one per page. */
int apc__extract_type_streams(apc_ctx_t *ctx, int64_t capture_id, apc_extract_stream_t *v, size_t n,
                              int64_t after, unsigned ahead);

/* Types and hashes every untyped stream of capture_id and stores what was found (a search on
 * file.mime or file.sha256 needs them all). Either cancel flag (may be NULL) stops it with
 * APC_ECANCELED; what was typed is kept only when all was. A read-only context cannot store them:
 * APC_ENOTSUP when some file is untyped. The shape of apc_ctx_t.type_files (wired by
 * lib/ctx_open.c). */
int apc__extract_type_capture(apc_ctx_t *ctx, int64_t capture_id, const volatile int *cancel,
                              const volatile int *cancel2);

#endif
