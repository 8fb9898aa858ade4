/* SPDX-License-Identifier: MIT */
/*
 * The canonical text of a filter (SEARCHSYNTAX.Normalized): canonical field names (aliases
 * resolved), symbolic operators, one space around binary operators, literals in canonical
 * form, and explicit parentheses wherever `&&` and `||` meet, so the grouping never depends
 * on a reader knowing the precedence.
 */
#include <stdio.h>
#include <stdlib.h>

#include "search/filter.h"
#include "search/value.h"

static const char *const op_text[] = {
    "", "==", "!=", "<", "<=", ">", ">=", "in", "contains", "matches"};

static void write_node(FILE *out, const apc__fnode_t *n, int parent);

static void write_child(FILE *out, const apc__fnode_t *c, int parent)
{
    int paren = (c->kind == N_AND || c->kind == N_OR) && c->kind != parent;
    if (paren)
        fputc('(', out);
    write_node(out, c, parent);
    if (paren)
        fputc(')', out);
}

static void write_bpf(FILE *out, const char *s)
{
    fputs("bpf(\"", out);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fputc('\\', out);
        fputc(*s, out);
    }
    fputs("\")", out);
}

static void write_node(FILE *out, const apc__fnode_t *n, int parent)
{
    (void)parent;
    switch (n->kind) {
    case N_AND:
    case N_OR:
        write_child(out, n->a, n->kind);
        fputs(n->kind == N_AND ? " && " : " || ", out);
        write_child(out, n->b, n->kind);
        break;
    case N_NOT:
        fputc('!', out);
        /* a negated binary node needs its parentheses; anything else binds tighter */
        write_child(out, n->a, N_NOT);
        break;
    case N_EXISTS:
        fputs(n->field->name, out);
        break;
    case N_BPF:
        write_bpf(out, n->text);
        break;
    case N_CMP:
        fprintf(out, "%s %s ", n->field->name, op_text[n->op]);
        if (n->op == OP_IN) {
            fputc('{', out);
            for (size_t i = 0; i < n->nvals; i++) {
                if (i)
                    fputc(' ', out);
                apc__val_write(out, n->field, &n->vals[i]);
            }
            fputc('}', out);
        } else {
            apc__val_write(out, n->field, &n->vals[0]);
        }
        break;
    }
}

char *apc__flt_normalize(const apc__fnode_t *root)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    if (!out)
        return NULL;
    if (root)
        write_node(out, root, 0);
    if (fclose(out) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}
