/* SPDX-License-Identifier: MIT */
/*
 * PostgreSQL backend, captures: creating one, its interfaces, reading its rows (get, list,
 * meta), deleting one, notes, and what readers of stored packets ask. The commit of a capture
 * writer is in commit.c. Every row written carries this node's id (pg_int.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apc/capture.h>

#include "core/error.h"
#include "store/pg/pg_int.h"
#include "util/array.h"

#define CAPTURE_COLS                                                                               \
    "id, type, state, name, notes, filter, flags, adapters, pid, tid, start_time, end_time, "      \
    "packets, bytes, kernel_drops, drops, connections, error, source_file, error_offset, "         \
    "progress_bytes, total_bytes, (SELECT n.name FROM nodes n WHERE n.id=captures.node)"

static int64_t ok_or(int64_t r)
{
    return r < 0 ? r : 0;
}

static int cap_create(void *impl, const apc__st_capture_new_t *c, int64_t *out_id)
{
    apc__pg_t *pg = impl;
    int r = apc__pg_int(pg, "creating a capture", out_id,
                        "INSERT INTO captures(node, type, state, name, source_file, start_time, "
                        "total_bytes) VALUES($1,$2,$3,$4,$5,$6,$7) RETURNING id",
                        "iiittii", pg->node, (int64_t)c->type, (int64_t)APC_STATE_ACTIVE, c->name,
                        c->source_file, c->start_time, (int64_t)c->total_bytes);
    return r < 0 ? r : 0;
}

static int cap_add_iface(void *impl, int64_t capture_id, const apc__st_iface_t *i)
{
    apc__pg_t *pg = impl;
    return (int)ok_or(apc__pg_exec(pg, "recording an interface",
                                   "INSERT INTO interfaces(node, capture_id, idx, linktype, "
                                   "snaplen, tsresol, name, description) "
                                   "VALUES($1,$2,$3,$4,$5,$6,$7,$8)",
                                   "iiiiiitt", pg->node, capture_id, (int64_t)i->idx,
                                   (int64_t)i->linktype, (int64_t)i->snaplen, (int64_t)i->tsresol,
                                   i->name, i->description));
}

static int cap_fail(void *impl, int64_t capture_id, const char *error, int64_t end_time)
{
    return (int)ok_or(apc__pg_exec(impl, "marking a capture failed",
                                   "UPDATE captures SET state=$1, error=$2, end_time=$3 "
                                   "WHERE id=$4",
                                   "itii", (int64_t)APC_STATE_FAILED, error, end_time, capture_id));
}

static apc_capture_t *row_to_capture(const PGresult *r, int i)
{
    apc_capture_t *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->id = apc__pg_i64(r, i, 0);
    c->type = (int)apc__pg_i64(r, i, 1);
    c->state = (int)apc__pg_i64(r, i, 2);
    c->name = apc__pg_str(r, i, 3);
    c->notes = apc__pg_str(r, i, 4);
    c->filter = apc__pg_str(r, i, 5);
    c->flags = (uint32_t)apc__pg_i64(r, i, 6);
    c->adapters = apc__pg_str(r, i, 7);
    c->pid = apc__pg_i64(r, i, 8);
    c->tid = apc__pg_i64(r, i, 9);
    c->start_time = apc__pg_i64(r, i, 10);
    c->end_time = apc__pg_i64(r, i, 11);
    c->packets = (uint64_t)apc__pg_i64(r, i, 12);
    c->bytes = (uint64_t)apc__pg_i64(r, i, 13);
    c->kernel_drops = (uint64_t)apc__pg_i64(r, i, 14);
    c->drops = (uint64_t)apc__pg_i64(r, i, 15);
    c->connections = (uint64_t)apc__pg_i64(r, i, 16);
    c->error = apc__pg_str(r, i, 17);
    c->source_file = apc__pg_str(r, i, 18);
    c->error_offset = (uint64_t)apc__pg_i64(r, i, 19);
    c->progress_bytes = (uint64_t)apc__pg_i64(r, i, 20);
    c->total_bytes = (uint64_t)apc__pg_i64(r, i, 21);
    c->node = apc__pg_str(r, i, 22);
    if (!c->node || !c->name || !c->notes || !c->filter || !c->adapters || !c->error ||
        !c->source_file) {
        apc_capture_free(c);
        return NULL;
    }
    return c;
}

static int cap_get(void *impl, int64_t id, apc_capture_t **out)
{
    PGresult *r = apc__pg_query(impl, "reading a capture",
                                "SELECT " CAPTURE_COLS " FROM captures WHERE id=$1", "i", id);
    if (!r)
        return APC_ESTORE;
    int rc = 0;
    if (PQntuples(r) > 0)
        rc = (*out = row_to_capture(r, 0)) ? 1 : apc__err(APC_ENOMEM, "out of memory");
    PQclear(r);
    return rc;
}

/* Lists cover every node of the fleet (the database is shared); the action layer keeps one
 * node's captures when asked (each CAPTURE says its node). */
