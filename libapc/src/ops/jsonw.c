/* SPDX-License-Identifier: MIT */
/* JSON text writer (jsonw.h): what cJSON_PrintUnformatted would write, without the tree. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops/jsonw.h"

static int grow(apc__jw_t *w, size_t more)
{
    if (w->oom)
        return -1;
    if (w->len + more + 1 <= w->cap)
        return 0;
    size_t cap = w->cap ? w->cap : 4096;
    while (cap < w->len + more + 1)
        cap *= 2;
    char *nb = realloc(w->buf, cap);
    if (!nb) {
        w->oom = 1;
        return -1;
    }
    w->buf = nb;
    w->cap = cap;
    return 0;
}

void apc__jw_raw(apc__jw_t *w, const char *s, size_t n)
{
    if (grow(w, n) < 0)
        return;
    memcpy(w->buf + w->len, s, n);
    w->len += n;
    w->buf[w->len] = '\0';
}

static void put(apc__jw_t *w, char c)
{
    apc__jw_raw(w, &c, 1);
}

/* A value or key after another one in the same container takes a comma first. */
static void sep(apc__jw_t *w)
{
    if (w->len && w->buf[w->len - 1] != '{' && w->buf[w->len - 1] != '[' &&
        w->buf[w->len - 1] != ':')
        put(w, ',');
}

void apc__jw_open(apc__jw_t *w, char c)
{
    sep(w);
    put(w, c);
}

void apc__jw_close(apc__jw_t *w, char c)
{
    put(w, c);
}

size_t apc__utf8_seq(const unsigned char *s, size_t n)
{
    unsigned c = s[0], min;
    size_t k;
    if (c < 0x80)
        return 1;
    if ((c & 0xe0) == 0xc0)
        k = 1, min = 0x80, c &= 0x1f;
    else if ((c & 0xf0) == 0xe0)
        k = 2, min = 0x800, c &= 0x0f;
    else if ((c & 0xf8) == 0xf0)
        k = 3, min = 0x10000, c &= 0x07;
    else
        return 0;
    if (k >= n)
        return 0;
    for (size_t j = 1; j <= k; j++) {
        if ((s[j] & 0xc0) != 0x80)
            return 0;
        c = (c << 6) | (s[j] & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
        return 0;
    return k + 1;
}

/* The quoted string: cJSON's escapes (short forms, \u00XX below 0x20), U+FFFD for a byte
 * that starts no well-formed sequence. */
static void quoted(apc__jw_t *w, const char *str)
{
    const unsigned char *s = (const unsigned char *)(str ? str : "");
    size_t n = strlen((const char *)s);
    put(w, '"');
    size_t run = 0; /* bytes before s[i] not yet copied */
    for (size_t i = 0; i < n;) {
        unsigned c = s[i];
        const char *esc = NULL;
        char u[7];
        size_t k = 1;
        if (c == '"')
            esc = "\\\"";
        else if (c == '\\')
            esc = "\\\\";
        else if (c == '\b')
            esc = "\\b";
        else if (c == '\f')
            esc = "\\f";
        else if (c == '\n')
            esc = "\\n";
        else if (c == '\r')
            esc = "\\r";
        else if (c == '\t')
            esc = "\\t";
        else if (c < 0x20)
            snprintf(u, sizeof u, "\\u%04x", c), esc = u;
        else if (c >= 0x80 && !(k = apc__utf8_seq(s + i, n - i)))
            esc = "\xef\xbf\xbd", k = 1;
        if (!esc) {
            i += k;
            run += k;
            continue;
        }
        apc__jw_raw(w, (const char *)s + i - run, run);
        apc__jw_raw(w, esc, strlen(esc));
        run = 0;
        i += k;
    }
    apc__jw_raw(w, (const char *)s + n - run, run);
    put(w, '"');
}

void apc__jw_key(apc__jw_t *w, const char *name)
{
    sep(w);
    quoted(w, name);
    put(w, ':');
}

void apc__jw_str(apc__jw_t *w, const char *s)
{
    sep(w);
    quoted(w, s);
}

/* By hand rather than snprintf: a page holds some twenty thousand integers, and the format
 * parser was the writer's largest cost. */
void apc__jw_i64(apc__jw_t *w, int64_t v)
{
    char buf[24], *e = buf + sizeof buf, *p = e;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--p = '-';
    sep(w);
    apc__jw_raw(w, p, (size_t)(e - p));
}

void apc__jw_hex(apc__jw_t *w, const uint8_t *d, size_t n)
{
    static const char hx[] = "0123456789abcdef";
    sep(w);
    if (grow(w, n * 2 + 2) < 0)
        return;
    char *o = w->buf + w->len;
    *o++ = '"';
    for (size_t i = 0; i < n; i++) {
        *o++ = hx[d[i] >> 4];
        *o++ = hx[d[i] & 15];
    }
    *o++ = '"';
    w->len += n * 2 + 2;
    w->buf[w->len] = '\0';
}

char *apc__jw_take(apc__jw_t *w)
{
    char *s = w->oom ? NULL : w->buf;
    if (s && !w->len) {
        s = strdup("");
        free(w->buf);
    } else if (!s) {
        free(w->buf);
    }
    memset(w, 0, sizeof *w);
    return s;
}

void apc__jw_free(apc__jw_t *w)
{
    free(w->buf);
    memset(w, 0, sizeof *w);
}
