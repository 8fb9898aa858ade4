/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the whole extraction engine (libapc/src/extract/detect.c and what it
 * drives: TCP reassembly, HTTP, FTP control and data, SMB2/SMB1, TFTP) on packets made from
 * the input. The packets are written as a pcap in a temporary directory, ingested into a store
 * in that directory (one context for the whole run), and the engine runs over the capture as
 * extract_query runs it, then carves the first file it found, as extract_file_write does, and
 * types it as a listing does (only its connection, no hashes: it must come back typed). Every
 * file reported must be sane. Nothing is written outside the temporary directory.
 *
 * Input: a header of 16 bytes, then records.
 *   header[0], header[1]: the server port of connection 0 and 1: 80, 21, 20, 445, 139, 69
 *     (value % 7), or 6: the raw port in header[2..3], so an FTP data connection can meet the
 *     port a PASV reply in the input announced, and a TFTP transfer its server's new port.
 *   header[4..5], header[6..7]: each connection's client port; header[8..11], [12..15]: the
 *     client's and the server's IPv4 address (both connections), as an FTP reply names them.
 *     Numbers are big-endian.
 *   record: flags, length (2 bytes, big-endian), then `length` bytes of payload (fewer at the
 *     end of the input).
 *     flags bit 0: connection 1; bit 1: from the server; bits 2-4: SYN, FIN, RST; bit 5: UDP
 *     (TFTP is UDP); bits 6-7: where the segment goes: 0 next in order, 1 overlapping the
 *     previous one, 2 after a hole of 100 bytes, 3 a copy of the previous sequence number.
 */
#include <arpa/inet.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <apc/apc.h>

#include "extract/detect.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint16_t PORTS[] = {80, 21, 20, 445, 139, 69};
#define HEADER 16

static char dir[64];
static char pcap_path[96];
static apc_ctx_t *ctx;

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(p);
}

static void done(void)
{
    apc_ctx_close(ctx);
    /* APC_FUZZ_KEEP=1: the pcap and the store stay, to look at with tshark and apcctl */
    if (getenv("APC_FUZZ_KEEP"))
        fprintf(stderr, "kept %s\n", dir);
    else if (dir[0])
        nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static int setup(void)
{
    /* in memory when /dev/shm is there: the store's syncs then cost nothing */
    struct stat st;
    const char *base = stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) ? "/dev/shm" : "/tmp";
    snprintf(dir, sizeof dir, "%s/apc-fuzz-extract-XXXXXX", base);
    if (!mkdtemp(dir))
        return -1;
    snprintf(pcap_path, sizeof pcap_path, "%s/in.pcap", dir);
    apc_ctx_options_t o;
    apc_ctx_options_init(&o, APC_CTX_OPTIONS_VERSION);
    o.data_dir = dir;
    o.log_level = APC_LOG_ERROR;
    if (apc_ctx_open(&ctx, &o) < 0)
        return -1;
    atexit(done);
    return 0;
}

static void put16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, v >> 16);
    put16(p + 2, v & 0xffff);
}

/* One Ethernet + IPv4 + TCP/UDP frame into the pcap (RFC 791, RFC 793, RFC 768); checksums
 * left zero: nothing on the path checks them. */
static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void frame(FILE *f, unsigned n, const uint16_t ports[2], const uint32_t ips[2],
                  int from_server, int udp, uint32_t seq, uint32_t ack, uint8_t tcp_flags,
                  const uint8_t *pl, size_t len)
{
    uint8_t h[14 + 20 + 20] = {0};
    size_t l4 = udp ? 8 : 20, hl = 14 + 20 + l4;
    if (len > 65535 - 20 - l4) /* the IPv4 total length */
        len = 65535 - 20 - l4;
    h[12] = 0x08; /* IPv4 */
    uint8_t *ip = h + 14, *t = ip + 20;
    ip[0] = 0x45;
    put16(ip + 2, (unsigned)(20 + l4 + len));
    ip[8] = 64;
    ip[9] = udp ? 17 : 6;
    put32(ip + 12, ips[from_server]);
    put32(ip + 16, ips[!from_server]);
    put16(t, from_server ? ports[1] : ports[0]);
    put16(t + 2, from_server ? ports[0] : ports[1]);
    if (udp)
        put16(t + 4, (unsigned)(8 + len));
    else {
        put32(t + 4, seq);
        put32(t + 8, ack);
        t[12] = 5 << 4;
        t[13] = tcp_flags;
        put16(t + 14, 65535);
    }
    uint32_t rec[4] = {1000000000u + n, 0, (uint32_t)(hl + len), (uint32_t)(hl + len)};
    fwrite(rec, sizeof rec, 1, f);
    fwrite(h, hl, 1, f);
    fwrite(pl, len, 1, f);
}

