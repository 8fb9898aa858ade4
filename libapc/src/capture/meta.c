/* SPDX-License-Identifier: MIT */
/* capture meta: a capture with its packet range, interfaces and protocol counts. */
#include <stdlib.h>
#include <string.h>

#include <apc/capture.h>

#include "core/ctx.h"
#include "core/error.h"
#include "store/sql.h"
#include "store/store.h"

APC_API void apc_capture_meta_free(apc_capture_meta_t *m)
{
    if (!m)
        return;
    apc_capture_free(m->capture);
    for (size_t i = 0; i < m->n_ifaces; i++) {
        free(m->ifaces[i].name);
        free(m->ifaces[i].description);
    }
    free(m->ifaces);
    free(m->protocols);
    free(m);
}

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

APC_API int apc_capture_meta(apc_ctx_t *ctx, int64_t id, apc_capture_meta_t **out)
{
    if (!ctx || !out)
        return apc__err(APC_EINVAL, "NULL argument");
    *out = NULL;
    apc_capture_meta_t *m = calloc(1, sizeof *m);
    if (!m)
        return apc__err(APC_ENOMEM, "out of memory");
    int r = apc_capture_get(ctx, id, &m->capture);
    if (r < 0) {
        free(m);
        return r;
    }
    sqlite3 *db = apc__db_get(ctx->store);
    if (!db) {
        apc_capture_meta_free(m);
        return APC_ESTORE;
    }
    int64_t first = 0, last = 0;
    r = apc__sql_int(db, "reading a capture", &first, "SELECT first_time FROM captures WHERE id=?",
                     "i", id);
    if (r >= 0)
        r = apc__sql_int(db, "reading a capture", &last,
                         "SELECT last_time FROM captures WHERE id=?", "i", id);
    if (r >= 0)
        r = load_ifaces(db, m);
    if (r >= 0)
        r = load_protocols(db, m);
    apc__db_put(ctx->store, db);
    if (r < 0) {
        apc_capture_meta_free(m);
        return r;
    }
    /* Packet ids are dense: 1 .. packets. */
    if (m->capture->packets) {
        m->first_packet_id = 1;
        m->last_packet_id = (int64_t)m->capture->packets;
        m->first_time = first;
        m->last_time = last;
    }
    *out = m;
    return 0;
}
