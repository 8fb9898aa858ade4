/* SPDX-License-Identifier: MIT */
/* Triggers and actions in apc.db (store/triggers.h): all their SQL. */
#include "store/triggers.h"
#include "store/sqlite/sqlite_int.h"

#include <stdlib.h>
#include <string.h>

#include "core/ctx.h"
#include "core/error.h"
#include "store/sql.h"
#include "util/array.h"
#include "util/clock.h"

/* drops: what its captures lost (their drops and kernel drops); missed: its firings that
 * started no capture (trigger_captures has a row for each one that did). */
#define T_COLS                                                                                     \
    "id, name, type, path, filter, flags, times_fired, last_fired, last_capture_id, last_error, "  \
    "(SELECT COALESCE(SUM(c.drops + c.kernel_drops), 0) FROM trigger_captures tc JOIN captures c " \
    "ON c.id = tc.capture_id WHERE tc.trigger_id = triggers.id), "                                 \
    "MAX(0, times_fired - (SELECT COUNT(*) FROM trigger_captures tc "                              \
    "WHERE tc.trigger_id = triggers.id))"
#define A_COLS                                                                                     \
    "id, name, type, path, params, system_wide, last_run, last_capture_id, last_status, "          \
    "last_error, last_output, last_file"

static void trigger_clear(apc_trigger_t *t)
{
    free(t->name);
    free(t->path);
    free(t->filter);
    free(t->action_ids);
    free(t->last_error);
    free(t->watcher);
}

static void action_clear(apc_action_t *a)
{
    free(a->name);
    free(a->path);
    free(a->params);
    free(a->trigger_ids);
    free(a->last_error);
    free(a->last_output);
    free(a->last_file);
}

APC_API void apc_trigger_free(apc_trigger_t *t)
{
    if (t) {
        trigger_clear(t);
        free(t);
    }
}

APC_API void apc_trigger_list_free(apc_trigger_list_t *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->count; i++)
        trigger_clear(&l->items[i]);
    free(l->items);
    free(l);
}

APC_API void apc_action_free(apc_action_t *a)
{
    if (a) {
        action_clear(a);
        free(a);
    }
}

APC_API void apc_action_list_free(apc_action_list_t *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->count; i++)
        action_clear(&l->items[i]);
    free(l->items);
    free(l);
}

/* APC_ENOTFOUND unless row `id` exists in `table` ("trigger"/"action" name the message). */
static int exists(sqlite3 *db, const char *what, int64_t id)
{
    int64_t n = 0;
    int r = apc__sql_int(db, "looking up an id", &n,
                         strcmp(what, "trigger") == 0 ? "SELECT 1 FROM triggers WHERE id=?"
                                                      : "SELECT 1 FROM actions WHERE id=?",
                         "i", id);
    if (r < 0)
        return r;
    return r == 1 ? 0 : apc__err(APC_ENOTFOUND, "%s %lld not found", what, (long long)id);
}

static int sq_trigger_add(void *impl, const apc_trigger_t *t, int64_t *out_id)
{
    apc__store_t *s = impl;
    sqlite3 *db = apc__db_get(s);
    if (!db)
        return APC_ESTORE;
    int r = apc__sql_exec(db, "adding a trigger",
                          "INSERT INTO triggers(name, type, path, filter, flags, created) "
                          "VALUES(?,?,?,?,?,?)",
                          "tittii", t->name, (int64_t)t->type, t->path, t->filter ? t->filter : "",
                          (int64_t)t->flags, apc__real_ns());
    if (r == 0 && out_id)
        *out_id = sqlite3_last_insert_rowid(db);
    apc__db_put(s, db);
    return r;
}

static int sq_trigger_mod(void *impl, int64_t id, const char *filter, uint32_t flags)
{
    apc__store_t *s = impl;
    sqlite3 *db = apc__db_get(s);
    if (!db)
        return APC_ESTORE;
    int r = exists(db, "trigger", id);
    if (r == 0)
        r = apc__sql_exec(db, "changing a trigger",
                          "UPDATE triggers SET filter=?, flags=? "
                          "WHERE id=?",
                          "tii", filter ? filter : "", (int64_t)flags, id);
    apc__db_put(s, db);
    return r;
}

static int sq_trigger_remove(void *impl, int64_t id)
{
    apc__store_t *s = impl;
    sqlite3 *db = apc__db_get(s);
    if (!db)
        return APC_ESTORE;
    int r = exists(db, "trigger", id);
    if (r == 0)
        r = apc__sql_exec(db, "removing a trigger", "DELETE FROM triggers WHERE id=?", "i", id);
    apc__db_put(s, db);
    return r;
}

