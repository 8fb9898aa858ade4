/* SPDX-License-Identifier: MIT */
/*
 * PostgreSQL backend: module extract's records (store/extracts.h says what each call does;
 * tables in schema.c, step 3), as store/sqlite/extracts.c. The switch is the fleet's (one row);
 * an examination (extract_runs) and the files found (extract_streams) belong to their capture
 * and carry its node; written files are listed with the node that wrote them, since their
 * path is on that node's disk.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/extracts.h"

#include "core/error.h"
#include "store/pg/pg_int.h"
#include "store/sql_cols.h"
#include "util/array.h"
#include "util/clock.h"

#define S_COLS APC__XSTREAM_COLS
#define F_COLS APC__XFILE_COLS

/* The node of a capture's rows: the capture's, or this one when the capture is gone. */
#define CAPTURE_NODE(cap, self) "coalesce((SELECT node FROM captures WHERE id=" cap "), " self ")"

static int ok_or(int64_t r)
{
    return r < 0 ? (int)r : 0;
}

static int pg_extract_enabled(void *impl, int *on)
{
    int64_t v = 0;
    int r = apc__pg_int(impl, "reading the extraction switch", &v,
                        "SELECT enabled FROM extract_config", "");
    *on = r == 1 && v != 0;
    return r < 0 ? r : 0;
}

static int pg_extract_set_enabled(void *impl, int on)
{
    return ok_or(apc__pg_exec(impl, "setting the extraction switch",
                              "UPDATE extract_config SET enabled=$1", "i", (int64_t)(on != 0)));
}

/* The run row of a capture (lock: FOR UPDATE when `lock`); state NONE when there is none. */
static int run_read(apc__pg_t *pg, int64_t capture_id, int lock, int *state, char **uid,
                    char **error)
{
    PGresult *q = apc__pg_query(pg, "reading an extraction state",
                                lock ? "SELECT state, command_uid, error FROM extract_runs WHERE "
                                       "capture_id=$1 FOR UPDATE"
                                     : "SELECT state, command_uid, error FROM extract_runs WHERE "
                                       "capture_id=$1",
                                "i", capture_id);
    if (!q)
        return APC_ESTORE;
    int r = 0;
    *state = APC__XRUN_NONE;
    if (PQntuples(q) > 0) {
        *state = (int)apc__pg_i64(q, 0, 0);
        if (uid && !(*uid = apc__pg_str(q, 0, 1)))
            r = APC_ENOMEM;
        if (error && !(*error = apc__pg_str(q, 0, 2)))
            r = APC_ENOMEM;
    }
    PQclear(q);
    return r == APC_ENOMEM ? apc__err(r, "out of memory") : r;
}

static int pg_extract_run(void *impl, int64_t capture_id, int *state, char **uid, char **error)
{
    if (uid)
        *uid = NULL;
    if (error)
        *error = NULL;
    int r = apc__pg_capture_exists(impl, capture_id);
    return r < 0 ? r : run_read(impl, capture_id, 0, state, uid, error);
}

static int pg_extract_run_begin(void *impl, int64_t capture_id, const char *uid, char **busy_uid)
{
    apc__pg_t *pg = impl;
    *busy_uid = NULL;
    const char *what = "starting an examination";
    int r = apc__pg_begin(pg, what);
    if (r < 0)
        return r;
    int state = 0;
    r = run_read(pg, capture_id, 1, &state, busy_uid, NULL);
    if (r == 0 && state == APC__XRUN_DETECTING)
        return apc__pg_end(pg, what, 0); /* busy: *busy_uid says by which command */
    free(*busy_uid);
    *busy_uid = NULL;
    if (r == 0)
        r = ok_or(apc__pg_exec(
            pg, what,
            "INSERT INTO extract_runs(node, capture_id, state, command_uid) "
            "VALUES(" CAPTURE_NODE(
                "$1", "$4") ", $1, $2, $3) "
                            "ON CONFLICT(capture_id) DO UPDATE SET state=$2, command_uid=$3, "
                            "error='', finished=0",
            "iiti", capture_id, (int64_t)APC__XRUN_DETECTING, uid, pg->node));
    return apc__pg_end(pg, what, r);
}

