/* SPDX-License-Identifier: MIT */
/* Shared helpers of the export tests. */
#ifndef TEST_EXPORT_H
#define TEST_EXPORT_H

#include <stddef.h>
#include <stdint.h>

#include <apc/apc.h>

extern apc_ctx_t *ctx;
extern char tmpdir[64];
/* Reopens ctx on the same data directory with the operator's export roots. */
void reopen_with_roots(const char *roots);

const char *corpus(const char *rel);
int setup(void **state);
int teardown(void **state);
/* Ingests a corpus file and waits for it; returns the capture id. */
int64_t ingest(const char *rel);
/* Exports capture id (path may be NULL), waits, and checks the command's final state. Returns
 * the command (caller frees). */
apc_command_t *export_wait(int64_t id, const char *path, int overwrite, int expect_state);
/* The opt_comment options of the n-th (0-based) EPB of a pcapng file written on this host. */
size_t epb_comments(const char *path, size_t n, char out[][512], size_t max, uint32_t *pid,
                    uint32_t *tid, int *has_pid_tid);

void test_disk_full(void **state);
void test_cancel(void **state);
void test_flush(void **state);
void test_delete_shrinks(void **state);
void test_interrupted_command(void **state);
void test_export_files(void **state);
void test_export_list_roots(void **state);
void test_search_export_multi(void **state);
void test_flush_searches(void **state);

#endif