static int row_trigger(sqlite3_stmt *st, apc_trigger_t *t)
{
    t->id = sqlite3_column_int64(st, 0);
    t->name = apc__sql_text(st, 1);
    t->type = sqlite3_column_int(st, 2);
    t->path = apc__sql_text(st, 3);
    t->filter = apc__sql_text(st, 4);
    t->flags = (uint32_t)sqlite3_column_int64(st, 5);
    t->times_fired = (uint64_t)sqlite3_column_int64(st, 6);
    t->last_fired = sqlite3_column_int64(st, 7);
    t->last_capture_id = sqlite3_column_int64(st, 8);
    t->last_error = apc__sql_text(st, 9);
    t->drops = (uint64_t)sqlite3_column_int64(st, 10);
    t->missed = (uint64_t)sqlite3_column_int64(st, 11);
    t->enabled = 1;
    return t->name && t->path && t->filter && t->last_error ? 0 : APC_ENOMEM;
}

static int row_action(sqlite3_stmt *st, apc_action_t *a)
{
    a->id = sqlite3_column_int64(st, 0);
    a->name = apc__sql_text(st, 1);
    a->type = sqlite3_column_int(st, 2);
    a->path = apc__sql_text(st, 3);
    a->params = apc__sql_text(st, 4);
    a->system_wide = sqlite3_column_int(st, 5);
    a->last_run = sqlite3_column_int64(st, 6);
    a->last_capture_id = sqlite3_column_int64(st, 7);
    a->last_status = sqlite3_column_int(st, 8);
    a->last_error = apc__sql_text(st, 9);
    a->last_output = apc__sql_text(st, 10);
    a->last_file = apc__sql_text(st, 11);
    return a->name && a->path && a->params && a->last_error && a->last_output && a->last_file
               ? 0
               : APC_ENOMEM;
}

static int push_id(int64_t **ids, size_t *n, int64_t id)
{
    int64_t *p = realloc(*ids, (*n + 1) * sizeof **ids);
    if (!p)
        return APC_ENOMEM;
    p[(*n)++] = id;
    *ids = p;
    return 0;
}

/* The links, attached to the records loaded: action ids to triggers, trigger ids to actions. */
static int load_links(sqlite3 *db, apc_trigger_list_t *tl, apc_action_list_t *al)
{
    sqlite3_stmt *st;
    int r = apc__sql_prepare(db, "reading trigger links",
                             "SELECT trigger_id, action_id FROM trigger_actions "
                             "ORDER BY trigger_id, action_id",
                             &st);
    int rc;
    while (r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t tid = sqlite3_column_int64(st, 0), aid = sqlite3_column_int64(st, 1);
        for (size_t i = 0; tl && r == 0 && i < tl->count; i++)
            if (tl->items[i].id == tid)
                r = push_id(&tl->items[i].action_ids, &tl->items[i].n_actions, aid);
        for (size_t i = 0; al && r == 0 && i < al->count; i++)
            if (al->items[i].id == aid)
                r = push_id(&al->items[i].trigger_ids, &al->items[i].n_triggers, tid);
    }
    if (r == 0 && rc != SQLITE_DONE)
        r = apc__db_err(db, rc, "reading trigger links");
    if (r == APC_ENOMEM)
        r = apc__err(APC_ENOMEM, "out of memory");
    sqlite3_finalize(st);
    return r;
}

static int sq_trigger_list(void *impl, int64_t id, apc_trigger_list_t *l)
{
    apc__store_t *s = impl;
    sqlite3 *db = apc__db_get(s);
    if (!db)
        return APC_ESTORE;
    size_t cap = 0;
    sqlite3_stmt *st;
    int r = id ? exists(db, "trigger", id) : 0;
    if (r == 0)
        r = apc__sql_prepare(db, "listing triggers",
                             "SELECT " T_COLS " FROM triggers WHERE ?1=0 OR id=?1 ORDER BY id",
                             &st);
    if (r < 0) {
        apc__db_put(s, db);
        return r;
    }
    sqlite3_bind_int64(st, 1, id);
    int rc;
    while (r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (apc__grow((void **)&l->items, &cap, l->count + 1, sizeof *l->items) < 0) {
            r = APC_ENOMEM;
            break;
        }
        memset(&l->items[l->count], 0, sizeof *l->items);
        r = row_trigger(st, &l->items[l->count++]);
    }
    if (r == 0 && rc != SQLITE_DONE)
        r = apc__db_err(db, rc, "listing triggers");
    sqlite3_finalize(st);
    if (r == APC_ENOMEM)
        r = apc__err(APC_ENOMEM, "out of memory");
    if (r == 0)
        r = load_links(db, l, NULL);
    apc__db_put(s, db);
    return r;
}