static int write_pcap(const uint8_t *data, size_t size)
{
    if (size < HEADER)
        return -1;
    uint16_t ports[2][2]; /* [conn][0 client, 1 server] */
    for (int c = 0; c < 2; c++) {
        unsigned sel = data[c] % 7u;
        ports[c][1] = sel < 6 ? PORTS[sel] : (uint16_t)(data[2] << 8 | data[3]);
        ports[c][0] = (uint16_t)(data[4 + 2 * c] << 8 | data[5 + 2 * c]);
    }
    const uint32_t ips[2] = {get32(data + 8), get32(data + 12)};
    FILE *f = fopen(pcap_path, "wb");
    if (!f)
        return -1;
    uint32_t gh[6] = {0xa1b2c3d4, 2 | 4u << 16, 0, 0, 65535, 1};
    fwrite(gh, sizeof gh, 1, f);
    uint32_t next[2][2] = {{1000, 500000}, {7000, 900000}},
             prev[2][2] = {{1000, 500000}, {7000, 900000}};
    unsigned n = 0;
    for (size_t i = HEADER; i + 3 <= size && n < 4096; n++) {
        uint8_t fl = data[i];
        size_t len = (size_t)data[i + 1] << 8 | data[i + 2];
        i += 3;
        if (len > size - i)
            len = size - i;
        int c = fl & 1, s = (fl >> 1) & 1;
        uint8_t tf =
            (uint8_t)(((fl & 4) ? 0x02 : 0) | ((fl & 8) ? 0x01 : 0) | ((fl & 16) ? 0x04 : 0));
        uint32_t seq = next[c][s];
        switch (fl >> 6) {
        case 1:
            seq -= (uint32_t)(seq - prev[c][s]) / 2;
            break;
        case 2:
            seq += 100;
            break;
        case 3:
            seq = prev[c][s];
            break;
        }
        /* every segment but a client's SYN carries an ACK, so the client is the initiator */
        if (s || !(tf & 0x02))
            tf |= 0x10;
        frame(f, n, ports[c], ips, s, (fl & 32) != 0, seq, next[c][!s], tf, data + i, len);
        prev[c][s] = seq;
        /* SYN and FIN take a sequence number (RFC 793 3.3) */
        next[c][s] = seq + (uint32_t)len + ((tf & 0x02) != 0) + ((tf & 0x01) != 0);
        i += len;
    }
    return fclose(f) == 0 ? 0 : -1;
}

struct seen {
    int n;
    int64_t conn;
    int dir;
    uint32_t nth;
    int http;
    uint64_t size, written;
};

static int found(void *payload, const apc_extract_stream_t *x)
{
    struct seen *s = payload;
    /* APC_FUZZ_VERBOSE=1: what each input reaches (to check the seeds) */
    if (getenv("APC_FUZZ_VERBOSE"))
        fprintf(stderr, "file: %s, %llu bytes, %s\n", x->protocol, (unsigned long long)x->size,
                x->complete ? "complete" : x->reason);
    /* nothing asks for types: only an empty file comes with digests (those of nothing) */
    if (!x->protocol || x->conn_id <= 0 || (strlen(x->sha256) == 64) != (x->size == 0))
        abort();
    if (s->n++ == 0) {
        s->conn = x->conn_id;
        s->dir = x->direction;
        s->nth = x->nth;
        s->size = x->size;
        s->http = strcmp(x->protocol, "http") == 0;
    }
    return 0;
}

/* The typing run (extract/typing.c): the file asked for comes back typed and hashed, the
 * others (but for empty ones) unhashed. */
static int want_first(void *payload, int64_t conn_id, int direction, uint32_t nth)
{
    const struct seen *s = payload;
    return conn_id == s->conn && direction == s->dir && nth == s->nth;
}

static int typed(void *payload, const apc_extract_stream_t *x)
{
    struct seen *s = payload;
    int wanted = want_first(s, x->conn_id, x->direction, x->nth);
    if ((strlen(x->sha256) == 64 && strlen(x->md5) == 32) != (wanted || x->size == 0))
        abort();
    if (!wanted)
        return 0;
    if (!x->mime[0])
        abort();
    s->n++;
    return 1;
}

static int write_cb(void *payload, const uint8_t *data, size_t len)
{
    struct seen *s = payload;
    (void)data;
    s->written += len;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!ctx && setup() < 0)
        abort();
    if (write_pcap(data, size) < 0)
        return 0;
    int64_t id = 0;
    if (apc_ingest_file(ctx, pcap_path, NULL, &id) < 0)
        return 0;
    if (apc_capture_wait(ctx, id, -1) < 0)
        abort();
    struct seen s = {0};
    apc__xtrun_t run = {.ctx = ctx, .capture_id = id, .found = found, .payload = &s};
    int r = apc__extract_run(&run);
    if (r == 0 && s.n > 0 && s.http && s.size < (1u << 20)) {
        /* carving replays that connection and must give the same bytes */
        struct seen c = {0};
        apc__xtrun_t cv = {.ctx = ctx,
                           .capture_id = id,
                           .only_conn = s.conn,
                           .dir = s.dir,
                           .nth = s.nth,
                           .write = write_cb,
                           .found = found,
                           .payload = &c};
        if (apc__extract_run(&cv) == 0 && c.written != s.size)
            abort();
        /* typing replays only that connection and stops once the file is seen */
        struct seen t = {.conn = s.conn, .dir = s.dir, .nth = s.nth};
        apc__xtrun_t ty = {.ctx = ctx,
                           .capture_id = id,
                           .found = typed,
                           .want_type = want_first,
                           .conns = &s.conn,
                           .n_conns = 1,
                           .payload = &t};
        if (apc__extract_run(&ty) == 0 && t.n != 1)
            abort();
    }
    if (!getenv("APC_FUZZ_KEEP"))
        apc_capture_delete(ctx, id);
    return 0;
}
