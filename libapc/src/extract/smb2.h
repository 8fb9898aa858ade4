/* SPDX-License-Identifier: MIT */
/*
 * SMB2/SMB3 messages (module extract): what a connection to TCP port 445 says about the files
 * it reads and writes. [MS-SMB2] 2.1 (Direct TCP transport framing), 2.2.1 (the 64-byte
 * header, compounded requests and responses through NextCommand), 2.2.13/2.2.14 (CREATE),
 * 2.2.15/2.2.16 (CLOSE), 2.2.19/2.2.20 (READ), 2.2.21 (WRITE), 2.2.41 (TRANSFORM header of
 * encrypted messages), 2.2.42 (compressed messages). Pure functions of one message: no state,
 * no allocation; every read is bounded by the message's length.
 */
#ifndef APC_EXTRACT_SMB2_H
#define APC_EXTRACT_SMB2_H

#include <stddef.h>
#include <stdint.h>

#define APC__SMB2_PORT 445
#define APC__SMB_NBSS_PORT 139 /* SMB over the NetBIOS session service (RFC 1002) */
#define APC__SMB2_NAME_MAX 512 /* UTF-8 bytes of a CREATE name kept, NUL included */

enum apc__smb2_command {
    APC__SMB2_CREATE = 5,
    APC__SMB2_CLOSE = 6,
    APC__SMB2_READ = 8,
    APC__SMB2_WRITE = 9,
};

#define APC__SMB2_STATUS_PENDING 0x00000103u /* an interim response: the real one follows */

/* What apc__smb2_parse says of a message as a whole. */
enum apc__smb2_kind {
    APC__SMB2_OK = 0,
    APC__SMB2_MALFORMED = -1,  /* the commands before the bad one were reported */
    APC__SMB2_ENCRYPTED = -2,  /* a TRANSFORM header (0xFD 'S' 'M' 'B'): unreadable */
    APC__SMB2_COMPRESSED = -3, /* a compression header (0xFC 'S' 'M' 'B'): not decoded */
    APC__SMB2_SMB1 = -4,       /* an SMB1 message (0xFF 'S' 'M' 'B') */
};

/* One command of a message, the fields this module uses. */
typedef struct apc__smb2_cmd {
    uint16_t command; /* enum apc__smb2_command, or any other command number */
    int response;     /* SMB2_FLAGS_SERVER_TO_REDIR */
    int related;      /* SMB2_FLAGS_RELATED_OPERATIONS: in a compound, uses the previous FileId */
    int async;        /* SMB2_FLAGS_ASYNC_COMMAND */
    uint32_t status;  /* responses: the NTSTATUS */
    uint64_t msg_id;
    uint8_t file_id[16]; /* CLOSE, READ and WRITE requests; CREATE responses */
    int has_file_id;
    char name[APC__SMB2_NAME_MAX]; /* CREATE requests: the path, UTF-8 (cut to fit) */
    uint64_t offset;               /* READ and WRITE requests */
    uint32_t length;               /* READ requests: bytes asked for */
    const uint8_t *data;           /* READ responses and WRITE requests: inside the message */
    size_t data_len;
    uint64_t eof; /* CREATE responses and CLOSE responses with POSTQUERY_ATTRIB: EndofFile */
    int has_eof;
} apc__smb2_cmd_t;

/* The 4-byte prefix of a message: the Direct TCP transport's ([MS-SMB2] 2.1: a zero byte and
 * a 24-bit big-endian length) or the NetBIOS session service's on port 139 (RFC 1002 4.3.1:
 * type 0, a session message, whose 17-bit length reads the same). With n >= 4: 0 and *len the
 * message's length; 1 and *len the length to skip for another session-service packet (4.3.2
 * to 4.3.7: session request 0x81, responses 0x82 to 0x84, keep-alive 0x85); -1 when it is
 * neither. */
int apc__smb2_frame(const uint8_t *p, size_t n, size_t *len);

/* Parses one message msg[0..n) (after the 4-byte prefix) and calls cb for each command of the
 * compound, in order (a failed or error response too: the caller reads its status). Returns
 * enum apc__smb2_kind. cmd is valid during the call only. */
int apc__smb2_parse(const uint8_t *msg, size_t n,
                    void (*cb)(void *payload, const apc__smb2_cmd_t *cmd), void *payload);

/* A file name of n bytes at p, UTF-16LE when utf16 (SMB2, and SMB1 with
 * SMB_FLAGS2_UNICODE) or 8-bit read as Latin-1 (SMB1 without), into UTF-8 in out (always
 * NUL-terminated, cut to whole characters within outn - 1). It stops at a NUL character; a
 * lone surrogate becomes U+FFFD; control characters are dropped. */
void apc__smb_name(const uint8_t *p, size_t n, int utf16, char *out, size_t outn);

#endif