static int sq_trigger_fired(void *impl, int64_t id, apc_time_t when, int64_t capture_id,
                            int64_t pid, const char *program, const char *error)
{
    apc__store_t *s = impl;
    sqlite3 *db = apc__db_get(s);
    if (!db)
        return APC_ESTORE;
    int r = apc__sql_exec(db, "recording a firing",
                          "UPDATE triggers SET times_fired=times_fired+1, last_fired=?, "
                          "last_capture_id=?, last_error=? WHERE id=?",
                          "iiti", when, capture_id, error ? error : "", id);
    if (r == 0 && capture_id > 0)
        r = apc__sql_exec(db, "recording a triggered capture",
                          "INSERT OR REPLACE INTO trigger_captures(capture_id, trigger_id, pid, "
                          "program, time) VALUES(?,?,?,?,?)",
                          "iiiti", capture_id, id, pid, program ? program : "", when);
    apc__db_put(s, db);
    return r;
}

static int sq_trigger_of_capture(void *impl, int64_t capture_id, int64_t *out)
{
    apc__store_t *s = impl;
    sqlite3 *db = apc__db_get(s);
    if (!db)
        return APC_ESTORE;
    *out = 0;
    int r =
        apc__sql_int(db, "reading a triggered capture", out,
                     "SELECT trigger_id FROM trigger_captures WHERE capture_id=?", "i", capture_id);
    apc__db_put(s, db);
    return r < 0 ? r : 0;
}

static int sq_trigger_link(void *impl, int64_t trigger_id, int64_t action_id)
{
    apc__store_t *s = impl;
    sqlite3 *db = apc__db_get(s);
    if (!db)
        return APC_ESTORE;
    int r = exists(db, "trigger", trigger_id);
    if (r == 0)
        r = exists(db, "action", action_id);
    if (r == 0 && (r = apc__sql_begin(db)) == 0) {
        r = apc__sql_exec(db, "linking an action",
                          "INSERT OR IGNORE INTO trigger_actions(trigger_id, action_id) "
                          "VALUES(?,?)",
                          "ii", trigger_id, action_id);
        if (r == 0)
            r = apc__sql_exec(db, "linking an action",
                              "UPDATE actions SET system_wide=0 WHERE id=?", "i", action_id);
        if (r == 0)
            r = apc__sql_commit(db, "linking an action");
        else
            apc__sql_rollback(db);
    }
    apc__db_put(s, db);
    return r;
}

static int sq_trigger_unlink_all(void *impl, int64_t trigger_id)
{
    apc__store_t *s = impl;
    sqlite3 *db = apc__db_get(s);
    if (!db)
        return APC_ESTORE;
    int r = exists(db, "trigger", trigger_id);
    if (r == 0)
        r = apc__sql_exec(db, "clearing a trigger's actions",
                          "DELETE FROM trigger_actions WHERE trigger_id=?", "i", trigger_id);
    apc__db_put(s, db);
    return r;
}

static int sq_action_add(void *impl, const apc_action_t *a, int64_t trigger_id, int64_t *out_id)
{
    apc__store_t *s = impl;
    sqlite3 *db = apc__db_get(s);
    if (!db)
        return APC_ESTORE;
    int r = trigger_id ? exists(db, "trigger", trigger_id) : 0;
    if (r == 0 && (r = apc__sql_begin(db)) == 0) {
        r = apc__sql_exec(db, "adding an action",
                          "INSERT INTO actions(name, type, path, params, system_wide, created) "
                          "VALUES(?,?,?,?,?,?)",
                          "tittii", a->name, (int64_t)a->type, a->path, a->params ? a->params : "",
                          (int64_t)(trigger_id == 0), apc__real_ns());
        int64_t id = sqlite3_last_insert_rowid(db);
        if (r == 0 && trigger_id)
            r = apc__sql_exec(db, "adding an action",
                              "INSERT INTO trigger_actions(trigger_id, action_id) VALUES(?,?)",
                              "ii", trigger_id, id);
        if (r == 0)
            r = apc__sql_commit(db, "adding an action");
        else
            apc__sql_rollback(db);
        if (r == 0 && out_id)
            *out_id = id;
    }
    apc__db_put(s, db);
    return r;
}

static int sq_action_mod(void *impl, int64_t id, const char *name, const char *path,
                         const char *params)
{
    apc__store_t *s = impl;
    sqlite3 *db = apc__db_get(s);
    if (!db)
        return APC_ESTORE;
    int r = exists(db, "action", id);
    if (r == 0)
        r = apc__sql_exec(db, "changing an action",
                          "UPDATE actions SET name=coalesce(?, name), path=coalesce(?, path), "
                          "params=coalesce(?, params) WHERE id=?",
                          "ttti", name, path, params, id);
    apc__db_put(s, db);
    return r;
}

