/* SPDX-License-Identifier: MIT */
/*
 * Export tests that involve the store and the disk: disk full on a small tmpfs, cancel, flush
 * (refusals, every kind, size on disk), capture_delete's size on disk, commands left behind by
 * an ended process, export files list/delete.
 */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/ctx.h"
#include "core/fsutil.h"
#include "store/sql.h"
#include "store/store.h"
#include "test_export.h"

static size_t dir_entries(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return n;
}

static unsigned long long store_du(void)
{
    return apc__du(tmpdir);
}

/* Export to a 256 KiB tmpfs: the command fails with a clear error, no file is left, and the
 * capture is untouched. Needs root (mount). */
void test_disk_full(void **state)
{
    (void)state;
    if (geteuid() != 0) {
        fprintf(stderr, "SKIP test_disk_full: needs root to mount a tmpfs\n");
        skip();
    }
    char mnt[128];
    snprintf(mnt, sizeof mnt, "%s/small", tmpdir);
    assert_int_equal(mkdir(mnt, 0755), 0);
    if (mount("tmpfs", mnt, "tmpfs", 0, "size=256k") != 0) {
        fprintf(stderr, "SKIP test_disk_full: mount tmpfs: %s\n", strerror(errno));
        skip();
    }
    int64_t id = ingest("zeek/echo-connections.pcap");
    apc_capture_t *before;
    assert_int_equal(apc_capture_get(ctx, id, &before), 0);
    reopen_with_roots(mnt);
    apc_command_t *c = export_wait(id, mnt, 0, APC_CMD_FAILED);
    fprintf(stderr, "disk full: %s\n", c->error);
    assert_non_null(strstr(c->error, "no space left on the device"));
    assert_non_null(strstr(c->error, mnt));
    assert_string_equal(c->result, "");
    assert_true(c->packets < before->packets);
    assert_int_equal(dir_entries(mnt), 0); /* the partial file is gone */
    apc_command_free(c);
    apc_capture_t *after;
    assert_int_equal(apc_capture_get(ctx, id, &after), 0);
    assert_int_equal(after->packets, before->packets);
    assert_int_equal(after->bytes, before->bytes);
    apc_packet_page_t *pg;
    assert_int_equal(apc_capture_read(ctx, id, (int64_t)after->packets - 1, 10, 0, &pg), 0);
    assert_int_equal(pg->count, 1);
    apc_packet_page_free(pg);
    apc_capture_free(before);
    apc_capture_free(after);
    assert_int_equal(umount(mnt), 0);
}

/* Cancel while it runs: the command ends "cancelled" and leaves no file. */
void test_cancel(void **state)
{
    (void)state;
    int64_t id = ingest("zeek/echo-connections.pcap");
    char *uid = NULL;
    assert_int_equal(apc_export_start(ctx, id, NULL, NULL, 0, &uid), 0);
    assert_int_equal(apc_command_cancel(ctx, uid), 0);
    assert_int_equal(apc_command_wait(ctx, uid, 60000), 0);
    apc_command_t *c;
    assert_int_equal(apc_command_get(ctx, uid, &c), 0);
    assert_string_equal(apc_command_state_name(c->state), "cancelled");
    assert_string_equal(c->result, "");
    apc_command_free(c);
    char dir[128];
    snprintf(dir, sizeof dir, "%s/exports", tmpdir);
    assert_int_equal(dir_entries(dir), 0);
    /* Cancel of an ended command is not an error; delete removes it. */
    assert_int_equal(apc_command_cancel(ctx, uid), 0);
    assert_int_equal(apc_command_delete(ctx, uid), 0);
    assert_int_equal(apc_command_get(ctx, uid, &c), APC_ENOTFOUND);
    apc_free(uid);
    assert_int_equal(apc_command_delete(ctx, "nope"), APC_ENOTFOUND);
    assert_string_equal(apc_last_error_message(), "command 'nope' not found");
    /* Deleting a running command cancels it first. */
    assert_int_equal(apc_export_start(ctx, id, NULL, NULL, 0, &uid), 0);
    assert_int_equal(apc_command_delete(ctx, uid), 0);
    assert_int_equal(apc_command_get(ctx, uid, &c), APC_ENOTFOUND);
    apc_free(uid);
}

