/* SPDX-License-Identifier: MIT */
/* Test-only helpers of tests/unit/flow: a minimal header decoder and the tshark comparison. */
#ifndef APC_TEST_FLOW_CORPUS_H
#define APC_TEST_FLOW_CORPUS_H

#include <stdint.h>

#include "decode/decode.h"

/* Fills *p from one captured frame of the given link type: only the fields flow uses.
 * Returns 1 if an IP header was found, 0 otherwise. Test scaffolding, not the decoder. */
int mini_decode(apc__pkt_t *p, const uint8_t *d, uint32_t caplen, int linktype);

/* CMocka test: TCP/UDP connection counts of every corpus capture against tshark. */
void test_flow_corpus_vs_tshark(void **state);

#endif