static void copy_stream(apc__pg_copy_t *c, int64_t node, int64_t capture_id,
                        const apc_extract_stream_t *x)
{
    apc__pg_copy_values(c, "iiiiiittttiitttiiiitt", node, x->id, capture_id, x->conn_id,
                        (int64_t)x->direction, (int64_t)x->nth, x->protocol, x->name, x->mime,
                        x->ctype, (int64_t)x->size, (int64_t)x->complete, x->reason, x->sha256,
                        x->md5, x->time, x->first_packet, x->last_packet, x->pid, x->process_name,
                        x->process_path);
}

/* Replaces the files found in the capture with v[0..n). */
static int streams_replace(apc__pg_t *pg, int64_t capture_id, const apc_extract_stream_t *v,
                           size_t n)
{
    const char *what = "replacing the files found";
    int r = ok_or(
        apc__pg_exec(pg, what, "DELETE FROM extract_streams WHERE capture_id=$1", "i", capture_id));
    if (r < 0 || n == 0)
        return r;
    int64_t node = pg->node;
    if (apc__pg_int(pg, what, &node, "SELECT node FROM captures WHERE id=$1", "i", capture_id) < 0)
        return APC_ESTORE;
    apc__pg_copy_t c = {0};
    r = apc__pg_copy_begin(&c, pg, what, "COPY extract_streams(node, " S_COLS ") FROM STDIN");
    for (size_t i = 0; r == 0 && i < n; i++)
        copy_stream(&c, node, capture_id, &v[i]);
    if (r == 0)
        r = apc__pg_copy_end(&c);
    free(c.buf);
    return r;
}

static int pg_extract_run_end(void *impl, int64_t capture_id, const apc_extract_stream_t *v,
                              size_t n, const char *error)
{
    apc__pg_t *pg = impl;
    const char *what = "ending an examination";
    int r = apc__pg_begin(pg, what);
    if (r < 0)
        return r;
    if (!error)
        r = streams_replace(pg, capture_id, v, n);
    if (r == 0)
        r = ok_or(apc__pg_exec(pg, what,
                               "UPDATE extract_runs SET state=$1, command_uid='', error=$2, "
                               "finished=$3 WHERE capture_id=$4",
                               "itii", (int64_t)(error ? APC__XRUN_FAILED : APC__XRUN_DONE),
                               error ? error : "", apc__real_ns(), capture_id));
    return apc__pg_end(pg, what, r);
}

static int pg_extract_runs_reset(void *impl)
{
    apc__pg_t *pg = impl;
    /* This node's examinations died with its process; another node's may be running. */
    return ok_or(apc__pg_exec(pg, "resetting interrupted examinations",
                              "DELETE FROM extract_runs WHERE state=$1 AND node=$2", "ii",
                              (int64_t)APC__XRUN_DETECTING, pg->node));
}

/* Copies a text column into a fixed buffer (the hashes). */
static void textcpy(char *dst, size_t n, const PGresult *q, int row, int col)
{
    snprintf(dst, n, "%s", PQgetisnull(q, row, col) ? "" : PQgetvalue(q, row, col));
}

static int row_stream(const PGresult *q, int i, apc_extract_stream_t *x)
{
    x->id = apc__pg_i64(q, i, 0);
    x->capture_id = apc__pg_i64(q, i, 1);
    x->conn_id = apc__pg_i64(q, i, 2);
    x->direction = (int)apc__pg_i64(q, i, 3);
    x->nth = (uint32_t)apc__pg_i64(q, i, 4);
    x->protocol = apc__pg_str(q, i, 5);
    x->name = apc__pg_str(q, i, 6);
    x->mime = apc__pg_str(q, i, 7);
    x->ctype = apc__pg_str(q, i, 8);
    x->size = (uint64_t)apc__pg_i64(q, i, 9);
    x->complete = (int)apc__pg_i64(q, i, 10);
    x->reason = apc__pg_str(q, i, 11);
    textcpy(x->sha256, sizeof x->sha256, q, i, 12);
    textcpy(x->md5, sizeof x->md5, q, i, 13);
    x->time = apc__pg_i64(q, i, 14);
    x->first_packet = apc__pg_i64(q, i, 15);
    x->last_packet = apc__pg_i64(q, i, 16);
    x->pid = apc__pg_i64(q, i, 17);
    x->process_name = apc__pg_str(q, i, 18);
    x->process_path = apc__pg_str(q, i, 19);
    return x->protocol && x->name && x->mime && x->ctype && x->reason && x->process_name &&
                   x->process_path
               ? 0
               : apc__err(APC_ENOMEM, "out of memory");
}