static int cap_list(void *impl, int which, apc_capture_list_t *l)
{
    static const char *const sql[] = {
        [APC_LIST_ALL] = "SELECT " CAPTURE_COLS " FROM captures ORDER BY id",
        [APC_LIST_ACTIVE] = "SELECT " CAPTURE_COLS " FROM captures WHERE state=1 ORDER BY id",
        [APC_LIST_COMPLETED] = "SELECT " CAPTURE_COLS " FROM captures WHERE state<>1 ORDER BY id",
        [APC_LIST_SYSTEM_COMPLETED] =
            "SELECT " CAPTURE_COLS " FROM captures WHERE state<>1 AND type=1 ORDER BY id",
    };
    if (which < 0 || (size_t)which >= sizeof sql / sizeof sql[0] || !sql[which])
        return apc__err(APC_EINVAL, "unknown capture list selector %d", which);
    PGresult *r = apc__pg_query(impl, "listing captures", sql[which], "");
    if (!r)
        return APC_ESTORE;
    int rc = 0;
    size_t cap = 0;
    for (int i = 0; rc == 0 && i < PQntuples(r); i++) {
        apc_capture_t *cp = NULL;
        if (apc__grow((void **)&l->items, &cap, l->count + 1, sizeof *l->items) < 0 ||
            !(cp = row_to_capture(r, i)))
            rc = apc__err(APC_ENOMEM, "out of memory");
        else
            l->items[l->count++] = cp;
    }
    PQclear(r);
    return rc;
}

int apc__pg_delete_capture_rows(apc__pg_t *pg, const char *what, const char *column, int64_t value)
{
    for (size_t i = 0; apc__pg_capture_tables[i]; i++) {
        char sql[128]; /* our own table and column names: the value is a parameter */
        snprintf(sql, sizeof sql, "DELETE FROM %s WHERE %s=$1", apc__pg_capture_tables[i], column);
        if (apc__pg_exec(pg, what, sql, "i", value) < 0)
            return APC_ESTORE;
    }
    return 0;
}

static int cap_remove(void *impl, int64_t id)
{
    apc__pg_t *pg = impl;
    const char *what = "deleting a capture";
    int r = apc__pg_begin(pg, what);
    if (r < 0)
        return r;
    r = apc__pg_delete_capture_rows(pg, what, "capture_id", id);
    if (r == 0)
        r = (int)ok_or(apc__pg_exec(pg, what, "DELETE FROM captures WHERE id=$1", "i", id));
    if (r == 0)
        r = (int)ok_or(apc__pg_exec(pg, what,
                                    "DELETE FROM processes WHERE origin_capture=$1 AND "
                                    "source='file'",
                                    "i", id));
    return apc__pg_end(pg, what, r);
}

static int cap_set_notes(void *impl, int64_t capture_id, int64_t packet_id, const char *notes)
{
    apc__pg_t *pg = impl;
    if (packet_id == 0)
        return (int)ok_or(apc__pg_exec(pg, "saving capture notes",
                                       "UPDATE captures SET notes=$1 WHERE id=$2", "ti", notes,
                                       capture_id));
    if (!*notes)
        return (int)ok_or(apc__pg_exec(pg, "clearing packet notes",
                                       "DELETE FROM packet_notes WHERE capture_id=$1 AND "
                                       "packet_id=$2",
                                       "ii", capture_id, packet_id));
    return (int)ok_or(apc__pg_exec(pg, "saving packet notes",
                                   "INSERT INTO packet_notes(node, capture_id, packet_id, notes) "
                                   "SELECT node, id, $2, $3 FROM captures WHERE id=$1 "
                                   "ON CONFLICT(capture_id, packet_id) DO UPDATE SET "
                                   "notes=excluded.notes",
                                   "iit", capture_id, packet_id, notes));
}

static int cap_meta(void *impl, apc_capture_meta_t *m)
{
    int64_t id = m->capture->id;
    PGresult *r = apc__pg_query(impl, "reading a capture",
                                "SELECT first_time, last_time FROM captures WHERE id=$1", "i", id);
    if (!r)
        return APC_ESTORE;
    if (PQntuples(r) > 0) {
        m->first_time = apc__pg_i64(r, 0, 0);
        m->last_time = apc__pg_i64(r, 0, 1);
    }
    PQclear(r);
    r = apc__pg_query(impl, "reading interfaces",
                      "SELECT idx, linktype, snaplen, name, description, packets FROM interfaces "
                      "WHERE capture_id=$1 ORDER BY idx",
                      "i", id);
    if (!r)
        return APC_ESTORE;
    int rc = 0, n = PQntuples(r);
    if (n > 0 && !(m->ifaces = calloc((size_t)n, sizeof *m->ifaces)))
        rc = apc__err(APC_ENOMEM, "out of memory");
    for (int i = 0; rc == 0 && i < n; i++) {
        apc_capture_iface_t *f = &m->ifaces[m->n_ifaces++];
        f->index = (uint32_t)apc__pg_i64(r, i, 0);
        f->linktype = (uint32_t)apc__pg_i64(r, i, 1);
        f->snaplen = (uint32_t)apc__pg_i64(r, i, 2);
        f->name = apc__pg_str(r, i, 3);
        f->description = apc__pg_str(r, i, 4);
        f->packets = (uint64_t)apc__pg_i64(r, i, 5);
        if (!f->name || !f->description)
            rc = apc__err(APC_ENOMEM, "out of memory");
    }
    PQclear(r);
    if (rc < 0)
        return rc;
    r = apc__pg_query(impl, "reading protocol counts",
                      "SELECT proto, packets, bytes FROM capture_protocols WHERE capture_id=$1 "
                      "ORDER BY packets DESC, proto",
                      "i", id);
    if (!r)
        return APC_ESTORE;
    n = PQntuples(r);
    if (n > 0 && !(m->protocols = calloc((size_t)n, sizeof *m->protocols)))
        rc = apc__err(APC_ENOMEM, "out of memory");
    for (int i = 0; rc == 0 && i < n; i++) {
        apc_proto_count_t *pc = &m->protocols[m->n_protocols++];
        pc->protocol = (int)apc__pg_i64(r, i, 0);
        pc->packets = (uint64_t)apc__pg_i64(r, i, 1);
        pc->bytes = (uint64_t)apc__pg_i64(r, i, 2);
    }
    PQclear(r);
    return rc;
}

