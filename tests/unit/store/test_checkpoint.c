/* SPDX-License-Identifier: MIT */
/*
 * The store's checkpoint thread (store/checkpoint.c): a commit that leaves the WAL past
 * APC__CKPT_PAGES has its checkpoint run by the thread, not by the committing connection; a WAL
 * past APC__CKPT_INLINE is checkpointed by the committing connection at once; below the
 * threshold nothing starts. Sizes are pages of 1 MiB blobs in one transaction; the waits are for
 * the thread's count, with a generous limit.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/fsutil.h"
#include "store/checkpoint.h"

static char tmpdir[64];
static char path[128];

static int setup(void **state)
{
    (void)state;
    strcpy(tmpdir, "/var/tmp/apc-test-ckpt-XXXXXX");
    if (!mkdtemp(tmpdir))
        return -1;
    snprintf(path, sizeof path, "%s/apc.db", tmpdir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return apc__rm_rf(tmpdir);
}

/* A connection to a new database in WAL mode, as the store's, attached to k. */
static sqlite3 *open_db(apc__ckpt_t *k)
{
    unlink(path);
    char wal[160];
    snprintf(wal, sizeof wal, "%s-wal", path);
    unlink(wal);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                                  "CREATE TABLE t(b BLOB);",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    apc__ckpt_attach(k, db);
    return db;
}

/* Writes `mib` MiB in one transaction. */
static void write_mib(sqlite3 *db, int mib)
{
    char sql[160];
    snprintf(sql, sizeof sql,
             "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %d)"
             " INSERT INTO t SELECT randomblob(1048576) FROM n",
             mib);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
}

/* Bytes of the database file proper (what checkpoints copied there). */
static long long db_bytes(void)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return (long long)st.st_size;
}

static void test_due_wal_checkpointed_by_thread(void **state)
{
    (void)state;
    apc__ckpt_t *k = apc__ckpt_new(path);
    assert_non_null(k);
    sqlite3 *db = open_db(k);
    write_mib(db, 80); /* 20,000+ pages: past APC__CKPT_PAGES, under APC__CKPT_INLINE */
    assert_int_equal(apc__ckpt_wait(k, 1, 120000), 1);
    assert_true(db_bytes() >= 80LL << 20);
    sqlite3_close(db);
    apc__ckpt_free(k);
}

static void test_nothing_below_threshold(void **state)
{
    (void)state;
    apc__ckpt_t *k = apc__ckpt_new(path);
    assert_non_null(k);
    sqlite3 *db = open_db(k);
    write_mib(db, 16); /* 4,000 pages: SQLite alone would have checkpointed them (1,000) */
    assert_int_equal(apc__ckpt_wait(k, 1, 0), 0);
    assert_true(db_bytes() < 1 << 20);
    sqlite3_close(db);
    apc__ckpt_free(k); /* no thread to stop */
}

static void test_large_wal_checkpointed_inline(void **state)
{
    (void)state;
    apc__ckpt_t *k = apc__ckpt_new(path);
    assert_non_null(k);
    sqlite3 *db = open_db(k);
    write_mib(db, 272); /* 69,000+ pages: past APC__CKPT_INLINE */
    /* Done by the commit itself: copied when it returns, and the thread never started. */
    assert_true(db_bytes() >= 272LL << 20);
    assert_int_equal(apc__ckpt_wait(k, 1, 0), 0);
    sqlite3_close(db);
    apc__ckpt_free(k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_due_wal_checkpointed_by_thread),
        cmocka_unit_test(test_nothing_below_threshold),
        cmocka_unit_test(test_large_wal_checkpointed_inline),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
