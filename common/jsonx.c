/* SPDX-License-Identifier: MIT */
/*
 * The exact JSON reader (jsonx.h): RFC 8259 into a cJSON tree that keeps each number's exact
 * text (as a cJSON_Raw node): cJSON stores numbers as doubles, and FILETIMEs (~1.3e17) and
 * 64-bit ids lose digits above 2^53, which would misprint packet times by microseconds or
 * turn one id into another.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonx.h"

#define JSON_MAX_DEPTH 256

typedef struct reader {
    const char *p;
    const char *end;
    int depth;
} reader_t;

static void skip_ws(reader_t *r)
{
    while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
        r->p++;
}

static cJSON *parse_value(reader_t *r);

static int hex4(const char *s, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

static size_t put_utf8(char *o, unsigned cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* RFC 8259 section 7. Returns a malloc'd UTF-8 string; r->p is past the closing quote. */
static char *parse_string(reader_t *r)
{
    if (r->p >= r->end || *r->p != '"')
        return NULL;
    r->p++;
    const char *s = r->p;
    while (s < r->end && *s != '"') {
        if (*s == '\\')
            s++;
        s++;
    }
    if (s >= r->end)
        return NULL;
    /* Escapes never expand: the raw length bounds the decoded one. */
    char *out = malloc((size_t)(s - r->p) + 1);
    if (!out)
        return NULL;
    size_t n = 0;
    while (r->p < s) {
        unsigned char c = (unsigned char)*r->p++;
        if (c < 0x20)
            goto bad;
        if (c != '\\') {
            out[n++] = (char)c;
            continue;
        }
        if (r->p >= s)
            goto bad;
        char e = *r->p++;
        switch (e) {
        case '"':
            out[n++] = '"';
            break;
        case '\\':
            out[n++] = '\\';
            break;
        case '/':
            out[n++] = '/';
            break;
        case 'b':
            out[n++] = '\b';
            break;
        case 'f':
            out[n++] = '\f';
            break;
        case 'n':
            out[n++] = '\n';
            break;
        case 'r':
            out[n++] = '\r';
            break;
        case 't':
            out[n++] = '\t';
            break;
        case 'u': {
            unsigned cp, lo;
            if (s - r->p < 4 || hex4(r->p, &cp) < 0)
                goto bad;
            r->p += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                if (s - r->p < 6 || r->p[0] != '\\' || r->p[1] != 'u' || hex4(r->p + 2, &lo) < 0 ||
                    lo < 0xDC00 || lo > 0xDFFF)
                    goto bad;
                r->p += 6;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                goto bad;
            }
            n += put_utf8(out + n, cp);
            break;
        }
        default:
            goto bad;
        }
    }
    out[n] = '\0';
    r->p = s + 1;
    return out;
bad:
    free(out);
    return NULL;
}

/* A node that takes ownership of text (malloc'd), as cJSON's own parser builds them: cJSON_Delete
 * frees a String's or Raw's valuestring, and an item's key, with free() (we set no hooks).
 * The Create and AddItemToObject calls would copy each, and a page of packets has ~70k. */
static cJSON *adopt(int type, char *text)
{
    cJSON *v = cJSON_CreateNull();
    if (!v) {
        free(text);
        return NULL;
    }
    v->type = type;
    v->valuestring = text;
    return v;
}

/* RFC 8259 section 6: -? int frac? exp? */
static cJSON *parse_number(reader_t *r)
{
    const char *s = r->p, *q = s;
    if (q < r->end && *q == '-')
        q++;
    if (q >= r->end || *q < '0' || *q > '9')
        return NULL;
    if (*q == '0')
        q++;
    else
        while (q < r->end && *q >= '0' && *q <= '9')
            q++;
    if (q < r->end && *q == '.') {
        q++;
        if (q >= r->end || *q < '0' || *q > '9')
            return NULL;
        while (q < r->end && *q >= '0' && *q <= '9')
            q++;
    }
    if (q < r->end && (*q == 'e' || *q == 'E')) {
        q++;
        if (q < r->end && (*q == '+' || *q == '-'))
            q++;
        if (q >= r->end || *q < '0' || *q > '9')
            return NULL;
        while (q < r->end && *q >= '0' && *q <= '9')
            q++;
    }
    char *text = strndup(s, (size_t)(q - s));
    cJSON *v = text ? adopt(cJSON_Raw, text) : NULL;
    r->p = q;
    return v;
}

static int literal(reader_t *r, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(r->end - r->p) < n || memcmp(r->p, word, n) != 0)
        return 0;
    r->p += n;
    return 1;
}

static cJSON *parse_container(reader_t *r, int is_object)
{
    if (++r->depth > JSON_MAX_DEPTH)
        return NULL;
    cJSON *c = is_object ? cJSON_CreateObject() : cJSON_CreateArray();
    if (!c)
        return NULL;
    char close = is_object ? '}' : ']';
    r->p++;
    skip_ws(r);
    if (r->p < r->end && *r->p == close) {
        r->p++;
        r->depth--;
        return c;
    }
    for (;;) {
        char *key = NULL;
        skip_ws(r);
        if (is_object) {
            key = parse_string(r);
            if (!key)
                goto bad;
            skip_ws(r);
            if (r->p >= r->end || *r->p != ':') {
                free(key);
                goto bad;
            }
            r->p++;
        }
        cJSON *item = parse_value(r);
        if (!item) {
            free(key);
            goto bad;
        }
        /* The key is adopted too: an object's members are its children with `string` set. */
        item->string = key;
        cJSON_AddItemToArray(c, item);
        skip_ws(r);
        if (r->p < r->end && *r->p == ',') {
            r->p++;
            continue;
        }
        if (r->p < r->end && *r->p == close) {
            r->p++;
            r->depth--;
            return c;
        }
        goto bad;
    }
bad:
    cJSON_Delete(c);
    return NULL;
}

static cJSON *parse_value(reader_t *r)
{
    skip_ws(r);
    if (r->p >= r->end)
        return NULL;
    switch (*r->p) {
    case '{':
        return parse_container(r, 1);
    case '[':
        return parse_container(r, 0);
    case '"': {
        char *s = parse_string(r);
        return s ? adopt(cJSON_String, s) : NULL;
    }
    default:
        break;
    }
    if (literal(r, "true"))
        return cJSON_CreateTrue();
    if (literal(r, "false"))
        return cJSON_CreateFalse();
    if (literal(r, "null"))
        return cJSON_CreateNull();
    return parse_number(r);
}

cJSON *apc_jsonx_parse(const char *text)
{
    return text ? apc_jsonx_parse_len(text, strlen(text)) : NULL;
}

cJSON *apc_jsonx_parse_len(const char *text, size_t len)
{
    if (!text)
        return NULL;
    reader_t r = {.p = text, .end = text + len, .depth = 0};
    cJSON *v = parse_value(&r);
    skip_ws(&r);
    if (v && r.p != r.end) {
        cJSON_Delete(v);
        return NULL;
    }
    return v;
}

bool apc_jsonx_int(const cJSON *v, int64_t *out)
{
    if (cJSON_IsRaw(v) && v->valuestring) {
        char *endp;
        errno = 0;
        long long x = strtoll(v->valuestring, &endp, 10);
        if (errno || *endp)
            return false;
        *out = x;
        return true;
    }
    if (cJSON_IsNumber(v)) {
        *out = (int64_t)v->valuedouble;
        return (double)*out == v->valuedouble;
    }
    return false;
}

bool apc_jsonx_is_integer_text(const char *s)
{
    if (!s)
        return false;
    if (*s == '-')
        s++;
    if (!*s)
        return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}