static int cap_set_drops(void *impl, int64_t capture_id, uint64_t kernel_drops, uint64_t drops)
{
    return (int)ok_or(apc__pg_exec(impl, "recording drops",
                                   "UPDATE captures SET kernel_drops=$1, drops=$2 WHERE id=$3",
                                   "iii", (int64_t)kernel_drops, (int64_t)drops, capture_id));
}

static int cap_set_options(void *impl, int64_t capture_id, const apc__st_capture_opts_t *o)
{
    return (int)ok_or(apc__pg_exec(impl, "recording capture options",
                                   "UPDATE captures SET filter=$1, flags=$2, adapters=$3, pid=$4, "
                                   "tid=$5 WHERE id=$6",
                                   "titiii", o->filter, o->flags, o->adapters, o->pid, o->tid,
                                   capture_id));
}

static int cap_packets(void *impl, int64_t capture_id, uint64_t *packets)
{
    int64_t v = 0;
    int r = apc__pg_int(impl, "reading a capture", &v, "SELECT packets FROM captures WHERE id=$1",
                        "i", capture_id);
    if (r > 0)
        *packets = (uint64_t)v;
    return r;
}

static int cap_node_url(void *impl, const char *name, char **url)
{
    return apc__pg_text(impl, "reading a node", url, "SELECT url FROM nodes WHERE name=$1", "t",
                        name);
}

static int cap_ifaces(void *impl, int64_t capture_id, apc__st_iface_fn fn, void *payload)
{
    PGresult *r = apc__pg_query(impl, "reading interfaces",
                                "SELECT idx, linktype, snaplen, tsresol, name, description "
                                "FROM interfaces WHERE capture_id=$1 ORDER BY idx",
                                "i", capture_id);
    if (!r)
        return APC_ESTORE;
    /* The callbacks run on the result, with no lock held: they may call the store. */
    int rc = 0;
    for (int i = 0; rc == 0 && i < PQntuples(r); i++) {
        apc__st_iface_t f = {.idx = (uint32_t)apc__pg_i64(r, i, 0),
                             .linktype = (uint32_t)apc__pg_i64(r, i, 1),
                             .snaplen = (uint32_t)apc__pg_i64(r, i, 2),
                             .tsresol = (uint64_t)apc__pg_i64(r, i, 3),
                             .name = PQgetvalue(r, i, 4),
                             .description = PQgetvalue(r, i, 5)};
        rc = fn(&f, payload);
    }
    PQclear(r);
    return rc;
}

static int cap_notes(void *impl, int64_t capture_id, int64_t first, int64_t last,
                     apc__st_note_fn fn, void *payload)
{
    PGresult *r = apc__pg_query(impl, "reading packet notes",
                                "SELECT packet_id, notes FROM packet_notes WHERE capture_id=$1 "
                                "AND packet_id BETWEEN $2 AND $3 ORDER BY packet_id",
                                "iii", capture_id, first, last);
    if (!r)
        return APC_ESTORE;
    int rc = 0;
    for (int i = 0; rc == 0 && i < PQntuples(r); i++)
        rc = fn(apc__pg_i64(r, i, 0), PQgetvalue(r, i, 1), payload);
    PQclear(r);
    return rc;
}

const apc__captures_ops_t apc__pg_captures_ops = {
    .create = cap_create,
    .add_iface = cap_add_iface,
    .commit = apc__pg_capture_commit,
    .fail = cap_fail,
    .get = cap_get,
    .list = cap_list,
    .remove = cap_remove,
    .set_notes = cap_set_notes,
    .meta = cap_meta,
    .set_drops = cap_set_drops,
    .set_options = cap_set_options,
    .packets = cap_packets,
    .node_url = cap_node_url,
    .ifaces = cap_ifaces,
    .notes = cap_notes,
};
