/* SPDX-License-Identifier: MIT */
/*
 * Lists read by last_id (issue 12: "every list pages to the end with --all and says when more
 * remain"). Without --all one page is printed and, when more remain, stderr says how to read
 * the next one; with --all every page is read (the largest page size unless count= is given)
 * and printed as one list, or, with --json, one RESPONSE per page.
 */
#include <stdlib.h>
#include <string.h>

#include "apcctl.h"

bool apcctl_op_pages(const apc_op_info_t *op)
{
    return op && apcctl_op_has_param(op, "last_id");
}

/* A reply read as a page. Two kinds: an object with More, LastId and one array
 * (PACKETSTREAM, SEARCHLIST...), and the bare array of an action answering "listOf X"
 * (connections, processes, IPs) whose cursor is the last item's id and which may have more
 * when it is full (`count` items). */
typedef struct page {
    cJSON *items;
    bool more;
    int64_t last;
} page_t;

/* The field of a listed record that last_id counts. */
static const char *cursor_field(const cJSON *item)
{
    static const char *const known[] = {"ConnId", "ProcessId", "IpId"};
    for (size_t i = 0; i < sizeof known / sizeof *known; i++)
        if (cJSON_GetObjectItemCaseSensitive(item, known[i]))
            return known[i];
    const cJSON *c;
    cJSON_ArrayForEach(c, item)
    {
        size_t n = c->string ? strlen(c->string) : 0;
        if (n > 2 && strcmp(c->string + n - 2, "Id") == 0)
            return c->string;
    }
    return NULL;
}

static bool as_page(const cJSON *v, int64_t count, int64_t cursor, page_t *pg)
{
    memset(pg, 0, sizeof *pg);
    pg->last = cursor;
    if (cJSON_IsArray(v)) {
        int n = cJSON_GetArraySize(v);
        const cJSON *tail = n > 0 ? cJSON_GetArrayItem(v, n - 1) : NULL;
        const char *field = tail ? cursor_field(tail) : NULL;
        if (n > 0 && !field)
            return false;
        if (field)
            apc_jsonx_int(cJSON_GetObjectItemCaseSensitive(tail, field), &pg->last);
        pg->items = (cJSON *)v;
        pg->more = n > 0 && n >= count;
        return true;
    }
    if (!cJSON_IsObject(v) || !cJSON_GetObjectItemCaseSensitive(v, "More"))
        return false;
    cJSON *c;
    cJSON_ArrayForEach(c, v)
    {
        if (cJSON_IsArray(c)) {
            if (pg->items)
                return false;
            pg->items = c;
        }
    }
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(v, "More");
    int64_t n = 0;
    pg->more = cJSON_IsTrue(m) || (apc_jsonx_int(m, &n) && n != 0);
    apc_jsonx_int(cJSON_GetObjectItemCaseSensitive(v, "LastId"), &pg->last);
    return pg->items != NULL;
}

/* The page size a call asks for: its count=, the largest with --all, else the default. */
static int64_t page_count(const apc_op_info_t *op, const apcctl_args_t *args, bool all)
{
    const char *c = apcctl_args_get(args, "count");
    if (c)
        return strtoll(c, NULL, 10);
    if (all)
        return APC_PAGE_MAX;
    for (const apc_param_spec_t *p = op ? op->params : NULL; p && p->name; p++)
        if (strcmp(p->name, "count") == 0 && p->def)
            return strtoll(p->def, NULL, 10);
    return 100;
}

/* A word as a shell reads it back: quoted unless it is plain. */
static void shell_word(FILE *f, const char *s)
{
    bool plain = *s != '\0';
    for (const char *c = s; *c && plain; c++)
        plain = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
                strchr("_./:,@%+-=", *c);
    if (plain) {
        fputs(s, f);
        return;
    }
    fputc('\'', f);
    for (; *s; s++) {
        if (*s == '\'')
            fputs("'\\''", f);
        else
            fputc(*s, f);
    }
    fputc('\'', f);
}

