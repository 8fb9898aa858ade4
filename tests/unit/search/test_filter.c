/* SPDX-License-Identifier: MIT */
/* The filter language: lexer, parser, checker, normalizer and every error message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/error.h"
#include "search/filter.h"

static char *norm(const char *text)
{
    apc__filter_t *f = NULL;
    size_t off = 99;
    int rc = apc__flt_compile(text, strlen(text), &f, &off);
    if (rc < 0)
        fail_msg("%s: %s at %zu", text, apc_last_error_message(), off);
    char *n = strdup(f->normalized);
    apc__flt_free(f);
    return n;
}

static void check_norm(const char *text, const char *want)
{
    char *n = norm(text);
    if (strcmp(n, want) != 0)
        fail_msg("normalize(%s) = [%s], want [%s]", text, n, want);
    /* normalizing is idempotent */
    char *n2 = norm(n);
    assert_string_equal(n2, n);
    free(n2);
    free(n);
}

static void check_err(const char *text, int code, size_t off, const char *msg)
{
    apc__filter_t *f = NULL;
    size_t eo = 0;
    int rc = apc__flt_compile(text, strlen(text), &f, &eo);
    if (rc != code || eo != off || strcmp(apc_last_error_message(), msg) != 0)
        fail_msg("compile(%.60s) = %d at %zu [%s]; want %d at %zu [%s]", text, rc, eo,
                 apc_last_error_message(), code, off, msg);
    assert_null(f);
}

static void test_normalize(void **state)
{
    (void)state;
    check_norm("", "");
    check_norm("ip.addr==10.0.0.1", "ip.addr == 10.0.0.1");
    check_norm("ip.addr == 10.0.0.1 and tcp.port in {80, 443}",
               "ip.addr == 10.0.0.1 && tcp.port in {80 443}");
    check_norm("a_b" == NULL ? "" : "tcp.port in {1000..2000 0x50}", "tcp.port in {1000..2000 80}");
    check_norm("not tcp or udp and dns", "!tcp || (udp && dns)");
    check_norm("!(tcp || udp)", "!(tcp || udp)");
    check_norm("((ip))", "ip");
    check_norm("ip.src eq 10.1.2.3/16", "ip.src == 10.1.0.0/16");
    check_norm("ipv6.addr == 2001:DB8:0:0::1", "ipv6.addr == 2001:db8::1");
    check_norm("eth.addr == 00-11-22-AA-BB-CC", "eth.addr == 00:11:22:aa:bb:cc");
    check_norm("proc.name == curl", "proc.name == \"curl\"");
    check_norm("frame contains \"a\\\"b\\\\c\\x01\"", "frame contains \"a\\\"b\\\\c\\x01\"");
    check_norm("frame contains 47:45:54", "frame contains \"GET\"");
    check_norm("dns.qry.name matches \"^www\\\\.\"", "dns.qry.name matches \"^www\\\\.\"");
    check_norm("http.host ~ \"x\"", "http.host matches \"x\"");
    check_norm("frame.time >= \"2024-01-02 03:04:05.5\"",
               "frame.time >= \"2024-01-02T03:04:05.500000000Z\"");
    check_norm("frame.time < 1700000000", "frame.time < \"2023-11-14T22:13:20.000000000Z\"");
    check_norm("tcp.flags.syn == true && tcp.flags.ack == 0",
               "tcp.flags.syn == 1 && tcp.flags.ack == 0");
    check_norm("tls.handshake.extensions_server_name contains \"x\"", "tls.sni contains \"x\"");
    check_norm("bpf(\"tcp port 80\") && ip", "bpf(\"tcp port 80\") && ip");
    check_norm("file.size > 1000 && file.mime == image/png",
               "file.size > 1000 && file.mime == \"image/png\"");
    check_norm("file.name contains x || file.sha256 in {\"AB\" \"cd\"}",
               "file.name contains \"x\" || file.sha256 in {\"AB\" \"cd\"}");
    check_norm("!file.size", "!file.size");
    check_norm("a" == NULL ? "" : "tcp.port == 80 || udp.port == 53 || icmp",
               "tcp.port == 80 || udp.port == 53 || icmp");
}

