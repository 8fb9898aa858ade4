/* SPDX-License-Identifier: MIT */
/* Groups of the decode unit tests (one executable, test_decode). */
#ifndef APC_TEST_DECODE_TESTS_H
#define APC_TEST_DECODE_TESTS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "decode/decode.h"

int run_layer_tests(void);
int run_dns_tests(void);
int run_corpus_tests(void);

/* Decodes from a heap copy of exactly caplen bytes, so ASan sees any read past the end. */
void decode_exact(apc__pkt_t *p, const uint8_t *data, uint32_t caplen, uint32_t wirelen,
                  uint32_t linktype);

#endif
