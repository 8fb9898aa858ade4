/* SPDX-License-Identifier: MIT */
/*
 * Libraries loaded when first needed (util/dl.h; fleet/curl_dl.c, store/pg/pq_dl.c): a library
 * that is missing, or lacks a function, is said by name; one that is there is resolved whole
 * and its forwarders reach it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <curl/curl.h>

#include "fleet/peer_int.h"
#include "store/pg/pg_int.h"
#include "util/dl.h"

static void test_missing_library(void **state)
{
    (void)state;
    void *slot = NULL;
    void **slots[] = {&slot};
    const char *names[] = {"strlen"};
    char err[256] = "";
    assert_int_equal(apc__dl_resolve("libapc-no-such-lib.so.9", names, slots, 1, err, sizeof err),
                     -1);
    assert_non_null(strstr(err, "libapc-no-such-lib.so.9"));
}

static void test_missing_function(void **state)
{
    (void)state;
    void *a = NULL, *b = NULL;
    void **slots[] = {&a, &b};
    const char *names[] = {"strlen", "apc_no_such_function"};
    char err[256] = "";
    assert_int_equal(apc__dl_resolve("libc.so.6", names, slots, 2, err, sizeof err), -1);
    assert_string_equal(err, "libc.so.6 has no apc_no_such_function");
}

static void test_resolved(void **state)
{
    (void)state;
    void *fn = NULL;
    void **slots[] = {&fn};
    const char *names[] = {"strlen"};
    char err[256] = "";
    assert_int_equal(apc__dl_resolve("libc.so.6", names, slots, 1, err, sizeof err), 0);
    size_t (*len)(const char *) = (size_t(*)(const char *))fn;
    assert_int_equal(len("fleet"), 5);
}

/* The two loaders on this machine (scripts/deps.sh installs both libraries), and forwarders
 * of each kind: plain (curl_easy_escape, PQconnectdbParams), variadic (curl_easy_setopt), void
 * (curl_free, PQfinish). */
static void test_loaders(void **state)
{
    (void)state;
    assert_int_equal(apc__curl_load(), 0);
    assert_int_equal(apc__pq_load(), 0);
    CURL *c = curl_easy_init();
    assert_non_null(c);
    assert_int_equal(curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 1000L), CURLE_OK);
    assert_int_equal(curl_easy_setopt(c, CURLOPT_URL, "http://127.0.0.1:9/"), CURLE_OK);
    char *esc = curl_easy_escape(c, "a b&c", 0);
    assert_string_equal(esc, "a%20b%26c");
    curl_free(esc);
    curl_easy_cleanup(c);
    /* a socket directory that does not exist: refused at once, with libpq's reason */
    const char *const keys[] = {"host", NULL}, *const vals[] = {"/nonexistent-apc-dir", NULL};
    PGconn *pq = PQconnectdbParams(keys, vals, 0);
    assert_non_null(pq);
    assert_int_equal(PQstatus(pq), CONNECTION_BAD);
    assert_non_null(strstr(PQerrorMessage(pq), "nonexistent-apc-dir"));
    PQfinish(pq);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_missing_library),
        cmocka_unit_test(test_missing_function),
        cmocka_unit_test(test_resolved),
        cmocka_unit_test(test_loaders),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
