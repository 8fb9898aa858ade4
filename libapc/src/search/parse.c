/* SPDX-License-Identifier: MIT */
/*
 * Parser and checker of the filter language (docs/filters.md). Recursive descent over
 *   expr    := and { ("||" | "or") and }
 *   and     := unary { ("&&" | "and") unary }
 *   unary   := ("!" | "not") unary | primary
 *   primary := "(" expr ")" | "bpf" "(" STRING ")" | FIELD [ relop value | "in" set
 *              | "contains" value | ("matches" | "~") STRING ]
 * Depth is counted on every "(" and "!" so recursion stays bounded by APC_FLT_MAX_DEPTH.
 * Values are checked against the field's type here, so evaluation never meets a bad literal.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "search/filter.h"
#include "search/lex.h"
#include "search/value.h"

typedef struct parser {
    apc__lexer_t lx;
    size_t *err_off;
    int depth;
    int nodes;
    int needs;
} parser_t;

static void node_free(apc__fnode_t *n)
{
    if (!n)
        return;
    node_free(n->a);
    node_free(n->b);
    for (size_t i = 0; i < n->nvals; i++)
        free(n->vals[i].s);
    free(n->vals);
    apc__re_free(n->re);
    free(n->text);
    apc__bpf_free(n->bpf);
    apc__files_free(n->files);
    free(n);
}

static int fail(parser_t *ps, size_t pos, int code)
{
    *ps->err_off = pos;
    return code;
}

static int next(parser_t *ps)
{
    return apc__lex_next(&ps->lx, ps->err_off);
}

static apc__fnode_t *new_node(parser_t *ps, int kind, size_t pos, int *rc)
{
    if (++ps->nodes > APC_FLT_MAX_NODES) {
        *rc = fail(ps, pos,
                   apc__err(APC_ELIMIT, "the filter has more than %d terms", APC_FLT_MAX_NODES));
        return NULL;
    }
    apc__fnode_t *n = calloc(1, sizeof *n);
    if (!n) {
        *rc = fail(ps, pos, apc__err(APC_ENOMEM, "out of memory"));
        return NULL;
    }
    n->kind = kind;
    n->pos = pos;
    return n;
}

/* Text of the current token for messages (bounded). */
static void tok_text(const parser_t *ps, char *buf, size_t n)
{
    const apc__token_t *t = &ps->lx.tok;
    if (t->kind == T_END) {
        snprintf(buf, n, "the end of the filter");
        return;
    }
    size_t len = t->len < 40 ? t->len : 40;
    snprintf(buf, n, "`%.*s%s`", (int)len, ps->lx.text + t->pos, t->len > 40 ? "..." : "");
}

static int parse_or(parser_t *ps, apc__fnode_t **out);

static int is_keyword(const parser_t *ps)
{
    static const char *const kw[] = {"and", "or", "not", "in", "contains", "matches", "eq",
                                     "ne",  "lt", "le",  "gt", "ge",       NULL};
    for (int i = 0; kw[i]; i++)
        if (apc__lex_is(&ps->lx, kw[i]))
            return 1;
    return 0;
}

/* The relational operator at the current token, 0 if none. */
static int relop(const parser_t *ps)
{
    switch (ps->lx.tok.kind) {
    case T_EQ:
        return OP_EQ;
    case T_NE:
        return OP_NE;
    case T_LT:
        return OP_LT;
    case T_LE:
        return OP_LE;
    case T_GT:
        return OP_GT;
    case T_GE:
        return OP_GE;
    case T_TILDE:
        return OP_MATCHES;
    default:
        break;
    }
    static const struct {
        const char *w;
        int op;
    } words[] = {{"eq", OP_EQ},           {"ne", OP_NE}, {"lt", OP_LT},
                 {"le", OP_LE},           {"gt", OP_GT}, {"ge", OP_GE},
                 {"in", OP_IN},           {"==", OP_EQ}, {"contains", OP_CONTAINS},
                 {"matches", OP_MATCHES}, {NULL, 0}};
    for (int i = 0; words[i].w; i++)
        if (apc__lex_is(&ps->lx, words[i].w))
            return words[i].op;
    return 0;
}