static int page_row(const PGresult *q, int i, void *payload)
{
    apc_extract_page_t *pg = payload;
    pg->count = (size_t)i + 1;
    pg->last_id = apc__pg_i64(q, i, 0);
    return row_stream(q, i, &pg->items[i]);
}

static int pg_extract_streams(void *impl, int64_t capture_id, int64_t last_id, unsigned max,
                              apc_extract_page_t *pg)
{
    pg->items = calloc(max ? max : 1, sizeof *pg->items);
    if (!pg->items)
        return apc__err(APC_ENOMEM, "out of memory");
    pg->last_id = last_id;
    size_t count = 0;
    return apc__pg_page(impl, "reading the files found",
                        "SELECT " S_COLS " FROM extract_streams WHERE capture_id=$1 AND id>$2 "
                        "ORDER BY id LIMIT $3",
                        capture_id, last_id, max, page_row, pg, &count, &pg->more);
}

static int pg_extract_stream(void *impl, int64_t capture_id, int64_t id, apc_extract_stream_t *out)
{
    memset(out, 0, sizeof *out);
    PGresult *q = apc__pg_query(impl, "reading a file found",
                                "SELECT " S_COLS " FROM extract_streams WHERE capture_id=$1 AND "
                                "id=$2",
                                "ii", capture_id, id);
    if (!q)
        return APC_ESTORE;
    int r = PQntuples(q) > 0 ? row_stream(q, 0, out)
                             : apc__err(APC_ENOTFOUND, "stream %lld of capture %lld not found",
                                        (long long)id, (long long)capture_id);
    PQclear(q);
    if (r < 0)
        apc__st_extract_stream_clear(out);
    return r;
}

static int pg_extract_file_add(void *impl, apc_extract_file_t *f)
{
    apc__pg_t *pg = impl;
    int r = apc__pg_int(pg, "recording a written file", &f->id,
                        "INSERT INTO extracted_files(node, capture_id, stream_id, path, name, "
                        "size, mime, sha256, time, complete, pid, process_name, process_path) "
                        "VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13) RETURNING id",
                        "iiittittiiitt", pg->node, f->capture_id, f->stream_id, f->path, f->name,
                        (int64_t)f->size, f->mime, f->sha256, f->time, (int64_t)f->complete, f->pid,
                        f->process_name, f->process_path);
    return r < 0 ? r : 0;
}

static int row_file(const PGresult *q, int i, apc_extract_file_t *f)
{
    f->id = apc__pg_i64(q, i, 0);
    f->capture_id = apc__pg_i64(q, i, 1);
    f->stream_id = apc__pg_i64(q, i, 2);
    f->path = apc__pg_str(q, i, 3);
    f->name = apc__pg_str(q, i, 4);
    f->size = (uint64_t)apc__pg_i64(q, i, 5);
    f->mime = apc__pg_str(q, i, 6);
    textcpy(f->sha256, sizeof f->sha256, q, i, 7);
    f->time = apc__pg_i64(q, i, 8);
    f->complete = (int)apc__pg_i64(q, i, 9);
    f->pid = apc__pg_i64(q, i, 10);
    f->process_name = apc__pg_str(q, i, 11);
    f->process_path = apc__pg_str(q, i, 12);
    return f->path && f->name && f->mime && f->process_name && f->process_path
               ? 0
               : apc__err(APC_ENOMEM, "out of memory");
}

