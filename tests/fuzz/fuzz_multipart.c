/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: apcd's streaming multipart/form-data parser (apcd/multipart.c). The first
 * byte picks the size of the pieces the body is fed in (so boundaries fall across pieces), the
 * bytes up to the first newline (at most 70) are the boundary, the rest is the body. Every
 * callback checks what it is given: file bytes are counted against the upload limit, field
 * values must be within the length limit and NUL-terminated.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parsers.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static apcd_limits_t lim = {
    .max_body = 8192, .max_params = 16, .max_param_len = 512, .max_upload = 65536};
static uint64_t file_bytes;
static int in_file;

static int on_field(void *u, const char *name, const char *value, size_t len)
{
    (void)u;
    if (!name[0] || len > lim.max_param_len || value[len] != '\0')
        abort();
    return 0;
}

static int on_file_begin(void *u, const char *name, const char *filename)
{
    (void)u;
    if (in_file || !name[0] || strlen(filename) > 255)
        abort();
    in_file = 1;
    file_bytes = 0;
    return 0;
}

static int on_file_data(void *u, const char *d, size_t n)
{
    (void)u;
    if (!in_file)
        abort();
    volatile char sink = 0;
    for (size_t i = 0; i < n; i++) /* every byte handed out must be readable */
        sink ^= d[i];
    (void)sink;
    file_bytes += n;
    if (file_bytes > lim.max_upload)
        abort();
    return 0;
}

static int on_file_end(void *u)
{
    (void)u;
    if (!in_file)
        abort();
    in_file = 0;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    size_t piece = (size_t)data[0] + 1;
    data++, size--;
    const uint8_t *nl = memchr(data, '\n', size < 71 ? size : 71);
    if (!nl)
        return 0;
    char boundary[72];
    size_t bl = (size_t)(nl - data);
    memcpy(boundary, data, bl);
    boundary[bl] = '\0';
    if (bl == 0 || strlen(boundary) != bl)
        return 0;
    data = nl + 1;
    size -= bl + 1;
    char *buf = malloc(size ? size : 1);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    static const apcd_mp_cb_t cb = {on_field, on_file_begin, on_file_data, on_file_end};
    in_file = 0;
    apcd_mp_t *m = apcd_mp_new(boundary, &lim, &cb, NULL);
    if (m) {
        int rc = 0;
        for (size_t o = 0; rc == 0 && o < size; o += piece)
            rc = apcd_mp_feed(m, buf + o, size - o < piece ? size - o : piece);
        if (rc == 0)
            rc = apcd_mp_finish(m);
        if (rc == 0 && in_file)
            abort(); /* a finished body cannot end inside a file */
        apcd_mp_free(m);
    }
    /* The Content-Type parser too, on the same bytes. */
    char out[72];
    (void)apcd_mp_boundary(buf, size, out);
    free(buf);
    return 0;
}