static const char *op_name(int op)
{
    static const char *const names[] = {
        "", "==", "!=", "<", "<=", ">", ">=", "in", "contains", "matches"};
    return op > 0 && op <= OP_MATCHES ? names[op] : "?";
}

/* Which operators a field type takes; the message lists them when one does not fit. */
static int op_allowed(int type, int op, const char **list)
{
    switch (type) {
    case FT_UINT:
        *list = "==, !=, <, <=, >, >= and in";
        return op <= OP_IN;
    case FT_TIME:
        *list = "==, !=, <, <=, > and >=";
        return op < OP_IN;
    case FT_BOOL:
    case FT_IPV4:
    case FT_IPV6:
    case FT_MAC:
        *list = "==, != and in";
        return op == OP_EQ || op == OP_NE || op == OP_IN;
    case FT_STRING:
        *list = "==, !=, in, contains and matches";
        return op == OP_EQ || op == OP_NE || op == OP_IN || op == OP_CONTAINS || op == OP_MATCHES;
    case FT_BYTES:
        *list = "contains and matches";
        return op == OP_CONTAINS || op == OP_MATCHES;
    default:
        *list = "none";
        return 0;
    }
}

/* One literal of the current token for field f, into v. */
static int parse_value(parser_t *ps, const apc__field_t *f, int op, apc__fval_t *v)
{
    const apc__token_t *t = &ps->lx.tok;
    char shown[64];
    tok_text(ps, shown, sizeof shown);
    if (t->kind != T_WORD && t->kind != T_STRING)
        return fail(ps, t->pos,
                    apc__err(APC_EINVAL, "expected a value for %s after `%s`, found %s", f->name,
                             op_name(op), shown));
    char msg[256];
    int rc = apc__val_parse(f, op, t->kind == T_STRING, t->kind == T_STRING ? t->str : NULL,
                            t->slen, ps->lx.text + t->pos, t->len, v, msg, sizeof msg);
    if (rc < 0)
        return fail(ps, t->pos, apc__err(rc, "%s", msg));
    return next(ps);
}

static int parse_set(parser_t *ps, apc__fnode_t *n)
{
    size_t open = ps->lx.tok.pos;
    if (ps->lx.tok.kind != T_LB) {
        char shown[64];
        tok_text(ps, shown, sizeof shown);
        return fail(
            ps, ps->lx.tok.pos,
            apc__err(APC_EINVAL, "`in` takes a set in braces, like {80 443}; found %s", shown));
    }
    int rc = next(ps);
    while (rc == 0 && ps->lx.tok.kind != T_RB) {
        if (ps->lx.tok.kind == T_END)
            return fail(ps, open,
                        apc__err(APC_EINVAL, "the set opened here is not closed: add `}`"));
        if (n->nvals == APC_FLT_MAX_SET)
            return fail(ps, ps->lx.tok.pos,
                        apc__err(APC_ELIMIT, "a set holds at most %d values", APC_FLT_MAX_SET));
        if (n->nvals % 16 == 0) {
            apc__fval_t *nv = realloc(n->vals, (n->nvals + 16) * sizeof *nv);
            if (!nv)
                return fail(ps, open, apc__err(APC_ENOMEM, "out of memory"));
            n->vals = nv;
        }
        memset(&n->vals[n->nvals], 0, sizeof n->vals[0]);
        /* The slot is the node's before it is parsed: a value parsed before the token after
         * it fails to lex is freed with the node (the fuzzer found that leak). */
        n->nvals++;
        rc = parse_value(ps, n->field, OP_IN, &n->vals[n->nvals - 1]);
        if (rc < 0)
            return rc;
        if (ps->lx.tok.kind == T_COMMA)
            rc = next(ps);
    }
    if (rc < 0)
        return rc;
    if (n->nvals == 0)
        return fail(ps, open, apc__err(APC_EINVAL, "the set is empty: give at least one value"));
    return next(ps);
}

