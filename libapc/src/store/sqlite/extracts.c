/* SPDX-License-Identifier: MIT */
/* Module extract's records in apc.db (store/extracts.h): all their SQL. */
#include "store/extracts.h"
#include "store/sqlite/sqlite_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "store/sql.h"
#include "store/sql_cols.h"
#include "util/array.h"
#include "util/clock.h"

#define S_COLS APC__XSTREAM_COLS
#define F_COLS APC__XFILE_COLS

static void file_clear(apc_extract_file_t *f)
{
    free(f->path);
    free(f->name);
    free(f->mime);
    free(f->process_name);
    free(f->process_path);
}

APC_API void apc_extract_page_free(apc_extract_page_t *pg)
{
    if (!pg)
        return;
    for (size_t i = 0; i < pg->count; i++)
        apc__st_extract_stream_clear(&pg->items[i]);
    free(pg->items);
    free(pg->command_uid);
    free(pg);
}

APC_API void apc_extract_file_free(apc_extract_file_t *f)
{
    if (f) {
        file_clear(f);
        free(f);
    }
}

APC_API void apc_extract_file_list_free(apc_extract_file_list_t *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->count; i++)
        file_clear(&l->items[i]);
    free(l->items);
    free(l);
}

static void hexcpy(char *dst, size_t n, sqlite3_stmt *st, int col)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    snprintf(dst, n, "%s", t ? (const char *)t : "");
}

static int sq_extract_enabled(void *impl, int *on)
{
    apc__store_t *s = impl;
    sqlite3 *db = apc__db_get(s);
    if (!db)
        return APC_ESTORE;
    int64_t v = 0;
    int r = apc__sql_int(db, "reading the extraction switch", &v,
                         "SELECT enabled FROM extract_config", "");
    apc__db_put(s, db);
    *on = r == 1 && v != 0;
    return r < 0 ? r : 0;
}

static int sq_extract_set_enabled(void *impl, int on)
{
    apc__store_t *s = impl;
    sqlite3 *db = apc__db_get(s);
    if (!db)
        return APC_ESTORE;
    int r = apc__sql_exec(db, "setting the extraction switch",
                          "UPDATE extract_config SET enabled=?", "i", (int64_t)(on != 0));
    apc__db_put(s, db);
    return r;
}

static int run_read(sqlite3 *db, int64_t capture_id, int *state, char **uid, char **error)
{
    sqlite3_stmt *st;
    int r = apc__sql_prepare(db, "reading an extraction state",
                             "SELECT state, command_uid, error FROM extract_runs "
                             "WHERE capture_id=?",
                             &st);
    if (r < 0)
        return r;
    sqlite3_bind_int64(st, 1, capture_id);
    *state = APC__XRUN_NONE;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *state = sqlite3_column_int(st, 0);
        if (uid && !(*uid = apc__sql_text(st, 1)))
            r = APC_ENOMEM;
        if (error && !(*error = apc__sql_text(st, 2)))
            r = APC_ENOMEM;
    } else if (rc != SQLITE_DONE) {
        r = apc__db_err(db, rc, "reading an extraction state");
    }
    sqlite3_finalize(st);
    if (r == APC_ENOMEM)
        r = apc__err(r, "out of memory");
    return r;
}

static int sq_extract_run(void *impl, int64_t capture_id, int *state, char **uid, char **error)
{
    apc__store_t *s = impl;
    if (uid)
        *uid = NULL;
    if (error)
        *error = NULL;
    sqlite3 *db = apc__db_get(s);
    if (!db)
        return APC_ESTORE;
    int r = apc__sql_capture_exists(db, capture_id);
    if (r == 0)
        r = run_read(db, capture_id, state, uid, error);
    apc__db_put(s, db);
    return r;
}

static int sq_extract_run_begin(void *impl, int64_t capture_id, const char *uid, char **busy_uid)
{
    apc__store_t *s = impl;
    *busy_uid = NULL;
    sqlite3 *db = apc__db_get(s);
    if (!db)
        return APC_ESTORE;
    int r = apc__sql_begin(db);
    if (r == 0) {
        int state = 0;
        r = run_read(db, capture_id, &state, busy_uid, NULL);
        if (r == 0 && state == APC__XRUN_DETECTING) {
            apc__sql_rollback(db);
            apc__db_put(s, db);
            return 0;
        }
        free(*busy_uid);
        *busy_uid = NULL;
        if (r == 0)
            r = apc__sql_exec(db, "starting an examination",
                              "INSERT OR REPLACE INTO extract_runs(capture_id, state, "
                              "command_uid) VALUES(?,?,?)",
                              "iit", capture_id, (int64_t)APC__XRUN_DETECTING, uid);
        if (r == 0)
            r = apc__sql_commit(db, "starting an examination");
        else
            apc__sql_rollback(db);
    }
    apc__db_put(s, db);
    return r;
}

