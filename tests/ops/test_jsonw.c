/* SPDX-License-Identifier: MIT */
/*
 * The JSON text writer of packet pages (ops/jsonw.c) against cJSON: for any bytes, a field it
 * writes is exactly what the tree path (apc__json_add_str, then cJSON_PrintUnformatted) wrote
 * before it, so replies did not change when pages stopped being built as trees. Random strings
 * mix ASCII, control bytes, quotes, backslashes, valid and broken UTF-8.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <cjson/cJSON.h>

#include "ops/jsonw.h"
#include "ops/ops_internal.h"

/* {"k":<s>} through the tree path. */
static char *via_tree(const char *s)
{
    cJSON *o = cJSON_CreateObject();
    assert_non_null(o);
    assert_int_equal(apc__json_add_str(o, "k", s), 0);
    char *t = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    assert_non_null(t);
    return t;
}

static char *via_writer(const char *s)
{
    apc__jw_t w = {0};
    apc__jw_open(&w, '{');
    apc__jw_key(&w, "k");
    apc__jw_str(&w, s);
    apc__jw_close(&w, '}');
    char *t = apc__jw_take(&w);
    assert_non_null(t);
    return t;
}

static void same(const char *s)
{
    char *a = via_tree(s), *b = via_writer(s);
    assert_string_equal(a, b);
    cJSON_free(a);
    free(b);
}

static void test_fixed_strings(void **state)
{
    (void)state;
    same("");
    same("plain ascii");
    same("quote \" backslash \\ slash / tab \t nl \n cr \r bs \b ff \f");
    same("\x01\x02\x1f\x7f end");
    same("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"); /* 2, 3, 4-byte sequences */
    same("cut \xc3");                                  /* truncated sequence at the end */
    same("\xff\xfe bad lead bytes");                   /* never valid */
    same("\xc0\xaf overlong \xed\xa0\x80 surrogate");  /* RFC 3629 forbids both */
    same("\xf4\x90\x80\x80 above U+10FFFF");
}

static void test_random_strings(void **state)
{
    (void)state;
    static const char alphabet[] = "a\"\\\x01\x1f\t\n\x7f\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xff"
                                   "\x80\xed\xa0";
    unsigned seed = 12345;
    char buf[64];
    for (int round = 0; round < 20000; round++) {
        size_t n = (size_t)(rand_r(&seed) % 40);
        for (size_t i = 0; i < n; i++)
            buf[i] = alphabet[rand_r(&seed) % (sizeof alphabet - 1)];
        buf[n] = '\0';
        same(buf);
    }
}

/* Keys, commas and nesting as cJSON prints them. */
static void test_structure(void **state)
{
    (void)state;
    apc__jw_t w = {0};
    apc__jw_open(&w, '{');
    apc__jw_key(&w, "A");
    apc__jw_i64(&w, INT64_MIN);
    apc__jw_key(&w, "B");
    apc__jw_open(&w, '[');
    apc__jw_close(&w, ']');
    apc__jw_key(&w, "C");
    apc__jw_open(&w, '[');
    apc__jw_open(&w, '{');
    apc__jw_close(&w, '}');
    apc__jw_open(&w, '{');
    apc__jw_key(&w, "D");
    apc__jw_hex(&w, (const uint8_t *)"\x00\xab", 2);
    apc__jw_close(&w, '}');
    apc__jw_i64(&w, 133444736000000120);
    apc__jw_str(&w, "x");
    apc__jw_close(&w, ']');
    apc__jw_close(&w, '}');
    char *t = apc__jw_take(&w);
    assert_string_equal(t, "{\"A\":-9223372036854775808,\"B\":[],\"C\":[{},{\"D\":\"00ab\"},"
                           "133444736000000120,\"x\"]}");
    cJSON *parsed = cJSON_Parse(t);
    assert_non_null(parsed);
    cJSON_Delete(parsed);
    free(t);
}

/* A packet page is one raw node in the reply: the whole reply still parses, fields in order. */
static void test_packet_page(void **state)
{
    (void)state;
    apc_packet_t ps[2];
    memset(ps, 0, sizeof ps);
    ps[0].id = 1;
    ps[0].summary = "IP 10.0.0.1 > 10.0.0.2: ICMP echo request";
    ps[0].process_name = "curl\xff";
    ps[1].id = 2;
    static const uint8_t bytes[] = {0xde, 0xad};
    ps[1].data = (uint8_t *)bytes;
    ps[1].caplen = 2;
    apc_packet_page_t pg = {.capture_id = 7, .last_id = 2, .more = 0, .count = 2, .packets = ps};
    cJSON *o = apc__json_packet_page(&pg, 1);
    assert_non_null(o);
    char *t = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    cJSON *back = cJSON_Parse(t);
    assert_non_null(back);
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(back, "Packets");
    assert_int_equal(cJSON_GetArraySize(arr), 2);
    const cJSON *p0 = cJSON_GetArrayItem(arr, 0), *p1 = cJSON_GetArrayItem(arr, 1);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(p0, "ProcessName")->valuestring,
                        "curl\xef\xbf\xbd");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(p1, "Data")->valuestring, "dead");
    assert_string_equal(p0->child->string, "Version");
    assert_non_null(strstr(t, "\"More\":0,\"Packets\":[{\"Version\":1,\"PacketId\":1,"));
    cJSON_Delete(back);
    cJSON_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixed_strings),
        cmocka_unit_test(test_random_strings),
        cmocka_unit_test(test_structure),
        cmocka_unit_test(test_packet_page),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