static int parse_bpf(parser_t *ps, apc__fnode_t **out)
{
    size_t pos = ps->lx.tok.pos;
    int rc = next(ps);
    if (rc == 0 && ps->lx.tok.kind != T_LP)
        return fail(ps, ps->lx.tok.pos,
                    apc__err(APC_EINVAL, "bpf takes a pcap-filter expression in quotes: "
                                         "bpf(\"tcp port 80\")"));
    if (rc == 0)
        rc = next(ps);
    if (rc < 0)
        return rc;
    if (ps->lx.tok.kind != T_STRING)
        return fail(ps, ps->lx.tok.pos,
                    apc__err(APC_EINVAL, "bpf takes a pcap-filter expression in quotes: "
                                         "bpf(\"tcp port 80\")"));
    if (strlen(ps->lx.tok.str) != ps->lx.tok.slen)
        return fail(ps, ps->lx.tok.pos,
                    apc__err(APC_EINVAL, "a pcap-filter expression cannot hold a NUL byte"));
    rc = apc__bpf_check(ps->lx.tok.str);
    if (rc < 0)
        return fail(ps, ps->lx.tok.pos + 1, rc);
    apc__fnode_t *n = new_node(ps, N_BPF, pos, &rc);
    if (!n)
        return rc;
    n->text = strdup(ps->lx.tok.str);
    if (!n->text) {
        free(n);
        return fail(ps, pos, apc__err(APC_ENOMEM, "out of memory"));
    }
    *out = n;
    rc = next(ps);
    if (rc == 0 && ps->lx.tok.kind != T_RP)
        rc =
            fail(ps, ps->lx.tok.pos, apc__err(APC_EINVAL, "expected `)` after the bpf expression"));
    if (rc == 0)
        rc = next(ps);
    ps->needs = FS_BYTES;
    return rc;
}

static int unknown_field(parser_t *ps)
{
    const apc__token_t *t = &ps->lx.tok;
    const char *w = ps->lx.text + t->pos;
    int shown = t->len < 60 ? (int)t->len : 60;
    if (isdigit((unsigned char)w[0]) || memchr(w, ':', t->len))
        return fail(ps, t->pos,
                    apc__err(APC_EINVAL,
                             "expected a field name, found the value `%.*s`; write it as a "
                             "comparison, like `ip.addr == %.*s`",
                             shown, w, shown, w));
    const apc__field_t *s = apc__flt_suggest(w, t->len);
    if (s)
        return fail(ps, t->pos,
                    apc__err(APC_EINVAL, "unknown field `%.*s` \xe2\x80\x94 did you mean `%s`?",
                             shown, w, s->name));
    return fail(
        ps, t->pos,
        apc__err(APC_EINVAL, "unknown field `%.*s` (docs/filters.md lists the fields)", shown, w));
}