/* Through the connection's statement cache: an examination inserts thousands of rows, and
 * preparing the statement again for each was an eighth of its CPU time (perf, issue 10). */
static int stream_insert(apc__sqlc_t *c, int64_t capture_id, const apc_extract_stream_t *x)
{
    return apc__sqlc_exec(
        c, "recording a file found",
        "INSERT INTO extract_streams(" S_COLS ") VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        "iiiiittttiitttiiiitt", x->id, capture_id, x->conn_id, (int64_t)x->direction,
        (int64_t)x->nth, x->protocol, x->name, x->mime, x->ctype, (int64_t)x->size,
        (int64_t)x->complete, x->reason, x->sha256, x->md5, x->time, x->first_packet,
        x->last_packet, x->pid, x->process_name, x->process_path);
}

static int sq_extract_run_end(void *impl, int64_t capture_id, const apc_extract_stream_t *v,
                              size_t n, const char *error)
{
    apc__store_t *s = impl;
    apc__sqlc_t *c = apc__sqlc_get(s);
    if (!c)
        return APC_ESTORE;
    sqlite3 *db = apc__sqlc_db(c);
    int r = apc__sql_begin(db);
    if (r == 0 && !error) {
        r = apc__sql_exec(db, "replacing the files found",
                          "DELETE FROM extract_streams WHERE capture_id=?", "i", capture_id);
        for (size_t i = 0; r == 0 && i < n; i++)
            r = stream_insert(c, capture_id, &v[i]);
    }
    if (r == 0)
        r = apc__sql_exec(db, "ending an examination",
                          "UPDATE extract_runs SET state=?, command_uid='', error=?, finished=? "
                          "WHERE capture_id=?",
                          "itii", (int64_t)(error ? APC__XRUN_FAILED : APC__XRUN_DONE),
                          error ? error : "", apc__real_ns(), capture_id);
    if (r == 0)
        r = apc__sql_commit(db, "ending an examination");
    else
        apc__sql_rollback(db);
    apc__sqlc_put(s, c);
    return r;
}

static int sq_extract_runs_reset(void *impl)
{
    apc__store_t *s = impl;
    sqlite3 *db = apc__db_get(s);
    if (!db)
        return APC_ESTORE;
    int r =
        apc__sql_exec(db, "resetting interrupted examinations",
                      "DELETE FROM extract_runs WHERE state=?", "i", (int64_t)APC__XRUN_DETECTING);
    apc__db_put(s, db);
    return r;
}

static int row_stream(sqlite3_stmt *st, apc_extract_stream_t *x)
{
    x->id = sqlite3_column_int64(st, 0);
    x->capture_id = sqlite3_column_int64(st, 1);
    x->conn_id = sqlite3_column_int64(st, 2);
    x->direction = sqlite3_column_int(st, 3);
    x->nth = (uint32_t)sqlite3_column_int64(st, 4);
    x->protocol = apc__sql_text(st, 5);
    x->name = apc__sql_text(st, 6);
    x->mime = apc__sql_text(st, 7);
    x->ctype = apc__sql_text(st, 8);
    x->size = (uint64_t)sqlite3_column_int64(st, 9);
    x->complete = sqlite3_column_int(st, 10);
    x->reason = apc__sql_text(st, 11);
    hexcpy(x->sha256, sizeof x->sha256, st, 12);
    hexcpy(x->md5, sizeof x->md5, st, 13);
    x->time = sqlite3_column_int64(st, 14);
    x->first_packet = sqlite3_column_int64(st, 15);
    x->last_packet = sqlite3_column_int64(st, 16);
    x->pid = sqlite3_column_int64(st, 17);
    x->process_name = apc__sql_text(st, 18);
    x->process_path = apc__sql_text(st, 19);
    return x->protocol && x->name && x->mime && x->ctype && x->reason && x->process_name &&
                   x->process_path
               ? 0
               : apc__err(APC_ENOMEM, "out of memory");
}

static int page_row(sqlite3_stmt *st, size_t i, void *payload)
{
    apc_extract_page_t *pg = payload;
    pg->count = i + 1;
    pg->last_id = sqlite3_column_int64(st, 0);
    return row_stream(st, &pg->items[i]);
}

