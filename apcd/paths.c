/* SPDX-License-Identifier: MIT */
/*
 * Where apcd's files are when no flag says: the themes and the default data directory. The
 * same binary runs from the build tree (scripts/run, tests) and installed (meson install,
 * packages), and each wants its own: the build tree the source themes and ./apc-data, an
 * installed apcd the themes under its datadir and /var/lib/apppaccap. Which one this is is
 * read from /proc/self/exe: the build tree's apcd lives in APCD_BUILD_DIR.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apcd.h"

#ifndef APCD_SOURCE_THEMES_DIR
#define APCD_SOURCE_THEMES_DIR "apcd/themes"
#endif
#ifndef APCD_BUILD_DIR
#define APCD_BUILD_DIR ""
#endif
#ifndef APCD_INSTALLED_THEMES_DIR
#define APCD_INSTALLED_THEMES_DIR "/usr/local/share/apppaccap/themes"
#endif
#ifndef APCD_THEMES_FROM_BINDIR
#define APCD_THEMES_FROM_BINDIR ""
#endif
#ifndef APCD_INSTALLED_DATA_DIR
#define APCD_INSTALLED_DATA_DIR "/var/lib/apppaccap"
#endif

/* The folder of the running executable, "" when /proc cannot tell. */
static void exe_dir(char *out, size_t n)
{
    char buf[PATH_MAX];
    ssize_t r = readlink("/proc/self/exe", buf, sizeof buf - 1);
    out[0] = '\0';
    if (r <= 0)
        return;
    buf[r] = '\0';
    char *slash = strrchr(buf, '/');
    if (!slash)
        return;
    *slash = '\0';
    snprintf(out, n, "%s", buf[0] ? buf : "/");
}

int apcd_in_build_tree(void)
{
    char dir[PATH_MAX], a[PATH_MAX], b[PATH_MAX];
    exe_dir(dir, sizeof dir);
    if (!dir[0] || !APCD_BUILD_DIR[0])
        return 0;
    /* Both resolved: the build folder may be reached through a symlink. */
    if (!realpath(dir, a) || !realpath(APCD_BUILD_DIR, b))
        return 0;
    return strcmp(a, b) == 0;
}

static int is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

void apcd_default_themes(char *out, size_t n)
{
    if (apcd_in_build_tree()) {
        snprintf(out, n, "%s", APCD_SOURCE_THEMES_DIR);
        return;
    }
    char dir[PATH_MAX];
    exe_dir(dir, sizeof dir);
    if (dir[0] && APCD_THEMES_FROM_BINDIR[0]) {
        snprintf(out, n, "%s/%s", dir, APCD_THEMES_FROM_BINDIR);
        if (is_dir(out))
            return;
    }
    snprintf(out, n, "%s", APCD_INSTALLED_THEMES_DIR);
}

const char *apcd_default_data_dir(void)
{
    return apcd_in_build_tree() ? "./apc-data" : APCD_INSTALLED_DATA_DIR;
}