/* Capture delete gives the packet files back. */
void test_delete_shrinks(void **state)
{
    (void)state;
    unsigned long long empty = store_du();
    int64_t id = ingest("zeek/echo-connections.pcap");
    unsigned long long full = store_du();
    assert_int_equal(apc_capture_delete(ctx, id), 0);
    unsigned long long after = store_du();
    fprintf(stderr, "capture_delete: store %llu bytes empty, %llu with the capture, %llu after\n",
            empty, full, after);
    char dir[128];
    snprintf(dir, sizeof dir, "%s/captures/%lld", tmpdir, (long long)id);
    struct stat st;
    assert_int_not_equal(stat(dir, &st), 0);
    assert_true(after < full);
    /* what is left is apc.db growth (free pages) and the WAL, not packet bytes */
    assert_true(full - after > (full - empty) / 2);
}

void test_flush(void **state)
{
    (void)state;
    assert_int_equal(apc_flush(ctx, 0), APC_EINVAL);
    assert_string_equal(apc_last_error_message(),
                        "flush flags 0x0: expected a combination of 0x1 to 0x100 (0x1ff for "
                        "everything)");
    assert_int_equal(apc_flush(ctx, 0x200), APC_EINVAL);
    unsigned long long empty = store_du();
    int64_t a = ingest("zeek/echo-connections.pcap");
    int64_t b = ingest("ptcpdump/curl-thread.pcapng");
    apc_command_t *c = export_wait(b, NULL, 0, APC_CMD_COMPLETED);
    apc_command_free(c);
    /* An active capture refuses it (an ingest is active from the call until its job ends). */
    int64_t busy = 0;
    assert_int_equal(apc_ingest_file(ctx, corpus("zeek/echo-connections.pcap"), NULL, &busy), 0);
    int rc = apc_flush(ctx, APC_FLUSH_ALL);
    if (rc == APC_EBUSY) {
        char want[128];
        snprintf(want, sizeof want, "capture %lld is active: stop every capture before flushing",
                 (long long)busy);
        assert_string_equal(apc_last_error_message(), want);
    } else {
        fprintf(stderr, "note: the ingest ended before apc_flush could see it active\n");
        assert_int_equal(rc, 0);
    }
    assert_int_equal(apc_capture_wait(ctx, busy, -1), 0);
    /* Kinds one at a time. */
    sqlite3 *db = apc__db_get(ctx->store);
    int64_t n = -1;
    assert_int_equal(apc_flush(ctx, APC_FLUSH_IPS), 0);
    apc__sql_int(db, "t", &n, "SELECT count(*) FROM ips", "");
    assert_int_equal(n, 0);
    apc__sql_int(db, "t", &n, "SELECT count(*) FROM captures", "");
    assert_true(n >= 2);
    assert_int_equal(apc_flush(ctx, APC_FLUSH_CONNECTIONS), 0);
    apc__sql_int(db, "t", &n, "SELECT count(*) FROM connections", "");
    assert_int_equal(n, 0);
    unsigned long long full = store_du();
    assert_int_equal(apc_flush(ctx, APC_FLUSH_EXPORTS | APC_FLUSH_COMMANDS), 0);
    apc_export_list_t *l;
    assert_int_equal(apc_export_list(ctx, &l), 0);
    assert_int_equal(l->count, 0);
    apc_export_list_free(l);
    apc__sql_int(db, "t", &n, "SELECT count(*) FROM commands", "");
    assert_int_equal(n, 0);
    assert_int_equal(apc_flush(ctx, APC_FLUSH_ALL), 0);
    apc__sql_int(db, "t", &n, "SELECT count(*) FROM captures", "");
    assert_int_equal(n, 0);
    apc__sql_int(db, "t", &n, "SELECT count(*) FROM processes", "");
    assert_int_equal(n, 0);
    apc__db_put(ctx->store, db);
    char dir[128];
    snprintf(dir, sizeof dir, "%s/captures", tmpdir);
    assert_int_equal(dir_entries(dir), 0);
    unsigned long long after = store_du();
    fprintf(stderr, "apc_flush: store %llu bytes empty, %llu with 3 captures, %llu after\n", empty,
            full, after);
    assert_true(after < full);
    assert_true(after <= empty + 256 * 1024);
    (void)a;
    /* Everything works again afterwards. */
    int64_t d = ingest("ptcpdump/dns.pcapng");
    c = export_wait(d, NULL, 0, APC_CMD_COMPLETED);
    apc_command_free(c);
}

