/* SPDX-License-Identifier: MIT */
/* Shared helpers of the source module tests: a byte-buffer builder for crafted captures. */
#ifndef APC_TEST_SOURCE_H
#define APC_TEST_SOURCE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "source/reader.h"

struct tb {
    uint8_t b[8192];
    size_t n;
    bool be;    /* write big-endian */
    size_t blk; /* start of the open pcapng block */
};

void tb_u8(struct tb *t, uint8_t v);
void tb_u16(struct tb *t, uint16_t v);
void tb_u32(struct tb *t, uint32_t v);
void tb_u64(struct tb *t, uint64_t v);
void tb_bytes(struct tb *t, const void *p, size_t n);
void tb_pad4(struct tb *t);
void tb_opt(struct tb *t, uint16_t code, const void *v, uint16_t len);
void tb_block_begin(struct tb *t, uint32_t type);
void tb_block_end(struct tb *t);
/* SHB v1.0 with optional comment, IDB with linktype/snaplen and optional tsresol. */
void tb_shb(struct tb *t, const char *comment);
void tb_idb(struct tb *t, uint16_t linktype, uint32_t snaplen, int tsresol);
void tb_epb(struct tb *t, uint32_t ifid, uint64_t ts, const void *data, uint32_t caplen);

/* Opens a malloc'd exact-size copy (so ASan sees any over-read); *copy to free after close. */
int open_copy(apc__reader_t **r, const uint8_t *buf, size_t len, uint8_t **copy);
/* Reads every record; returns the final code (0 or < 0) and the count in *n. */
int read_all(apc__reader_t *r, size_t *n);
/* Cuts a valid file at every length; strict: every block boundary is a record end. */
void truncation_loop(const uint8_t *b, size_t len, size_t hdr_len, bool strict);
/* Asserts rc is APC_EFORMAT and the last message contains `sub`. */
void expect_fmt_err(int rc, const char *sub);

extern const struct CMUnitTest apc_test_ng[];
extern const size_t apc_test_ng_count;
extern const struct CMUnitTest apc_test_file[];
extern const size_t apc_test_file_count;
extern const struct CMUnitTest apc_test_corpus[];
extern const size_t apc_test_corpus_count;

#endif
