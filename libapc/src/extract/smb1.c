/* SPDX-License-Identifier: MIT */
/* SMB1 messages (extract/smb1.h). Every read goes through decode/bytes.h: word counts, AndX
 * offsets and data offsets are the sender's word and are checked against the message. */
#include "extract/smb1.h"

#include <string.h>

#include "decode/bytes.h"

#define H1 32 /* [MS-CIFS] 2.2.3.1: the header's size */

#define F_REPLY 0x80      /* Flags: SMB_FLAGS_REPLY */
#define F2_UNICODE 0x8000 /* Flags2: SMB_FLAGS2_UNICODE (names in UTF-16LE) */
#define ANDX_NONE 0xff    /* AndXCommand: no further command */
#define ANDX_MAX 16       /* commands followed in one chain */

enum {
    SMB1_CLOSE = 0x04,
    SMB1_READ_ANDX = 0x2e,
    SMB1_WRITE_ANDX = 0x2f,
    SMB1_NT_CREATE_ANDX = 0xa2,
};

/* [MS-CIFS] 2.2.3.4: the commands whose parameter words start with the AndX block. */
static int is_andx(unsigned cmd)
{
    switch (cmd) {
    case 0x24: /* LOCKING_ANDX */
    case 0x2d: /* OPEN_ANDX */
    case SMB1_READ_ANDX:
    case SMB1_WRITE_ANDX:
    case 0x73: /* SESSION_SETUP_ANDX */
    case 0x74: /* LOGOFF_ANDX */
    case 0x75: /* TREE_CONNECT_ANDX */
    case SMB1_NT_CREATE_ANDX:
        return 1;
    default:
        return 0;
    }
}

static void fid(const apc__cur_t *m, size_t at, apc__smb2_cmd_t *x)
{
    memcpy(x->file_id, m->p + at, 2);
    x->has_file_id = 1;
}

/* Data of a READ_ANDX reply or WRITE_ANDX request: `len` bytes at `off` from the header. */
static int data_at(const apc__cur_t *m, size_t off, size_t len, apc__smb2_cmd_t *x)
{
    if (len && (off < H1 || !apc__need(m, off, len)))
        return -1;
    x->data = len ? m->p + off : NULL;
    x->data_len = len;
    return 0;
}

/* One command: its parameter words at w (wc of them), its bytes at b (bc of them). 1: report
 * x; 0: not a command that moves files; -1: malformed. */
static int command(const apc__cur_t *m, unsigned cmd, size_t w, size_t wc, size_t b, size_t bc,
                   int unicode, apc__smb2_cmd_t *x)
{
    switch (cmd) {
    case SMB1_NT_CREATE_ANDX:
        x->command = APC__SMB2_CREATE;
        if (x->response && x->status)
            return 1;
        if (x->response) { /* 2.2.4.64.2 (an extended reply has more words after these) */
            if (wc < 34)
                return -1;
            fid(m, w + 5, x);
            x->eof = apc__le64(m, w + 55);
            x->has_eof = 1;
            return 1;
        }
        if (wc < 24 || !apc__need(m, b, bc)) /* 2.2.4.64.1 */
            return -1;
        {
            size_t at = b + (unicode && b % 2), len = apc__le16(m, w + 5);
            if (at > b + bc || len > b + bc - at)
                return -1;
            apc__smb_name(m->p + at, len, unicode, x->name, sizeof x->name);
        }
        return 1;
    case SMB1_READ_ANDX:
        x->command = APC__SMB2_READ;
        if (x->response && x->status)
            return 1;
        if (x->response) { /* 2.2.4.42.2; [MS-SMB] 2.2.4.2.2 DataLengthHigh */
            if (wc < 12)
                return -1;
            size_t len = apc__le16(m, w + 10) | (size_t)apc__le16(m, w + 14) << 16;
            return data_at(m, apc__le16(m, w + 12), len, x) < 0 ? -1 : 1;
        }
        if (wc < 10) /* 2.2.4.42.1; OffsetHigh with 12 words */
            return -1;
        fid(m, w + 4, x);
        x->offset = apc__le32(m, w + 6) | (wc >= 12 ? (uint64_t)apc__le32(m, w + 20) << 32 : 0);
        x->length = apc__le16(m, w + 10);
        return 1;
    case SMB1_WRITE_ANDX:
        x->command = APC__SMB2_WRITE;
        if (x->response)
            return 1;
        if (wc < 12) /* 2.2.4.43.1; [MS-SMB] 2.2.4.3.1 DataLengthHigh; OffsetHigh with 14 */
            return -1;
        fid(m, w + 4, x);
        x->offset = apc__le32(m, w + 6) | (wc >= 14 ? (uint64_t)apc__le32(m, w + 24) << 32 : 0);
        {
            size_t len = apc__le16(m, w + 20) | (size_t)apc__le16(m, w + 18) << 16;
            return data_at(m, apc__le16(m, w + 22), len, x) < 0 ? -1 : 1;
        }
    case SMB1_CLOSE: /* 2.2.4.5 */
        x->command = APC__SMB2_CLOSE;
        if (x->response)
            return 1;
        if (wc < 3)
            return -1;
        fid(m, w, x);
        return 1;
    default:
        return 0;
    }
}

int apc__smb1_parse(const uint8_t *msg, size_t n,
                    void (*cb)(void *payload, const apc__smb2_cmd_t *cmd), void *payload)
{
    apc__cur_t m = {msg, n};
    if (!apc__need(&m, 0, H1) || memcmp(msg, "\xffSMB", 4) != 0)
        return APC__SMB2_MALFORMED;
    unsigned cmd = msg[4];
    int reply = (msg[9] & F_REPLY) != 0, unicode = (apc__le16(&m, 10) & F2_UNICODE) != 0;
    uint32_t status = apc__le32(&m, 5);
    /* a reply carries its request's MID, PID, UID and TID (2.2.3.1) */
    uint64_t id = (uint64_t)apc__le16(&m, 30) | (uint64_t)apc__le16(&m, 26) << 16 |
                  (uint64_t)apc__le16(&m, 28) << 32 | (uint64_t)apc__le16(&m, 24) << 48;
    size_t at = H1;
    for (int i = 0; i < ANDX_MAX; i++) {
        if (!apc__need(&m, at, 1))
            return APC__SMB2_MALFORMED;
        size_t wc = msg[at], w = at + 1;
        if (!apc__need(&m, w, 2 * wc + 2))
            return APC__SMB2_MALFORMED;
        size_t b = w + 2 * wc, bc = apc__le16(&m, b);
        apc__smb2_cmd_t x;
        memset(&x, 0, sizeof x);
        x.response = reply;
        x.status = reply ? status : 0;
        x.msg_id = id;
        int r = command(&m, cmd, w, wc, b + 2, bc, unicode, &x);
        if (r < 0)
            return APC__SMB2_MALFORMED;
        if (r > 0)
            cb(payload, &x);
        /* the chain goes on only from an AndX command with its words (an error has none) */
        if (!is_andx(cmd) || wc < 2 || msg[w] == ANDX_NONE)
            return APC__SMB2_OK;
        size_t next = apc__le16(&m, w + 2);
        if (next <= at) /* offsets move forward: no loop */
            return APC__SMB2_MALFORMED;
        cmd = msg[w];
        at = next;
    }
    return APC__SMB2_OK;
}
