/* SPDX-License-Identifier: MIT */
/* Usage and help, built from the action table (apc_op_info_t) and the alias list only. */
#include <stdlib.h>
#include <string.h>

#include "apcctl.h"
#include "opinfo.h"

/* The global options: usage, the man page and the completion script are written from here. */
static const apcctl_global_opt_t global_opts[] = {
    {"-d", "--data-dir", "DIR",
     "data directory (default: $APC_DATA_DIR, else ./apc-data if it exists)"},
    {NULL, "--url", "URL", "talk to apcd at URL (http://HOST:PORT) instead of a data directory"},
    {NULL, "--store", "URL",
     "metadata in PostgreSQL at URL (postgresql://...) instead of the data directory's SQLite "
     "store (default: $APC_STORE)"},
    {NULL, "--user", "NAME", "account for --url (default: $APC_USER, else admin)"},
    {"-j", "--json", NULL, "print each RESPONSE object as returned, one per line"},
    {"-q", "--quiet", NULL, "no progress bar, no warnings, no \"more remain\" hint"},
    {"-h", "--help", NULL, "this text"},
    {"-V", "--version", NULL, "versions of apcctl and libapc"},
};

const apcctl_global_opt_t *apcctl_global_opt_at(size_t i)
{
    return i < sizeof global_opts / sizeof *global_opts ? &global_opts[i] : NULL;
}

void apcctl_usage(FILE *f)
{
    fprintf(f, "Usage: apcctl [OPTIONS] ACTION [name=value ...] [--all]\n"
               "       apcctl [OPTIONS] COMMAND [ARGS ...]\n"
               "       apcctl batch [--status] [FILE|-]   (one command per line)\n"
               "       apcctl help [ACTION|COMMAND]\n"
               "       apcctl gen-docs DIR | gen-man [FILE] | completion bash\n"
               "\n"
               "Options (also accepted after the action, until --):\n");
    const apcctl_global_opt_t *g;
    for (size_t i = 0; (g = apcctl_global_opt_at(i)); i++) {
        char left[40];
        snprintf(left, sizeof left, "%s%s%s%s%s", g->shrt ? g->shrt : "  ", g->shrt ? ", " : "  ",
                 g->lng, g->arg ? " " : "", g->arg ? g->arg : "");
        fprintf(f, "  %-20s%s\n", left, g->help);
    }
    fprintf(f, "  %-20s%s\n", "--", "end of options");
    fprintf(f,
            "\nAn action that pages (it has last_id) also takes --all: every page, to the end.\n");
}

static int cmp_names(const void *a, const void *b)
{
    const apc_op_info_t *x = *(const apc_op_info_t *const *)a;
    const apc_op_info_t *y = *(const apc_op_info_t *const *)b;
    return strcmp(x->name, y->name);
}

const apc_op_info_t **apcctl_ops_sorted(size_t *n)
{
    *n = apc_op_count();
    const apc_op_info_t **ops = calloc(*n + 1, sizeof *ops);
    if (!ops) {
        *n = 0;
        return NULL;
    }
    for (size_t i = 0; i < *n; i++)
        ops[i] = apc_op_at(i);
    qsort(ops, *n, sizeof *ops, cmp_names);
    return ops;
}

/* Area of an action: its name up to the first '_' ("capture_read" -> "capture"). */
static size_t area_len(const char *name)
{
    const char *u = strchr(name, '_');
    return u ? (size_t)(u - name) : strlen(name);
}

static void list_all(FILE *f)
{
    apcctl_usage(f);
    fprintf(f, "\nCommands:\n");
    const apcctl_alias_t *a;
    for (size_t i = 0; (a = apcctl_alias_at(i)); i++)
        fprintf(f, "  %-30s %s\n", a->usage, a->summary);
    size_t n;
    const apc_op_info_t **ops = apcctl_ops_sorted(&n);
    int w = 0;
    for (size_t i = 0; i < n; i++)
        if ((int)strlen(ops[i]->name) > w)
            w = (int)strlen(ops[i]->name);
    fprintf(f, "\nActions (%zu; run one with: apcctl ACTION name=value ...):\n", n);
    for (size_t i = 0; i < n; i++) {
        const char *name = ops[i]->name;
        if (i == 0 || area_len(ops[i - 1]->name) != area_len(name) ||
            strncmp(ops[i - 1]->name, name, area_len(name)) != 0)
            fprintf(f, "\n");
        fprintf(f, "  %-*s  %s\n", w, name, ops[i]->summary ? ops[i]->summary : "");
    }
    fprintf(f, "\nDetails of one: apcctl help ACTION\n");
    free(ops);
}

static void show_op(FILE *f, const apc_op_info_t *op)
{
    char range[64];
    fprintf(f, "%s: %s\n\n", op->name, op->summary ? op->summary : "");
    fprintf(f, "  role:      %s\n", apcctl_role_name(op->role));
    fprintf(f, "  blocking:  %s\n", op->blocking ? "yes" : "no");
    fprintf(f, "  data type: %s\n", apcctl_data_type_name(op->data_type));
    fprintf(f, "  returns:   %s\n", op->returns ? op->returns : "");
    fprintf(f, "\nParameters:");
    const apc_param_spec_t *p = op->params;
    if (!p || !p->name) {
        fprintf(f, " none\n");
    } else {
        fprintf(f, "\n");
        int w = 0;
        for (p = op->params; p->name; p++)
            if ((int)strlen(p->name) > w)
                w = (int)strlen(p->name);
        for (p = op->params; p->name; p++) {
            fprintf(f, "  %-*s  %-6s  %s", w, p->name, apcctl_param_type_name(p->type),
                    p->required ? "required" : "optional");
            if (p->def)
                fprintf(f, ", default %s", *p->def ? p->def : "\"\"");
            if (apcctl_param_range(p, range, sizeof range))
                fprintf(f, ", %s", range);
            fprintf(f, "\n  %-*s  %s\n", w, "", p->summary ? p->summary : "");
        }
    }
    char usage[1024];
    apcctl_op_usage(op, usage, sizeof usage);
    fprintf(f, "\nUsage: %s\n", usage);
    if (apcctl_op_pages(op))
        fprintf(f, "Pages: prints one page and says when more remain; --all reads every page.\n");
    for (p = op->params; p && p->name; p++)
        if (p->type == APC_PARAM_LIST) {
            fprintf(f, "Lists: repeat the name (%s=a %s=b) or separate values with commas.\n",
                    p->name, p->name);
            break;
        }
}

int apcctl_help(FILE *f, int argc, char **argv)
{
    if (argc == 0) {
        list_all(f);
        return APCCTL_EXIT_OK;
    }
    int rc = APCCTL_EXIT_OK;
    for (int i = 0; i < argc; i++) {
        if (i > 0)
            fprintf(f, "\n");
        const apcctl_alias_t *a = apcctl_alias_find(argv[i]);
        const apc_op_info_t *op = apc_op_find(argv[i]);
        if (a) {
            fprintf(f, "apcctl %s\n\n  %s\n  (stands for the action %s; see: apcctl help %s)\n",
                    a->usage, a->summary, a->action, a->action);
        } else if (op) {
            show_op(f, op);
        } else {
            apcctl_errorf("help: no action or command named '%s' (list: apcctl help)", argv[i]);
            rc = APCCTL_EXIT_USAGE;
        }
    }
    return rc;
}
