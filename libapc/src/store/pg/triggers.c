/* SPDX-License-Identifier: MIT */
/*
 * PostgreSQL backend: triggers and actions (store/triggers.h says what each call does). The
 * tables are the fleet's: every node's watcher arms the same triggers on its own host, and a
 * firing records the capture it started (a fleet-wide id) in trigger_captures.
 */
#include <stdlib.h>
#include <string.h>

#include "store/triggers.h"

#include "core/error.h"
#include "store/pg/pg_int.h"
#include "util/array.h"
#include "util/clock.h"

/* drops: what its captures lost (their drops and kernel drops); missed: its firings that
 * started no capture (trigger_captures has a row for each one that did). */
#define T_COLS                                                                                     \
    "id, name, type, path, filter, flags, times_fired, last_fired, last_capture_id, last_error, "  \
    "(SELECT COALESCE(SUM(c.drops + c.kernel_drops), 0)::bigint FROM trigger_captures tc JOIN "    \
    "captures c "                                                                                  \
    "ON c.id = tc.capture_id WHERE tc.trigger_id = triggers.id), "                                 \
    "GREATEST(0, times_fired - (SELECT COUNT(*) FROM trigger_captures tc "                         \
    "WHERE tc.trigger_id = triggers.id))"
#define A_COLS                                                                                     \
    "id, name, type, path, params, system_wide, last_run, last_capture_id, last_status, "          \
    "last_error, last_output, last_file"

static int ok_or(int64_t r)
{
    return r < 0 ? (int)r : 0;
}

/* APC_ENOTFOUND unless trigger (or action) `id` exists. */
static int exists(apc__pg_t *pg, int trigger, int64_t id)
{
    int64_t one;
    int r = apc__pg_int(pg, "looking up an id", &one,
                        trigger ? "SELECT 1 FROM triggers WHERE id=$1"
                                : "SELECT 1 FROM actions WHERE id=$1",
                        "i", id);
    if (r < 0)
        return r;
    return r ? 0
             : apc__err(APC_ENOTFOUND, "%s %lld not found", trigger ? "trigger" : "action",
                        (long long)id);
}

static int tr_add(void *impl, const apc_trigger_t *t, int64_t *out_id)
{
    int64_t id = 0;
    int r = apc__pg_int(impl, "adding a trigger", &id,
                        "INSERT INTO triggers(name, type, path, filter, flags, created) "
                        "VALUES($1,$2,$3,$4,$5,$6) RETURNING id",
                        "tittii", t->name, (int64_t)t->type, t->path, t->filter ? t->filter : "",
                        (int64_t)t->flags, apc__real_ns());
    if (r > 0 && out_id)
        *out_id = id;
    return r < 0 ? r : 0;
}

static int tr_mod(void *impl, int64_t id, const char *filter, uint32_t flags)
{
    int r = exists(impl, 1, id);
    return r < 0 ? r
                 : ok_or(apc__pg_exec(impl, "changing a trigger",
                                      "UPDATE triggers SET filter=$1, flags=$2 WHERE id=$3", "tii",
                                      filter ? filter : "", (int64_t)flags, id));
}

static int tr_remove(void *impl, int64_t id)
{
    int r = exists(impl, 1, id);
    return r < 0 ? r
                 : ok_or(apc__pg_exec(impl, "removing a trigger",
                                      "DELETE FROM triggers WHERE id=$1", "i", id));
}

static int push_id(int64_t **ids, size_t *n, int64_t id)
{
    size_t cap = *n; /* grown one at a time: a trigger has a few actions */
    if (apc__grow((void **)ids, &cap, *n + 1, sizeof **ids) < 0)
        return apc__err(APC_ENOMEM, "out of memory");
    (*ids)[(*n)++] = id;
    return 0;
}

/* A new zeroed element at the end of a list of `size`-byte records; NULL (error set) when out
 * of memory. */