static int pg_extract_files(void *impl, int64_t capture_id, int64_t file_id,
                            apc_extract_file_list_t *l)
{
    PGresult *q = apc__pg_query(impl, "listing written files",
                                "SELECT " F_COLS " FROM extracted_files WHERE ($1=0 OR "
                                "capture_id=$1) AND ($2=0 OR id=$2) ORDER BY id",
                                "ii", capture_id, file_id);
    if (!q)
        return APC_ESTORE;
    int r = 0;
    size_t cap = l->count;
    for (int i = 0; r == 0 && i < PQntuples(q); i++) {
        if (apc__grow((void **)&l->items, &cap, l->count + 1, sizeof *l->items) < 0) {
            r = apc__err(APC_ENOMEM, "out of memory");
            break;
        }
        memset(&l->items[l->count], 0, sizeof l->items[0]);
        r = row_file(q, i, &l->items[l->count++]);
    }
    PQclear(q);
    if (r == 0 && file_id && l->count == 0)
        r = apc__err(APC_ENOTFOUND, "extracted file %lld of capture %lld not found",
                     (long long)file_id, (long long)capture_id);
    return r;
}

static int pg_extract_set_types(void *impl, int64_t capture_id, const apc__st_xtyped_t *v, size_t n)
{
    apc__pg_t *pg = impl;
    const char *what = "recording the types of files found";
    int r = apc__pg_begin(pg, what);
    if (r < 0)
        return r;
    for (size_t i = 0; r == 0 && i < n; i++)
        r = ok_or(apc__pg_exec(pg, what,
                               "UPDATE extract_streams SET mime=$1, sha256=$2, md5=$3 WHERE "
                               "capture_id=$4 AND id=$5 AND mime=''",
                               "tttii", v[i].mime, v[i].sha256, v[i].md5, capture_id, v[i].id));
    return apc__pg_end(pg, what, r);
}

static int pg_extract_file_remove(void *impl, int64_t id)
{
    return ok_or(apc__pg_exec(impl, "forgetting a written file",
                              "DELETE FROM extracted_files WHERE id=$1", "i", id));
}

static int pg_extract_spans(void *impl, int64_t capture_id, apc__st_xspan_fn fn, void *payload)
{
    PGresult *q = apc__pg_query(impl, "reading the files of a capture",
                                "SELECT conn_id, direction, first_packet, last_packet, size, "
                                "name, mime, sha256 FROM extract_streams WHERE capture_id=$1 "
                                "ORDER BY id",
                                "i", capture_id);
    if (!q)
        return APC_ESTORE;
    int r = 0;
    for (int i = 0; r == 0 && i < PQntuples(q); i++) {
        apc__st_xspan_t x = {
            .conn_id = apc__pg_i64(q, i, 0),
            .direction = (int)apc__pg_i64(q, i, 1),
            .first_packet = apc__pg_i64(q, i, 2),
            .last_packet = apc__pg_i64(q, i, 3),
            .size = (uint64_t)apc__pg_i64(q, i, 4),
            .name = PQgetvalue(q, i, 5),
            .mime = PQgetvalue(q, i, 6),
            .sha256 = PQgetvalue(q, i, 7),
        };
        r = fn(&x, payload);
    }
    PQclear(q);
    return r;
}

const apc__extracts_ops_t apc__pg_extracts_ops = {
    .extract_enabled = pg_extract_enabled,
    .extract_set_enabled = pg_extract_set_enabled,
    .extract_run = pg_extract_run,
    .extract_run_begin = pg_extract_run_begin,
    .extract_run_end = pg_extract_run_end,
    .extract_runs_reset = pg_extract_runs_reset,
    .extract_streams = pg_extract_streams,
    .extract_stream = pg_extract_stream,
    .extract_file_add = pg_extract_file_add,
    .extract_files = pg_extract_files,
    .extract_file_remove = pg_extract_file_remove,
    .extract_spans = pg_extract_spans,
    .extract_set_types = pg_extract_set_types,
};