static int parse_cmp(parser_t *ps, apc__fnode_t **out)
{
    const apc__token_t *t = &ps->lx.tok;
    size_t pos = t->pos;
    const apc__field_t *f = apc__flt_field(ps->lx.text + t->pos, t->len);
    if (!f)
        return unknown_field(ps);
    if (f->src > ps->needs)
        ps->needs = f->src;
    int rc = next(ps);
    if (rc < 0)
        return rc;
    int op = relop(ps);
    apc__fnode_t *n = new_node(ps, op ? N_CMP : N_EXISTS, pos, &rc);
    if (!n)
        return rc;
    n->field = f;
    *out = n;
    if (!op) {
        if (ps->lx.tok.kind == T_WORD && !is_keyword(ps)) {
            char shown[64];
            tok_text(ps, shown, sizeof shown);
            return fail(
                ps, ps->lx.tok.pos,
                apc__err(APC_EINVAL, "expected an operator after `%s`, found %s", f->name, shown));
        }
        if (f->type == FT_BYTES) {
            /* `frame` alone is always true: allowed, as in Wireshark */
        }
        return 0;
    }
    n->op = op;
    const char *list;
    if (!op_allowed(f->type, op, &list)) {
        if (f->type == FT_PROTO)
            return fail(ps, ps->lx.tok.pos,
                        apc__err(APC_EINVAL,
                                 "`%s` is a protocol: it is true when present and takes no "
                                 "operator; compare one of its fields instead (docs/filters.md)",
                                 f->name));
        return fail(ps, ps->lx.tok.pos,
                    apc__err(APC_EINVAL, "`%s` does not apply to %s; it takes %s", op_name(op),
                             f->name, list));
    }
    rc = next(ps);
    if (rc < 0)
        return rc;
    if (op == OP_IN)
        return parse_set(ps, n);
    n->vals = calloc(1, sizeof *n->vals);
    if (!n->vals)
        return fail(ps, pos, apc__err(APC_ENOMEM, "out of memory"));
    size_t vpos = ps->lx.tok.pos;
    if (op == OP_MATCHES && ps->lx.tok.kind != T_STRING) {
        char shown[64];
        tok_text(ps, shown, sizeof shown);
        return fail(ps, vpos,
                    apc__err(APC_EINVAL, "`matches` takes a regular expression in quotes, found %s",
                             shown));
    }
    n->nvals = 1;
    rc = parse_value(ps, f, op, &n->vals[0]);
    if (rc < 0)
        return rc;
    if (op == OP_MATCHES) {
        size_t eo = 0;
        n->re = apc__re_compile(n->vals[0].s, n->vals[0].slen, &eo);
        if (!n->re)
            return fail(ps, vpos + 1 + eo, APC_EINVAL);
    }
    return 0;
}

static int parse_primary(parser_t *ps, apc__fnode_t **out)
{
    const apc__token_t *t = &ps->lx.tok;
    char shown[64];
    if (t->kind == T_LP) {
        size_t open = t->pos;
        if (++ps->depth > APC_FLT_MAX_DEPTH)
            return fail(
                ps, open,
                apc__err(APC_ELIMIT, "the filter nests deeper than %d levels", APC_FLT_MAX_DEPTH));
        int rc = next(ps);
        if (rc == 0)
            rc = parse_or(ps, out);
        if (rc < 0)
            return rc;
        if (ps->lx.tok.kind != T_RP) {
            if (ps->lx.tok.kind == T_END)
                return fail(
                    ps, open,
                    apc__err(APC_EINVAL, "the parenthesis opened here is not closed: add `)`"));
            tok_text(ps, shown, sizeof shown);
            return fail(ps, ps->lx.tok.pos,
                        apc__err(APC_EINVAL, "expected `)` or an operator, found %s", shown));
        }
        ps->depth--;
        return next(ps);
    }
    if (t->kind == T_WORD && apc__lex_is(&ps->lx, "bpf"))
        return parse_bpf(ps, out);
    if (t->kind == T_WORD && !is_keyword(ps))
        return parse_cmp(ps, out);
    tok_text(ps, shown, sizeof shown);
    if (t->kind == T_END)
        return fail(ps, t->pos,
                    apc__err(APC_EINVAL, "the filter ends where a field or `(` was expected"));
    return fail(ps, t->pos, apc__err(APC_EINVAL, "expected a field, `!` or `(`, found %s", shown));
}