static void *append(void **items, size_t *count, size_t *cap, size_t size)
{
    if (apc__grow(items, cap, *count + 1, size) < 0) {
        apc__err(APC_ENOMEM, "out of memory");
        return NULL;
    }
    char *slot = (char *)*items + (*count)++ * size;
    memset(slot, 0, size);
    return slot;
}

/* The links, attached to the records loaded: action ids to triggers, trigger ids to actions. */
static int load_links(apc__pg_t *pg, apc_trigger_list_t *tl, apc_action_list_t *al)
{
    PGresult *r = apc__pg_query(pg, "reading trigger links",
                                "SELECT trigger_id, action_id FROM trigger_actions "
                                "ORDER BY trigger_id, action_id",
                                "");
    if (!r)
        return APC_ESTORE;
    int rc = 0;
    for (int row = 0; rc == 0 && row < PQntuples(r); row++) {
        int64_t tid = apc__pg_i64(r, row, 0), aid = apc__pg_i64(r, row, 1);
        for (size_t i = 0; tl && rc == 0 && i < tl->count; i++)
            if (tl->items[i].id == tid)
                rc = push_id(&tl->items[i].action_ids, &tl->items[i].n_actions, aid);
        for (size_t i = 0; al && rc == 0 && i < al->count; i++)
            if (al->items[i].id == aid)
                rc = push_id(&al->items[i].trigger_ids, &al->items[i].n_triggers, tid);
    }
    PQclear(r);
    return rc;
}

static int tr_list(void *impl, int64_t id, apc_trigger_list_t *l)
{
    int rc = id ? exists(impl, 1, id) : 0;
    if (rc < 0)
        return rc;
    PGresult *r =
        apc__pg_query(impl, "listing triggers",
                      "SELECT " T_COLS " FROM triggers WHERE $1=0 OR id=$1 ORDER BY id", "i", id);
    if (!r)
        return APC_ESTORE;
    size_t cap = 0;
    for (int i = 0; rc == 0 && i < PQntuples(r); i++) {
        apc_trigger_t *t = append((void **)&l->items, &l->count, &cap, sizeof *t);
        if (!t) {
            rc = APC_ENOMEM;
            break;
        }
        t->id = apc__pg_i64(r, i, 0);
        t->name = apc__pg_str(r, i, 1);
        t->type = (int)apc__pg_i64(r, i, 2);
        t->path = apc__pg_str(r, i, 3);
        t->filter = apc__pg_str(r, i, 4);
        t->flags = (uint32_t)apc__pg_i64(r, i, 5);
        t->times_fired = (uint64_t)apc__pg_i64(r, i, 6);
        t->last_fired = apc__pg_i64(r, i, 7);
        t->last_capture_id = apc__pg_i64(r, i, 8);
        t->last_error = apc__pg_str(r, i, 9);
        t->drops = (uint64_t)apc__pg_i64(r, i, 10);
        t->missed = (uint64_t)apc__pg_i64(r, i, 11);
        t->enabled = 1;
        if (!t->name || !t->path || !t->filter || !t->last_error)
            rc = apc__err(APC_ENOMEM, "out of memory");
    }
    PQclear(r);
    return rc < 0 ? rc : load_links(impl, l, NULL);
}

static int tr_fired(void *impl, int64_t id, apc_time_t when, int64_t capture_id, int64_t pid,
                    const char *program, const char *error)
{
    apc__pg_t *pg = impl;
    const char *what = "recording a firing";
    int r = apc__pg_begin(pg, what);
    if (r < 0)
        return r;
    r = ok_or(apc__pg_exec(pg, what,
                           "UPDATE triggers SET times_fired=times_fired+1, last_fired=$1, "
                           "last_capture_id=$2, last_error=$3 WHERE id=$4",
                           "iiti", when, capture_id, error ? error : "", id));
    if (r == 0 && capture_id > 0)
        r = ok_or(apc__pg_exec(pg, what,
                               "INSERT INTO trigger_captures(capture_id, trigger_id, pid, program, "
                               "time) VALUES($1,$2,$3,$4,$5) ON CONFLICT(capture_id) DO UPDATE "
                               "SET trigger_id=excluded.trigger_id, pid=excluded.pid, "
                               "program=excluded.program, time=excluded.time",
                               "iiiti", capture_id, id, pid, program ? program : "", when));
    return apc__pg_end(pg, what, r);
}

