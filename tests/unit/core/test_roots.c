/* SPDX-License-Identifier: MIT */
/*
 * core/roots.c: directories opened beneath a root never leave it, whatever was swapped for a
 * symbolic link (issue 16 item 5: a directory inside an export root replaced by a link to
 * elsewhere placed exports outside the root); roots found after realpath; ingest roots.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <apc/apc.h>

#include "core/roots.h"

static char tmp[] = "/tmp/apc-roots-XXXXXX";

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(p);
}

static char *path(const char *rel)
{
    static char buf[8][512];
    static int k;
    k = (k + 1) % 8;
    snprintf(buf[k], sizeof buf[k], "%s/%s", tmp, rel);
    return buf[k];
}

static void test_open_beneath(void **state)
{
    (void)state;
    assert_non_null(mkdtemp(tmp));
    assert_int_equal(mkdir(path("root"), 0755), 0);
    assert_int_equal(mkdir(path("root/a"), 0755), 0);
    assert_int_equal(mkdir(path("root/a/b"), 0755), 0);
    assert_int_equal(mkdir(path("outside"), 0755), 0);
    char *root = realpath(path("root"), NULL);
    assert_non_null(root);

    int fd = apc__roots_open_dir(root, "a/b");
    assert_true(fd >= 0);
    int f = openat(fd, "x", O_WRONLY | O_CREAT | O_EXCL, 0600);
    assert_true(f >= 0);
    close(f);
    close(fd);
    assert_int_equal(access(path("root/a/b/x"), F_OK), 0);

    /* "a" swapped for a link to outside (with its own b): refused, nothing written outside. */
    assert_int_equal(mkdir(path("outside/b"), 0755), 0);
    assert_int_equal(rename(path("root/a"), path("a-moved")), 0);
    assert_int_equal(symlink(path("outside"), path("root/a")), 0);
    fd = apc__roots_open_dir(root, "a/b");
    assert_true(fd == -ELOOP || fd == -EXDEV || fd == -ENOTDIR);
    /* A link that stays inside is refused as well: no link is followed at all. */
    assert_int_equal(unlink(path("root/a")), 0);
    assert_int_equal(rename(path("a-moved"), path("root/a")), 0);
    assert_int_equal(symlink("a", path("root/c")), 0);
    fd = apc__roots_open_dir(root, "c/b");
    assert_true(fd < 0);
    fd = apc__roots_open_dir(root, "a/../../outside");
    assert_true(fd < 0);
    fd = apc__roots_open_dir(root, "");
    assert_true(fd >= 0);
    close(fd);

    char *match = NULL;
    char *real = realpath(path("root/a/b"), NULL);
    char roots[1200];
    snprintf(roots, sizeof roots, "relative:/nonexistent:%s", root);
    assert_int_equal(apc__roots_find(roots, real, &match), 0);
    assert_string_equal(match, root);
    free(match);
    char *out = realpath(path("outside"), NULL);
    assert_int_equal(apc__roots_find(roots, out, &match), 1);
    assert_null(match);
    /* "/root" is not under "/ro" */
    snprintf(roots, sizeof roots, "%.*s", (int)(strlen(root) - 1), root);
    assert_int_equal(apc__roots_find(roots, real, &match), 1);
    free(out);
    free(real);
    free(root);
}

static void test_ingest_roots(void **state)
{
    (void)state;
    apc_ctx_t *ctx = NULL;
    apc_ctx_options_t o;
    apc_ctx_options_init(&o, APC_CTX_OPTIONS_VERSION);
    o.data_dir = path("data");
    o.ingest_roots = path("root");
    assert_int_equal(apc_ctx_open(&ctx, &o), 0);
    int64_t id = 0;
    /* Outside the roots: refused before the file is opened, and nothing of it is shown. */
    assert_int_equal(apc_ingest_file(ctx, "/etc/passwd", NULL, &id), APC_EPERM);
    const char *m = apc_last_error_message();
    assert_non_null(strstr(m, "'/etc/passwd' is outside the ingest roots"));
    assert_null(strstr(m, "root:"));
    assert_int_equal(apc_settings_set(ctx, "ingest_roots", "/"), APC_EPERM);
    char *v = NULL;
    assert_int_equal(apc_settings_get(ctx, "ingest_roots", &v), 0);
    assert_string_equal(v, path("root"));
    apc_free(v);
    /* Inside: the usual checks apply (this one is not a capture). */
    int f = open(path("root/a/b/not-a-capture"), O_WRONLY | O_CREAT, 0600);
    assert_true(f >= 0);
    assert_int_equal(write(f, "hello, not a pcap file at all", 29), 29);
    close(f);
    int rc = apc_ingest_file(ctx, path("root/a/b/not-a-capture"), NULL, &id);
    assert_true(rc < 0 && rc != APC_EPERM);
    assert_null(strstr(apc_last_error_message(), "hello"));
    apc_ctx_close(ctx);
    nftw(tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_open_beneath),
                                       cmocka_unit_test(test_ingest_roots)};
    return cmocka_run_group_tests_name("core roots", tests, NULL, NULL);
}
