/* SPDX-License-Identifier: MIT */
/*
 * The WAL checkpoints of the SQLite store, on a thread of their own (issue 15, growth).
 *
 * A checkpoint copies the WAL's pages into apc.db and, with synchronous=NORMAL, waits twice
 * for the disk (fdatasync of the WAL, then of apc.db). SQLite runs it in whichever connection
 * committed past the threshold: during an ingest, the capture's commit thread. While the
 * segments stream to the disk, a disk-cache flush queues behind their write-back, and the
 * commit thread of a 10,000,000-packet ingest spent 2.1-2.6 s of its ~10 s asleep in
 * blkdev_issue_flush; the capture writer, two commits ahead, then waited for it
 * (`perf sched timehist`, docs/benchmarks.md, "Growth"). Here the connections of the store
 * only tell a thread that the WAL is due (a WAL hook), and the thread checkpoints through a
 * connection of its own, SQLITE_CHECKPOINT_PASSIVE: it never blocks a writer or a reader, and
 * commits go on into the WAL meanwhile.
 *
 * Two limits keep the WAL bounded whatever the thread does: past APC__CKPT_INLINE pages (the
 * thread is behind, or could not be started) the committing connection checkpoints itself, as
 * SQLite would; and journal_size_limit (db.c) gives the disk back once a large WAL is reset.
 */
#ifndef APC_STORE_CHECKPOINT_H
#define APC_STORE_CHECKPOINT_H

#include <sqlite3.h>

/* The WAL is due for a checkpoint at this many pages (64 MiB at 4 KiB): a capture's commits
 * rewrite the same index pages over and over (new connections land all over the address and
 * port indexes), and a checkpoint writes a page once however many commits changed it. At
 * SQLite's default of 1,000 the commits of a 10,000,000-packet ingest spent 2.2-3.6 s
 * checkpointing (docs/benchmarks.md, "Growth"). */
#define APC__CKPT_PAGES 16384
/* ... and the committing connection does it itself at this many. */
#define APC__CKPT_INLINE (4 * APC__CKPT_PAGES)

typedef struct apc__ckpt apc__ckpt_t;

/* The checkpointer of the database file `path` (copied). Its thread starts with the first
 * checkpoint due. NULL when out of memory (the caller then leaves checkpoints to SQLite). Free
 * it with apc__ckpt_free. */
apc__ckpt_t *apc__ckpt_new(const char *path);

/* Sends the checkpoints due on `db`, a read-write connection to the same file, to k's thread
 * (it replaces the connection's WAL hook and wal_autocheckpoint). k must outlive db. */
void apc__ckpt_attach(apc__ckpt_t *k, sqlite3 *db);

/* Waits until the thread has run `n` checkpoints in all, or for timeout_ms (for the tests);
 * returns how many it ran. Returns at once when it never started or has no connection. */
unsigned long apc__ckpt_wait(apc__ckpt_t *k, unsigned long n, int timeout_ms);

/* Stops the thread (after the checkpoint it may be running), closes its connection and frees
 * k. Call it once the connections it was attached to are closed. NULL is accepted. */
void apc__ckpt_free(apc__ckpt_t *k);

#endif
