/* SPDX-License-Identifier: MIT */
/* FTP control lines (libapc/src/extract/ftp.c): RFC 959 PORT, PASV (227), RETR/STOR/STOU/APPE,
 * LIST, the 150 reply's size; RFC 2428 EPRT and EPSV (229); and lines that must not parse. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "extract/ftp.h"

static int cmd(const char *line, char *arg, size_t argn, apc__ftp_addr_t *a)
{
    return apc__ftp_command(line, strlen(line), arg, argn, a);
}

static int reply(const char *line, apc__ftp_addr_t *a, uint64_t *size)
{
    return apc__ftp_reply(line, strlen(line), a, size);
}

static void test_commands(void **state)
{
    (void)state;
    char arg[32];
    apc__ftp_addr_t a;
    assert_int_equal(cmd("RETR pub/report.bin", arg, sizeof arg, &a), APC__FTP_RETR);
    assert_string_equal(arg, "pub/report.bin");
    assert_int_equal(cmd("retr  spaced name.txt", arg, sizeof arg, &a), APC__FTP_RETR);
    assert_string_equal(arg, "spaced name.txt");
    assert_int_equal(cmd("STOR up.txt", arg, sizeof arg, &a), APC__FTP_STORE);
    assert_int_equal(cmd("STOU", arg, sizeof arg, &a), APC__FTP_STORE);
    assert_string_equal(arg, "");
    assert_int_equal(cmd("APPE log", arg, sizeof arg, &a), APC__FTP_STORE);
    assert_int_equal(cmd("LIST -la", arg, sizeof arg, &a), APC__FTP_LIST);
    assert_int_equal(cmd("NLST", arg, sizeof arg, &a), APC__FTP_LIST);
    assert_int_equal(cmd("MLSD", arg, sizeof arg, &a), APC__FTP_LIST);
    assert_int_equal(cmd("RETRIEVE x", arg, sizeof arg, &a), APC__FTP_OTHER);
    assert_int_equal(cmd("USER anonymous", arg, sizeof arg, &a), APC__FTP_OTHER);
    assert_int_equal(cmd("", arg, sizeof arg, &a), APC__FTP_OTHER);
    /* a name longer than the room is cut, never overrun */
    assert_int_equal(cmd("RETR 0123456789012345678901234567890123456789", arg, sizeof arg, &a),
                     APC__FTP_RETR);
    assert_int_equal(strlen(arg), sizeof arg - 1);
}

static void test_port_eprt(void **state)
{
    (void)state;
    char arg[8];
    apc__ftp_addr_t a;
    assert_int_equal(cmd("PORT 10,0,2,5,200,10", arg, sizeof arg, &a), APC__FTP_PORT);
    assert_string_equal(a.ip, "10.0.2.5");
    assert_int_equal(a.port, 200 * 256 + 10);
    assert_int_equal(cmd("EPRT |2|fd00::5|52001|", arg, sizeof arg, &a), APC__FTP_PORT);
    assert_string_equal(a.ip, "fd00::5");
    assert_int_equal(a.port, 52001);
    assert_int_equal(cmd("EPRT !1!192.0.2.7!21000!", arg, sizeof arg, &a), APC__FTP_PORT);
    assert_string_equal(a.ip, "192.0.2.7");
    /* out of range, short, port 0, bad protocol, garbage in the address */
    assert_int_equal(cmd("PORT 10,0,2,256,1,1", arg, sizeof arg, &a), APC__FTP_OTHER);
    assert_int_equal(cmd("PORT 10,0,2,5,200", arg, sizeof arg, &a), APC__FTP_OTHER);
    assert_int_equal(cmd("PORT 10,0,2,5,0,0", arg, sizeof arg, &a), APC__FTP_OTHER);
    assert_int_equal(cmd("EPRT |3|x|1|", arg, sizeof arg, &a), APC__FTP_OTHER);
    assert_int_equal(cmd("EPRT |1|1.2.3.4;rm|80|", arg, sizeof arg, &a), APC__FTP_OTHER);
    assert_int_equal(cmd("EPRT |1|1.2.3.4|70000|", arg, sizeof arg, &a), APC__FTP_OTHER);
    assert_int_equal(cmd("EPRT |1|1.2.3.4|", arg, sizeof arg, &a), APC__FTP_OTHER);
}

static void test_replies(void **state)
{
    (void)state;
    apc__ftp_addr_t a;
    uint64_t size = 0;
    assert_int_equal(reply("227 Entering Passive Mode (90,130,70,73,95,203).", &a, &size), 1);
    assert_string_equal(a.ip, "90.130.70.73");
    assert_int_equal(a.port, 95 * 256 + 203);
    assert_int_equal(reply("227 =10,0,0,1,4,1", &a, &size), 1); /* no parentheses */
    assert_int_equal(a.port, 1025);
    assert_int_equal(reply("229 Entering Extended Passive Mode (|||50002|)", &a, &size), 1);
    assert_string_equal(a.ip, "");
    assert_int_equal(a.port, 50002);
    assert_int_equal(
        reply("150 Opening BINARY mode data connection for 1MB.zip (1048576 bytes).", &a, &size),
        2);
    assert_int_equal(size, 1048576);
    assert_int_equal(reply("150 Here comes the directory listing.", &a, &size), 0);
    assert_int_equal(reply("150 Opening (x bytes)", &a, &size), 0);
    assert_int_equal(reply("227 Entering Passive Mode", &a, &size), 0);
    assert_int_equal(reply("229 (|||0|)", &a, &size), 0);
    assert_int_equal(reply("229 (||", &a, &size), 0);
    assert_int_equal(reply("2270 (1,2,3,4,5,6)", &a, &size), 0);
    assert_int_equal(reply("22", &a, &size), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_commands),
        cmocka_unit_test(test_port_eprt),
        cmocka_unit_test(test_replies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
