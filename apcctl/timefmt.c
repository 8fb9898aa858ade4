/* SPDX-License-Identifier: MIT */
/* FILETIME (the wire's times, spec/wire.md) printed as ISO 8601 UTC. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "apcctl.h"

void apcctl_format_filetime(int64_t ft, char *buf, size_t len)
{
    if (ft == 0) {
        snprintf(buf, len, "-");
        return;
    }
    apc_time_t ns = apc_time_from_filetime(ft);
    int64_t sec = ns / 1000000000, frac = ns % 1000000000;
    if (frac < 0) {
        sec--;
        frac += 1000000000;
    }
    time_t t = (time_t)sec;
    struct tm tm;
    if (!gmtime_r(&t, &tm)) {
        snprintf(buf, len, "%lld", (long long)ft);
        return;
    }
    char date[32];
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
    /* Microseconds unless the value is finer (pcapng can carry ns; FILETIME keeps 100 ns). */
    if (frac % 1000 == 0)
        snprintf(buf, len, "%s.%06lldZ", date, (long long)(frac / 1000));
    else
        snprintf(buf, len, "%s.%09lldZ", date, (long long)frac);
}

bool apcctl_is_time_field(const char *name)
{
    static const char *suffixes[] = {"Time", "Seen", "Started", "Finished", "Created", "Updated"};
    static const char *exact[] = {"Since", "LastFired", "LastRun"};
    size_t n = strlen(name);
    for (size_t i = 0; i < sizeof suffixes / sizeof *suffixes; i++) {
        size_t m = strlen(suffixes[i]);
        if (n >= m && strcmp(name + n - m, suffixes[i]) == 0)
            return true;
    }
    for (size_t i = 0; i < sizeof exact / sizeof *exact; i++)
        if (strcmp(name, exact[i]) == 0)
            return true;
    return false;
}
