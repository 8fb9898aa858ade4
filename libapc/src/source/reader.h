/* SPDX-License-Identifier: MIT */
/*
 * Capture file readers (module `source`): pcap (libpcap format, micro/nanosecond magic, both
 * byte orders) and pcapng (draft-ietf-opsawg-pcapng: several sections, several interfaces with
 * their own link type and if_tsresol, EPB/SPB/obsolete PB, options, comments; unknown and custom
 * blocks skipped). The format is detected by magic.
 *
 * These parse untrusted bytes: every length is checked against what remains before use; a
 * defect stops reading with APC_EFORMAT and a message "offset N: reason", and records returned
 * before the defect stay valid data.
 */
#ifndef APC_SOURCE_READER_H
#define APC_SOURCE_READER_H

#include <stddef.h>
#include <stdint.h>

#include <apc/common.h>

typedef struct apc__reader apc__reader_t;

enum apc__file_format { APC_FMT_PCAP = 1, APC_FMT_PCAPNG = 2 };

/* One interface of the file. pcap files have exactly one. Indexes are global over the whole
 * file (interfaces of a second pcapng section get the next indexes). */
typedef struct apc__iface {
    uint32_t linktype; /* LINKTYPE_* value as stored */
    uint32_t snaplen;
    uint64_t tsresol_num; /* timestamp units per second (10^6 default, 10^9 for ns...) */
    int64_t tsoffset_sec; /* if_tsoffset */
    char *name;           /* if_name or NULL */
    char *description;    /* if_description or NULL */
    uint8_t fcs_len;      /* pcap: FCS bits from the link-type field, pcapng: if_fcslen */
} apc__iface_t;

/* One packet record. Pointers are valid until the next apc__reader_next() or close. */
typedef struct apc__rec {
    int64_t ts_ns;   /* ns since Unix epoch (converted from the interface's resolution) */
    uint32_t caplen; /* bytes present in data */
    uint32_t wirelen;
    uint32_t iface; /* index into the reader's interfaces */
    uint32_t linktype;
    const uint8_t *data;
    /* Every opt_comment of the record, in order, joined with "\n" and NUL-terminated (ptcpdump
     * writes its process metadata as several comments); NULL if none. */
    const char *comment;
    size_t comment_len;
    int direction;   /* 0 unknown, 1 inbound, 2 outbound (epb_flags bits 0-1) */
    int has_pid_tid; /* epb_processid_threadid (option 8) present */
    uint32_t pid, tid;
    uint64_t offset; /* file offset of the record (block or record header) */
} apc__rec_t;

/* Opens a file; detects the format from its magic. APC_EFORMAT with a clear message for an
 * unknown magic or an invalid header (unsupported version...). -errno for I/O errors. A regular
 * file is read with pread() as records are asked for (its size when opened is the input's
 * size): if it shrinks underneath, apc__reader_next() fails with APC_EFORMAT "file shrank or
 * changed while being read"; other inputs (pipes) are read whole first. */
int apc__reader_open(apc__reader_t **out, const char *path);
/* Same over an open descriptor; name is only for messages. fd is borrowed: the reader keeps a
 * duplicate of its own (regular files), so the caller closes fd whenever it likes. A directory
 * gives -EISDIR. */
int apc__reader_open_fd(apc__reader_t **out, int fd, const char *name);
/* Same over a memory buffer (not copied: must outlive the reader). For fuzzing and tests. */
int apc__reader_open_mem(apc__reader_t **out, const uint8_t *buf, size_t len);

/* Next packet record: 1 = *rec filled, 0 = clean end of file, < 0 = error (APC_EFORMAT for a
 * defect, message "offset N: ..."); after an error or end every further call returns the same. */
int apc__reader_next(apc__reader_t *r, apc__rec_t *rec);

enum apc__file_format apc__reader_format(const apc__reader_t *r);
size_t apc__reader_iface_count(const apc__reader_t *r);
const apc__iface_t *apc__reader_iface(const apc__reader_t *r, size_t i);
/* Bytes consumed so far, and total size of the input. */
uint64_t apc__reader_offset(const apc__reader_t *r);
uint64_t apc__reader_size(const apc__reader_t *r);
/* Section comments (shb_comment) seen so far, joined with "\n"; NULL if none. Owned by r. */
const char *apc__reader_section_comment(const apc__reader_t *r);
void apc__reader_close(apc__reader_t *r);

#endif
