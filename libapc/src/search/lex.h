/* SPDX-License-Identifier: MIT */
/* Tokens of the filter language (lex.c). */
#ifndef APC_SEARCH_LEX_H
#define APC_SEARCH_LEX_H

#include <stddef.h>

enum apc__tok {
    T_END = 0,
    T_WORD,   /* field names, keywords, numbers, addresses: [A-Za-z0-9_.:/]+ */
    T_STRING, /* "..." with its escapes decoded */
    T_LP,
    T_RP,
    T_LB,
    T_RB,
    T_COMMA,
    T_EQ,
    T_NE,
    T_LT,
    T_LE,
    T_GT,
    T_GE,
    T_AND,
    T_OR,
    T_NOT,
    T_TILDE, /* ~ : matches */
};

typedef struct apc__token {
    int kind;
    size_t pos, len; /* span in the filter text */
    char *str;       /* T_STRING: decoded bytes, NUL added (owned by the lexer) */
    size_t slen;
} apc__token_t;

typedef struct apc__lexer {
    const char *text;
    size_t len, pos;
    apc__token_t tok; /* the current token */
} apc__lexer_t;

/* Reads the next token into lx->tok. APC_EINVAL with the message set and *err_off at the
 * offending byte on a character that cannot start a token or a bad string. */
int apc__lex_next(apc__lexer_t *lx, size_t *err_off);
void apc__lex_free(apc__lexer_t *lx);
/* Nonzero when the current token is the word `w` (case-insensitive, for keywords). */
int apc__lex_is(const apc__lexer_t *lx, const char *w);

#endif
