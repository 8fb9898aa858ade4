/* SPDX-License-Identifier: MIT */
/* TFTP packets (libapc/src/extract/tftp.c): RFC 1350 requests, DATA, ACK, ERROR; RFC 2347
 * options and OACK; RFC 2348 blksize bounds; and datagrams that must not parse. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "extract/tftp.h"

#define PARSE(lit, t) apc__tftp_parse((const uint8_t *)(lit), sizeof(lit) - 1, (t))

static void test_requests(void **state)
{
    (void)state;
    apc__tftp_t t;
    assert_int_equal(PARSE("\0\1boot/kernel.img\0octet\0blksize\0001024\0", &t), 0);
    assert_int_equal(t.op, APC__TFTP_RRQ);
    assert_string_equal(t.name, "boot/kernel.img");
    assert_int_equal(t.blksize, 1024);
    assert_int_equal(PARSE("\0\2up.log\0NetASCII\0", &t), 0);
    assert_int_equal(t.op, APC__TFTP_WRQ);
    assert_int_equal(t.blksize, 0);
    /* blksize out of RFC 2348's range, or not a number: no option */
    assert_int_equal(PARSE("\0\1f\0octet\0blksize\0007\0", &t), 0);
    assert_int_equal(t.blksize, 0);
    assert_int_equal(PARSE("\0\1f\0octet\0BLKSIZE\00065465\0", &t), 0);
    assert_int_equal(t.blksize, 0);
    assert_int_equal(PARSE("\0\1f\0octet\0blksize\0x1\0", &t), 0);
    assert_int_equal(t.blksize, 0);
    /* no mode, an unknown mode, no name, no NUL */
    assert_int_equal(PARSE("\0\1file\0", &t), -1);
    assert_int_equal(PARSE("\0\1file\0binary\0", &t), -1);
    assert_int_equal(PARSE("\0\1\0octet\0", &t), -1);
    assert_int_equal(PARSE("\0\1file\0octet", &t), -1);
}

static void test_transfer(void **state)
{
    (void)state;
    apc__tftp_t t;
    assert_int_equal(PARSE("\0\3\1\2abc", &t), 0);
    assert_int_equal(t.op, APC__TFTP_DATA);
    assert_int_equal(t.block, 0x102);
    assert_int_equal(t.len, 3);
    assert_memory_equal(t.data, "abc", 3);
    assert_int_equal(PARSE("\0\3\0\4", &t), 0); /* an empty block: the end */
    assert_int_equal(t.len, 0);
    assert_int_equal(PARSE("\0\4\xff\xff", &t), 0);
    assert_int_equal(t.op, APC__TFTP_ACK);
    assert_int_equal(t.block, 65535);
    assert_int_equal(PARSE("\0\5\0\1File not found\0", &t), 0);
    assert_int_equal(t.op, APC__TFTP_ERROR);
    assert_string_equal(t.msg, "File not found");
    assert_int_equal(PARSE("\0\5\0\1no nul", &t), -1);
    assert_int_equal(PARSE("\0\6blksize\0001428\0tsize\0000\0", &t), 0);
    assert_int_equal(t.op, APC__TFTP_OACK);
    assert_int_equal(t.blksize, 1428);
    assert_int_equal(PARSE("\0\7abcd", &t), -1);
    assert_int_equal(PARSE("\0\3\0", &t), -1);
    assert_int_equal(PARSE("", &t), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_requests),
        cmocka_unit_test(test_transfer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