static void hint(const apcctl_opts_t *o, const char *cmd, const apcctl_args_t *shown, int64_t last)
{
    if (o->quiet)
        return;
    fprintf(stderr, "apcctl: more remain: apcctl %s", cmd);
    for (size_t i = 0; shown && i < shown->count; i++) {
        if (strcmp(shown->items[i].name, "last_id") == 0)
            continue;
        fputc(' ', stderr);
        fputs(shown->items[i].name, stderr);
        fputc('=', stderr);
        shell_word(stderr, shown->items[i].value);
    }
    fprintf(stderr, " last_id=%lld, or --all\n", (long long)last);
}

/* `base` with last_id set to `last`, and count to `count` when the action has one. */
static int page_args(apcctl_args_t *out, const apc_op_info_t *op, const apcctl_args_t *base,
                     int64_t last, int64_t count)
{
    char buf[24];
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < base->count; i++)
        if (strcmp(base->items[i].name, "last_id") != 0 &&
            strcmp(base->items[i].name, "count") != 0 &&
            apcctl_args_add(out, base->items[i].name, base->items[i].value) < 0)
            return -1;
    snprintf(buf, sizeof buf, "%lld", (long long)last);
    if (apcctl_args_add(out, "last_id", buf) < 0)
        return -1;
    if (op && apcctl_op_has_param(op, "count")) {
        snprintf(buf, sizeof buf, "%lld", (long long)count);
        if (apcctl_args_add(out, "count", buf) < 0)
            return -1;
    }
    return 0;
}

/* Prints a failed call's reply; returns the exit code. */
static int failed(const apcctl_opts_t *o, apcctl_response_t *r)
{
    int rc =
        o->json ? (apcctl_print_response(stdout, o, r), APCCTL_EXIT_FAIL) : apcctl_report_error(r);
    apcctl_response_free(r);
    return rc;
}

/* One page from `last`: 0 and `r` filled when the call succeeded, else an exit code (the
 * failure printed). */
static int call_page(apcctl_transport_t *t, const apcctl_opts_t *o, const apc_op_info_t *op,
                     const apcctl_args_t *args, int64_t last, int64_t count, apcctl_response_t *r)
{
    apcctl_args_t a;
    if (page_args(&a, op, args, last, count) < 0) {
        apcctl_args_free(&a);
        apcctl_errorf("out of memory");
        return APCCTL_EXIT_FAIL;
    }
    int called = apcctl_call(t, op->name, &a, r);
    apcctl_args_free(&a);
    if (called < 0)
        return APCCTL_EXIT_FAIL;
    if (r->error_code != 0)
        return failed(o, r);
    return 0;
}

/* A full list page may be the last one: asking for one item more tells. A failure here says
 * nothing: the page itself was printed. */
static bool probe_more(apcctl_transport_t *t, const apc_op_info_t *op, const apcctl_args_t *args,
                       int64_t last)
{
    apcctl_args_t a;
    apcctl_response_t r;
    bool more = false;
    if (page_args(&a, op, args, last, 1) == 0 && apcctl_call(t, op->name, &a, &r) == 0) {
        more = r.error_code == 0 && cJSON_GetArraySize(r.value) > 0;
        apcctl_response_free(&r);
    }
    apcctl_args_free(&a);
    return more;
}

/* After the first page `first` (printed already with --json): reads the rest. Every item is
 * moved into the first page's array; an object page's More and LastId then describe the
 * whole. */
