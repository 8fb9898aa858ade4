/* SPDX-License-Identifier: MIT */
/* SMB2 messages (extract/smb2.h). Every read goes through decode/bytes.h: offsets and lengths
 * in a message are the sender's word and are checked against the message's length. */
#include "extract/smb2.h"

#include <string.h>

#include "decode/bytes.h"

#define HDR 64 /* [MS-SMB2] 2.2.1: the header's StructureSize */

/* Header flags ([MS-SMB2] 2.2.1.1) */
#define F_RESPONSE 0x1u
#define F_ASYNC 0x2u
#define F_RELATED 0x4u

#define CLOSE_POSTQUERY_ATTRIB 0x1u /* [MS-SMB2] 2.2.15: the response carries the attributes */

int apc__smb2_frame(const uint8_t *p, size_t n, size_t *len)
{
    if (n < 4)
        return -1;
    if (p[0] >= 0x81 && p[0] <= 0x85 && (p[1] & 0xfe) == 0) {
        *len = (size_t)(p[1] & 1) << 16 | (size_t)p[2] << 8 | p[3];
        return 1;
    }
    if (p[0] != 0)
        return -1;
    *len = (size_t)p[1] << 16 | (size_t)p[2] << 8 | p[3];
    return 0;
}

/* Appends code point u to out[*k..outn - 1) as UTF-8 if it fits whole. */
static void put_utf8(char *out, size_t outn, size_t *k, uint32_t u)
{
    char b[4];
    size_t m;
    if (u < 0x80) {
        b[0] = (char)u;
        m = 1;
    } else if (u < 0x800) {
        b[0] = (char)(0xc0 | u >> 6);
        b[1] = (char)(0x80 | (u & 0x3f));
        m = 2;
    } else if (u < 0x10000) {
        b[0] = (char)(0xe0 | u >> 12);
        b[1] = (char)(0x80 | ((u >> 6) & 0x3f));
        b[2] = (char)(0x80 | (u & 0x3f));
        m = 3;
    } else {
        b[0] = (char)(0xf0 | u >> 18);
        b[1] = (char)(0x80 | ((u >> 12) & 0x3f));
        b[2] = (char)(0x80 | ((u >> 6) & 0x3f));
        b[3] = (char)(0x80 | (u & 0x3f));
        m = 4;
    }
    if (*k + m < outn) {
        memcpy(out + *k, b, m);
        *k += m;
    }
}

void apc__smb_name(const uint8_t *p, size_t n, int utf16, char *out, size_t outn)
{
    size_t k = 0;
    apc__cur_t c = {p, n};
    for (size_t i = 0; i < n; i += utf16 ? 2 : 1) {
        uint32_t u = p[i]; /* 8-bit names are read as Latin-1 */
        if (utf16 && i + 1 >= n)
            break;
        if (utf16)
            u = apc__le16(&c, i);
        if (utf16 && u >= 0xd800 && u < 0xdc00 && i + 3 < n) {
            uint32_t lo = apc__le16(&c, i + 2);
            if (lo >= 0xdc00 && lo < 0xe000) {
                u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
                i += 2;
            }
        }
        if (u == 0)
            break; /* SMB1 names may end with a terminator */
        if (u >= 0xd800 && u < 0xe000)
            u = 0xfffd;
        if (u >= 0x20 && u != 0x7f)
            put_utf8(out, outn, &k, u);
    }
    out[k] = '\0';
}

/* A command's variable part: `len` bytes at `off` from its header at h ([MS-SMB2] counts
 * buffer offsets from the header), past the header and inside the command. 0 with *at its
 * position, or -1. */
static int buffer(const apc__cur_t *c, size_t h, size_t off, size_t len, size_t *at)
{
    if (len && (off < HDR || !apc__need(c, h + off, len)))
        return -1;
    *at = h + off;
    return 0;
}

static void file_id(const apc__cur_t *c, size_t at, apc__smb2_cmd_t *x)
{
    memcpy(x->file_id, c->p + at, 16);
    x->has_file_id = 1;
}

/* The command's body at b (the header at h): its fields, bounded by the message. 0, or -1
 * when the body is too short for its command or points outside the message. */