/* A record left queued/running by a process that ended reads as failed. */
void test_interrupted_command(void **state)
{
    (void)state;
    sqlite3 *db = apc__db_get(ctx->store);
    assert_int_equal(apc__sql_exec(db, "t",
                                   "INSERT INTO commands(uid, type, state, created) "
                                   "VALUES('00000000-0000-4000-8000-000000000000','export',2,1)",
                                   ""),
                     0);
    apc__db_put(ctx->store, db);
    apc_command_t *c;
    assert_int_equal(apc_command_get(ctx, "00000000-0000-4000-8000-000000000000", &c), 0);
    assert_int_equal(c->state, APC_CMD_FAILED);
    assert_string_equal(c->error, "interrupted: the process running it ended before it finished");
    assert_true(c->finished > 0);
    apc_command_free(c);
    apc_command_list_t *l;
    assert_int_equal(apc_command_list(ctx, &l), 0);
    assert_int_equal(l->count, 1);
    assert_int_equal(l->items[0]->state, APC_CMD_FAILED);
    apc_command_list_free(l);
    assert_int_equal(apc_command_wait(ctx, "00000000-0000-4000-8000-000000000000", 0), 0);
}

void test_export_files(void **state)
{
    (void)state;
    int64_t id = ingest("ptcpdump/dns.pcapng");
    apc_command_t *c1 = export_wait(id, NULL, 0, APC_CMD_COMPLETED);
    apc_command_t *c2 = export_wait(id, NULL, 0, APC_CMD_COMPLETED);
    assert_string_not_equal(c1->result, c2->result);
    apc_export_list_t *l;
    assert_int_equal(apc_export_list(ctx, &l), 0);
    assert_int_equal(l->count, 2);
    struct stat st;
    assert_int_equal(stat(c1->result, &st), 0);
    const char *name1 = strrchr(c1->result, '/') + 1;
    size_t k = strcmp(l->files[0].name, name1) == 0 ? 0 : 1;
    assert_string_equal(l->files[k].name, name1);
    assert_int_equal(l->files[k].size, (uint64_t)st.st_size);
    assert_int_equal(l->files[k].capture_id, id);
    assert_string_equal(l->files[k].command_uid, c1->uid);
    assert_true(l->files[k].created > 0);
    apc_export_list_free(l);
    uint64_t n = 9;
    assert_int_equal(apc_export_delete(ctx, "../apc.db", &n), APC_EINVAL);
    assert_int_equal(n, 0);
    assert_int_equal(apc_export_delete(ctx, "..", NULL), APC_EINVAL);
    assert_int_equal(apc_export_delete(ctx, "none.pcapng", NULL), APC_ENOTFOUND);
    assert_string_equal(apc_last_error_message(), "export 'none.pcapng' not found");
    assert_int_equal(apc_export_delete(ctx, name1, &n), 0);
    assert_int_equal(n, 1);
    assert_int_not_equal(stat(c1->result, &st), 0);
    assert_int_equal(apc_export_delete(ctx, NULL, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(apc_export_list(ctx, &l), 0);
    assert_int_equal(l->count, 0);
    apc_export_list_free(l);
    apc_command_free(c1);
    apc_command_free(c2);
}

/* A generated capture (tests/captures), so this runs without the corpus. */
static int64_t ingest_generated(const char *name)
{
    const char *dir = getenv("APC_TEST_CAPTURES");
    if (!dir) {
        fprintf(stderr, "SKIP: APC_TEST_CAPTURES is not set (meson test sets it)\n");
        skip();
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int64_t id = 0;
    if (apc_ingest_file(ctx, path, NULL, &id) < 0)
        fail_msg("ingest %s: %s", path, apc_last_error_message());
    assert_int_equal(apc_capture_wait(ctx, id, -1), 0);
    return id;
}

static const apc_export_file_t *find_export(const apc_export_list_t *l, const char *name)
{
    for (size_t i = 0; i < l->count; i++)
        if (strcmp(l->files[i].name, name) == 0)
            return &l->files[i];
    return NULL;
}

/* export_list covers every export root: a root's top level whole, a recorded export deeper
 * inside a root, <data>/exports by bare names, the others by absolute path; a root holding the
 * data directory offers none of the store's files; delete by absolute path; delete-all leaves
 * the files the library did not write outside <data>/exports. */
void test_export_list_roots(void **state)
{
    (void)state;
    int64_t id = ingest_generated("web.pcap");
    apc_command_t *home = export_wait(id, NULL, 0, APC_CMD_COMPLETED);
    char other[256], sub[300], foreign[320], roots[1024];
    snprintf(other, sizeof other, "%s/other-root", tmpdir);
    snprintf(sub, sizeof sub, "%s/sub", other);
    assert_int_equal(mkdir(other, 0750), 0);
    assert_int_equal(mkdir(sub, 0750), 0);
    snprintf(foreign, sizeof foreign, "%s/by-hand.pcap", other);
    FILE *f = fopen(foreign, "w");
    assert_non_null(f);
    fputs("not ours", f);
    fclose(f);
    /* The data directory itself is a root too: its store files must not be listed. */
    snprintf(roots, sizeof roots, "%s:%s", other, tmpdir);
    reopen_with_roots(roots);
    char *real_other = realpath(other, NULL);
    char target[400];
    snprintf(target, sizeof target, "%s/deep.pcapng", sub);
    apc_command_t *deep = export_wait(id, target, 0, APC_CMD_COMPLETED);
    snprintf(target, sizeof target, "%s/top.pcapng", other);
    apc_command_t *top = export_wait(id, target, 0, APC_CMD_COMPLETED);

    apc_export_list_t *l;
    assert_int_equal(apc_export_list(ctx, &l), 0);
    for (size_t i = 0; i < l->count; i++)
        fprintf(stderr, "export: %s (%s)\n", l->files[i].name, l->files[i].path);
    assert_int_equal(l->count, 4);
    const char *home_name = strrchr(home->result, '/') + 1;
    const apc_export_file_t *e = find_export(l, home_name);
    assert_non_null(e);
    assert_int_equal(e->capture_id, id);
    char want[600];
    snprintf(want, sizeof want, "%s/sub/deep.pcapng", real_other);
    assert_non_null(e = find_export(l, want));
    assert_string_equal(e->path, want);
    assert_string_equal(e->root, real_other);
    assert_int_equal(e->capture_id, id);
    assert_string_equal(e->command_uid, deep->uid);
    snprintf(want, sizeof want, "%s/top.pcapng", real_other);
    assert_non_null(e = find_export(l, want));
    assert_string_equal(e->command_uid, top->uid);
    snprintf(want, sizeof want, "%s/by-hand.pcap", real_other);
    assert_non_null(e = find_export(l, want));
    assert_int_equal(e->capture_id, 0);
    assert_string_equal(e->command_uid, "");
    apc_export_list_free(l);

    /* Only what export_list shows can be deleted, by its Name. */
    uint64_t n = 9;
    char store_file[300];
    snprintf(store_file, sizeof store_file, "%s/apc.db", tmpdir);
    assert_int_equal(apc_export_delete(ctx, store_file, &n), APC_ENOTFOUND);
    assert_int_equal(n, 0);
    assert_int_equal(apc_export_delete(ctx, "sub/deep.pcapng", NULL), APC_EINVAL);
    snprintf(want, sizeof want, "%s/top.pcapng", real_other);
    assert_int_equal(apc_export_delete(ctx, want, &n), 0);
    assert_int_equal(n, 1);
    struct stat st;
    assert_int_not_equal(stat(want, &st), 0);
    /* Delete-all: ours go (home and deep), the file written by hand stays. */
    assert_int_equal(apc_export_delete(ctx, NULL, &n), 0);
    assert_int_equal(n, 2);
    assert_int_equal(stat(foreign, &st), 0);
    assert_int_equal(apc_export_list(ctx, &l), 0);
    assert_int_equal(l->count, 1);
    apc_export_list_free(l);
    free(real_other);
    apc_command_free(home);
    apc_command_free(deep);
    apc_command_free(top);
}