static int tr_of_capture(void *impl, int64_t capture_id, int64_t *out)
{
    *out = 0;
    int r =
        apc__pg_int(impl, "reading a triggered capture", out,
                    "SELECT trigger_id FROM trigger_captures WHERE capture_id=$1", "i", capture_id);
    return r < 0 ? r : 0;
}

static int tr_link(void *impl, int64_t trigger_id, int64_t action_id)
{
    apc__pg_t *pg = impl;
    const char *what = "linking an action";
    int r = exists(pg, 1, trigger_id);
    if (r == 0)
        r = exists(pg, 0, action_id);
    if (r < 0 || (r = apc__pg_begin(pg, what)) < 0)
        return r;
    r = ok_or(apc__pg_exec(pg, what,
                           "INSERT INTO trigger_actions(trigger_id, action_id) VALUES($1,$2) "
                           "ON CONFLICT DO NOTHING",
                           "ii", trigger_id, action_id));
    if (r == 0)
        r = ok_or(
            apc__pg_exec(pg, what, "UPDATE actions SET system_wide=0 WHERE id=$1", "i", action_id));
    return apc__pg_end(pg, what, r);
}

static int tr_unlink_all(void *impl, int64_t trigger_id)
{
    int r = exists(impl, 1, trigger_id);
    return r < 0 ? r
                 : ok_or(apc__pg_exec(impl, "clearing a trigger's actions",
                                      "DELETE FROM trigger_actions WHERE trigger_id=$1", "i",
                                      trigger_id));
}

static int ac_add(void *impl, const apc_action_t *a, int64_t trigger_id, int64_t *out_id)
{
    apc__pg_t *pg = impl;
    const char *what = "adding an action";
    int r = trigger_id ? exists(pg, 1, trigger_id) : 0;
    if (r < 0 || (r = apc__pg_begin(pg, what)) < 0)
        return r;
    int64_t id = 0;
    r = apc__pg_int(pg, what, &id,
                    "INSERT INTO actions(name, type, path, params, system_wide, created) "
                    "VALUES($1,$2,$3,$4,$5,$6) RETURNING id",
                    "tittii", a->name, (int64_t)a->type, a->path, a->params ? a->params : "",
                    (int64_t)(trigger_id == 0), apc__real_ns());
    r = r < 0 ? r : 0;
    if (r == 0 && trigger_id)
        r = ok_or(apc__pg_exec(pg, what,
                               "INSERT INTO trigger_actions(trigger_id, action_id) VALUES($1,$2)",
                               "ii", trigger_id, id));
    r = apc__pg_end(pg, what, r);
    if (r == 0 && out_id)
        *out_id = id;
    return r;
}

static int ac_mod(void *impl, int64_t id, const char *name, const char *path, const char *params)
{
    int r = exists(impl, 0, id);
    return r < 0 ? r
                 : ok_or(apc__pg_exec(impl, "changing an action",
                                      "UPDATE actions SET name=coalesce($1, name), "
                                      "path=coalesce($2, path), params=coalesce($3, params) "
                                      "WHERE id=$4",
                                      "ttti", name, path, params, id));
}

static int ac_remove(void *impl, int64_t id)
{
    int r = exists(impl, 0, id);
    return r < 0 ? r
                 : ok_or(apc__pg_exec(impl, "removing an action", "DELETE FROM actions WHERE id=$1",
                                      "i", id));
}

static int ac_system(void *impl, int64_t id)
{
    apc__pg_t *pg = impl;
    const char *what = "clearing an action's triggers";
    int r = exists(pg, 0, id);
    if (r < 0 || (r = apc__pg_begin(pg, what)) < 0)
        return r;
    r = ok_or(apc__pg_exec(pg, what, "DELETE FROM trigger_actions WHERE action_id=$1", "i", id));
    if (r == 0)
        r = ok_or(apc__pg_exec(pg, what, "UPDATE actions SET system_wide=1 WHERE id=$1", "i", id));
    return apc__pg_end(pg, what, r);
}

