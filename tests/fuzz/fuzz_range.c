/* SPDX-License-Identifier: MIT */
/* libFuzzer target: a download's Range header parser and Content-Disposition writer
 * (apcd/range.c), and extraction's Content-Range parser (libapc/src/extract/http.c, the same
 * text as a 206 answer's header: a range found must lie inside its complete length). The first 8
 * bytes are the file size, the rest the header value (and the file name), NUL-terminated in a
 * buffer of exactly its size. A range found must lie inside the file; the disposition must hold no
 * quote, backslash or control byte inside its filename="..." and no byte outside printable ASCII.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "extract/http.h"
#include "parsers.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 8)
        return 0;
    unsigned long long fsize = 0;
    memcpy(&fsize, data, 8);
    fsize >>= (fsize & 63); /* small sizes are common too */
    char *s = malloc(size - 8 + 1);
    if (!s)
        return 0;
    memcpy(s, data + 8, size - 8);
    s[size - 8] = '\0';
    unsigned long long from = 0, len = 0;
    int rc = apcd_range_parse(s, fsize, &from, &len);
    if (rc == 1 && (len == 0 || from >= fsize || len > fsize - from))
        abort();
    if (rc < -1 || rc > 1)
        abort();
    uint64_t a = 0, b = 0, t = 0;
    rc = apc__http_content_range(s, &a, &b, &t);
    if (rc == 0 && (a > b || b >= t))
        abort();
    if (rc != 0 && rc != -1)
        abort();
    char cd[APCD_DISPOSITION_MAX];
    apcd_disposition(s, cd, sizeof cd);
    const char *q = strchr(cd, '"'), *e = q ? strchr(q + 1, '"') : NULL;
    if (!q || !e || e[1] != ';')
        abort();
    for (const char *c = cd; *c; c++)
        if ((unsigned char)*c < 0x20 || (unsigned char)*c > 0x7e || (c > q && c < e && *c == '\\'))
            abort();
    free(s);
    return 0;
}