static void test_errors(void **state)
{
    (void)state;
    check_err("ip.adr == 1.2.3.4", APC_EINVAL, 0,
              "unknown field `ip.adr` \xe2\x80\x94 did you mean `ip.addr`?");
    check_err("proc.nam == \"x\"", APC_EINVAL, 0,
              "unknown field `proc.nam` \xe2\x80\x94 did you mean `proc.name`?");
    check_err("file.size > \"abc\"", APC_EINVAL, 12,
              "file.size takes a number, not a string; remove the quotes");
    check_err("file.nam == \"x\"", APC_EINVAL, 0,
              "unknown field `file.nam` \xe2\x80\x94 did you mean `file.name`?");
    check_err("foo.bar.baz.qux", APC_EINVAL, 0,
              "unknown field `foo.bar.baz.qux` (docs/filters.md lists the fields)");
    check_err("10.0.0.1", APC_EINVAL, 0,
              "expected a field name, found the value `10.0.0.1`; write it as a comparison, "
              "like `ip.addr == 10.0.0.1`");
    check_err("ip.addr = 1.2.3.4", APC_EINVAL, 8, "`=` is not an operator: use `==` to compare");
    check_err("ip & tcp", APC_EINVAL, 3, "`&` is not an operator: use `&&` (or `and`)");
    check_err("ip | tcp", APC_EINVAL, 3, "`|` is not an operator: use `||` (or `or`)");
    check_err("ip.addr == 10.0.0.300", APC_EINVAL, 11,
              "`10.0.0.300` is not valid for ip.addr: it takes an IPv4 address, optionally "
              "with /prefix");
    check_err("ip.addr == ::1", APC_EINVAL, 11,
              "`::1` is an IPv6 address: use ipv6.addr, ipv6.src or ipv6.dst");
    check_err("ipv6.addr == 1.2.3.4", APC_EINVAL, 13,
              "`1.2.3.4` is an IPv4 address: use ip.addr, ip.src or ip.dst");
    check_err("ip.addr == 1.2.3.4/33", APC_EINVAL, 11,
              "bad prefix length in `1.2.3.4/33`: it is 0 to 32");
    check_err("tcp.port == 70000", APC_EINVAL, 12,
              "70000 is out of range for tcp.port: it is 0 to 65535");
    check_err("tcp.port == http", APC_EINVAL, 12,
              "`http` is not valid for tcp.port: it takes a number (or a range like 1000..2000)");
    check_err("tcp.port in {9..1}", APC_EINVAL, 13,
              "the range 9..1 is empty: write the smaller bound first");
    check_err("tcp.port == 99999999999999999999999", APC_EINVAL, 12,
              "`99999999999999999999999` is too large for tcp.port");
    check_err("tcp.port == \"80\"", APC_EINVAL, 12,
              "tcp.port takes a number, not a string; remove the quotes");
    check_err("tcp.flags.syn == 2", APC_EINVAL, 17,
              "`2` is not valid for tcp.flags.syn: it takes 0 or 1 (or true/false)");
    check_err("eth.src == 00:11", APC_EINVAL, 11,
              "`00:11` is not valid for eth.src: it takes a MAC address like 00:11:22:33:44:55");
    check_err("frame.time > \"yesterday\"", APC_EINVAL, 13,
              "`yesterday` is not a time: frame.time takes a UTC time like \"2024-01-31 "
              "12:00:00\" (ISO 8601), or seconds since 1970");
    check_err("proc.name < \"a\"", APC_EINVAL, 10,
              "`<` does not apply to proc.name; it takes ==, !=, in, contains and matches");
    check_err("ip.addr contains \"a\"", APC_EINVAL, 8,
              "`contains` does not apply to ip.addr; it takes ==, != and in");
    check_err("frame == 1", APC_EINVAL, 6,
              "`==` does not apply to frame; it takes contains and matches");
    check_err("tcp == 1", APC_EINVAL, 4,
              "`tcp` is a protocol: it is true when present and takes no operator; compare one "
              "of its fields instead (docs/filters.md)");
    check_err("frame contains zz", APC_EINVAL, 15,
              "`zz` is not a byte string: write text in double quotes or bytes in hex like "
              "47:45:54");
    check_err("http.host matches x", APC_EINVAL, 18,
              "`matches` takes a regular expression in quotes, found `x`");
    check_err("http.host matches \"(a\"", APC_EINVAL, 21,
              "bad regular expression at offset 2 of the pattern: missing closing parenthesis");
    check_err("ip.addr 1.2.3.4", APC_EINVAL, 8,
              "expected an operator after `ip.addr`, found `1.2.3.4`");
    check_err("ip.addr ==", APC_EINVAL, 10,
              "expected a value for ip.addr after `==`, found the end of the filter");
    check_err("tcp.port in 80", APC_EINVAL, 12,
              "`in` takes a set in braces, like {80 443}; found `80`");
    check_err("tcp.port in {80", APC_EINVAL, 12, "the set opened here is not closed: add `}`");
    check_err("tcp.port in {}", APC_EINVAL, 12, "the set is empty: give at least one value");
    check_err("(ip && tcp", APC_EINVAL, 0, "the parenthesis opened here is not closed: add `)`");
    check_err("(ip tcp)", APC_EINVAL, 4, "expected an operator after `ip`, found `tcp`");
    check_err("(ip == 1", APC_EINVAL, 4,
              "`ip` is a protocol: it is true when present and takes no operator; compare one "
              "of its fields instead (docs/filters.md)");
    check_err("ip)", APC_EINVAL, 2, "`)` has no matching `(`");
    check_err("ip && ", APC_EINVAL, 6, "the filter ends where a field or `(` was expected");
    check_err("ip && && tcp", APC_EINVAL, 6, "expected a field, `!` or `(`, found `&&`");
    check_err("ip tcp.port", APC_EINVAL, 3, "expected an operator after `ip`, found `tcp.port`");
    check_err("tcp.port == 1 udp", APC_EINVAL, 14, "expected `&&`, `||` or the end, found `udp`");
    check_err("proc.name == \"abc", APC_EINVAL, 13,
              "string starting at offset 13 is not closed: add `\"`");
    check_err("proc.name == \"a\\q\"", APC_EINVAL, 15,
              "unknown escape `\\q` in a string; use \\\\, \\\", \\n, \\r, \\t or \\xHH");
    check_err("proc.name == \"a\\x4\"", APC_EINVAL, 15, "`\\x` must be followed by two hex digits");
    check_err("proc.name == 'x'", APC_EINVAL, 13, "strings are written in double quotes: \"...\"");
    check_err("ip # x", APC_EINVAL, 3, "unexpected character `#`");
    check_err("ip \x01", APC_EINVAL, 3, "unexpected byte 0x01");
    check_err("bpf(tcp)", APC_EINVAL, 4,
              "bpf takes a pcap-filter expression in quotes: bpf(\"tcp port 80\")");
    check_err("bpf \"tcp\"", APC_EINVAL, 4,
              "bpf takes a pcap-filter expression in quotes: bpf(\"tcp port 80\")");
    check_err("bpf(\"tcp\"", APC_EINVAL, 9, "expected `)` after the bpf expression");
    check_err("bpf(\"tcp prot 80\")", APC_EINVAL, 5,
              "bad pcap-filter expression: can't parse filter expression: syntax error");
}

