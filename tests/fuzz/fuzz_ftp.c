/* SPDX-License-Identifier: MIT */
/* libFuzzer target: FTP control lines (libapc/src/extract/ftp.c) on arbitrary bytes, each line
 * read both as a client's command and as a server's reply. What they fill must be sane. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "extract/ftp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data, *end = p + size;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = (size_t)((nl ? nl : end) - p);
        /* a copy of exactly the line's bytes: reads past it are caught by ASan */
        char *line = malloc(n ? n : 1);
        if (!line)
            return 0;
        memcpy(line, p, n);
        char arg[64];
        apc__ftp_addr_t a;
        int k = apc__ftp_command(line, n, arg, sizeof arg, &a);
        if (strlen(arg) >= sizeof arg)
            abort();
        if (k == APC__FTP_PORT && (a.port <= 0 || a.port > 65535 || strlen(a.ip) >= sizeof a.ip))
            abort();
        uint64_t sz = 0;
        if (apc__ftp_reply(line, n, &a, &sz) == 1 && (a.port <= 0 || a.port > 65535))
            abort();
        free(line);
        p += n + 1;
    }
    return 0;
}
