/* SPDX-License-Identifier: MIT */
/*
 * A one-line progress bar on stderr, redrawn in place with \r; only drawn on a terminal (the
 * callers check). With the rate measured since the first draw and the time left at that rate,
 * as a person waiting on a large ingest or export wants to know.
 */
#include <stdio.h>
#include <time.h>

#include "apcctl.h"

#define BAR_WIDTH 30

static double t0; /* monotonic seconds of the first draw since the last clear */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void human_bytes(double v, char *buf, size_t len)
{
    static const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    size_t u = 0;
    while (v >= 1024 && u + 1 < sizeof units / sizeof *units) {
        v /= 1024;
        u++;
    }
    if (u == 0)
        snprintf(buf, len, "%.0f B", v);
    else
        snprintf(buf, len, "%.1f %s", v, units[u]);
}

/* "ETA 1:05" or "ETA 1:02:03"; "" until something was done. */
static void eta_text(double left_s, char *buf, size_t len)
{
    if (left_s < 0 || left_s > 360000) {
        buf[0] = '\0';
        return;
    }
    long s = (long)(left_s + 0.5);
    if (s >= 3600)
        snprintf(buf, len, "  ETA %ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
    else
        snprintf(buf, len, "  ETA %ld:%02ld", s / 60, s % 60);
}

static void bar_of(uint64_t done, uint64_t total, char bar[BAR_WIDTH + 1])
{
    int filled = (int)((done * BAR_WIDTH) / total);
    for (int i = 0; i < BAR_WIDTH; i++)
        bar[i] = i < filled ? '#' : '.';
    bar[BAR_WIDTH] = '\0';
}

static double elapsed(void)
{
    double t = now_s();
    if (t0 == 0)
        t0 = t;
    return t - t0;
}

void apcctl_progress_draw(const char *label, uint64_t done, uint64_t total, uint64_t packets)
{
    double el = elapsed();
    if (total > 0) {
        if (done > total)
            done = total;
        char bar[BAR_WIDTH + 1], d[32], t[32], rate[32], eta[32] = "";
        bar_of(done, total, bar);
        human_bytes((double)done, d, sizeof d);
        human_bytes((double)total, t, sizeof t);
        double r = el > 0.2 ? (double)done / el : 0;
        human_bytes(r, rate, sizeof rate);
        if (r > 0)
            eta_text((double)(total - done) / r, eta, sizeof eta);
        fprintf(stderr, "\r%s [%s] %3d%%  %s / %s  %s/s  %llu packets%s\033[K", label, bar,
                (int)((done * 100) / total), d, t, r > 0 ? rate : "-", (unsigned long long)packets,
                eta);
    } else {
        double r = el > 0.2 ? (double)packets / el : 0;
        fprintf(stderr, "\r%s  %llu packets  %.0f packets/s\033[K", label,
                (unsigned long long)packets, r);
    }
    fflush(stderr);
}

void apcctl_progress_percent(const char *label, int percent, const char *counts)
{
    double el = elapsed();
    if (percent < 0)
        percent = 0;
    if (percent > 100)
        percent = 100;
    char bar[BAR_WIDTH + 1], eta[32] = "";
    bar_of((uint64_t)percent, 100, bar);
    if (percent > 0 && el > 0.2)
        eta_text(el * (100 - percent) / percent, eta, sizeof eta);
    fprintf(stderr, "\r%s [%s] %3d%%  %s%s\033[K", label, bar, percent, counts, eta);
    fflush(stderr);
}

void apcctl_progress_clear(void)
{
    t0 = 0;
    fprintf(stderr, "\r\033[K");
    fflush(stderr);
}