static const char *action_query(int mode)
{
    switch (mode) {
    case APC__ACT_ONE:
        return "SELECT " A_COLS " FROM actions WHERE id=$1";
    case APC__ACT_OF_TRIGGER:
        return "SELECT " A_COLS " FROM actions WHERE id IN "
               "(SELECT action_id FROM trigger_actions WHERE trigger_id=$1) ORDER BY id";
    case APC__ACT_TO_RUN:
        return "SELECT " A_COLS " FROM actions WHERE id IN "
               "(SELECT action_id FROM trigger_actions WHERE trigger_id=$1) OR system_wide=1 "
               "ORDER BY system_wide, id";
    default:
        return "SELECT " A_COLS " FROM actions WHERE $1::bigint IS NOT NULL ORDER BY id";
    }
}

static int ac_list(void *impl, int mode, int64_t id, apc_action_list_t *l)
{
    int rc = mode == APC__ACT_ONE          ? exists(impl, 0, id)
             : mode == APC__ACT_OF_TRIGGER ? exists(impl, 1, id)
                                           : 0;
    if (rc < 0)
        return rc;
    PGresult *r = apc__pg_query(impl, "listing actions", action_query(mode), "i", id);
    if (!r)
        return APC_ESTORE;
    size_t cap = 0;
    for (int i = 0; rc == 0 && i < PQntuples(r); i++) {
        apc_action_t *a = append((void **)&l->items, &l->count, &cap, sizeof *a);
        if (!a) {
            rc = APC_ENOMEM;
            break;
        }
        a->id = apc__pg_i64(r, i, 0);
        a->name = apc__pg_str(r, i, 1);
        a->type = (int)apc__pg_i64(r, i, 2);
        a->path = apc__pg_str(r, i, 3);
        a->params = apc__pg_str(r, i, 4);
        a->system_wide = (int)apc__pg_i64(r, i, 5);
        a->last_run = apc__pg_i64(r, i, 6);
        a->last_capture_id = apc__pg_i64(r, i, 7);
        a->last_status = (int)apc__pg_i64(r, i, 8);
        a->last_error = apc__pg_str(r, i, 9);
        a->last_output = apc__pg_str(r, i, 10);
        a->last_file = apc__pg_str(r, i, 11);
        if (!a->name || !a->path || !a->params || !a->last_error || !a->last_output ||
            !a->last_file)
            rc = apc__err(APC_ENOMEM, "out of memory");
    }
    PQclear(r);
    return rc < 0 ? rc : load_links(impl, NULL, l);
}

static int ac_ran(void *impl, const apc_action_t *a)
{
    return ok_or(apc__pg_exec(impl, "recording an action's run",
                              "UPDATE actions SET last_run=$1, last_capture_id=$2, "
                              "last_status=$3, last_error=$4, last_output=$5, last_file=$6 "
                              "WHERE id=$7",
                              "iiittti", a->last_run, a->last_capture_id, (int64_t)a->last_status,
                              a->last_error ? a->last_error : "",
                              a->last_output ? a->last_output : "",
                              a->last_file ? a->last_file : "", a->id));
}

const apc__triggers_ops_t apc__pg_triggers_ops = {
    .trigger_add = tr_add,
    .trigger_mod = tr_mod,
    .trigger_remove = tr_remove,
    .trigger_list = tr_list,
    .trigger_fired = tr_fired,
    .trigger_of_capture = tr_of_capture,
    .trigger_link = tr_link,
    .trigger_unlink_all = tr_unlink_all,
    .action_add = ac_add,
    .action_mod = ac_mod,
    .action_remove = ac_remove,
    .action_system = ac_system,
    .action_list = ac_list,
    .action_ran = ac_ran,
};