static int sq_action_remove(void *impl, int64_t id)
{
    apc__store_t *s = impl;
    sqlite3 *db = apc__db_get(s);
    if (!db)
        return APC_ESTORE;
    int r = exists(db, "action", id);
    if (r == 0)
        r = apc__sql_exec(db, "removing an action", "DELETE FROM actions WHERE id=?", "i", id);
    apc__db_put(s, db);
    return r;
}

static int sq_action_system(void *impl, int64_t id)
{
    apc__store_t *s = impl;
    sqlite3 *db = apc__db_get(s);
    if (!db)
        return APC_ESTORE;
    int r = exists(db, "action", id);
    if (r == 0 && (r = apc__sql_begin(db)) == 0) {
        r = apc__sql_exec(db, "clearing an action's triggers",
                          "DELETE FROM trigger_actions WHERE action_id=?", "i", id);
        if (r == 0)
            r = apc__sql_exec(db, "clearing an action's triggers",
                              "UPDATE actions SET system_wide=1 WHERE id=?", "i", id);
        if (r == 0)
            r = apc__sql_commit(db, "clearing an action's triggers");
        else
            apc__sql_rollback(db);
    }
    apc__db_put(s, db);
    return r;
}

static const char *action_query(int mode)
{
    switch (mode) {
    case APC__ACT_ONE:
        return "SELECT " A_COLS " FROM actions WHERE id=?1";
    case APC__ACT_OF_TRIGGER:
        return "SELECT " A_COLS " FROM actions WHERE id IN "
               "(SELECT action_id FROM trigger_actions WHERE trigger_id=?1) ORDER BY id";
    case APC__ACT_TO_RUN:
        return "SELECT " A_COLS " FROM actions WHERE id IN "
               "(SELECT action_id FROM trigger_actions WHERE trigger_id=?1) OR system_wide=1 "
               "ORDER BY system_wide, id";
    default:
        return "SELECT " A_COLS " FROM actions WHERE ?1=?1 ORDER BY id";
    }
}

static int sq_action_list(void *impl, int mode, int64_t id, apc_action_list_t *l)
{
    apc__store_t *s = impl;
    sqlite3 *db = apc__db_get(s);
    if (!db)
        return APC_ESTORE;
    int r = mode == APC__ACT_ONE          ? exists(db, "action", id)
            : mode == APC__ACT_ALL        ? 0
            : mode == APC__ACT_OF_TRIGGER ? exists(db, "trigger", id)
                                          : 0;
    sqlite3_stmt *st;
    if (r == 0)
        r = apc__sql_prepare(db, "listing actions", action_query(mode), &st);
    if (r < 0) {
        apc__db_put(s, db);
        return r;
    }
    sqlite3_bind_int64(st, 1, id);
    size_t cap = 0;
    int rc;
    while (r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (apc__grow((void **)&l->items, &cap, l->count + 1, sizeof *l->items) < 0) {
            r = APC_ENOMEM;
            break;
        }
        memset(&l->items[l->count], 0, sizeof *l->items);
        r = row_action(st, &l->items[l->count++]);
    }
    if (r == 0 && rc != SQLITE_DONE)
        r = apc__db_err(db, rc, "listing actions");
    sqlite3_finalize(st);
    if (r == APC_ENOMEM)
        r = apc__err(APC_ENOMEM, "out of memory");
    if (r == 0)
        r = load_links(db, NULL, l);
    apc__db_put(s, db);
    return r;
}

static int sq_action_ran(void *impl, const apc_action_t *a)
{
    apc__store_t *s = impl;
    sqlite3 *db = apc__db_get(s);
    if (!db)
        return APC_ESTORE;
    int r = apc__sql_exec(db, "recording an action's run",
                          "UPDATE actions SET last_run=?, last_capture_id=?, last_status=?, "
                          "last_error=?, last_output=?, last_file=? WHERE id=?",
                          "iiittti", a->last_run, a->last_capture_id, (int64_t)a->last_status,
                          a->last_error ? a->last_error : "", a->last_output ? a->last_output : "",
                          a->last_file ? a->last_file : "", a->id);
    apc__db_put(s, db);
    return r;
}

const apc__triggers_ops_t apc__sqlite_triggers_ops = {
    .trigger_add = sq_trigger_add,
    .trigger_mod = sq_trigger_mod,
    .trigger_remove = sq_trigger_remove,
    .trigger_list = sq_trigger_list,
    .trigger_fired = sq_trigger_fired,
    .trigger_of_capture = sq_trigger_of_capture,
    .trigger_link = sq_trigger_link,
    .trigger_unlink_all = sq_trigger_unlink_all,
    .action_add = sq_action_add,
    .action_mod = sq_action_mod,
    .action_remove = sq_action_remove,
    .action_system = sq_action_system,
    .action_list = sq_action_list,
    .action_ran = sq_action_ran,
};