static int sq_extract_streams(void *impl, int64_t capture_id, int64_t last_id, unsigned max,
                              apc_extract_page_t *pg)
{
    apc__store_t *s = impl;
    pg->items = calloc(max ? max : 1, sizeof *pg->items);
    if (!pg->items)
        return apc__err(APC_ENOMEM, "out of memory");
    pg->last_id = last_id;
    sqlite3 *db = apc__db_get(s);
    if (!db)
        return APC_ESTORE;
    size_t count = 0;
    int r = apc__sql_page(db, "reading the files found",
                          "SELECT " S_COLS " FROM extract_streams WHERE capture_id=?1 AND id>?2 "
                          "ORDER BY id LIMIT ?3",
                          capture_id, last_id, max, page_row, pg, &count, &pg->more);
    apc__db_put(s, db);
    return r;
}

static int sq_extract_stream(void *impl, int64_t capture_id, int64_t id, apc_extract_stream_t *out)
{
    apc__store_t *s = impl;
    memset(out, 0, sizeof *out);
    sqlite3 *db = apc__db_get(s);
    if (!db)
        return APC_ESTORE;
    sqlite3_stmt *st;
    int r =
        apc__sql_prepare(db, "reading a file found",
                         "SELECT " S_COLS " FROM extract_streams WHERE capture_id=? AND id=?", &st);
    if (r == 0) {
        sqlite3_bind_int64(st, 1, capture_id);
        sqlite3_bind_int64(st, 2, id);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
            r = row_stream(st, out);
        else if (rc == SQLITE_DONE)
            r = apc__err(APC_ENOTFOUND, "stream %lld of capture %lld not found", (long long)id,
                         (long long)capture_id);
        else
            r = apc__db_err(db, rc, "reading a file found");
        sqlite3_finalize(st);
    }
    apc__db_put(s, db);
    if (r < 0)
        apc__st_extract_stream_clear(out);
    return r;
}

static int sq_extract_set_types(void *impl, int64_t capture_id, const apc__st_xtyped_t *v, size_t n)
{
    apc__store_t *s = impl;
    apc__sqlc_t *c = apc__sqlc_get(s);
    if (!c)
        return APC_ESTORE;
    sqlite3 *db = apc__sqlc_db(c);
    int r = apc__sql_begin(db);
    for (size_t i = 0; r == 0 && i < n; i++)
        r = apc__sqlc_exec(c, "recording the type of a file found",
                           "UPDATE extract_streams SET mime=?, sha256=?, md5=? WHERE "
                           "capture_id=? AND id=? AND mime=''",
                           "tttii", v[i].mime, v[i].sha256, v[i].md5, capture_id, v[i].id);
    if (r == 0)
        r = apc__sql_commit(db, "recording the types of files found");
    else
        apc__sql_rollback(db);
    apc__sqlc_put(s, c);
    return r;
}

static int sq_extract_file_add(void *impl, apc_extract_file_t *f)
{
    apc__store_t *s = impl;
    sqlite3 *db = apc__db_get(s);
    if (!db)
        return APC_ESTORE;
    int r = apc__sql_exec(db, "recording a written file",
                          "INSERT INTO extracted_files(capture_id, stream_id, path, name, size, "
                          "mime, sha256, time, complete, pid, process_name, process_path) "
                          "VALUES(?,?,?,?,?,?,?,?,?,?,?,?)",
                          "iittittiiitt", f->capture_id, f->stream_id, f->path, f->name,
                          (int64_t)f->size, f->mime, f->sha256, f->time, (int64_t)f->complete,
                          f->pid, f->process_name, f->process_path);
    if (r == 0)
        f->id = sqlite3_last_insert_rowid(db);
    apc__db_put(s, db);
    return r;
}

static int row_file(sqlite3_stmt *st, apc_extract_file_t *f)
{
    f->id = sqlite3_column_int64(st, 0);
    f->capture_id = sqlite3_column_int64(st, 1);
    f->stream_id = sqlite3_column_int64(st, 2);
    f->path = apc__sql_text(st, 3);
    f->name = apc__sql_text(st, 4);
    f->size = (uint64_t)sqlite3_column_int64(st, 5);
    f->mime = apc__sql_text(st, 6);
    hexcpy(f->sha256, sizeof f->sha256, st, 7);
    f->time = sqlite3_column_int64(st, 8);
    f->complete = sqlite3_column_int(st, 9);
    f->pid = sqlite3_column_int64(st, 10);
    f->process_name = apc__sql_text(st, 11);
    f->process_path = apc__sql_text(st, 12);
    return f->path && f->name && f->mime && f->process_name && f->process_path
               ? 0
               : apc__err(APC_ENOMEM, "out of memory");
}