static int read_rest(apcctl_transport_t *t, const apcctl_opts_t *o, const apc_op_info_t *op,
                     const char *cmd, const apcctl_args_t *args, const apcctl_args_t *shown,
                     int64_t count, apcctl_response_t *first, page_t *pg)
{
    int64_t last = pg->last;
    bool more = pg->more;
    int rc = APCCTL_EXIT_OK;
    while (more) {
        if (apcctl_interrupted) {
            rc = APCCTL_EXIT_INTERRUPTED;
            break;
        }
        apcctl_response_t r;
        page_t next;
        if ((rc = call_page(t, o, op, args, last, count, &r)) != 0)
            return rc;
        if (o->json)
            apcctl_print_response(stdout, o, &r);
        if (!as_page(r.value, count, last, &next)) {
            apcctl_response_free(&r);
            apcctl_errorf("%s: a page that is not a list; stopped at last_id=%lld", op->name,
                          (long long)last);
            return APCCTL_EXIT_FAIL;
        }
        while (!o->json && cJSON_GetArraySize(next.items) > 0)
            cJSON_AddItemToArray(pg->items, cJSON_DetachItemFromArray(next.items, 0));
        more = next.more;
        apcctl_response_free(&r);
        /* A page that does not move the cursor would loop forever. */
        if (next.last <= last)
            break;
        last = next.last;
    }
    cJSON *v = (cJSON *)first->value;
    if (!o->json && cJSON_IsObject(v)) {
        char buf[24];
        snprintf(buf, sizeof buf, "%lld", (long long)last);
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(v, "More");
        cJSON_ReplaceItemInObjectCaseSensitive(v, "More",
                                               cJSON_IsBool(m) ? cJSON_CreateBool(more)
                                                               : cJSON_CreateRaw(more ? "1" : "0"));
        if (cJSON_GetObjectItemCaseSensitive(v, "LastId"))
            cJSON_ReplaceItemInObjectCaseSensitive(v, "LastId", cJSON_CreateRaw(buf));
    }
    if (!o->json)
        apcctl_print_response(stdout, o, first);
    if (more)
        hint(o, cmd, shown, last);
    return rc;
}

int apcctl_run_paged(apcctl_transport_t *t, const apcctl_opts_t *o, const char *action,
                     const char *cmd, const apcctl_args_t *args, const apcctl_args_t *shown,
                     bool all)
{
    const apc_op_info_t *op = apc_op_find(action);
    if (!op) {
        apcctl_errorf("this libapc has no action %s", action);
        return APCCTL_EXIT_FAIL;
    }
    const char *start = apcctl_args_get(args, "last_id");
    int64_t cursor = start ? strtoll(start, NULL, 10) : 0;
    int64_t count = page_count(op, args, all);
    /* The first call takes the words as given, so the library judges a bad last_id= or
     * count=; --all only adds the largest page size. */
    apcctl_args_t a = {0};
    char buf[24];
    snprintf(buf, sizeof buf, "%d", APC_PAGE_MAX);
    int bad = 0;
    for (size_t i = 0; i < args->count && !bad; i++)
        bad = apcctl_args_add(&a, args->items[i].name, args->items[i].value) < 0;
    if (!bad && all && apcctl_op_has_param(op, "count") && !apcctl_args_get(args, "count"))
        bad = apcctl_args_add(&a, "count", buf) < 0;
    apcctl_response_t r;
    int rc = bad ? -1 : apcctl_call(t, op->name, &a, &r);
    apcctl_args_free(&a);
    if (bad)
        apcctl_errorf("out of memory");
    if (rc < 0)
        return APCCTL_EXIT_FAIL;
    if (r.error_code != 0)
        return failed(o, &r);
    page_t pg;
    bool paged = as_page(r.value, count, cursor, &pg);
    if (all && paged) {
        if (o->json)
            apcctl_print_response(stdout, o, &r);
        rc = read_rest(t, o, op, cmd, args, shown, count, &r, &pg);
    } else {
        apcctl_print_response(stdout, o, &r);
        if (paged && pg.more && (cJSON_IsObject(r.value) || probe_more(t, op, args, pg.last)))
            hint(o, cmd, shown, pg.last);
    }
    apcctl_response_free(&r);
    return rc;
}