static int parse_unary(parser_t *ps, apc__fnode_t **out)
{
    if (ps->lx.tok.kind == T_NOT || apc__lex_is(&ps->lx, "not")) {
        size_t pos = ps->lx.tok.pos;
        if (++ps->depth > APC_FLT_MAX_DEPTH)
            return fail(
                ps, pos,
                apc__err(APC_ELIMIT, "the filter nests deeper than %d levels", APC_FLT_MAX_DEPTH));
        int rc;
        apc__fnode_t *n = new_node(ps, N_NOT, pos, &rc);
        if (!n)
            return rc;
        *out = n;
        rc = next(ps);
        if (rc == 0)
            rc = parse_unary(ps, &n->a);
        ps->depth--;
        return rc;
    }
    return parse_primary(ps, out);
}

static int parse_and(parser_t *ps, apc__fnode_t **out)
{
    int rc = parse_unary(ps, out);
    while (rc == 0 && (ps->lx.tok.kind == T_AND || apc__lex_is(&ps->lx, "and"))) {
        apc__fnode_t *n = new_node(ps, N_AND, ps->lx.tok.pos, &rc);
        if (!n)
            return rc;
        n->a = *out;
        *out = n;
        rc = next(ps);
        if (rc == 0)
            rc = parse_unary(ps, &n->b);
    }
    return rc;
}

static int parse_or(parser_t *ps, apc__fnode_t **out)
{
    int rc = parse_and(ps, out);
    while (rc == 0 && (ps->lx.tok.kind == T_OR || apc__lex_is(&ps->lx, "or"))) {
        apc__fnode_t *n = new_node(ps, N_OR, ps->lx.tok.pos, &rc);
        if (!n)
            return rc;
        n->a = *out;
        *out = n;
        rc = next(ps);
        if (rc == 0)
            rc = parse_and(ps, &n->b);
    }
    return rc;
}

int apc__flt_compile(const char *text, size_t len, apc__filter_t **out, size_t *err_off)
{
    size_t dummy;
    if (!err_off)
        err_off = &dummy;
    *err_off = 0;
    *out = NULL;
    if (!text)
        return apc__err(APC_EINVAL, "NULL filter");
    if (len > APC_FLT_MAX_LEN) {
        *err_off = APC_FLT_MAX_LEN;
        return apc__err(APC_ELIMIT, "the filter is %zu bytes long; the limit is %d", len,
                        APC_FLT_MAX_LEN);
    }
    if (memchr(text, '\0', len)) {
        *err_off = (size_t)((const char *)memchr(text, '\0', len) - text);
        return apc__err(APC_EINVAL, "unexpected byte 0x00");
    }
    parser_t ps = {0};
    ps.lx.text = text;
    ps.lx.len = len;
    ps.err_off = err_off;
    apc__fnode_t *root = NULL;
    int rc = next(&ps);
    if (rc == 0 && ps.lx.tok.kind != T_END) {
        rc = parse_or(&ps, &root);
        if (rc == 0 && ps.lx.tok.kind != T_END) {
            char shown[64];
            tok_text(&ps, shown, sizeof shown);
            if (ps.lx.tok.kind == T_RP)
                rc = fail(&ps, ps.lx.tok.pos, apc__err(APC_EINVAL, "`)` has no matching `(`"));
            else
                rc = fail(&ps, ps.lx.tok.pos,
                          apc__err(APC_EINVAL, "expected `&&`, `||` or the end, found %s", shown));
        }
    }
    apc__lex_free(&ps.lx);
    apc__filter_t *f = rc == 0 ? calloc(1, sizeof *f) : NULL;
    if (rc == 0 && !f)
        rc = apc__err(APC_ENOMEM, "out of memory");
    if (rc == 0) {
        f->root = root;
        f->needs = root ? ps.needs : 0;
        f->normalized = apc__flt_normalize(root);
        if (!f->normalized)
            rc = apc__err(APC_ENOMEM, "out of memory");
    }
    if (rc < 0) {
        if (f)
            f->root = NULL;
        apc__flt_free(f);
        node_free(root);
        return rc;
    }
    *out = f;
    return 0;
}

void apc__flt_free(apc__filter_t *f)
{
    if (!f)
        return;
    node_free(f->root);
    free(f->normalized);
    free(f);
}
