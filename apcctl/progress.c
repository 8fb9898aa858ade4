/* SPDX-License-Identifier: MIT */
/* A one-line progress bar on stderr, redrawn in place with \r; only drawn on a terminal. */
#include <stdio.h>

#include "apcctl.h"

#define BAR_WIDTH 30

static void human_bytes(uint64_t b, char *buf, size_t len)
{
    static const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = (double)b;
    size_t u = 0;
    while (v >= 1024 && u + 1 < sizeof units / sizeof *units) {
        v /= 1024;
        u++;
    }
    if (u == 0)
        snprintf(buf, len, "%llu B", (unsigned long long)b);
    else
        snprintf(buf, len, "%.1f %s", v, units[u]);
}

void apcctl_progress_draw(const char *label, uint64_t done, uint64_t total, uint64_t packets)
{
    if (total > 0) {
        if (done > total)
            done = total;
        int filled = (int)((done * BAR_WIDTH) / total);
        char bar[BAR_WIDTH + 1];
        for (int i = 0; i < BAR_WIDTH; i++)
            bar[i] = i < filled ? '#' : '.';
        bar[BAR_WIDTH] = '\0';
        char d[32], t[32];
        human_bytes(done, d, sizeof d);
        human_bytes(total, t, sizeof t);
        fprintf(stderr, "\r%s [%s] %3d%%  %s / %s  %llu packets\033[K", label, bar,
                (int)((done * 100) / total), d, t, (unsigned long long)packets);
    } else {
        fprintf(stderr, "\r%s  %llu packets\033[K", label, (unsigned long long)packets);
    }
    fflush(stderr);
}

void apcctl_progress_clear(void)
{
    fprintf(stderr, "\r\033[K");
    fflush(stderr);
}
