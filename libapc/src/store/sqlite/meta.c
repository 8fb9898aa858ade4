/* SPDX-License-Identifier: MIT */
/* SQLite backend: what capture meta adds to a capture (times, interfaces, protocol counts). */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "store/sql.h"
#include "store/sqlite/sqlite_int.h"

static int load_ifaces(sqlite3 *db, apc_capture_meta_t *m)
{
    sqlite3_stmt *st;
    int r = apc__sql_prepare(db, "reading interfaces",
                             "SELECT idx, linktype, snaplen, name, description, packets FROM "
                             "interfaces WHERE capture_id=? ORDER BY idx",
                             &st);
    if (r < 0)
        return r;
    sqlite3_bind_int64(st, 1, m->capture->id);
    while (r == 0 && sqlite3_step(st) == SQLITE_ROW) {
        apc_capture_iface_t *ni = realloc(m->ifaces, (m->n_ifaces + 1) * sizeof *ni);
        if (!ni) {
            r = apc__err(APC_ENOMEM, "out of memory");
            break;
        }
        m->ifaces = ni;
        apc_capture_iface_t *f = &ni[m->n_ifaces++];
        f->index = (uint32_t)sqlite3_column_int64(st, 0);
        f->linktype = (uint32_t)sqlite3_column_int64(st, 1);
        f->snaplen = (uint32_t)sqlite3_column_int64(st, 2);
        f->name = apc__sql_text(st, 3);
        f->description = apc__sql_text(st, 4);
        f->packets = (uint64_t)sqlite3_column_int64(st, 5);
        if (!f->name || !f->description)
            r = apc__err(APC_ENOMEM, "out of memory");
    }
    sqlite3_finalize(st);
    return r;
}

static int load_protocols(sqlite3 *db, apc_capture_meta_t *m)
{
    sqlite3_stmt *st;
    int r = apc__sql_prepare(db, "reading protocol counts",
                             "SELECT proto, packets, bytes FROM capture_protocols WHERE "
                             "capture_id=? ORDER BY packets DESC, proto",
                             &st);
    if (r < 0)
        return r;
    sqlite3_bind_int64(st, 1, m->capture->id);
    while (sqlite3_step(st) == SQLITE_ROW) {
        apc_proto_count_t *np = realloc(m->protocols, (m->n_protocols + 1) * sizeof *np);
        if (!np) {
            r = apc__err(APC_ENOMEM, "out of memory");
            break;
        }
        m->protocols = np;
        apc_proto_count_t *pc = &np[m->n_protocols++];
        pc->protocol = sqlite3_column_int(st, 0);
        pc->packets = (uint64_t)sqlite3_column_int64(st, 1);
        pc->bytes = (uint64_t)sqlite3_column_int64(st, 2);
    }
    sqlite3_finalize(st);
    return r;
}

int apc__sqlite_capture_meta(void *impl, apc_capture_meta_t *m)
{
    apc__store_t *s = impl;
    apc__sqlc_t *c = apc__sqlc_get(s);
    if (!c)
        return APC_ESTORE;
    sqlite3 *db = apc__sqlc_db(c);
    int64_t id = m->capture->id;
    int r = apc__sql_int(db, "reading a capture", &m->first_time,
                         "SELECT first_time FROM captures WHERE id=?", "i", id);
    if (r >= 0)
        r = apc__sql_int(db, "reading a capture", &m->last_time,
                         "SELECT last_time FROM captures WHERE id=?", "i", id);
    if (r >= 0)
        r = load_ifaces(db, m);
    if (r >= 0)
        r = load_protocols(db, m);
    apc__sqlc_put(s, c);
    return r < 0 ? r : 0;
}
