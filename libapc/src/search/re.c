/* SPDX-License-Identifier: MIT */
/*
 * `matches` uses PCRE2, the regular-expression engine Wireshark's display filters use, so a
 * pattern behaves as it does there (case-insensitive unless it says (?-i)).
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdlib.h>

#include "core/error.h"
#include "search/filter.h"

typedef struct re {
    pcre2_code *code;
    pcre2_match_data *md;
    pcre2_match_context *mc;
} re_t;

void *apc__re_compile(const char *pat, size_t len, size_t *err_off)
{
    int ec;
    PCRE2_SIZE eo;
    pcre2_code *code = pcre2_compile((PCRE2_SPTR)pat, len, PCRE2_CASELESS, &ec, &eo, NULL);
    if (!code) {
        PCRE2_UCHAR msg[160];
        pcre2_get_error_message(ec, msg, sizeof msg);
        *err_off = eo;
        apc__err(APC_EINVAL, "bad regular expression at offset %zu of the pattern: %s", (size_t)eo,
                 (const char *)msg);
        return NULL;
    }
    re_t *re = calloc(1, sizeof *re);
    if (re) {
        re->code = code;
        re->md = pcre2_match_data_create_from_pattern(code, NULL);
        re->mc = pcre2_match_context_create(NULL);
    }
    if (!re || !re->md || !re->mc) {
        apc__re_free(re);
        if (!re)
            pcre2_code_free(code);
        *err_off = 0;
        apc__err(APC_ENOMEM, "out of memory");
        return NULL;
    }
    /* Bounded work per packet: a backtracking blow-up is a non-match, never a hang. */
    pcre2_set_match_limit(re->mc, 1000000);
    pcre2_set_depth_limit(re->mc, 10000);
    pcre2_jit_compile(code, PCRE2_JIT_COMPLETE); /* optional: falls back to the interpreter */
    return re;
}

int apc__re_match(void *p, const uint8_t *s, size_t n)
{
    re_t *re = p;
    int rc = pcre2_match(re->code, (PCRE2_SPTR)s, n, 0, 0, re->md, re->mc);
    return rc >= 0;
}

void apc__re_free(void *p)
{
    re_t *re = p;
    if (!re)
        return;
    pcre2_match_data_free(re->md);
    pcre2_match_context_free(re->mc);
    pcre2_code_free(re->code);
    free(re);
}