static int sq_extract_files(void *impl, int64_t capture_id, int64_t file_id,
                            apc_extract_file_list_t *l)
{
    apc__store_t *s = impl;
    sqlite3 *db = apc__db_get(s);
    if (!db)
        return APC_ESTORE;
    sqlite3_stmt *st;
    int r = apc__sql_prepare(db, "listing written files",
                             "SELECT " F_COLS " FROM extracted_files WHERE (?1=0 OR capture_id=?1)"
                             " AND (?2=0 OR id=?2) ORDER BY id",
                             &st);
    if (r == 0) {
        sqlite3_bind_int64(st, 1, capture_id);
        sqlite3_bind_int64(st, 2, file_id);
        size_t cap = 0;
        int rc;
        while (r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
            if (apc__grow((void **)&l->items, &cap, l->count + 1, sizeof *l->items) < 0) {
                r = apc__err(APC_ENOMEM, "out of memory");
                break;
            }
            memset(&l->items[l->count], 0, sizeof l->items[0]);
            r = row_file(st, &l->items[l->count++]);
        }
        if (r == 0 && rc != SQLITE_DONE)
            r = apc__db_err(db, rc, "listing written files");
        sqlite3_finalize(st);
    }
    apc__db_put(s, db);
    if (r == 0 && file_id && l->count == 0)
        r = apc__err(APC_ENOTFOUND, "extracted file %lld of capture %lld not found",
                     (long long)file_id, (long long)capture_id);
    return r;
}

static int sq_extract_file_remove(void *impl, int64_t id)
{
    apc__store_t *s = impl;
    sqlite3 *db = apc__db_get(s);
    if (!db)
        return APC_ESTORE;
    int r = apc__sql_exec(db, "forgetting a written file", "DELETE FROM extracted_files WHERE id=?",
                          "i", id);
    apc__db_put(s, db);
    return r;
}

static int spans_read(sqlite3 *db, int64_t capture_id, apc__st_xspan_fn fn, void *payload)
{
    sqlite3_stmt *st;
    int r = apc__sql_prepare(db, "reading the files of a capture",
                             "SELECT conn_id, direction, first_packet, last_packet, size, name, "
                             "mime, sha256 FROM extract_streams WHERE capture_id=? ORDER BY id",
                             &st);
    if (r < 0)
        return r;
    sqlite3_bind_int64(st, 1, capture_id);
    int rc;
    while (r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        const unsigned char *t[3];
        for (int i = 0; i < 3; i++)
            t[i] = sqlite3_column_text(st, 5 + i);
        apc__st_xspan_t x = {
            .conn_id = sqlite3_column_int64(st, 0),
            .direction = sqlite3_column_int(st, 1),
            .first_packet = sqlite3_column_int64(st, 2),
            .last_packet = sqlite3_column_int64(st, 3),
            .size = (uint64_t)sqlite3_column_int64(st, 4),
            .name = t[0] ? (const char *)t[0] : "",
            .mime = t[1] ? (const char *)t[1] : "",
            .sha256 = t[2] ? (const char *)t[2] : "",
        };
        r = fn(&x, payload);
    }
    if (r == 0 && rc != SQLITE_DONE)
        r = apc__db_err(db, rc, "reading the files of a capture");
    sqlite3_finalize(st);
    return r;
}

static int sq_extract_spans(void *impl, int64_t capture_id, apc__st_xspan_fn fn, void *payload)
{
    apc__store_t *s = impl;
    sqlite3 *db = apc__db_get(s);
    if (!db)
        return APC_ESTORE;
    int r = spans_read(db, capture_id, fn, payload);
    apc__db_put(s, db);
    return r;
}

const apc__extracts_ops_t apc__sqlite_extracts_ops = {
    .extract_enabled = sq_extract_enabled,
    .extract_set_enabled = sq_extract_set_enabled,
    .extract_run = sq_extract_run,
    .extract_run_begin = sq_extract_run_begin,
    .extract_run_end = sq_extract_run_end,
    .extract_runs_reset = sq_extract_runs_reset,
    .extract_streams = sq_extract_streams,
    .extract_stream = sq_extract_stream,
    .extract_file_add = sq_extract_file_add,
    .extract_files = sq_extract_files,
    .extract_file_remove = sq_extract_file_remove,
    .extract_spans = sq_extract_spans,
    .extract_set_types = sq_extract_set_types,
};