static int body(const apc__cur_t *m, size_t h, size_t end, apc__smb2_cmd_t *x)
{
    apc__cur_t c = {m->p, end}; /* this command ends where the next one starts */
    size_t b = h + HDR;
    if (x->response && x->status != 0)
        return 0; /* an error response's body is the ERROR structure: nothing used in it */
    switch (x->command) {
    case APC__SMB2_CREATE:
        if (!x->response) {
            if (!apc__need(&c, b, 48))
                return -1;
            size_t at, len = apc__le16(&c, b + 46);
            if (buffer(&c, h, apc__le16(&c, b + 44), len, &at) < 0)
                return -1;
            apc__smb_name(c.p + at, len, 1, x->name, sizeof x->name);
        } else {
            if (!apc__need(&c, b, 80))
                return -1;
            x->eof = apc__le64(&c, b + 48);
            x->has_eof = 1;
            file_id(&c, b + 64, x);
        }
        return 0;
    case APC__SMB2_CLOSE:
        if (!x->response) {
            if (!apc__need(&c, b, 24))
                return -1;
            file_id(&c, b + 8, x);
        } else {
            if (!apc__need(&c, b, 60))
                return -1;
            if (apc__le16(&c, b + 2) & CLOSE_POSTQUERY_ATTRIB) {
                x->eof = apc__le64(&c, b + 48);
                x->has_eof = 1;
            }
        }
        return 0;
    case APC__SMB2_READ:
        if (!x->response) {
            if (!apc__need(&c, b, 48))
                return -1;
            x->length = apc__le32(&c, b + 4);
            x->offset = apc__le64(&c, b + 8);
            file_id(&c, b + 16, x);
        } else {
            if (!apc__need(&c, b, 16))
                return -1;
            size_t at, len = apc__le32(&c, b + 4);
            if (buffer(&c, h, apc__u8(&c, b + 2), len, &at) < 0)
                return -1;
            x->data = len ? c.p + at : NULL; /* an empty one may point anywhere */
            x->data_len = len;
        }
        return 0;
    case APC__SMB2_WRITE:
        if (!x->response) {
            if (!apc__need(&c, b, 48))
                return -1;
            size_t at, len = apc__le32(&c, b + 4);
            if (buffer(&c, h, apc__le16(&c, b + 2), len, &at) < 0)
                return -1;
            x->data = len ? c.p + at : NULL;
            x->data_len = len;
            x->offset = apc__le64(&c, b + 8);
            file_id(&c, b + 16, x);
        }
        return 0;
    default:
        return 0;
    }
}

int apc__smb2_parse(const uint8_t *msg, size_t n,
                    void (*cb)(void *payload, const apc__smb2_cmd_t *cmd), void *payload)
{
    apc__cur_t m = {msg, n};
    if (!apc__need(&m, 0, 4) || msg[1] != 'S' || msg[2] != 'M' || msg[3] != 'B')
        return APC__SMB2_MALFORMED;
    if (msg[0] == 0xfd)
        return APC__SMB2_ENCRYPTED;
    if (msg[0] == 0xfc)
        return APC__SMB2_COMPRESSED;
    if (msg[0] == 0xff)
        return APC__SMB2_SMB1;
    if (msg[0] != 0xfe)
        return APC__SMB2_MALFORMED;
    apc__smb2_cmd_t x;
    size_t h = 0;
    for (;;) {
        if (!apc__need(&m, h, HDR) || msg[h] != 0xfe || memcmp(msg + h + 1, "SMB", 3) != 0 ||
            apc__le16(&m, h + 4) != HDR)
            return APC__SMB2_MALFORMED;
        uint32_t flags = apc__le32(&m, h + 16), next = apc__le32(&m, h + 20);
        /* NextCommand: the next header's offset from this one, 8-byte aligned (2.2.1) */
        if (next && (next < HDR || next % 8 || !apc__need(&m, h, next)))
            return APC__SMB2_MALFORMED;
        memset(&x, 0, sizeof x);
        x.command = apc__le16(&m, h + 12);
        x.response = (flags & F_RESPONSE) != 0;
        x.related = (flags & F_RELATED) != 0;
        x.async = (flags & F_ASYNC) != 0;
        x.status = x.response ? apc__le32(&m, h + 8) : 0;
        x.msg_id = apc__le64(&m, h + 24);
        if (body(&m, h, next ? h + next : n, &x) < 0)
            return APC__SMB2_MALFORMED;
        cb(payload, &x);
        if (!next)
            return APC__SMB2_OK;
        h += next;
    }
}