static void test_limits(void **state)
{
    (void)state;
    size_t n = APC_FLT_MAX_LEN + 1;
    char *big = malloc(n + 1);
    memset(big, ' ', n);
    big[n] = 0;
    check_err(big, APC_ELIMIT, APC_FLT_MAX_LEN, "the filter is 8193 bytes long; the limit is 8192");
    /* 65 nested parentheses */
    char deep[300] = "";
    for (int i = 0; i < 65; i++)
        strcat(deep, "(");
    strcat(deep, "ip");
    check_err(deep, APC_ELIMIT, 64, "the filter nests deeper than 64 levels");
    char nots[300] = "";
    for (int i = 0; i < 65; i++)
        strcat(nots, "!");
    strcat(nots, "ip");
    check_err(nots, APC_ELIMIT, 64, "the filter nests deeper than 64 levels");
    /* 64 levels are fine */
    char ok[300] = "";
    for (int i = 0; i < 64; i++)
        strcat(ok, "(");
    strcat(ok, "ip");
    for (int i = 0; i < 64; i++)
        strcat(ok, ")");
    free(norm(ok));
    /* too many terms: "ip || ip || ..." */
    size_t pos = 0;
    for (int i = 0; i < 600; i++)
        pos += (size_t)sprintf(big + pos, "%sip", i ? "||" : "");
    check_err(big, APC_ELIMIT, 2048, "the filter has more than 1024 terms");
    /* a set over the limit */
    pos = (size_t)sprintf(big, "tcp.port in {");
    for (int i = 0; i < 1025; i++)
        pos += (size_t)sprintf(big + pos, "%d ", i);
    strcpy(big + pos, "}");
    check_err(big, APC_ELIMIT, 13 + 2 * 10 + 3 * 90 + 4 * 900 + 5 * 24,
              "a set holds at most 1024 values");
    free(big);
}

static void test_nul(void **state)
{
    (void)state;
    apc__filter_t *f = NULL;
    size_t off = 0;
    assert_int_equal(apc__flt_compile("ip\0tcp", 6, &f, &off), APC_EINVAL);
    assert_int_equal(off, 2);
    assert_string_equal(apc_last_error_message(), "unexpected byte 0x00");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normalize),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_nul),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
