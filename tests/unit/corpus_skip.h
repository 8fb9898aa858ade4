/* SPDX-License-Identifier: MIT */
/*
 * The shared corpus ($APC_CORPUS, ../shared/corpus) is beside a developer's checkout and CI's,
 * not beside a plain clone. A test that needs it calls apc_test_corpus_or_skip(): it returns the
 * directory, or marks the calling CMocka test skipped, saying why, when the corpus is absent.
 * Include after <cmocka.h>.
 */
#ifndef APC_TEST_CORPUS_SKIP_H
#define APC_TEST_CORPUS_SKIP_H

#include <stdlib.h>
#include <sys/stat.h>

static inline int apc_test_have_corpus(void)
{
    const char *d = getenv("APC_CORPUS");
    struct stat st;
    return d && *d && stat(d, &st) == 0 && S_ISDIR(st.st_mode);
}

static inline const char *apc_test_corpus_or_skip(void)
{
    if (apc_test_have_corpus())
        return getenv("APC_CORPUS");
    const char *d = getenv("APC_CORPUS");
    print_message("skipped: APC_CORPUS (%s) is not a directory: the shared corpus is not beside "
                  "this checkout\n",
                  d && *d ? d : "unset");
    skip();
    return NULL;
}

/* A file the build generated (tests/captures/, $APC_TEST_CAPTURES) into buf. */
static inline const char *apc_test_capture(char *buf, size_t n, const char *name)
{
    const char *d = getenv("APC_TEST_CAPTURES");
    assert_non_null(d);
    snprintf(buf, n, "%s/%s", d, name);
    return buf;
}

#endif
