/* SPDX-License-Identifier: MIT */
/*
 * Lexer of the filter language. Words are runs of [A-Za-z0-9_.:/] so that field names,
 * numbers, IPv4/IPv6 addresses with a /prefix, MAC addresses and ranges (1..9) are each one
 * token; the parser gives a word its meaning from the field it is compared with.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/error.h"
#include "search/lex.h"

static int is_word(unsigned char c)
{
    return isalnum(c) || c == '_' || c == '.' || c == ':' || c == '/' || c == '-';
}

void apc__lex_free(apc__lexer_t *lx)
{
    free(lx->tok.str);
    lx->tok.str = NULL;
}

int apc__lex_is(const apc__lexer_t *lx, const char *w)
{
    size_t n = strlen(w);
    return lx->tok.kind == T_WORD && lx->tok.len == n &&
           strncasecmp(lx->text + lx->tok.pos, w, n) == 0;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* A double-quoted string with C-like escapes: \" \\ \n \r \t \xHH. */
static int lex_string(apc__lexer_t *lx, size_t *err_off)
{
    size_t start = lx->pos, i = lx->pos + 1;
    char *buf = malloc(lx->len - start + 1);
    size_t n = 0;
    if (!buf)
        return apc__err(APC_ENOMEM, "out of memory");
    for (;;) {
        if (i >= lx->len) {
            free(buf);
            *err_off = start;
            return apc__err(APC_EINVAL, "string starting at offset %zu is not closed: add `\"`",
                            start);
        }
        unsigned char c = (unsigned char)lx->text[i];
        if (c == '"')
            break;
        if (c != '\\') {
            buf[n++] = (char)c;
            i++;
            continue;
        }
        if (i + 1 >= lx->len) {
            free(buf);
            *err_off = i;
            return apc__err(APC_EINVAL, "`\\` at the end of the filter escapes nothing");
        }
        char e = lx->text[i + 1];
        i += 2;
        switch (e) {
        case '"':
        case '\\':
            buf[n++] = e;
            break;
        case 'n':
            buf[n++] = '\n';
            break;
        case 'r':
            buf[n++] = '\r';
            break;
        case 't':
            buf[n++] = '\t';
            break;
        case 'x': {
            int h = i < lx->len ? hexval((unsigned char)lx->text[i]) : -1;
            int l = i + 1 < lx->len ? hexval((unsigned char)lx->text[i + 1]) : -1;
            if (h < 0 || l < 0) {
                free(buf);
                *err_off = i - 2;
                return apc__err(APC_EINVAL, "`\\x` must be followed by two hex digits");
            }
            buf[n++] = (char)(h * 16 + l);
            i += 2;
            break;
        }
        default:
            free(buf);
            *err_off = i - 2;
            return apc__err(APC_EINVAL,
                            "unknown escape `\\%c` in a string; use \\\\, \\\", \\n, \\r, \\t "
                            "or \\xHH",
                            e);
        }
    }
    buf[n] = '\0';
    lx->tok.kind = T_STRING;
    lx->tok.pos = start;
    lx->tok.len = i + 1 - start;
    lx->tok.str = buf;
    lx->tok.slen = n;
    lx->pos = i + 1;
    return 0;
}

int apc__lex_next(apc__lexer_t *lx, size_t *err_off)
{
    apc__lex_free(lx);
    while (lx->pos < lx->len && isspace((unsigned char)lx->text[lx->pos]))
        lx->pos++;
    lx->tok.pos = lx->pos;
    lx->tok.len = 1;
    if (lx->pos >= lx->len) {
        lx->tok.kind = T_END;
        lx->tok.len = 0;
        return 0;
    }
    const char *s = lx->text + lx->pos;
    size_t rest = lx->len - lx->pos;
    char c = s[0], c1 = rest > 1 ? s[1] : '\0';
    int two = 0;
    switch (c) {
    case '"':
        return lex_string(lx, err_off);
    case '(':
        lx->tok.kind = T_LP;
        break;
    case ')':
        lx->tok.kind = T_RP;
        break;
    case '{':
        lx->tok.kind = T_LB;
        break;
    case '}':
        lx->tok.kind = T_RB;
        break;
    case ',':
        lx->tok.kind = T_COMMA;
        break;
    case '~':
        lx->tok.kind = T_TILDE;
        break;
    case '=':
        if (c1 != '=') {
            *err_off = lx->pos;
            return apc__err(APC_EINVAL, "`=` is not an operator: use `==` to compare");
        }
        lx->tok.kind = T_EQ;
        two = 1;
        break;
    case '!':
        lx->tok.kind = c1 == '=' ? T_NE : T_NOT;
        two = c1 == '=';
        break;
    case '<':
        lx->tok.kind = c1 == '=' ? T_LE : T_LT;
        two = c1 == '=';
        break;
    case '>':
        lx->tok.kind = c1 == '=' ? T_GE : T_GT;
        two = c1 == '=';
        break;
    case '&':
        if (c1 != '&') {
            *err_off = lx->pos;
            return apc__err(APC_EINVAL, "`&` is not an operator: use `&&` (or `and`)");
        }
        lx->tok.kind = T_AND;
        two = 1;
        break;
    case '|':
        if (c1 != '|') {
            *err_off = lx->pos;
            return apc__err(APC_EINVAL, "`|` is not an operator: use `||` (or `or`)");
        }
        lx->tok.kind = T_OR;
        two = 1;
        break;
    default:
        if (!is_word((unsigned char)c)) {
            *err_off = lx->pos;
            if (c == '\'')
                return apc__err(APC_EINVAL, "strings are written in double quotes: \"...\"");
            if ((unsigned char)c < 0x20 || (unsigned char)c >= 0x7f)
                return apc__err(APC_EINVAL, "unexpected byte 0x%02x", (unsigned char)c);
            return apc__err(APC_EINVAL, "unexpected character `%c`", c);
        }
        size_t n = 1;
        while (n < rest && is_word((unsigned char)s[n]))
            n++;
        lx->tok.kind = T_WORD;
        lx->tok.len = n;
        lx->pos += n;
        return 0;
    }
    lx->tok.len = two ? 2 : 1;
    lx->pos += lx->tok.len;
    return 0;
}
