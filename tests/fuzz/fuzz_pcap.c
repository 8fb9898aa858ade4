/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the capture file readers: opens the input with apc__reader_open_mem (which
 * tells pcap from pcapng by the magic) and reads every record, touching every data and comment
 * byte and every interface string so that ASan sees any read outside the input. Built twice
 * (tests/fuzz/meson.build): fuzz_pcap starts from the corpus's pcap files, fuzz_pcapng from its
 * pcapng files, so each format gets its own 20 s in CI.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "source/reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apc__reader_t *r;
    if (apc__reader_open_mem(&r, data, size) < 0)
        return 0;
    volatile unsigned sum = 0;
    apc__rec_t rec;
    while (apc__reader_next(r, &rec) == 1) {
        for (uint32_t i = 0; i < rec.caplen; i++)
            sum += rec.data[i];
        if (rec.comment)
            sum += (unsigned)strlen(rec.comment) + (unsigned)rec.comment_len;
        if (rec.iface >= apc__reader_iface_count(r))
            __builtin_trap();
    }
    for (size_t i = 0; i < apc__reader_iface_count(r); i++) {
        const apc__iface_t *f = apc__reader_iface(r, i);
        sum += f->name ? (unsigned)strlen(f->name) : 0;
        sum += f->description ? (unsigned)strlen(f->description) : 0;
    }
    const char *c = apc__reader_section_comment(r);
    sum += c ? (unsigned)strlen(c) : 0;
    if (apc__reader_offset(r) > apc__reader_size(r))
        __builtin_trap();
    apc__reader_close(r);
    (void)sum;
    return 0;
}
