/* SPDX-License-Identifier: MIT */
/* Parsers of /proc/<pid>/{stat,cmdline,status} text (proc(5)). Bounds-checked: the text comes
 * from the kernel but a comm is chosen by the program. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apc/common.h>

#include "attrib/proctable.h"
#include "core/error.h"

int apc__proc_parse_stat(const char *text, size_t len, char *comm, size_t comm_len, int64_t *ppid,
                         uint64_t *start_ticks)
{
    /* "pid (comm) state ppid ..." — comm may hold ") (": the LAST ')' closes it. */
    const char *open = memchr(text, '(', len);
    const char *close = NULL;
    for (size_t i = len; i > 0; i--)
        if (text[i - 1] == ')') {
            close = text + i - 1;
            break;
        }
    if (!open || !close || close < open)
        return apc__err(APC_EFORMAT, "/proc stat: no '(comm)' in %zu bytes", len);
    size_t n = (size_t)(close - open - 1);
    if (comm_len) {
        if (n >= comm_len)
            n = comm_len - 1;
        memcpy(comm, open + 1, n);
        comm[n] = '\0';
    }
    /* Fields after comm: 3 state, 4 ppid, ... 22 starttime (1-based as in proc(5)). */
    const char *p = close + 1, *end = text + len;
    int field = 2;
    int64_t pp = -1;
    uint64_t st = 0;
    while (p < end && field < 22) {
        while (p < end && *p == ' ')
            p++;
        if (p >= end)
            break;
        field++;
        const char *tok = p;
        while (p < end && *p != ' ' && *p != '\n')
            p++;
        char buf[32];
        size_t tl = (size_t)(p - tok);
        if (tl >= sizeof buf)
            tl = sizeof buf - 1;
        memcpy(buf, tok, tl);
        buf[tl] = '\0';
        if (field == 4)
            pp = strtoll(buf, NULL, 10);
        else if (field == 22)
            st = strtoull(buf, NULL, 10);
    }
    if (field < 22 || pp < 0)
        return apc__err(APC_EFORMAT, "/proc stat: %d fields, 22 expected", field);
    *ppid = pp;
    *start_ticks = st;
    return 0;
}

void apc__proc_join_cmdline(const char *buf, size_t len, char *out, size_t out_len)
{
    if (!out_len)
        return;
    while (len && buf[len - 1] == '\0')
        len--;
    size_t n = len < out_len - 1 ? len : out_len - 1;
    for (size_t i = 0; i < n; i++)
        out[i] = buf[i] ? buf[i] : ' ';
    out[n] = '\0';
}

long apc__proc_status_uid(const char *text, size_t len)
{
    for (size_t i = 0; i + 4 < len; i++) {
        if ((i == 0 || text[i - 1] == '\n') && memcmp(text + i, "Uid:", 4) == 0) {
            char buf[32];
            size_t j = i + 4, k = 0;
            while (j < len && (text[j] == '\t' || text[j] == ' '))
                j++;
            while (j < len && k < sizeof buf - 1 && text[j] >= '0' && text[j] <= '9')
                buf[k++] = text[j++];
            buf[k] = '\0';
            return k ? strtol(buf, NULL, 10) : -1;
        }
    }
    return -1;
}
